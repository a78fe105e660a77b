package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/store/redistest"
	"github.com/appreg/appreg/internal/webhook"
)

// fakeStore is a Store whose answers the test sets.
type fakeStore struct {
	mu      sync.Mutex
	ping    error
	enqueue error
}

func (f *fakeStore) Start(store.Handler) {}
func (f *fakeStore) Enqueue(context.Context, store.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enqueue
}
func (f *fakeStore) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ping
}
func (f *fakeStore) Depth(context.Context) (int64, error) { return 0, nil }
func (f *fakeStore) Shutdown(context.Context) error       { return nil }

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	s := webhook.New(webhook.Options{Verify: verify, Run: newRecorder(false).run, Store: st})
	h := s.Handler()
	if w := get(h, "/readyz"); w.Code != http.StatusOK {
		t.Errorf("/readyz with the store up: %d %s", w.Code, w.Body)
	}
	st.mu.Lock()
	st.ping = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	st.mu.Unlock()
	w := get(h, "/readyz")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "store is unreachable") {
		t.Errorf("/readyz with the store down: %d %q", w.Code, w.Body)
	}
	if w := get(h, "/healthz"); w.Code != http.StatusOK {
		t.Errorf("/healthz with the store down: %d (the process is alive: restarting it does not bring Redis back)", w.Code)
	}
}

// TestStoreRefusals: a delivery the store does not take is answered 503,
// so that GitHub (or a redelivery) tries again, and counted.
func TestStoreRefusals(t *testing.T) {
	t.Parallel()
	body := event(t)
	tests := []struct {
		err    error
		answer string
		reason string
	}{
		{store.ErrFull, "busy", "busy"},
		{store.ErrShuttingDown, "busy", "busy"},
		{errors.New("queueing delivery d in Redis: i/o timeout"), "the queue is unavailable", "store"},
	}
	for _, tt := range tests {
		t.Run(tt.reason+" "+tt.err.Error(), func(t *testing.T) {
			t.Parallel()
			m := webhook.NewMetrics(func(context.Context) (int64, error) { return 0, nil })
			s := webhook.New(webhook.Options{Verify: verify, Run: newRecorder(false).run, Store: &fakeStore{enqueue: tt.err}, Metrics: m})
			w := post(s.Handler(), body, "pull_request", "d", sign(secret, body))
			if w.Code != http.StatusServiceUnavailable || strings.TrimSpace(w.Body.String()) != tt.answer {
				t.Errorf("answered %d %q, want 503 %q", w.Code, w.Body, tt.answer)
			}
			wantLines(t, scrape(t, m), `appreg_webhook_deliveries_rejected_total{event="pull_request",reason="`+tt.reason+`"} 1`)
		})
	}
}

func TestDeliveryMetrics(t *testing.T) {
	t.Parallel()
	body := event(t)
	s := webhook.New(webhook.Options{Verify: verify, Run: newRecorder(false).run, Sync: true})
	h := s.Handler()
	post(h, body, "pull_request", "d1", sign(secret, body))
	post(h, body, "pull_request", "d1", sign(secret, body))
	post(h, body, "pull_request", "d2", sign([]byte("guess"), body))
	post(h, body, "ping", "d3", sign(secret, body))
	w := get(h, "/metrics")
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", w.Code)
	}
	wantLines(t, w.Body.String(),
		`appreg_webhook_deliveries_received_total{event="pull_request"} 3`,
		`appreg_webhook_deliveries_received_total{event="ping"} 1`,
		`appreg_webhook_deliveries_duplicate_total{event="pull_request"} 1`,
		`appreg_webhook_deliveries_rejected_total{event="pull_request",reason="signature"} 1`,
		`appreg_job_duration_seconds_count{command="pull-request",outcome="success"} 1`,
		`appreg_queue_depth 0`,
	)
}

// TestParked: a job failing every attempt is retried, then parked once,
// and the server is told, with the attempts and the last error.
func TestParked(t *testing.T) {
	t.Parallel()
	body := event(t)
	var runs atomic.Int32
	type parked struct {
		delivery string
		attempts int
		err      string
	}
	got := make(chan parked, 2)
	m := webhook.NewMetrics(func(context.Context) (int64, error) { return 0, nil })
	s := webhook.New(webhook.Options{Verify: verify, Metrics: m, MaxAttempts: 3, RetryBackoff: time.Millisecond,
		Run: func(context.Context, webhook.Job) error {
			return errors.New("graph answered 503 (run " + string(rune('0'+runs.Add(1))) + ")")
		},
		Parked: func(_ context.Context, j webhook.Job, attempts int, err error) {
			got <- parked{j.Delivery, attempts, err.Error()}
		}})
	if w := post(s.Handler(), body, "pull_request", "d1", sign(secret, body)); w.Code != http.StatusAccepted {
		t.Fatalf("answered %d", w.Code)
	}
	select {
	case p := <-got:
		if p != (parked{"d1", 3, "graph answered 503 (run 3)"}) {
			t.Errorf("parked %+v", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not parked")
	}
	s.Shutdown(t.Context())
	if n := runs.Load(); n != 3 {
		t.Errorf("ran %d times, want 3", n)
	}
	wantLines(t, scrape(t, m), `appreg_job_retries_total 2`, `appreg_jobs_parked_total 1`,
		`appreg_job_duration_seconds_count{command="pull-request",outcome="failure"} 3`)
}

// TestServersShareRedis: two servers over one Redis drop a delivery the
// other queued, run it once, and are not ready once Redis is gone.
func TestServersShareRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	body := event(t)
	rec := newRecorder(false)
	var hs []http.Handler
	for range 2 {
		r, err := store.NewRedis(t.Context(), store.RedisOptions{URL: srv.URL, Lease: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s := webhook.New(webhook.Options{Verify: verify, Run: rec.run, Store: r})
		t.Cleanup(func() { s.Shutdown(context.Background()) })
		hs = append(hs, s.Handler())
	}
	if w := post(hs[0], body, "pull_request", "d1", sign(secret, body)); w.Code != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", w.Code, w.Body)
	}
	if w := post(hs[1], body, "pull_request", "d1", sign(secret, body)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "duplicate") {
		t.Errorf("the same delivery to the other replica: %d %q", w.Code, w.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.jobs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if got := rec.jobs(); len(got) != 1 {
		t.Errorf("ran %v, want the delivery once", got)
	}
	srv.Kill()
	for i, h := range hs {
		if w := get(h, "/readyz"); w.Code != http.StatusServiceUnavailable {
			t.Errorf("replica %d's /readyz with Redis stopped: %d", i, w.Code)
		}
		if w := post(h, body, "pull_request", "d2", sign(secret, body)); w.Code != http.StatusServiceUnavailable {
			t.Errorf("replica %d took a delivery with Redis stopped: %d", i, w.Code)
		}
	}
}

// BenchmarkWebhookAnswerRedis measures the answer to a signed
// pull_request delivery (the real 28 kB payload) with the Redis store:
// verify, parse, route, queue in Redis (the script that records the
// delivery id and adds the job to the stream), 202. One sender, and eight
// at once (on GOMAXPROCS 2); Redis without persistence, and with every
// write synced to disk (appendfsync always, as deploy/compose.yaml runs
// it).
//
//	go test ./internal/webhook -run XXX -bench WebhookAnswerRedis -benchtime 2000x
func BenchmarkWebhookAnswerRedis(b *testing.B) {
	for _, c := range []struct {
		persist bool
		senders int
	}{{false, 1}, {true, 1}, {false, 8}, {true, 8}} {
		persist := c.persist
		b.Run(fmt.Sprintf("appendfsync-always=%v/senders=%d", c.persist, c.senders), func(b *testing.B) {
			var opts []redistest.Option
			if persist {
				opts = append(opts, redistest.AppendOnly())
			}
			srv := redistest.Start(b, opts...)
			r, err := store.NewRedis(b.Context(), store.RedisOptions{URL: srv.URL, MaxPending: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			s := webhook.New(webhook.Options{Verify: verify, Run: func(context.Context, webhook.Job) error { return nil }, Store: r})
			defer s.Shutdown(context.Background())
			h := s.Handler()
			body := event(b)
			sig := sign(secret, body)
			var mu sync.Mutex
			var took []time.Duration
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(max(1, c.senders/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					start := time.Now()
					w := post(h, body, "pull_request", fmt.Sprint("bench-", n.Add(1)), sig)
					d := time.Since(start)
					if w.Code != http.StatusAccepted {
						b.Errorf("status %d %s", w.Code, w.Body)
						return
					}
					mu.Lock()
					took = append(took, d)
					mu.Unlock()
				}
			})
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
