package main

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

var jsClientName = "nats.go " + nats.Version

// jetStream connects to url (comma-separated for a cluster) and opens a JetStream context.
func jetStream(url string, opts ...nats.JSOpt) (*nats.Conn, nats.JetStreamContext, error) {
	nc, err := nats.Connect(url, nats.Name("lb-bench-go"), nats.Timeout(10*time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	js, err := nc.JetStream(opts...)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream context: %w", err)
	}
	return nc, js, nil
}

type inFlight struct {
	future nats.PubAckFuture
	sentAt time.Time
}

// jsPublishAsync keeps --window js.PublishAsync calls in flight; a collector takes each
// future in publish order and completes it when its PubAck (or error) arrives.
func jsPublishAsync(o *options) (*result, error) {
	// nats.go counts the call being made among the pending ones and stalls (failing after
	// 200 ms) when that count reaches MaxPending, so window+1 lets --window be in flight.
	nc, js, err := jetStream(o.natsURL, nats.PublishAsyncMaxPending(o.window+1))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	value := make([]byte, o.size)
	// slots bounds the calls in flight to --window;
	// window hands them to the collector in publish order.
	slots := make(chan struct{}, o.window)
	window := make(chan inFlight, o.window)
	failed := make(chan error, 2)
	stop := make(chan struct{})
	m := newMeter(o.warmup, o.measure)
	var acked int64

	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for f := range window {
			select {
			case <-f.future.Ok():
				atomic.AddInt64(&acked, 1)
				m.complete(f.sentAt, false)
			case <-f.future.Err():
				m.complete(f.sentAt, true)
			case <-time.After(stallTimeout):
				failed <- fmt.Errorf("no PubAck for %s", stallTimeout)
				return
			}
			<-slots
		}
	}()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		defer close(window)
		for {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			sentAt := time.Now()
			future, err := js.PublishAsync(o.subject, value)
			if err != nil {
				failed <- fmt.Errorf("PublishAsync: %w", err)
				return
			}
			// Never blocks: slots keeps at most --window futures between here and the collector.
			window <- inFlight{future, sentAt}
		}
	}()
	runErr := m.wait(failed)
	close(stop)
	<-sent
	if runErr == nil {
		select {
		case <-collected:
		case err := <-failed:
			runErr = err
		case <-time.After(drainTimeout):
			runErr = fmt.Errorf("PubAcks still missing %s after the run", drainTimeout)
		}
	}
	if runErr != nil {
		return nil, runErr
	}
	res := m.result(jsClientName)
	n := atomic.LoadInt64(&acked)
	res.Acked = &n
	return &res, nil
}

// jsPublish publishes with js.Publish, one at a time, each waiting for its PubAck.
func jsPublish(o *options) (*result, error) {
	nc, js, err := jetStream(o.natsURL)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	value := make([]byte, o.size)
	m := newMeter(o.warmup, o.measure)
	var acked int64
	for time.Now().Before(m.measureUntil) {
		sentAt := time.Now()
		if _, err := js.Publish(o.subject, value); err != nil {
			return nil, fmt.Errorf("Publish: %w", err)
		}
		acked++
		m.complete(sentAt, false)
	}
	res := m.result(jsClientName)
	res.Acked = &acked
	return &res, nil
}

// jsReplay reads --count messages with an ordered consumer from the first message, timing from
// the Subscribe call to the last message.
func jsReplay(o *options) (*result, error) {
	nc, js, err := jetStream(o.natsURL)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	var received int64
	done := make(chan struct{})
	subOpts := []nats.SubOpt{nats.OrderedConsumer(), nats.DeliverAll()}
	if o.stream != "" {
		subOpts = append(subOpts, nats.BindStream(o.stream))
	}
	start := time.Now()
	sub, err := js.Subscribe(o.subject, func(*nats.Msg) {
		if atomic.AddInt64(&received, 1) == int64(o.count) {
			close(done)
		}
	}, subOpts...)
	if err != nil {
		return nil, fmt.Errorf("Subscribe: %w", err)
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, fmt.Errorf("SetPendingLimits: %w", err)
	}
	last := int64(0)
	lastChange := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return &result{Messages: o.count, Seconds: time.Since(start).Seconds(), Client: jsClientName}, nil
		case now := <-tick.C:
			n := atomic.LoadInt64(&received)
			if n != last {
				last, lastChange = n, now
			} else if now.Sub(lastChange) > stallTimeout {
				return nil, fmt.Errorf("stuck at %d of %d messages for %s", n, o.count, stallTimeout)
			}
		}
	}
}
