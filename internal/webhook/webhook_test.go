package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/webhook"
)

var secret = []byte("webhook-secret")

func verify(r *http.Request) (string, string, []byte, error) { return gh.VerifyWebhook(r, secret) }

// recorder is a Runner that records the jobs it ran, optionally blocking
// each until released.
type recorder struct {
	mu      sync.Mutex
	ran     []string // "repo delivery"
	running map[string]int
	maxBoth int // most repositories running at once
	gate    chan struct{}
	started chan string
}

func newRecorder(block bool) *recorder {
	r := &recorder{running: map[string]int{}, started: make(chan string, 100)}
	if block {
		r.gate = make(chan struct{})
	}
	return r
}

func (r *recorder) run(ctx context.Context, j webhook.Job) error {
	r.mu.Lock()
	r.running[j.Repo]++
	if r.running[j.Repo] > 1 {
		panic("two jobs of one repository ran at once")
	}
	r.maxBoth = max(r.maxBoth, len(r.running))
	r.mu.Unlock()
	r.started <- j.Delivery
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
		}
	}
	r.mu.Lock()
	r.ran = append(r.ran, j.Repo+" "+j.Delivery)
	if r.running[j.Repo]--; r.running[j.Repo] == 0 {
		delete(r.running, j.Repo)
	}
	r.mu.Unlock()
	return nil
}

func (r *recorder) jobs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ran...)
}

func event(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../cmd/appreg/testdata/events/pull_request.opened.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withRepo(body []byte, repo string) []byte {
	return bytes.ReplaceAll(body, []byte(`"contoso/app-registrations"`), []byte(`"`+repo+`"`))
}

func request(body []byte, event, delivery, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", event)
	r.Header.Set("X-GitHub-Delivery", delivery)
	if signature != "" {
		r.Header.Set("X-Hub-Signature-256", signature)
	}
	return r
}

func sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func post(h http.Handler, body []byte, event, delivery, signature string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request(body, event, delivery, signature))
	return w
}

func TestSignature(t *testing.T) {
	t.Parallel()
	body := event(t)
	tests := []struct {
		name      string
		signature string
		want      int
	}{
		{"good", sign(secret, body), http.StatusAccepted},
		{"bad", sign([]byte("guess"), body), http.StatusUnauthorized},
		{"missing", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(false)
			s := webhook.New(webhook.Options{Verify: verify, Run: rec.run, Sync: true})
			w := post(s.Handler(), body, "pull_request", "d1", tt.signature)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.want == http.StatusUnauthorized {
				if got := strings.TrimSpace(w.Body.String()); got != "unauthorized" {
					t.Errorf("body %q says more than unauthorized", got)
				}
				if len(rec.jobs()) != 0 {
					t.Errorf("an unsigned delivery ran: %v", rec.jobs())
				}
			} else if diff := cmp.Diff([]string{"contoso/app-registrations d1"}, rec.jobs()); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		b, err := os.ReadFile("../../cmd/appreg/testdata/events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		file, event string
		want        int
		wantJob     string // "repo sha pr"
	}{
		{"pull_request.opened.json", "pull_request", 202, "contoso/app-registrations ec26c3e57ca3a959ca5aad62de7213c562f8c821 2"},
		{"pull_request.synchronize.json", "pull_request", 202, ""},
		{"pull_request_review.submitted.json", "pull_request_review", 202, ""},
		{"push.json", "push", 202, "contoso/app-registrations a21683865c088b5fe1906cf6552d15a285a4986d 0"},
		{"pull_request.closed.json", "pull_request", 200, ""},
		{"pull_request.opened.json", "installation", 200, ""},
		{"pull_request.opened.json", "ping", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.event+" "+tt.file, func(t *testing.T) {
			t.Parallel()
			var got []webhook.Job
			s := webhook.New(webhook.Options{Verify: verify, Sync: true, Run: func(_ context.Context, j webhook.Job) error { got = append(got, j); return nil }})
			body := withInstallation(read(tt.file))
			w := post(s.Handler(), body, tt.event, "d", sign(secret, body))
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.want == 200 {
				if len(got) != 0 || !strings.HasPrefix(w.Body.String(), "ignored") {
					t.Errorf("ran %v, answered %q; want ignored", got, w.Body)
				}
				return
			}
			if len(got) != 1 || got[0].Event.Name != tt.event || got[0].InstallationID == 0 || got[0].Event.Repo != got[0].Repo {
				t.Fatalf("jobs %+v", got)
			}
			if tt.wantJob != "" {
				if s := fmt.Sprintf("%s %s %d", got[0].Repo, got[0].SHA, got[0].PR); s != tt.wantJob {
					t.Errorf("job %s, want %s", s, tt.wantJob)
				}
			}
		})
	}
}

// withInstallation adds an installation to a payload of a repository
// webhook, as a GitHub App's deliveries carry.
func withInstallation(body []byte) []byte {
	if bytes.Contains(body, []byte(`"installation"`)) {
		return body
	}
	return bytes.Replace(body, []byte("{"), []byte(`{"installation": {"id": 7},`), 1)
}

func TestNoInstallation(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../cmd/appreg/testdata/events/push.json")
	if err != nil {
		t.Fatal(err)
	}
	s := webhook.New(webhook.Options{Verify: verify, Sync: true, Run: newRecorder(false).run})
	if w := post(s.Handler(), b, "push", "d", sign(secret, b)); w.Code != http.StatusBadRequest {
		t.Errorf("a delivery without an installation answered %d, want 400", w.Code)
	}
}

func TestDuplicateDelivery(t *testing.T) {
	t.Parallel()
	body := event(t)
	rec := newRecorder(false)
	s := webhook.New(webhook.Options{Verify: verify, Run: rec.run, Sync: true, Remember: 2})
	h := s.Handler()
	for _, d := range []string{"a", "a", "b", "a", "c", "a"} {
		post(h, body, "pull_request", d, sign(secret, body))
	}
	// "a" is forgotten once two newer deliveries were seen.
	want := []string{"contoso/app-registrations a", "contoso/app-registrations b", "contoso/app-registrations c", "contoso/app-registrations a"}
	if diff := cmp.Diff(want, rec.jobs()); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if w := post(h, body, "pull_request", "c", sign(secret, body)); w.Code != 200 || !strings.Contains(w.Body.String(), "duplicate") {
		t.Errorf("a duplicate answered %d %q", w.Code, w.Body)
	}
}

// TestRedeliveryAfterFailure: a delivery whose job failed runs again when
// GitHub redelivers it (same id); one that succeeded does not.
func TestRedeliveryAfterFailure(t *testing.T) {
	t.Parallel()
	body := event(t)
	runs := 0
	s := webhook.New(webhook.Options{Verify: verify, Sync: true, Run: func(context.Context, webhook.Job) error {
		runs++
		if runs == 1 {
			return fmt.Errorf("github is down")
		}
		return nil
	}})
	h := s.Handler()
	if w := post(h, body, "pull_request", "d", sign(secret, body)); w.Code != http.StatusInternalServerError {
		t.Errorf("a failed job in sync mode answered %d", w.Code)
	}
	for range 2 {
		post(h, body, "pull_request", "d", sign(secret, body))
	}
	if runs != 2 {
		t.Errorf("ran %d times, want 2 (the failure, then the first redelivery)", runs)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := webhook.New(webhook.Options{Verify: verify, Run: newRecorder(false).run})
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 {
		t.Errorf("healthz %d", w.Code)
	}
	s.Shutdown(t.Context())
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 503 {
		t.Errorf("healthz after shutdown %d, want 503", w.Code)
	}
}

// TestQueueOrder queues jobs of two repositories while the first of each
// blocks: each repository's run in order and one at a time, the two
// repositories at once.
func TestQueueOrder(t *testing.T) {
	t.Parallel()
	body := event(t)
	rec := newRecorder(true)
	s := webhook.New(webhook.Options{Verify: verify, Run: rec.run})
	h := s.Handler()
	for i := range 3 {
		for _, repo := range []string{"contoso/a", "contoso/b"} {
			b := withRepo(body, repo)
			d := fmt.Sprintf("%s-%d", repo, i)
			if w := post(h, b, "pull_request", d, sign(secret, b)); w.Code != http.StatusAccepted {
				t.Fatalf("status %d", w.Code)
			}
		}
	}
	// Both repositories start before either finishes.
	first := map[string]bool{<-rec.started: true, <-rec.started: true}
	if !first["contoso/a-0"] || !first["contoso/b-0"] {
		t.Fatalf("first jobs started: %v", first)
	}
	for range 4 {
		rec.gate <- struct{}{}
	}
	go func() {
		for range 2 {
			rec.gate <- struct{}{}
		}
	}()
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	var a, b []string
	for _, j := range rec.jobs() {
		if strings.HasPrefix(j, "contoso/a ") {
			a = append(a, j)
		} else {
			b = append(b, j)
		}
	}
	if diff := cmp.Diff([]string{"contoso/a contoso/a-0", "contoso/a contoso/a-1", "contoso/a contoso/a-2"}, a); diff != "" {
		t.Errorf("contoso/a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"contoso/b contoso/b-0", "contoso/b contoso/b-1", "contoso/b contoso/b-2"}, b); diff != "" {
		t.Errorf("contoso/b (-want +got):\n%s", diff)
	}
	if rec.maxBoth != 2 {
		t.Errorf("at most %d repositories ran at once, want 2", rec.maxBoth)
	}
}

// TestQueueBound: with MaxConcurrent 1, a second repository waits for the
// first.
func TestQueueBound(t *testing.T) {
	t.Parallel()
	body := event(t)
	rec := newRecorder(true)
	s := webhook.New(webhook.Options{Verify: verify, Run: rec.run, MaxConcurrent: 1})
	h := s.Handler()
	for _, repo := range []string{"contoso/a", "contoso/b"} {
		b := withRepo(body, repo)
		post(h, b, "pull_request", repo, sign(secret, b))
	}
	first := <-rec.started
	select {
	case second := <-rec.started:
		t.Fatalf("%s started while %s ran", second, first)
	case <-time.After(50 * time.Millisecond):
	}
	rec.gate <- struct{}{}
	<-rec.started
	rec.gate <- struct{}{}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rec.maxBoth != 1 {
		t.Errorf("%d repositories ran at once, want 1", rec.maxBoth)
	}
}

// TestShutdownWaits: Shutdown returns only after the running job ends, and
// refuses new deliveries meanwhile; with a deadline, it cancels the job.
func TestShutdownWaits(t *testing.T) {
	t.Parallel()
	body := event(t)
	rec := newRecorder(true)
	s := webhook.New(webhook.Options{Verify: verify, Run: rec.run})
	h := s.Handler()
	post(h, body, "pull_request", "d1", sign(secret, body))
	<-rec.started
	done := make(chan error)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while a job ran", err)
	case <-time.After(50 * time.Millisecond):
	}
	if w := post(h, body, "pull_request", "d2", sign(secret, body)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a delivery during shutdown answered %d, want 503", w.Code)
	}
	rec.gate <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"contoso/app-registrations d1"}, rec.jobs()); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}

	// A deadline cancels a job that does not finish.
	rec = newRecorder(true)
	s = webhook.New(webhook.Options{Verify: verify, Run: rec.run})
	post(s.Handler(), body, "pull_request", "d3", sign(secret, body))
	<-rec.started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err == nil {
		t.Error("Shutdown past its deadline returned nil")
	}
	if len(rec.jobs()) != 1 {
		t.Errorf("the cancelled job did not return: %v", rec.jobs())
	}
}

// BenchmarkWebhookAnswer measures the time the handler takes to answer a
// signed pull_request delivery in async mode (verify, parse, route,
// enqueue); the jobs run elsewhere.
func BenchmarkWebhookAnswer(b *testing.B) {
	body := event(b)
	sig := sign(secret, body)
	s := webhook.New(webhook.Options{Verify: verify, Run: func(context.Context, webhook.Job) error { return nil }, MaxPending: 1 << 30})
	h := s.Handler()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		w := post(h, body, "pull_request", fmt.Sprint("d", i), sig)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.StopTimer()
	s.Shutdown(context.Background())
}
