// Package store is appreg serve's queue: it keeps the jobs that webhook
// deliveries became, drops a delivery it has already queued, runs one
// repository's jobs one at a time and in the order they were queued,
// retries a failed job with backoff a bounded number of times and parks it
// (tells the Handler) when every attempt failed.
//
// Two implementations keep the same promises within their reach:
//
//   - Memory keeps everything in the process, for one replica. A restart
//     loses what was queued and the delivery ids it remembered.
//   - Redis keeps the queue in a Redis stream read through a consumer
//     group, so that several replicas share it and a replica that dies
//     loses nothing: see Redis for the exact guarantees.
//
// The jobs are opaque bytes: the store never parses what it runs.
package store

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Job is one unit of work: the job a webhook delivery became.
type Job struct {
	// ID is GitHub's delivery id (X-GitHub-Delivery): a second job with an
	// ID already queued is a duplicate and is dropped.
	ID string
	// Repo ("owner/name") orders the jobs: one repository's run one at a
	// time, in the order queued.
	Repo string
	// Data is the job itself, opaque to the store.
	Data []byte
	// Attempt counts the runs of the job, from 1; the store sets it.
	Attempt int
}

// Handler runs jobs. Run's error makes the store retry the job, unless it
// is Permanent or the attempts are spent: then the store calls Parked,
// once, before it drops the job.
type Handler interface {
	Run(ctx context.Context, j Job) error
	Parked(ctx context.Context, j Job, err error)
}

// Errors of Enqueue.
var (
	ErrDuplicate    = errors.New("the delivery was already queued")
	ErrFull         = errors.New("too many jobs are waiting")
	ErrShuttingDown = errors.New("the server is shutting down")
	ErrNotStarted   = errors.New("the queue has no handler (Start was not called)")
)

// Permanent marks err as one that retrying cannot fix (a repository's
// settings name another tenant, a payload cannot be decoded): the store
// parks the job at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// IsPermanent reports whether err, or an error it wraps, was marked
// Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Options are what both stores share.
type Options struct {
	// MaxConcurrent bounds the jobs this process runs at once (default 4).
	MaxConcurrent int
	// MaxAttempts is how many times a failing job runs before it is
	// parked (default 3; 1 never retries).
	MaxAttempts int
	// Backoff is the wait before the first retry; it doubles for each
	// next one (default 5s).
	Backoff time.Duration
	Logger  *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// backoff is the wait after the failed attempt n (from 1): Backoff,
// doubled for each later attempt, at most 64 times Backoff.
func (o *Options) backoff(n int) time.Duration {
	return o.Backoff << min(max(n-1, 0), 6)
}

// retryable reports whether a job that failed with err on attempt n runs
// again.
func (o *Options) retryable(n int, err error) bool {
	return n < o.MaxAttempts && !IsPermanent(err)
}

// sleep waits d or until ctx is done, reporting whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
