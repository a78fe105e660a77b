package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/webhook"
)

// TestDedupEvictsOnlyTheOldest: a delivery that failed, was forgotten and
// ran again on redelivery is a recent id; deliveries after it must not
// evict it before older ones.
func TestDedupEvictsOnlyTheOldest(t *testing.T) {
	t.Parallel()
	body := event(t)
	runs := map[string]int{}
	var mu sync.Mutex
	s := webhook.New(webhook.Options{Verify: verify, Sync: true, Remember: 3, Run: func(_ context.Context, j webhook.Job) error {
		mu.Lock()
		defer mu.Unlock()
		runs[j.Delivery]++
		if j.Delivery == "a" && runs["a"] == 1 {
			return errors.New("github is down")
		}
		return nil
	}})
	h := s.Handler()
	// a fails (forgotten), a is redelivered and runs; b and c follow: a is
	// the oldest of the three remembered, and is still remembered.
	for _, d := range []string{"a", "a", "b", "c", "a"} {
		post(h, body, "pull_request", d, sign(secret, body))
	}
	if runs["a"] != 2 {
		t.Errorf("delivery a ran %d times, want 2 (the failure and the redelivery): a recent id was evicted", runs["a"])
	}
}

// countingBody is a request body that counts the bytes read from it and
// can hold every Read until released.
type countingBody struct {
	remaining int64
	read      *atomic.Int64
	started   *atomic.Int32
	once      sync.Once
	hold      chan struct{}
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.once.Do(func() { b.started.Add(1) })
	if b.hold != nil {
		<-b.hold
	}
	if b.remaining <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.remaining)
	b.remaining -= n
	b.read.Add(n)
	for i := range p[:n] {
		p[i] = ' '
	}
	return int(n), nil
}

func (b *countingBody) Close() error { return nil }

// TestOversizedAndUnsignedBodiesAreNotRead: what the headers already
// refuse (no or a malformed signature, a Content-Length over GitHub's 25
// MB, an event appreg does not act on) is answered without reading the
// body.
func TestOversizedAndUnsignedBodiesAreNotRead(t *testing.T) {
	t.Parallel()
	const size = 30 << 20
	tests := []struct {
		name, event, signature string
		length                 int64
		want                   int
	}{
		{"oversized with a plausible signature", "pull_request", "sha256=" + strings.Repeat("0", 64), size, http.StatusRequestEntityTooLarge},
		{"signature of another algorithm", "pull_request", "sha1=" + strings.Repeat("0", 40), size, http.StatusUnauthorized},
		{"unsigned", "push", "", size, http.StatusUnauthorized},
		{"event appreg ignores", "issues", "sha256=" + strings.Repeat("0", 64), size, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := webhook.New(webhook.Options{Verify: verify, Sync: true, Run: func(context.Context, webhook.Job) error { return nil }})
			var read atomic.Int64
			r := httptest.NewRequest(http.MethodPost, "/webhook", nil)
			r.Body = &countingBody{remaining: size, read: &read, started: new(atomic.Int32)}
			r.ContentLength = tt.length
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-GitHub-Event", tt.event)
			r.Header.Set("X-GitHub-Delivery", "d")
			if tt.signature != "" {
				r.Header.Set("X-Hub-Signature-256", tt.signature)
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("answered %d, want %d", w.Code, tt.want)
			}
			if n := read.Load(); n > 0 {
				t.Errorf("read %d bytes of a body the headers refuse", n)
			}
		})
	}
}

// TestBodiesAreReadFewAtATime: requests with a well-formed but wrong
// signature still have their bodies read (the signature covers them), but
// only a few at once, so that many of them cannot hold many bodies in
// memory.
func TestBodiesAreReadFewAtATime(t *testing.T) {
	t.Parallel()
	s := webhook.New(webhook.Options{Verify: verify, Sync: true, Run: func(context.Context, webhook.Job) error { return nil }})
	h := s.Handler()
	const n = 16
	var read atomic.Int64
	var started atomic.Int32
	hold := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		r := httptest.NewRequest(http.MethodPost, "/webhook", nil)
		r.Body = &countingBody{remaining: 1 << 20, read: &read, started: &started, hold: hold}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-GitHub-Event", "push")
		r.Header.Set("X-GitHub-Delivery", fmt.Sprint(i))
		r.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32))
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), r) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for started.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // time for more readers to start, were they allowed
	if got := started.Load(); got > 4 {
		t.Errorf("%d bodies were being read at once, want at most 4", got)
	}
	close(hold)
	wg.Wait()
	if got := started.Load(); got != n {
		t.Errorf("%d of %d bodies were read in the end", got, n)
	}
}

// TestJobDeadlineAndStuckWorkers: a job's context ends at its deadline;
// one that ignores it shows on /healthz until it returns.
func TestJobDeadlineAndStuckWorkers(t *testing.T) {
	t.Parallel()
	body := event(t)
	release := make(chan struct{})
	cancelled := make(chan error, 1)
	s := webhook.New(webhook.Options{Verify: verify, JobTimeout: 50 * time.Millisecond, Run: func(ctx context.Context, j webhook.Job) error {
		<-ctx.Done()
		cancelled <- ctx.Err()
		<-release // a job that does not return when cancelled
		return ctx.Err()
	}})
	h := s.Handler()
	if w := post(h, body, "pull_request", "d", sign(secret, body)); w.Code != http.StatusAccepted {
		t.Fatalf("answered %d", w.Code)
	}
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the job's context ended with %v, want its deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job's context did not end at its deadline")
	}
	health := func() (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return w.Code, w.Body.String()
	}
	deadline := time.Now().Add(10 * time.Second)
	code, text := health()
	for code == http.StatusOK && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		code, text = health()
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(text, "contoso/app-registrations running for") {
		t.Errorf("/healthz with a stuck job: %d %q", code, text)
	}
	close(release)
	for code != http.StatusOK && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		code, _ = health()
	}
	if code != http.StatusOK {
		t.Errorf("/healthz after the job returned: %d", code)
	}
	s.Shutdown(t.Context())
}
