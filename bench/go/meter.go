package main

import (
	"errors"
	"math"
	"sort"
	"sync"
	"time"
)

// stallTimeout fails a run when nothing completes for this long, so a lost ack cannot hang it.
const stallTimeout = 15 * time.Second

// meter counts the completions of a timed run that fall in its measured window and records
// their latencies (send to completion). Safe for concurrent use.
type meter struct {
	measureFrom  time.Time
	measureUntil time.Time

	mu             sync.Mutex
	messages       int
	errors         int
	latenciesNs    []int64
	lastCompletion time.Time
	done           chan struct{}
	doneOnce       sync.Once
}

func newMeter(warmup, measure time.Duration) *meter {
	now := time.Now()
	return &meter{
		measureFrom:    now.Add(warmup),
		measureUntil:   now.Add(warmup + measure),
		lastCompletion: now,
		latenciesNs:    make([]int64, 0, 1<<16),
		done:           make(chan struct{}),
	}
}

// complete records one request sent at sentAt that completed now, successfully or not.
func (m *meter) complete(sentAt time.Time, failed bool) {
	now := time.Now()
	m.mu.Lock()
	m.lastCompletion = now
	if !now.Before(m.measureFrom) && now.Before(m.measureUntil) {
		if failed {
			m.errors++
		} else {
			m.messages++
			m.latenciesNs = append(m.latenciesNs, now.Sub(sentAt).Nanoseconds())
		}
	}
	m.mu.Unlock()
	if !now.Before(m.measureUntil) {
		m.finish()
	}
}

func (m *meter) finish() { m.doneOnce.Do(func() { close(m.done) }) }

// wait returns when the measured window is over, or an error when completions stalled or
// failed reports a fatal error.
func (m *meter) wait(failed <-chan error) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-m.done:
			return nil
		case err := <-failed:
			return err
		case now := <-tick.C:
			if !now.Before(m.measureUntil) {
				m.finish()
				return nil
			}
			m.mu.Lock()
			stalled := now.Sub(m.lastCompletion) > stallTimeout
			m.mu.Unlock()
			if stalled {
				return errors.New("no request completed for 15 s")
			}
		}
	}
}

// result is the driver's one JSON line.
type result struct {
	Messages  int          `json:"messages"`
	Seconds   float64      `json:"seconds"`
	LatencyUs *percentiles `json:"latencyUs"`
	Errors    int          `json:"errors"`
	Client    string       `json:"client"`
	// Acked counts every acknowledged request of the run, warm-up and drain included, so a
	// caller can compare it with what the server stored.
	Acked *int64 `json:"acked,omitempty"`
}

type percentiles struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
}

func (m *meter) result(client string) result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return result{
		Messages:  m.messages,
		Seconds:   m.measureUntil.Sub(m.measureFrom).Seconds(),
		LatencyUs: latencyPercentiles(m.latenciesNs),
		Errors:    m.errors,
		Client:    client,
	}
}

// latencyPercentiles: nearest-rank p50/p99/p99.9 in µs (as bench/stats.ts computes them).
func latencyPercentiles(ns []int64) *percentiles {
	if len(ns) == 0 {
		return nil
	}
	sorted := append([]int64(nil), ns...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	at := func(q float64) float64 {
		rank := int(math.Ceil(q * float64(len(sorted))))
		if rank > len(sorted) {
			rank = len(sorted)
		}
		if rank < 1 {
			rank = 1
		}
		return math.Round(float64(sorted[rank-1])/100) / 10
	}
	return &percentiles{P50: at(0.5), P99: at(0.99), P999: at(0.999)}
}
