package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure a Redis store.
type RedisOptions struct {
	Options
	// URL is the server: redis://[user:password@]host:port[/db] or
	// rediss:// for TLS.
	URL string
	// Password is used when the URL has none (APPREG_REDIS_PASSWORD).
	Password string
	// Prefix starts every key (default "appreg"): replicas with one
	// prefix share one queue.
	Prefix string
	// Lease is how long a repository's lease lasts unrenewed (default
	// 30s): a job whose replica died is taken over this long after its
	// last renewal. Leases are renewed every third of it.
	Lease time.Duration
	// Remember is how long a delivery id is kept to drop duplicates
	// (default 72h: GitHub redelivers deliveries of the past three days).
	Remember time.Duration
	// MaxPending bounds the jobs queued and not finished, across replicas
	// (default 10,000): beyond, Enqueue answers ErrFull.
	MaxPending int
	// MaxDead bounds the dead-letter stream (default 10,000; the oldest
	// go first).
	MaxDead int
	// Poll is how often a replica holding a job that waits for an older
	// job of its repository looks again (default 100ms).
	Poll time.Duration
	// Consumer names this replica in the consumer group (default: host
	// name, process id and a random suffix).
	Consumer string
}

// Redis is the store of replicas that share one Redis server.
//
// What it guarantees, with Redis persisting writes (appendonly yes;
// appendfsync always for no loss even when Redis itself crashes):
//
//   - Enqueue returns only once the job is in the stream (one atomic
//     script records the delivery id and queues the job): an answered
//     delivery is never lost, and a delivery id is never marked seen
//     without its job queued.
//   - A delivery id is queued at most once within Remember, across all
//     replicas (SET NX with a TTL).
//   - One repository's jobs run one at a time and in the order Enqueue
//     returned for them, whichever replica runs each: a job runs only while
//     it is the head of its repository's order list and its runner holds
//     the repository's lease, which is renewed while the job runs and
//     released, by compare-and-delete, only by its holder.
//   - A job is acknowledged (XACK) only after it finished or was parked.
//     A replica that dies stops renewing; after Lease another replica
//     claims its entries (XAUTOCLAIM) and runs them: a job interrupted by
//     a crash runs again from the start (at least once: every step of a
//     run is idempotent).
//   - A failed job is retried after Backoff, doubling, up to MaxAttempts
//     runs (a run cut by a crash counts), holding its repository's place;
//     then it is parked: the Handler is told, the job goes to the
//     dead-letter stream and its delivery id is forgotten so that
//     redelivering it from GitHub runs it again.
//   - Shutdown stops taking jobs, waits for the running ones until its
//     context is done, and hands every job it holds back to the group,
//     in its place: nothing is dropped.
//
// Redis Cluster is not supported (the scripts touch keys of several hash
// slots); use one server, with a replica and Sentinel for failover.
type Redis struct {
	o        RedisOptions
	rdb      *redis.Client
	consumer string
	swept    time.Time // when claim last swept the group's consumers

	sem chan struct{} // run slots

	mu       sync.Mutex
	h        Handler
	held     map[string]map[string]Job // repo -> entry id -> job
	working  map[string]bool           // a goroutine works on the repository
	waiting  map[string]bool           // its goroutine waits for another replica
	wakeups  map[string]chan struct{}  // wakes a waiting goroutine
	stopping bool
	stopc    chan struct{} // closed when Shutdown begins
	freed    chan struct{} // wakes the reader
	loops    sync.WaitGroup
	workers  sync.WaitGroup

	// jobs is the context jobs run under, cancelled when Shutdown gives up
	// waiting for them; bg that of the store's own Redis calls, cancelled
	// when Shutdown returns.
	jobs, bg             context.Context
	cancelJobs, cancelBg context.CancelFunc
}

const group = "workers"

// NewRedis connects to o.URL, checks the server answers and creates the
// consumer group if it does not exist. Start gives it its Handler.
func NewRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	o.defaults()
	if o.Prefix == "" {
		o.Prefix = "appreg"
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Remember <= 0 {
		o.Remember = 72 * time.Hour
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10_000
	}
	if o.MaxDead <= 0 {
		o.MaxDead = 10_000
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Consumer == "" {
		o.Consumer = consumerName()
	}
	// go-redis's own messages (a dial that failed) join the server's
	// structured log. Its logger is the package's: the last store's wins.
	redisLogger.Store(o.Logger)
	setRedisLogger.Do(func() { redis.SetLogger(redisLog{}) })
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing the Redis URL (redis://[user:password@]host:port[/db] or rediss://…): %w", redactURL(err, o.URL))
	}
	if ro.Password == "" {
		ro.Password = o.Password
	}
	// appreg's own commands block (XREADGROUP) for at most a second; a
	// Redis slower than this to answer anything else is unreachable.
	ro.ReadTimeout, ro.WriteTimeout = 5*time.Second, 5*time.Second
	ro.PoolSize = max(ro.PoolSize, 2*o.MaxConcurrent+8)
	r := &Redis{o: o, rdb: redis.NewClient(ro), consumer: o.Consumer, sem: make(chan struct{}, o.MaxConcurrent),
		held: map[string]map[string]Job{}, working: map[string]bool{}, waiting: map[string]bool{}, wakeups: map[string]chan struct{}{}, stopc: make(chan struct{}), freed: make(chan struct{}, 1)}
	r.jobs, r.cancelJobs = context.WithCancel(context.Background())
	r.bg, r.cancelBg = context.WithCancel(context.Background())
	if err := r.rdb.XGroupCreateMkStream(ctx, r.key("jobs"), group, "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		r.rdb.Close()
		return nil, fmt.Errorf("creating the consumer group on %s: %w", ro.Addr, err)
	}
	return r, nil
}

var (
	redisLogger    atomic.Pointer[slog.Logger]
	setRedisLogger sync.Once
)

// redisLog passes go-redis's messages to the last store's logger, at
// warning level.
type redisLog struct{}

func (redisLog) Printf(ctx context.Context, format string, v ...any) {
	if l := redisLogger.Load(); l != nil {
		l.WarnContext(ctx, "redis client", "message", fmt.Sprintf(format, v...))
	}
}

// redactURL keeps a password in the URL out of an error's text.
func redactURL(err error, raw string) error {
	if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
		return errors.New(strings.ReplaceAll(err.Error(), raw[i+3:j], "xxxxx"))
	}
	return err
}

func consumerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

func (r *Redis) key(parts ...string) string {
	return r.o.Prefix + ":" + strings.Join(parts, ":")
}

// Start sets the Handler and starts taking jobs: reading new ones,
// claiming those of dead replicas, renewing what this replica holds.
func (r *Redis) Start(h Handler) {
	r.mu.Lock()
	r.h = h
	r.mu.Unlock()
	r.loops.Add(4)
	go r.listen()
	go r.read()
	go r.every(r.o.Lease/2, r.claim)
	go r.every(r.o.Lease/3, r.heartbeat)
}

// Enqueue queues j, once Redis has it, or answers ErrDuplicate, ErrFull,
// ErrShuttingDown or Redis's error.
func (r *Redis) Enqueue(ctx context.Context, j Job) error {
	r.mu.Lock()
	stopping := r.stopping
	r.mu.Unlock()
	if stopping {
		return ErrShuttingDown
	}
	id := j.ID
	if id == "" {
		id = "none:" + randomID() // no delivery id: never a duplicate
	}
	res, err := enqueueScript.Run(ctx, r.rdb,
		[]string{r.key("delivery", id), r.key("jobs"), r.key("order", j.Repo)},
		r.o.Remember.Milliseconds(), id, j.Repo, j.Data, r.o.MaxPending).Result()
	if err != nil {
		return fmt.Errorf("queueing delivery %s in Redis: %w", j.ID, err)
	}
	switch v := res.(type) {
	case int64:
		if v == 0 {
			return ErrDuplicate
		}
		return ErrFull
	}
	return nil
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Ping reports whether Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("pinging Redis: %w", err)
	}
	return nil
}

// Depth returns the jobs queued and not finished, of every replica.
func (r *Redis) Depth(ctx context.Context) (int64, error) {
	n, err := r.rdb.XLen(ctx, r.key("jobs")).Result()
	if err != nil {
		return 0, fmt.Errorf("reading the queue's length: %w", err)
	}
	return n, nil
}

// Shutdown stops taking jobs and hands back those not started; it waits
// for the running ones until ctx is done, then cancels them and hands
// them back too. It closes the connection to Redis.
func (r *Redis) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if !r.stopping {
		r.stopping = true
		close(r.stopc)
	}
	r.mu.Unlock()
	r.loops.Wait()
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		r.cancelJobs()
		<-done
		err = fmt.Errorf("waiting for running jobs: %w", ctx.Err())
	}
	r.cancelJobs()
	r.cancelBg()
	return errors.Join(err, r.rdb.Close())
}
