// Command lb-bench-go is the Go benchmark driver of bench/ (see DRIVER-PROTOCOL in
// bench/go/README.md): a Liftbridge client on grpc-go that frames requests as go-liftbridge
// does, a JetStream client on nats.go, and a do-nothing Liftbridge server on grpc-go.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

type options struct {
	address     string
	natsURL     string
	stream      string
	subject     string
	listen      string
	size        int
	window      int
	ack         string
	ackPolicy   int32
	warmup      time.Duration
	measure     time.Duration
	count       int
	replayCount int
}

var modes = map[string]func(*options) (*result, error){
	"lb-publish-async": lbPublishAsync,
	"lb-publish":       lbPublish,
	"lb-subscribe":     lbSubscribe,
	"js-publish-async": jsPublishAsync,
	"js-publish":       jsPublish,
	"js-replay":        jsReplay,
	"null-server":      nullServer,
}

func main() {
	if len(os.Args) < 2 || modes[os.Args[1]] == nil {
		fail(fmt.Errorf("usage: lb-bench-go <mode> [--flag value ...]; mode is one of %s", modeNames()))
	}
	mode := os.Args[1]
	opts, err := parseOptions(mode, os.Args[2:])
	if err != nil {
		fail(err)
	}
	res, err := modes[mode](opts)
	if err != nil {
		fail(fmt.Errorf("%s: %w", mode, err))
	}
	if res != nil {
		line, err := json.Marshal(res)
		if err != nil {
			fail(err)
		}
		fmt.Println(string(line))
	}
}

func parseOptions(mode string, args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error alone is reported, on one line
	fs.StringVar(&o.address, "address", "", "Liftbridge gRPC address host:port (lb modes)")
	fs.StringVar(&o.natsURL, "nats-url", "", "NATS URL(s), comma-separated (js modes)")
	fs.StringVar(&o.stream, "stream", "", "Liftbridge stream or JetStream stream name")
	fs.StringVar(&o.subject, "subject", "", "JetStream subject (js modes)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "host:port to listen on (null-server)")
	fs.IntVar(&o.size, "size", 100, "message value size in bytes")
	fs.IntVar(&o.window, "window", 1000, "requests in flight (async modes)")
	fs.StringVar(&o.ack, "ack", "leader", "ack policy: leader, all or none (lb modes)")
	warmupMs := fs.Int("warmup-ms", 1000, "warm-up milliseconds")
	measureMs := fs.Int("measure-ms", 5000, "measured milliseconds")
	fs.IntVar(&o.count, "count", 0, "messages to receive (replay modes)")
	fs.IntVar(&o.replayCount, "replay-count", 0, "messages the null server sends per Subscribe")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.warmup = time.Duration(*warmupMs) * time.Millisecond
	o.measure = time.Duration(*measureMs) * time.Millisecond
	switch o.ack {
	case "leader":
		o.ackPolicy = ackLeader
	case "all":
		o.ackPolicy = ackAll
	case "none":
		o.ackPolicy = ackNone
	default:
		return nil, fmt.Errorf("--ack is %q, expected leader, all or none", o.ack)
	}
	if o.size < 0 {
		return nil, fmt.Errorf("--size is %d, expected bytes >= 0", o.size)
	}
	if o.window < 1 {
		return nil, fmt.Errorf("--window is %d, expected >= 1", o.window)
	}
	if *warmupMs < 0 {
		return nil, fmt.Errorf("--warmup-ms is %d, expected >= 0", *warmupMs)
	}
	if *measureMs < 1 {
		return nil, fmt.Errorf("--measure-ms is %d, expected >= 1", *measureMs)
	}
	if o.replayCount < 0 {
		return nil, fmt.Errorf("--replay-count is %d, expected >= 0", o.replayCount)
	}
	switch {
	case strings.HasPrefix(mode, "lb-"):
		if o.address == "" {
			return nil, fmt.Errorf("--address host:port is required for %s", mode)
		}
		if o.stream == "" {
			return nil, fmt.Errorf("--stream is required for %s", mode)
		}
	case strings.HasPrefix(mode, "js-"):
		if o.natsURL == "" {
			return nil, fmt.Errorf("--nats-url is required for %s", mode)
		}
		if o.subject == "" {
			return nil, fmt.Errorf("--subject is required for %s", mode)
		}
	}
	if (mode == "lb-subscribe" || mode == "js-replay") && o.count < 1 {
		return nil, fmt.Errorf("--count is %d, expected messages >= 1 for %s", o.count, mode)
	}
	return o, nil
}

func modeNames() string {
	names := make([]string, 0, len(modes))
	for name := range modes {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(1)
}
