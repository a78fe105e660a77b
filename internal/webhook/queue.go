package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/workflow"
)

// Store is the queue a Server hands its jobs to: store.Memory for one
// replica, store.Redis for several.
type Store interface {
	Start(h store.Handler)
	Enqueue(ctx context.Context, j store.Job) error
	Ping(ctx context.Context) error
	Depth(ctx context.Context) (int64, error)
	Shutdown(ctx context.Context) error
}

// envelope is what the store keeps of a delivery: its event name and
// payload, from which route makes the job again when it runs (on this
// replica or another).
func envelope(event string, payload []byte) []byte {
	return append(append([]byte(event), 0), payload...)
}

// job makes the job of a stored delivery again.
func job(sj store.Job) (*Job, error) {
	event, payload, ok := bytes.Cut(sj.Data, []byte{0})
	if !ok {
		return nil, errors.New("the queued delivery is not one appreg queued")
	}
	j, _, err := route(string(event), sj.ID, payload)
	if err == nil && j == nil {
		err = errors.New("the queued delivery is no longer work")
	}
	return j, err
}

// handler runs the store's jobs for a Server.
type handler struct{ s *Server }

func (h handler) Run(ctx context.Context, sj store.Job) error {
	j, err := job(sj)
	if err != nil {
		return store.Permanent(err)
	}
	return h.s.runOne(ctx, *j, sj.Attempt)
}

func (h handler) Parked(ctx context.Context, sj store.Job, err error) {
	h.s.metrics.Parked()
	j, jerr := job(sj)
	if jerr != nil {
		h.s.log.Error("job parked", "delivery", sj.ID, "repo", sj.Repo, "error", err, "decoding", jerr)
		return
	}
	h.s.log.Error("job parked: its pull request is told", "repo", j.Repo, "pr", j.PR, "delivery", j.Delivery,
		"event", j.Event.Name, "sha", j.SHA, "attempts", sj.Attempt, "error", err)
	if h.s.o.Parked != nil {
		h.s.o.Parked(ctx, *j, sj.Attempt, err)
	}
}

// running is a job being run, for /healthz.
type running struct {
	repo  string
	start time.Time
}

// runOne runs j under its deadline, logging its outcome and recording it
// in the metrics.
func (s *Server) runOne(ctx context.Context, j Job, attempt int) error {
	log := s.log.With("repo", j.Repo, "pr", j.PR, "delivery", j.Delivery, "event", j.Event.Name, "sha", j.SHA, "attempt", attempt)
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.o.JobTimeout)
	defer cancel()
	s.mu.Lock()
	s.running[j.Delivery] = running{repo: j.Repo, start: start}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, j.Delivery)
		s.mu.Unlock()
	}()
	log.Info("job started")
	err := s.o.Run(ctx, j)
	d := time.Since(start)
	s.metrics.Job(command(j), attempt, d, err)
	if err != nil {
		log.Error("job failed", "error", err, "duration", d.Round(time.Millisecond))
		return err
	}
	log.Info("job done", "duration", d.Round(time.Millisecond))
	return nil
}

// command is the use-case j runs, for the metrics: pull-request, review
// or merge.
func command(j Job) string {
	use, _, _ := workflow.Route(j.Event)
	switch use {
	case workflow.UsePlan:
		return "pull-request"
	case workflow.UseReview:
		return "review"
	case workflow.UseApply:
		return "merge"
	}
	return "other"
}

// stuck lists the jobs that have run past twice their deadline: they were
// cancelled at the deadline and have not returned since.
func (s *Server) stuck(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for delivery, r := range s.running {
		if d := now.Sub(r.start); d > 2*s.o.JobTimeout {
			out = append(out, fmt.Sprintf("%s running for %s (deadline %s, delivery %s)", r.repo, d.Round(time.Second), s.o.JobTimeout, delivery))
		}
	}
	sort.Strings(out)
	return out
}
