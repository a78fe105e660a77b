package store

import (
	"context"
	"fmt"
	"sync"
)

// MemoryOptions configure a Memory store.
type MemoryOptions struct {
	Options
	// MaxPending bounds the jobs waiting (default 1000): beyond, Enqueue
	// answers ErrFull.
	MaxPending int
	// Remember is how many delivery ids are kept to drop duplicates
	// (default 10,000); when full, the oldest is forgotten.
	Remember int
	// Sync makes Enqueue run the job, once, before it returns, and return
	// the job's error (tests).
	Sync bool
}

// Memory is the store of one replica: its queue, delivery ids and
// per-repository order live in the process and die with it. A job that
// failed every attempt is parked and its delivery id forgotten, so that
// redelivering it from GitHub runs it again.
type Memory struct {
	o    MemoryOptions
	seen *lru
	sem  chan struct{}

	mu       sync.Mutex
	h        Handler
	pending  map[string][]Job // by repository
	active   map[string]bool  // a worker runs for the repository
	npending int
	running  int
	shut     bool
	wg       sync.WaitGroup
	// base is the context jobs run under: it outlives the requests that
	// queued them and is cancelled when Shutdown gives up waiting.
	base   context.Context
	cancel context.CancelFunc
}

// NewMemory returns an empty Memory store; Start gives it its Handler.
func NewMemory(o MemoryOptions) *Memory {
	o.defaults()
	if o.MaxPending <= 0 {
		o.MaxPending = 1000
	}
	if o.Remember <= 0 {
		o.Remember = 10_000
	}
	base, cancel := context.WithCancel(context.Background())
	return &Memory{o: o, seen: newLRU(o.Remember), sem: make(chan struct{}, o.MaxConcurrent),
		pending: map[string][]Job{}, active: map[string]bool{}, base: base, cancel: cancel}
}

// Start sets the Handler that runs the jobs.
func (m *Memory) Start(h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.h = h
}

// Enqueue queues j behind the jobs of its repository, or answers
// ErrDuplicate, ErrFull, ErrShuttingDown or ErrNotStarted. In Sync mode it
// runs j and returns its error.
func (m *Memory) Enqueue(ctx context.Context, j Job) error {
	if j.ID != "" && !m.seen.add(j.ID) {
		return ErrDuplicate
	}
	err := m.add(j)
	if err != nil && j.ID != "" {
		m.seen.remove(j.ID) // let GitHub's redelivery in
	}
	if err == nil && m.o.Sync {
		j.Attempt = 1
		if err = m.h.Run(ctx, j); err != nil {
			m.seen.remove(j.ID)
		}
	}
	return err
}

func (m *Memory) add(j Job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.h == nil:
		return ErrNotStarted
	case m.shut:
		return ErrShuttingDown
	case m.o.Sync:
		return nil
	case m.npending >= m.o.MaxPending:
		return ErrFull
	}
	m.pending[j.Repo] = append(m.pending[j.Repo], j)
	m.npending++
	if !m.active[j.Repo] {
		m.active[j.Repo] = true
		m.wg.Add(1)
		go m.worker(j.Repo)
	}
	return nil
}

// worker runs repo's jobs until none is left.
func (m *Memory) worker(repo string) {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		jobs := m.pending[repo]
		if len(jobs) == 0 {
			delete(m.pending, repo)
			delete(m.active, repo)
			m.mu.Unlock()
			return
		}
		j := jobs[0]
		m.pending[repo] = jobs[1:]
		m.npending--
		m.running++
		m.mu.Unlock()
		m.attempts(j)
		m.mu.Lock()
		m.running--
		m.mu.Unlock()
	}
}

// attempts runs j until it succeeds, fails for good (then parks it) or
// the store gives up waiting at shutdown (then drops it).
func (m *Memory) attempts(j Job) {
	log := m.o.Logger.With("repo", j.Repo, "delivery", j.ID)
	for j.Attempt = 1; ; j.Attempt++ {
		select {
		case m.sem <- struct{}{}:
		case <-m.base.Done():
			log.Warn("job dropped at shutdown", "attempt", j.Attempt)
			return
		}
		err := m.h.Run(m.base, j)
		<-m.sem
		switch {
		case err == nil:
			return
		case m.base.Err() != nil:
			log.Warn("job cancelled at shutdown", "attempt", j.Attempt, "error", err)
			return
		case m.o.retryable(j.Attempt, err):
			wait := m.o.backoff(j.Attempt)
			log.Warn("job failed; retrying", "attempt", j.Attempt, "retry_in", wait.String(), "error", err)
			if !sleep(m.base, wait) {
				log.Warn("job dropped at shutdown", "attempt", j.Attempt+1)
				return
			}
		default:
			log.Error("job parked", "attempts", j.Attempt, "error", err)
			m.h.Parked(m.base, j, err)
			m.seen.remove(j.ID)
			return
		}
	}
}

// Ping reports whether the store can take jobs: a Memory always can.
func (m *Memory) Ping(context.Context) error { return nil }

// Depth returns the jobs queued and not finished (running ones included).
func (m *Memory) Depth(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(m.npending + m.running), nil
}

// Shutdown refuses new jobs and waits for the queued and running ones;
// when ctx is done first it cancels them, waits for them to return and
// returns ctx's error. A Memory cannot hand its jobs to another replica:
// what did not run is dropped (and logged).
func (m *Memory) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.shut = true
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		m.cancel()
		return nil
	case <-ctx.Done():
		m.cancel()
		<-done
		return fmt.Errorf("waiting for running jobs: %w", ctx.Err())
	}
}

// lru is a bounded set of the most recently added strings: the oldest
// goes when it is full, and only the oldest (a removed entry frees its
// slot rather than leaving a stale one that would later evict a newer
// copy of the same key).
type lru struct {
	mu    sync.Mutex
	max   int
	order []string // ring buffer of insertion order; "" is a free slot
	next  int
	slot  map[string]int // key -> its index in order
}

func newLRU(max int) *lru { return &lru{max: max, order: make([]string, max), slot: map[string]int{}} }

// add records k and reports whether it was new.
func (l *lru) add(k string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.slot[k]; ok {
		return false
	}
	if old := l.order[l.next]; old != "" {
		delete(l.slot, old)
	}
	l.order[l.next] = k
	l.slot[k] = l.next
	l.next = (l.next + 1) % l.max
	return true
}

func (l *lru) remove(k string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, ok := l.slot[k]; ok {
		l.order[i] = ""
		delete(l.slot, k)
	}
}
