package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nuid"
	"google.golang.org/grpc"
)

// drainTimeout bounds the wait, after the measured window, for acks still in flight.
const drainTimeout = 10 * time.Second

// lbPublishAsync keeps --window PublishAsync requests in flight on one bidi stream, each sent
// with its own stream.SendMsg (so grpc-go writes it in its own DATA frame), and matches acks
// to requests by correlationId, as go-liftbridge v2 does. With --ack none the server sends no
// response, so a request completes when SendMsg returns.
func lbPublishAsync(o *options) (*result, error) {
	conn, err := dialLeader(o.address, o.stream)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, methodPublishAsync)
	if err != nil {
		return nil, fmt.Errorf("PublishAsync: %w", err)
	}

	value := make([]byte, o.size)
	slots := make(chan struct{}, o.window)
	var mu sync.Mutex
	pending := make(map[string]time.Time, o.window)
	var acked int64
	failed := make(chan error, 2)
	stop := make(chan struct{})
	m := newMeter(o.warmup, o.measure)
	awaitAcks := o.ackPolicy != ackNone

	recvDone := make(chan struct{})
	if awaitAcks {
		go func() {
			defer close(recvDone)
			for {
				var buf []byte
				if err := stream.RecvMsg(&buf); err != nil {
					if ctx.Err() == nil {
						failed <- fmt.Errorf("PublishAsync receive: %w", err)
					}
					return
				}
				resp, err := decodePublishResponse(buf)
				if err != nil {
					failed <- fmt.Errorf("PublishResponse: %w", err)
					return
				}
				// As go-liftbridge: the ack's correlationId, else the response's.
				cid := resp.correlationID
				if resp.ack != nil {
					cid = resp.ack.correlationID
				}
				mu.Lock()
				sentAt, ok := pending[cid]
				delete(pending, cid)
				mu.Unlock()
				if !ok {
					failed <- fmt.Errorf("PublishResponse for unknown correlationId %q (ack %+v, asyncError %+v)", cid, resp.ack, resp.asyncError)
					return
				}
				refused := resp.asyncError != nil || resp.ack == nil || resp.ack.ackError != 0
				if !refused {
					atomic.AddInt64(&acked, 1)
				}
				m.complete(sentAt, refused)
				<-slots
			}
		}()
	} else {
		close(recvDone)
	}

	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		req := publishRequest{value: value, stream: o.stream, ackPolicy: o.ackPolicy}
		for {
			if awaitAcks {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
			} else {
				select {
				case <-stop:
					return
				default:
				}
			}
			req.correlationID = nuid.Next()
			// A fresh buffer each time: grpc-go queues the bytes SendMsg is given and writes
			// them later, as its generated-code codec's fresh slices allow.
			buf := encodePublishRequest(make([]byte, 0, o.size+64), &req)
			sentAt := time.Now()
			if awaitAcks {
				mu.Lock()
				pending[req.correlationID] = sentAt
				mu.Unlock()
			}
			if err := stream.SendMsg(&buf); err != nil {
				failed <- fmt.Errorf("PublishAsync send: %w", err)
				return
			}
			if !awaitAcks {
				m.complete(sentAt, false)
			}
		}
	}()

	runErr := m.wait(failed)
	if runErr != nil {
		cancel()
	}
	close(stop)
	<-sendDone
	if runErr == nil && awaitAcks {
		runErr = drain(&mu, pending, failed)
	}
	res := m.result(lbClientName)
	if awaitAcks {
		n := atomic.LoadInt64(&acked)
		res.Acked = &n
	}
	cancel()
	<-recvDone
	if runErr != nil {
		return nil, runErr
	}
	return &res, nil
}

// drain waits for the acks of requests still in flight, so the run's acked count is final.
func drain(mu *sync.Mutex, pending map[string]time.Time, failed <-chan error) error {
	deadline := time.Now().Add(drainTimeout)
	for {
		mu.Lock()
		left := len(pending)
		mu.Unlock()
		if left == 0 {
			return nil
		}
		select {
		case err := <-failed:
			return err
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d acks still missing %s after the run", left, drainTimeout)
		}
	}
}

// lbPublish sends unary Publish requests one at a time, each awaited before the next.
func lbPublish(o *options) (*result, error) {
	conn, err := dialLeader(o.address, o.stream)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	req := publishRequest{value: make([]byte, o.size), stream: o.stream, ackPolicy: o.ackPolicy}
	m := newMeter(o.warmup, o.measure)
	var acked int64
	for time.Now().Before(m.measureUntil) {
		req.correlationID = nuid.Next()
		buf := encodePublishRequest(make([]byte, 0, o.size+64), &req)
		var out []byte
		sentAt := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), stallTimeout)
		err := conn.Invoke(ctx, methodPublish, &buf, &out)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("Publish: %w", err)
		}
		resp, err := decodePublishResponse(out)
		if err != nil {
			return nil, fmt.Errorf("PublishResponse: %w", err)
		}
		refused := o.ackPolicy != ackNone && (resp.ack == nil || resp.ack.ackError != 0)
		if !refused {
			acked++
		}
		m.complete(sentAt, refused)
	}
	res := m.result(lbClientName)
	if o.ackPolicy != ackNone {
		res.Acked = &acked
	}
	return &res, nil
}

// lbSubscribe subscribes to partition 0 from the earliest offset and reads --count messages,
// timing from the Subscribe call to the last message.
func lbSubscribe(o *options) (*result, error) {
	conn, err := dialLeader(o.address, o.stream)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, methodSubscribe)
	if err != nil {
		return nil, fmt.Errorf("Subscribe: %w", err)
	}
	req := encodeSubscribeRequest(o.stream, 0, startEarliest)
	if err := stream.SendMsg(&req); err != nil {
		return nil, fmt.Errorf("Subscribe send: %w", err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, fmt.Errorf("Subscribe close send: %w", err)
	}
	received := make(chan error, 1)
	go func() { received <- readMessages(stream, o.count) }()
	select {
	case err := <-received:
		if err != nil {
			return nil, err
		}
	case <-time.After(stallTimeout + time.Duration(o.count)*time.Millisecond):
		return nil, fmt.Errorf("%d messages did not arrive in time", o.count)
	}
	seconds := time.Since(start).Seconds()
	return &result{Messages: o.count, Seconds: seconds, Client: lbClientName}, nil
}

// readMessages reads the empty handshake message, then count messages with consecutive
// offsets, each decoded in full as a generated client would.
func readMessages(stream grpc.ClientStream, count int) error {
	var buf []byte
	if err := stream.RecvMsg(&buf); err != nil {
		return fmt.Errorf("Subscribe: %w", err)
	}
	if len(buf) != 0 {
		return errors.New("Subscribe: the first message is not the empty handshake")
	}
	var next int64
	for i := 0; i < count; i++ {
		if err := stream.RecvMsg(&buf); err != nil {
			return fmt.Errorf("Subscribe after %d of %d messages: %w", i, count, err)
		}
		msg, err := decodeMessage(buf)
		if err != nil {
			return fmt.Errorf("Message: %w", err)
		}
		if i > 0 && msg.offset != next {
			return fmt.Errorf("Subscribe: offset %d arrived where %d was next", msg.offset, next)
		}
		next = msg.offset + 1
	}
	return nil
}
