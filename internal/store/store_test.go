package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/store/redistest"
)

// queue is what the webhook server consumes of a store.
type queue interface {
	Start(store.Handler)
	Enqueue(ctx context.Context, j store.Job) error
	Shutdown(ctx context.Context) error
	Depth(ctx context.Context) (int64, error)
}

// span is one run of a job, as the recorder saw it.
type span struct {
	id, replica string
	attempt     int
	start, end  time.Time
	err         error
}

// recorder is a Handler that records every run and checks, as it goes,
// that no two jobs of one repository run at once.
type recorder struct {
	t       testing.TB
	replica string
	shared  *runs
	// fail decides a run's error (nil: succeed).
	fail func(j store.Job) error
	// work is how long a run takes (default: none).
	work func() time.Duration
	// block, when set, holds each run until ctx is done.
	block bool
}

// runs is what every replica's recorder writes to.
type runs struct {
	mu      sync.Mutex
	running map[string]string // repo -> delivery running
	spans   map[string][]span // repo -> runs, in start order
	parked  map[string]error
	overlap []string
	most    int // most jobs running at once
}

func newRuns() *runs {
	return &runs{running: map[string]string{}, spans: map[string][]span{}, parked: map[string]error{}}
}

func (r *recorder) Run(ctx context.Context, j store.Job) error {
	s := span{id: j.ID, replica: r.replica, attempt: j.Attempt, start: time.Now()}
	r.shared.mu.Lock()
	if other, ok := r.shared.running[j.Repo]; ok {
		r.shared.overlap = append(r.shared.overlap, fmt.Sprintf("%s: %s started while %s ran", j.Repo, j.ID, other))
	}
	r.shared.running[j.Repo] = j.ID
	r.shared.most = max(r.shared.most, len(r.shared.running))
	r.shared.mu.Unlock()
	if r.work != nil {
		sleep(ctx, r.work())
	}
	if r.block {
		<-ctx.Done()
		s.err = ctx.Err()
	} else if r.fail != nil {
		s.err = r.fail(j)
	}
	s.end = time.Now()
	r.shared.mu.Lock()
	delete(r.shared.running, j.Repo)
	r.shared.spans[j.Repo] = append(r.shared.spans[j.Repo], s)
	r.shared.mu.Unlock()
	return s.err
}

func (r *recorder) Parked(_ context.Context, j store.Job, err error) {
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	r.shared.parked[j.ID] = err
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// succeeded lists, per repository, the deliveries whose run succeeded, in
// the order they ran.
func (r *runs) succeeded() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for repo, ss := range r.spans {
		for _, s := range ss {
			if s.err == nil {
				out[repo] = append(out[repo], s.id)
			}
		}
	}
	return out
}

func (r *runs) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ss := range r.spans {
		n += len(ss)
	}
	return n
}

// waitFor polls cond until it holds or 20 seconds passed.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kind builds replicas of one store kind sharing one queue.
type kind struct {
	name string
	// replicas is how many the order test runs.
	replicas int
	open     func(t *testing.T, o store.Options) queue
}

func kinds(t *testing.T) []kind {
	return []kind{
		{"memory", 1, func(t *testing.T, o store.Options) queue {
			return store.NewMemory(store.MemoryOptions{Options: o})
		}},
		{"redis", 3, redisKind(t)},
	}
}

// redisKind opens replicas on one redis-server started for the test.
func redisKind(t *testing.T) func(t *testing.T, o store.Options) queue {
	var once sync.Once
	var srv *redistest.Server
	return func(t *testing.T, o store.Options) queue {
		once.Do(func() { srv = redistest.Start(t) })
		return openRedis(t, srv.URL, o)
	}
}

func openRedis(t *testing.T, url string, o store.Options) *store.Redis {
	t.Helper()
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := store.NewRedis(t.Context(), store.RedisOptions{Options: o, URL: url, Lease: 600 * time.Millisecond, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

// start opens the kind's replicas, each started with a recorder set up by
// with.
func (k kind) start(t *testing.T, o store.Options, with func(*recorder)) []queue {
	var qs []queue
	for i := range k.replicas {
		q := k.open(t, o)
		r := &recorder{t: t, replica: fmt.Sprint(i)}
		with(r)
		q.Start(r)
		qs = append(qs, q)
	}
	return qs
}

func fast(o store.Options) store.Options {
	if o.Backoff == 0 {
		o.Backoff = 10 * time.Millisecond
	}
	return o
}

func TestDuplicateDeliveryRunsOnce(t *testing.T) {
	t.Parallel()
	for _, k := range kinds(t) {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			shared := newRuns()
			qs := k.start(t, fast(store.Options{}), func(r *recorder) { r.shared = shared })
			for i, want := range []error{nil, store.ErrDuplicate, store.ErrDuplicate} {
				j := store.Job{ID: "d1", Repo: "contoso/a", Data: []byte("x")}
				if err := qs[i%len(qs)].Enqueue(t.Context(), j); !errors.Is(err, want) {
					t.Fatalf("enqueue %d: %v, want %v", i, err, want)
				}
			}
			waitFor(t, "the run", func() bool { return shared.count() == 1 })
			time.Sleep(50 * time.Millisecond)
			if diff := cmp.Diff(map[string][]string{"contoso/a": {"d1"}}, shared.succeeded()); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOrderAndExclusion queues interleaved jobs of several repositories,
// each to a random replica, and checks that every job ran once, that one
// repository's jobs ran in the order queued and never two at once, and
// that different repositories' ran side by side.
func TestOrderAndExclusion(t *testing.T) {
	t.Parallel()
	for _, k := range kinds(t) {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			shared := newRuns()
			qs := k.start(t, fast(store.Options{MaxConcurrent: 3}), func(r *recorder) {
				r.shared = shared
				r.work = func() time.Duration { return time.Duration(rand.N(3000)) * time.Microsecond }
			})
			const repos, per = 8, 12
			want := map[string][]string{}
			for n := range per {
				for r := range repos {
					repo := fmt.Sprintf("contoso/repo-%d", r)
					id := fmt.Sprintf("%s#%d", repo, n)
					want[repo] = append(want[repo], id)
					if err := qs[rand.N(len(qs))].Enqueue(t.Context(), store.Job{ID: id, Repo: repo, Data: []byte(id)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			waitFor(t, "every run", func() bool { return shared.count() >= repos*per })
			time.Sleep(50 * time.Millisecond)
			if diff := cmp.Diff(want, shared.succeeded()); diff != "" {
				t.Errorf("runs per repository, in order (-want +got):\n%s", diff)
			}
			if len(shared.overlap) > 0 {
				t.Errorf("one repository's jobs overlapped:\n%s", strings.Join(shared.overlap, "\n"))
			}
			if shared.most < 2 {
				t.Errorf("at most %d job ran at once; want different repositories side by side", shared.most)
			}
			waitFor(t, "an empty queue", func() bool { n, _ := qs[0].Depth(t.Context()); return n == 0 })
		})
	}
}

// TestRetryThenPark checks that a failing job is retried with backoff,
// holding its repository's place, and parked when its attempts are spent;
// that a permanent error parks at once; and that a parked delivery may be
// queued again (GitHub's redelivery).
func TestRetryThenPark(t *testing.T) {
	t.Parallel()
	for _, k := range kinds(t) {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			shared := newRuns()
			fail := func(j store.Job) error {
				switch {
				case j.ID == "flaky" && j.Attempt < 3:
					return fmt.Errorf("graph answered 503 (attempt %d)", j.Attempt)
				case j.ID == "broken":
					return errors.New("always fails")
				case j.ID == "tenant":
					return store.Permanent(errors.New("appreg.yaml names another tenant"))
				}
				return nil
			}
			q := k.open(t, store.Options{MaxAttempts: 3, Backoff: 20 * time.Millisecond})
			q.Start(&recorder{t: t, shared: shared, fail: fail})
			for _, id := range []string{"flaky", "after-flaky", "broken", "tenant", "last"} {
				if err := q.Enqueue(t.Context(), store.Job{ID: id, Repo: "contoso/a"}); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the last job", func() bool { return len(shared.succeeded()["contoso/a"]) == 3 })
			var got []string
			shared.mu.Lock()
			for _, s := range shared.spans["contoso/a"] {
				got = append(got, fmt.Sprintf("%s/%d ok=%v", s.id, s.attempt, s.err == nil))
			}
			parked := shared.parked
			shared.mu.Unlock()
			want := []string{"flaky/1 ok=false", "flaky/2 ok=false", "flaky/3 ok=true", "after-flaky/1 ok=true",
				"broken/1 ok=false", "broken/2 ok=false", "broken/3 ok=false", "tenant/1 ok=false", "last/1 ok=true"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			if len(parked) != 2 || parked["broken"] == nil || !strings.Contains(fmt.Sprint(parked["tenant"]), "another tenant") {
				t.Errorf("parked %v, want broken and tenant", parked)
			}
			if err := q.Enqueue(t.Context(), store.Job{ID: "broken", Repo: "contoso/a"}); err != nil {
				t.Errorf("redelivering a parked delivery: %v", err)
			}
			if err := q.Enqueue(t.Context(), store.Job{ID: "last", Repo: "contoso/a"}); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("redelivering a delivery that ran: %v, want ErrDuplicate", err)
			}
		})
	}
}
