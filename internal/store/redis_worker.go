package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxHeld bounds the entries one replica holds (running or waiting for an
// older job of their repository).
const maxHeld = 1000

var errLeaseLost = errors.New("the repository's lease was lost (Redis unreachable or too slow to renew it): another replica may run the job")

// read takes new entries from the group whenever this replica has a free
// run slot. It first takes back its own pending entries (a replica
// restarted under the same Consumer name).
func (r *Redis) read() {
	defer r.loops.Done()
	start := "0"
	for !r.isStopping() {
		n := r.free()
		if start == "0" {
			n = maxHeld
		}
		if n <= 0 {
			t := time.NewTimer(r.o.Poll)
			select {
			case <-t.C:
			case <-r.freed:
			case <-r.stopc:
			}
			t.Stop()
			continue
		}
		res, err := r.rdb.XReadGroup(r.bg, &redis.XReadGroupArgs{Group: group, Consumer: r.consumer,
			Streams: []string{r.key("jobs"), start}, Count: int64(n), Block: time.Second}).Result()
		if start == "0" && err == nil {
			start = ">"
		}
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			r.o.Logger.Warn("reading jobs from Redis", "error", err)
			r.pause(time.Second)
			continue
		}
		for _, s := range res {
			r.adopt(s.Messages, false)
		}
	}
}

// free is how many more entries this replica takes: twice its run slots
// (the next jobs are read while the current ones run) less the entries of
// the repositories it works on that are not waiting for another replica.
func (r *Redis) free() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	held, busy := 0, 0
	for repo, es := range r.held {
		held += len(es)
		if !r.waiting[repo] {
			busy += len(es)
		}
	}
	if held >= maxHeld {
		return 0
	}
	return min(2*r.o.MaxConcurrent-busy, maxHeld-held)
}

// signalFreed wakes the reader: a job finished or its repository waits.
func (r *Redis) signalFreed() {
	select {
	case r.freed <- struct{}{}:
	default:
	}
}

// every calls f every d until Shutdown begins.
func (r *Redis) every(d time.Duration, f func()) {
	defer r.loops.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-r.stopc:
			return
		case <-t.C:
			f()
		}
	}
}

// claim takes over the entries no replica has renewed for a lease: their
// replica died. Every ten minutes it also removes from the group the
// consumers of replicas gone for an hour that hold nothing.
func (r *Redis) claim() {
	if time.Since(r.swept) > 10*time.Minute {
		r.swept = time.Now()
		r.sweep()
	}
	start := "0-0"
	for range 10 {
		msgs, next, err := r.rdb.XAutoClaim(r.bg, &redis.XAutoClaimArgs{Stream: r.key("jobs"), Group: group,
			Consumer: r.consumer, MinIdle: r.o.Lease, Start: start, Count: 100}).Result()
		if err != nil {
			r.o.Logger.Warn("claiming the jobs of stopped replicas", "error", err)
			return
		}
		r.adopt(msgs, true)
		if next == "0-0" || next == "" {
			return
		}
		start = next
	}
}

// sweep deletes the group's consumers that hold no entry and have not
// read for an hour (each replica process is a consumer of its own; one
// that restarts is a new one).
func (r *Redis) sweep() {
	cs, err := r.rdb.XInfoConsumers(r.bg, r.key("jobs"), group).Result()
	if err != nil {
		r.o.Logger.Warn("listing the group's consumers", "error", err)
		return
	}
	for _, c := range cs {
		if c.Name != r.consumer && c.Pending == 0 && c.Idle > time.Hour {
			r.rdb.XGroupDelConsumer(r.bg, r.key("jobs"), group, c.Name)
		}
	}
}

// heartbeat keeps the entries this replica holds its own: claiming them
// again resets their idle time, which other replicas' claim reads as the
// holder being alive.
func (r *Redis) heartbeat() {
	var ids []string
	r.mu.Lock()
	for _, es := range r.held {
		for id := range es {
			ids = append(ids, id)
		}
	}
	r.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	err := r.rdb.XClaimJustID(r.bg, &redis.XClaimArgs{Stream: r.key("jobs"), Group: group,
		Consumer: r.consumer, Messages: ids}).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.o.Logger.Warn("renewing the jobs held", "error", err)
	}
}

// adopt holds the entries read or claimed and starts a worker for each
// repository that has none. While stopping, it hands them back at once.
func (r *Redis) adopt(msgs []redis.XMessage, claimed bool) {
	for _, m := range msgs {
		delivery, _ := m.Values["delivery"].(string)
		repo, _ := m.Values["repo"].(string)
		data, _ := m.Values["data"].(string)
		if repo == "" {
			// Not a job appreg wrote: drop it, or it blocks nothing but
			// comes back forever.
			r.o.Logger.Warn("dropping a malformed entry of the jobs stream", "entry", m.ID)
			r.rdb.XAck(r.bg, r.key("jobs"), group, m.ID)
			continue
		}
		if claimed {
			r.o.Logger.Info("job taken over from a stopped replica", "repo", repo, "delivery", delivery, "entry", m.ID)
		}
		r.mu.Lock()
		if r.stopping {
			r.mu.Unlock()
			r.handback(repo, m.ID)
			continue
		}
		if r.held[repo] == nil {
			r.held[repo] = map[string]Job{}
		}
		r.held[repo][m.ID] = Job{ID: delivery, Repo: repo, Data: []byte(data)}
		if !r.working[repo] {
			r.working[repo] = true
			r.workers.Add(1)
			go r.work(repo)
		}
		r.mu.Unlock()
	}
}

func (r *Redis) isStopping() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopping
}

// pause waits d, or less when Shutdown begins.
func (r *Redis) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.stopc:
	}
}

// work runs the entries held for repo until none is left: each when it
// becomes its repository's head.
func (r *Redis) work(repo string) {
	defer r.workers.Done()
	for {
		r.mu.Lock()
		es := r.held[repo]
		if len(es) == 0 {
			delete(r.held, repo)
			delete(r.working, repo)
			delete(r.waiting, repo)
			r.mu.Unlock()
			return
		}
		ids := make(map[string]Job, len(es))
		for id, j := range es {
			ids[id] = j
		}
		stopping := r.stopping
		r.mu.Unlock()
		if stopping {
			for id := range ids {
				r.handback(repo, id)
			}
			continue
		}
		if r.step(repo, ids) {
			wake := r.setWaiting(repo, true)
			// Jitter spreads the replicas waiting for one repository.
			t := time.NewTimer(r.o.Poll/2 + rand.N(r.o.Poll))
			select {
			case <-t.C:
			case <-wake:
			case <-r.stopc:
			}
			t.Stop()
			r.setWaiting(repo, false)
		}
	}
}

// setWaiting marks repo's worker waiting (or not) and returns the channel
// that wakes it when a job of the repository finishes anywhere.
func (r *Redis) setWaiting(repo string, w bool) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !w {
		delete(r.waiting, repo)
		delete(r.wakeups, repo)
		return nil
	}
	r.waiting[repo] = true
	c := make(chan struct{}, 1)
	r.wakeups[repo] = c
	defer r.signalFreed()
	return c
}

// listen wakes the workers waiting for a repository when any replica
// finishes or hands back one of its jobs (Redis pub/sub, at most once:
// polling catches what it misses).
func (r *Redis) listen() {
	defer r.loops.Done()
	ps := r.rdb.Subscribe(r.bg, r.key("done"))
	defer ps.Close()
	msgs := ps.Channel()
	for {
		select {
		case <-r.stopc:
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			r.mu.Lock()
			if c := r.wakeups[m.Payload]; c != nil {
				select {
				case c <- struct{}{}:
				default:
				}
			}
			r.mu.Unlock()
		}
	}
}

// step runs the repository's head if this replica holds it, drops the
// entries finished elsewhere, and reports whether to wait.
func (r *Redis) step(repo string, ids map[string]Job) (wait bool) {
	order := r.key("order", repo)
	head, err := r.rdb.LIndex(r.bg, order, 0).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.o.Logger.Warn("reading a repository's order", "repo", repo, "error", err)
		return true
	}
	if j, ok := ids[head]; ok {
		select {
		case r.sem <- struct{}{}:
		case <-r.stopc:
			return false
		}
		code, err := takeScript.Run(r.bg, r.rdb, []string{r.key("lease", repo), order},
			r.token(head), head, r.o.Lease.Milliseconds()).Int()
		if err != nil {
			<-r.sem
			r.o.Logger.Warn("taking a repository's lease", "repo", repo, "error", err)
			return true
		}
		switch code {
		case takeRun:
			r.run(head, j) // releases the slot
			return false
		case takeStale:
			<-r.sem
			r.drop(repo, head)
			return false
		}
		<-r.sem
		return true
	}
	for id := range ids {
		r.drop(repo, id)
	}
	if head != "" {
		if n, err := healScript.Run(r.bg, r.rdb, []string{order, r.key("jobs")}, head).Int(); err == nil && n == 1 {
			r.o.Logger.Error("a queued job was lost from Redis (restored from an older snapshot, or deleted by hand): skipping it",
				"repo", repo, "entry", head)
			return false
		}
	}
	return true
}

// token is the lease token of this replica's run of an entry.
func (r *Redis) token(entry string) string { return r.consumer + "/" + entry }

// drop acknowledges and stops holding an entry that is no longer in its
// repository's order (finished by another replica, or handed back).
func (r *Redis) drop(repo, entry string) {
	n, err := dropScript.Run(r.bg, r.rdb, []string{r.key("jobs"), r.key("order", repo)}, entry, group).Int()
	if err == nil && n == 1 {
		r.forget(repo, entry)
	}
}

// forget stops holding an entry.
func (r *Redis) forget(repo, entry string) {
	r.mu.Lock()
	delete(r.held[repo], entry)
	r.mu.Unlock()
	r.signalFreed()
}

// handback gives an entry back to the group in its place and stops
// holding it.
func (r *Redis) handback(repo, entry string) {
	err := handbackScript.Run(r.bg, r.rdb, []string{r.key("jobs"), r.key("order", repo), r.key("lease", repo)},
		entry, group, r.token(entry), r.key("done"), repo).Err()
	if err != nil {
		// It stays in this replica's pending list: another replica claims
		// it after a lease.
		r.o.Logger.Warn("handing a job back", "repo", repo, "entry", entry, "error", err)
	}
	r.forget(repo, entry)
}

// release gives up a lease held for an entry.
func (r *Redis) release(repo, entry string) {
	if err := releaseScript.Run(r.bg, r.rdb, []string{r.key("lease", repo)}, r.token(entry)).Err(); err != nil {
		r.o.Logger.Warn("releasing a repository's lease", "repo", repo, "error", err)
	}
}

// renew keeps the lease for entry until stop is called; when it cannot,
// for two thirds of a lease, it cancels ctx with errLeaseLost.
func (r *Redis) renew(cancel context.CancelCauseFunc, repo, entry string) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(r.o.Lease / 3)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			n, err := renewScript.Run(r.bg, r.rdb, []string{r.key("lease", repo)}, r.token(entry), r.o.Lease.Milliseconds()).Int()
			switch {
			case err == nil && n == 1:
				last = time.Now()
			case err == nil || time.Since(last) > r.o.Lease*2/3:
				cancel(errLeaseLost)
				return
			}
		}
	}()
	return func() { close(done) }
}

// finish records a job's end: done, or parked with err. It retries while
// Redis is unreachable, for up to a lease.
func (r *Redis) finish(entry string, j Job, parked error) {
	mode, why := "done", ""
	if parked != nil {
		mode, why = "park", parked.Error()
	}
	deadline := time.Now().Add(r.o.Lease)
	for {
		n, err := finishScript.Run(r.bg, r.rdb,
			[]string{r.key("lease", j.Repo), r.key("order", j.Repo), r.key("jobs"), r.key("attempts"), r.key("dead"), r.key("delivery", j.ID)},
			r.token(entry), entry, group, j.ID, mode, j.Repo, j.Data, why, j.Attempt, r.o.MaxDead, r.key("done")).Int()
		switch {
		case err == nil && n == 0:
			r.o.Logger.Warn("a job finished after its lease passed to another replica: it may run again", "repo", j.Repo, "delivery", j.ID)
		case err != nil && time.Now().Before(deadline) && r.bg.Err() == nil:
			r.o.Logger.Warn("recording a finished job in Redis; retrying", "repo", j.Repo, "delivery", j.ID, "error", err)
			time.Sleep(500 * time.Millisecond)
			continue
		case err != nil:
			r.o.Logger.Error("a finished job could not be recorded in Redis: it will run again", "repo", j.Repo, "delivery", j.ID, "error", err)
		}
		r.forget(j.Repo, entry)
		return
	}
}

// run runs the entry whose lease this replica just took, holding a run
// slot, until it succeeds, is parked, or is handed back at shutdown.
func (r *Redis) run(entry string, j Job) {
	log := r.o.Logger.With("repo", j.Repo, "delivery", j.ID)
	ctx, cancel := context.WithCancelCause(r.jobs)
	defer cancel(nil)
	stop := r.renew(cancel, j.Repo, entry)
	defer stop()
	slot := true
	defer func() {
		if slot {
			<-r.sem
		}
	}()
	attempts := r.key("attempts")
	for {
		n, err := r.rdb.HIncrBy(r.bg, attempts, j.ID, 1).Result()
		if err != nil {
			log.Warn("counting a job's attempts", "error", err)
			r.release(j.Repo, entry)
			return
		}
		j.Attempt = int(n)
		if j.Attempt > r.o.MaxAttempts {
			err := fmt.Errorf("it did not finish in %d runs: the replicas running it stopped", j.Attempt-1)
			r.h.Parked(ctx, j, err)
			r.finish(entry, j, err)
			return
		}
		err = r.h.Run(ctx, j)
		<-r.sem
		slot = false
		switch {
		case err == nil:
			r.finish(entry, j, nil)
			return
		case errors.Is(context.Cause(ctx), errLeaseLost):
			log.Error("job stopped", "error", errLeaseLost, "job_error", err)
			r.forget(j.Repo, entry)
			return
		case ctx.Err() != nil:
			// Cancelled by Shutdown: not a failure of the job's own.
			r.rdb.HIncrBy(r.bg, attempts, j.ID, -1)
			log.Warn("job handed back at shutdown", "attempt", j.Attempt)
			r.handback(j.Repo, entry)
			return
		case !r.o.retryable(j.Attempt, err):
			log.Error("job parked", "attempts", j.Attempt, "error", err)
			r.h.Parked(ctx, j, err)
			r.finish(entry, j, err)
			return
		}
		wait := r.o.backoff(j.Attempt)
		log.Warn("job failed; retrying", "attempt", j.Attempt, "retry_in", wait.String(), "error", err)
		if !r.backoff(ctx, wait) {
			r.handback(j.Repo, entry)
			return
		}
		slot = true
	}
}

// backoff waits d and a run slot, holding the lease; false when Shutdown
// began or the lease was lost meanwhile.
func (r *Redis) backoff(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return false
	case <-r.stopc:
		return false
	}
	select {
	case r.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-r.stopc:
		return false
	}
}
