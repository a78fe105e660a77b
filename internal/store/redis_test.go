package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/store/redistest"
)

func openRedisWith(t *testing.T, o store.RedisOptions) *store.Redis {
	t.Helper()
	if o.Lease == 0 {
		o.Lease = 600 * time.Millisecond
	}
	if o.Poll == 0 {
		o.Poll = 10 * time.Millisecond
	}
	if o.Backoff == 0 {
		o.Backoff = 10 * time.Millisecond
	}
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := store.NewRedis(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

func enqueue(t *testing.T, q queue, repo string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := q.Enqueue(t.Context(), store.Job{ID: id, Repo: repo, Data: []byte("payload of " + id)}); err != nil {
			t.Fatalf("enqueue %s: %v", id, err)
		}
	}
}

// spans returns the runs of repo, as "replica:delivery/attempt ok".
func (r *runs) of(repo string) []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]span(nil), r.spans[repo]...)
}

func describe(ss []span) []string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s:%s/%d ok=%v", s.replica, s.id, s.attempt, s.err == nil))
	}
	return out
}

// TestTakeoverAfterCrash cuts a replica from Redis while it runs a job: it
// stops the job when it can no longer renew the lease, and another replica
// runs it, after it stopped, then the repository's next job, in order.
func TestTakeoverAfterCrash(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	shared := newRuns()
	a := openRedisWith(t, store.RedisOptions{URL: srv.URL})
	a.Start(&recorder{replica: "a", shared: shared, block: true})
	enqueue(t, a, "contoso/x", "x1", "x2")
	waitFor(t, "a to run x1", func() bool {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		return shared.running["contoso/x"] == "x1"
	})
	b := openRedisWith(t, store.RedisOptions{URL: srv.URL})
	b.Start(&recorder{replica: "b", shared: shared})
	a.Crash()
	waitFor(t, "b to run x2", func() bool { return len(shared.of("contoso/x")) == 3 })
	got := shared.of("contoso/x")
	if diff := cmp.Diff([]string{"a:x1/1 ok=false", "b:x1/2 ok=true", "b:x2/1 ok=true"}, describe(got)); diff != "" {
		t.Fatalf("runs (-want +got):\n%s", diff)
	}
	if !got[0].end.Before(got[1].start) {
		t.Errorf("b started x1 at %s, before a stopped it at %s", got[1].start.Format(time.StampMicro), got[0].end.Format(time.StampMicro))
	}
	if !errors.Is(got[0].err, context.Canceled) {
		t.Errorf("a's run ended with %v, want its context cancelled", got[0].err)
	}
	if len(shared.overlap) > 0 {
		t.Errorf("overlaps: %v", shared.overlap)
	}
}

// TestShutdown checks that a replica stopping finishes the job it runs
// when given the time, and otherwise hands back, in their places, the
// jobs it runs and holds: another replica runs them all, in order.
func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("finishes", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t)
		shared := newRuns()
		a := openRedisWith(t, store.RedisOptions{URL: srv.URL})
		a.Start(&recorder{replica: "a", shared: shared, work: func() time.Duration { return 200 * time.Millisecond }})
		enqueue(t, a, "contoso/x", "x1")
		waitFor(t, "a to run x1", func() bool { shared.mu.Lock(); defer shared.mu.Unlock(); return len(shared.running) == 1 })
		if err := a.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := a.Enqueue(t.Context(), store.Job{ID: "late", Repo: "contoso/x"}); !errors.Is(err, store.ErrShuttingDown) {
			t.Errorf("enqueue after shutdown: %v, want ErrShuttingDown", err)
		}
		b := openRedisWith(t, store.RedisOptions{URL: srv.URL})
		b.Start(&recorder{replica: "b", shared: shared})
		time.Sleep(300 * time.Millisecond)
		if diff := cmp.Diff([]string{"a:x1/1 ok=true"}, describe(shared.of("contoso/x"))); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
		if n, err := b.Depth(t.Context()); err != nil || n != 0 {
			t.Errorf("depth %d, %v; want 0", n, err)
		}
	})
	t.Run("hands back", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t)
		shared := newRuns()
		a := openRedisWith(t, store.RedisOptions{URL: srv.URL, Consumer: "replica-a", Options: store.Options{MaxConcurrent: 1}})
		a.Start(&recorder{replica: "a", shared: shared, block: true})
		enqueue(t, a, "contoso/x", "x1", "x2", "x3")
		enqueue(t, a, "contoso/y", "y1")
		waitFor(t, "a to run a job", func() bool { shared.mu.Lock(); defer shared.mu.Unlock(); return len(shared.running) == 1 })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := a.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("shutdown: %v, want the deadline exceeded", err)
		}
		// Handed back, not left for a claim after the lease: the stopped
		// replica holds nothing.
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		defer rdb.Close()
		pending, err := rdb.XPending(t.Context(), "appreg:jobs", "workers").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n := pending.Consumers["replica-a"]; n != 0 {
			t.Errorf("the stopped replica still holds %d jobs", n)
		}
		if n, _ := rdb.XLen(t.Context(), "appreg:jobs").Result(); n != 4 {
			t.Errorf("%d jobs queued after the hand-back, want 4", n)
		}
		b := openRedisWith(t, store.RedisOptions{URL: srv.URL})
		b.Start(&recorder{replica: "b", shared: shared})
		waitFor(t, "b to run every job", func() bool {
			return len(shared.succeeded()["contoso/x"]) == 3 && len(shared.succeeded()["contoso/y"]) == 1
		})
		want := map[string][]string{"contoso/x": {"x1", "x2", "x3"}, "contoso/y": {"y1"}}
		if diff := cmp.Diff(want, shared.succeeded()); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
		for _, repo := range []string{"contoso/x", "contoso/y"} {
			for _, s := range shared.of(repo) {
				if s.replica == "b" && s.attempt != 1 {
					t.Errorf("%s ran on b as attempt %d: a run cut by shutdown counted as a failure", s.id, s.attempt)
				}
			}
		}
	})
}

// TestDurableAcrossRedisRestart queues jobs, kills Redis (SIGKILL) and
// starts it again from its append-only file: the jobs run, in order, and
// their delivery ids are still known.
func TestDurableAcrossRedisRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.AppendOnly())
	a := openRedisWith(t, store.RedisOptions{URL: srv.URL})
	enqueue(t, a, "contoso/x", "x1", "x2", "x3")
	enqueue(t, a, "contoso/y", "y1")
	srv.Restart(t)
	shared := newRuns()
	b := openRedisWith(t, store.RedisOptions{URL: srv.URL})
	b.Start(&recorder{replica: "b", shared: shared})
	waitFor(t, "every job", func() bool { return shared.count() == 4 })
	want := map[string][]string{"contoso/x": {"x1", "x2", "x3"}, "contoso/y": {"y1"}}
	if diff := cmp.Diff(want, shared.succeeded()); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if err := b.Enqueue(t.Context(), store.Job{ID: "x2", Repo: "contoso/x"}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("enqueue of a delivery queued before the restart: %v, want ErrDuplicate", err)
	}
}

func TestRedisConnection(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pa55"
	srv := redistest.Start(t, redistest.Password(password))
	bare := "redis://" + srv.Addr
	tests := []struct {
		name, url, password, wantErr string
	}{
		{"password in the URL", srv.URL, "", ""},
		{"password from the environment", bare, password, ""},
		{"the URL's password wins", srv.URL, "wrong", ""},
		{"no password", bare, "", "NOAUTH"},
		{"wrong password", bare, "wrong", "WRONGPASS"},
		{"not a Redis URL", "http://:" + password + "@" + srv.Addr, "", "parsing the Redis URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := store.NewRedis(t.Context(), store.RedisOptions{URL: tt.url, Password: tt.password})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer r.Shutdown(context.Background())
				if err := r.Ping(t.Context()); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one saying %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := redistest.Start(t)
		r := openRedisWith(t, store.RedisOptions{URL: srv.URL})
		srv.Kill()
		if err := r.Ping(t.Context()); err == nil {
			t.Error("Ping answered nil with Redis stopped")
		}
		if err := r.Enqueue(t.Context(), store.Job{ID: "d", Repo: "contoso/x"}); err == nil {
			t.Error("Enqueue answered nil with Redis stopped")
		}
	})
}

// TestFull checks that a full queue refuses a delivery without
// remembering it, so that GitHub's redelivery is queued later.
func TestFull(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	shared := newRuns()
	r := openRedisWith(t, store.RedisOptions{URL: srv.URL, MaxPending: 2})
	enqueue(t, r, "contoso/x", "x1", "x2")
	if err := r.Enqueue(t.Context(), store.Job{ID: "x3", Repo: "contoso/x"}); !errors.Is(err, store.ErrFull) {
		t.Fatalf("enqueue beyond MaxPending: %v, want ErrFull", err)
	}
	r.Start(&recorder{replica: "a", shared: shared})
	waitFor(t, "the queue to drain", func() bool { return shared.count() == 2 })
	waitFor(t, "an empty queue", func() bool { n, _ := r.Depth(t.Context()); return n == 0 })
	enqueue(t, r, "contoso/x", "x3")
	waitFor(t, "x3", func() bool { return shared.count() == 3 })
}

// TestLostEntry: a queued job lost from the stream outside appreg (an
// older snapshot restored, a manual XDEL) does not block its repository's
// next jobs forever.
func TestLostEntry(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := openRedisWith(t, store.RedisOptions{URL: srv.URL})
	enqueue(t, a, "contoso/x", "x1", "x2")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	head, err := rdb.LIndex(t.Context(), "appreg:order:contoso/x", 0).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.XDel(t.Context(), "appreg:jobs", head).Err(); err != nil {
		t.Fatal(err)
	}
	shared := newRuns()
	a.Start(&recorder{replica: "a", shared: shared})
	waitFor(t, "x2", func() bool { return len(shared.succeeded()["contoso/x"]) == 1 })
	if diff := cmp.Diff(map[string][]string{"contoso/x": {"x2"}}, shared.succeeded()); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}
