package main

import (
	"sync/atomic"
	"testing"
	"time"
)

// startTestNullServer serves a null server on a loopback port until the test ends.
func startTestNullServer(t *testing.T, replayCount int) (*nullAPI, string) {
	t.Helper()
	server, api, lis, err := startNullServer(&options{listen: "127.0.0.1:0", size: 100, replayCount: replayCount})
	if err != nil {
		t.Fatal(err)
	}
	go server.Serve(lis)
	t.Cleanup(server.Stop)
	return api, lis.Addr().String()
}

func testOptions(address string, window int) *options {
	return &options{
		address: address, stream: "s", size: 100, window: window, ackPolicy: ackLeader,
		warmup: 50 * time.Millisecond, measure: 300 * time.Millisecond,
	}
}

func TestPublishAsyncMatchesEveryAckToItsRequest(t *testing.T) {
	api, address := startTestNullServer(t, 0)
	res, err := lbPublishAsync(testOptions(address, 50))
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 || res.Errors != 0 || res.LatencyUs == nil {
		t.Fatalf("result %+v", res)
	}
	if acked := atomic.LoadInt64(&api.offset); res.Acked == nil || *res.Acked != acked {
		t.Fatalf("driver counted %v acks, the server sent %d", res.Acked, acked)
	}
}

func TestPublishWaitsForEachAck(t *testing.T) {
	api, address := startTestNullServer(t, 0)
	res, err := lbPublish(testOptions(address, 1))
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 || res.Errors != 0 || *res.Acked != atomic.LoadInt64(&api.offset) {
		t.Fatalf("result %+v, server acked %d", res, atomic.LoadInt64(&api.offset))
	}
}

func TestSubscribeReadsTheHandshakeThenCountMessages(t *testing.T) {
	_, address := startTestNullServer(t, 500)
	o := testOptions(address, 1)
	o.count = 500
	res, err := lbSubscribe(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 500 || res.LatencyUs != nil {
		t.Fatalf("result %+v", res)
	}
}

func TestLeaderFromMetadata(t *testing.T) {
	_, address := startTestNullServer(t, 0)
	conn, err := dial(address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	leader, err := partitionLeader(conn, "s")
	if err != nil {
		t.Fatal(err)
	}
	if leader != address {
		t.Fatalf("leader %s, expected %s", leader, address)
	}
}

func TestNearestRankPercentiles(t *testing.T) {
	ns := make([]int64, 1000)
	for i := range ns {
		ns[i] = int64(1000-i) * 1000 // 1000 µs down to 1 µs
	}
	p := latencyPercentiles(ns)
	if p.P50 != 500 || p.P99 != 990 || p.P999 != 999 {
		t.Fatalf("percentiles %+v", p)
	}
	if latencyPercentiles(nil) != nil {
		t.Fatal("no samples must give no percentiles")
	}
}

func TestMessageDecodesEveryField(t *testing.T) {
	m, err := decodeMessage(encodeMessage(7, []byte("value"), 42, "s"))
	if err != nil {
		t.Fatal(err)
	}
	if m.offset != 7 || string(m.value) != "value" || m.timestamp != 42 || m.stream != "s" {
		t.Fatalf("message %+v", m)
	}
}
