package main

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// startJetStream runs `nats-server -js` on a free loopback port with a stream BENCH on subject
// bench (skipping the test when nats-server is not installed) and returns its URL.
func startJetStream(t *testing.T) (string, nats.JetStreamContext) {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("nats-server is not installed")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	lis.Close()
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	var nc *nats.Conn
	for deadline := time.Now().Add(10 * time.Second); ; {
		if nc, err = nats.Connect(url); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not accept connections: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(nc.Close)
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "BENCH", Subjects: []string{"bench"}}); err != nil {
		t.Fatal(err)
	}
	return url, js
}

func jsOptions(url string, window int) *options {
	return &options{
		natsURL: url, stream: "BENCH", subject: "bench", size: 100, window: window,
		warmup: 50 * time.Millisecond, measure: 300 * time.Millisecond,
	}
}

func storedMessages(t *testing.T, js nats.JetStreamContext) int64 {
	t.Helper()
	info, err := js.StreamInfo("BENCH")
	if err != nil {
		t.Fatal(err)
	}
	return int64(info.State.Msgs)
}

func TestJetStreamPublishesStoreWhatWasAcked(t *testing.T) {
	url, js := startJetStream(t)
	async, err := jsPublishAsync(jsOptions(url, 100))
	if err != nil {
		t.Fatal(err)
	}
	sync, err := jsPublish(jsOptions(url, 1))
	if err != nil {
		t.Fatal(err)
	}
	if async.Messages == 0 || sync.Messages == 0 || async.Errors != 0 {
		t.Fatalf("results %+v %+v", async, sync)
	}
	if stored := storedMessages(t, js); stored != *async.Acked+*sync.Acked {
		t.Fatalf("stream holds %d messages, %d + %d were acked", stored, *async.Acked, *sync.Acked)
	}

	o := jsOptions(url, 1)
	o.count = int(storedMessages(t, js))
	replay, err := jsReplay(o)
	if err != nil {
		t.Fatal(err)
	}
	if replay.Messages != o.count {
		t.Fatalf("replay %+v, expected %d", replay, o.count)
	}
}
