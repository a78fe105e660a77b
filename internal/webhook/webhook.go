// Package webhook is appreg's GitHub App server (appreg serve): a thin shell
// that receives GitHub's webhook deliveries and runs, for each, what the
// GitHub Action would run for the same event.
//
// The Handler only verifies, parses, routes and enqueues (STYLE.md rule
// 16): it checks X-Hub-Signature-256, answers 202 for the events appreg
// acts on (pull_request opened, synchronize and reopened,
// pull_request_review, push to the default branch) once its Store has the
// job, and 200 for the others. The Store (package store: in memory for one
// replica, Redis for several) drops deliveries it has already queued
// (GitHub redelivers on timeouts and on request), runs one repository's
// jobs in order and one at a time (two applies of one repository must
// never race), different repositories' side by side, retries a failed job
// and parks it when every attempt failed (Options.Parked tells its pull
// request). In Sync mode the Handler runs the job before answering, for
// tests. /healthz, /readyz and /metrics serve probes and Prometheus.
//
// WorkflowRunner is the job: it reads the repository at the event's commit
// into a temporary folder and runs package workflow's use-case for the
// event with the installation's clients.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/appreg/appreg/internal/store"
	"github.com/appreg/appreg/internal/workflow"
)

// Job is one delivery to act on.
type Job struct {
	// Event is the delivery's event, decoded once (its Name is
	// X-GitHub-Event).
	Event workflow.Event
	// Delivery is X-GitHub-Delivery.
	Delivery string
	// Repo is the repository ("owner/name") the event is about.
	Repo string
	// InstallationID is the GitHub App installation the event came
	// through; its token reads the repository and writes the comments.
	InstallationID int64
	// SHA is the commit to read: a pull request's head, a push's after.
	SHA string
	// PR is the pull request number (0 for pushes).
	PR int
}

// Runner runs a job. The error is logged; GitHub has had its answer.
type Runner func(ctx context.Context, j Job) error

// Verifier checks a delivery's signature and returns its event name,
// delivery id and payload; package cli wires gh.VerifyWebhook with the
// webhook secret. Its error text is logged, never sent.
type Verifier func(r *http.Request) (event, delivery string, payload []byte, err error)

// Options configure a Server.
type Options struct {
	Verify Verifier
	Run    Runner
	// Parked is told about a job whose every attempt failed, after its
	// last one (package cli comments on the pull request); nil: logged.
	Parked func(ctx context.Context, j Job, attempts int, err error)
	// Store queues the jobs: store.Redis for several replicas; nil, a
	// store.Memory from MaxConcurrent, MaxPending, Remember, MaxAttempts,
	// RetryBackoff and Sync.
	Store Store
	// Metrics counts what the server does (nil: new ones).
	Metrics *Metrics
	// Sync runs each job inside the request, before answering (tests;
	// the memory store only: with Store set, its own Sync must match).
	Sync bool
	// MaxConcurrent bounds the repositories worked on at once (default
	// 4); MaxPending the jobs waiting (default 1000: beyond, 503 and
	// GitHub's redelivery).
	MaxConcurrent, MaxPending int
	// Remember is how many delivery ids are kept to drop duplicates
	// (default 10,000).
	Remember int
	// MaxAttempts and RetryBackoff: a failed job runs again after
	// RetryBackoff (doubling) until MaxAttempts runs (default 1: today's
	// memory store never retries; cli sets 3).
	MaxAttempts  int
	RetryBackoff time.Duration
	// MaxConcurrentReads bounds the request bodies read at once (default
	// 4): each may be up to GitHub's 25 MB, and a body is read before its
	// signature can be checked.
	MaxConcurrentReads int
	// JobTimeout is the deadline of one job (default 15 minutes): its
	// context is cancelled then. A job still running at twice its timeout
	// ignored the cancellation and makes /healthz report it stuck.
	JobTimeout time.Duration
	Logger     *slog.Logger
}

// Server is the webhook endpoint over its queue.
type Server struct {
	o       Options
	log     *slog.Logger
	store   Store
	metrics *Metrics
	reads   chan struct{} // bounds the bodies read at once

	mu      sync.Mutex
	shut    bool
	running map[string]running // by delivery id
}

// New returns a Server and starts its store's workers; the store accepts
// jobs until Shutdown.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConcurrentReads <= 0 {
		o.MaxConcurrentReads = 4
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 15 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 1
	}
	if o.Store == nil {
		o.Store = store.NewMemory(store.MemoryOptions{
			Options:    store.Options{MaxConcurrent: o.MaxConcurrent, MaxAttempts: o.MaxAttempts, Backoff: o.RetryBackoff, Logger: o.Logger},
			MaxPending: o.MaxPending, Remember: o.Remember, Sync: o.Sync,
		})
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(o.Store.Depth)
	}
	s := &Server{o: o, log: o.Logger, store: o.Store, metrics: o.Metrics,
		reads: make(chan struct{}, o.MaxConcurrentReads), running: map[string]running{}}
	s.store.Start(handler{s})
	return s
}

// Handler serves POST / and POST /webhook (deliveries), GET /healthz (the
// process works: 503 when shutting down or a job is stuck), GET /readyz
// (it can take deliveries: 503 also while the store is unreachable) and
// GET /metrics (Prometheus).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.deliver)
	mux.HandleFunc("POST /{$}", s.deliver)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.closed() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if stuck := s.stuck(time.Now()); len(stuck) > 0 {
			http.Error(w, "stuck: "+strings.Join(stuck, "; "), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", s.metrics.Handler())
	return mux
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.closed() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: the store is unreachable", "error", err)
		http.Error(w, "the store is unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// Shutdown stops accepting deliveries and shuts the store down: the memory
// store waits for its queued and running jobs until ctx is done, then
// cancels them; the Redis store finishes the running ones until then and
// hands every other back to the other replicas.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shut = true
	s.mu.Unlock()
	return s.store.Shutdown(ctx)
}

func (s *Server) closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shut
}

// maxPayload is GitHub's cap on a delivery's payload ("Payloads are capped
// at 25 MB", https://docs.github.com/webhooks/webhook-events-and-payloads).
const maxPayload = 25 << 20

// readWindow is how long a delivery may wait for a slot to read its body
// in, and then how long reading it may take: GitHub's own timeout for a
// delivery is 10 seconds.
const readWindow = 10 * time.Second

// acted are the events appreg acts on; others are answered unread.
var acted = map[string]bool{"pull_request": true, "pull_request_review": true, "push": true}

// precheck refuses, from the headers alone, what cannot be a delivery
// appreg acts on, so that no body is read for it: the HTTP status and
// answer, or 0.
func precheck(r *http.Request) (int, string) {
	event := r.Header.Get("X-GitHub-Event")
	sig, hasSig := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
	switch {
	case !hasSig || len(sig) != 64 || strings.Trim(sig, "0123456789abcdefABCDEF") != "":
		return http.StatusUnauthorized, "unauthorized"
	case event == "":
		return http.StatusBadRequest, "not a GitHub webhook delivery (no X-GitHub-Event)"
	case !acted[event]:
		return http.StatusOK, "ignored: appreg acts on pull_request, pull_request_review and push, not " + event
	case r.ContentLength > maxPayload:
		return http.StatusRequestEntityTooLarge, "payload larger than GitHub's 25 MB"
	}
	return 0, ""
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request) {
	s.metrics.Received(r.Header.Get("X-GitHub-Event"))
	if status, answer := precheck(r); status != 0 {
		log := s.log.With("delivery", r.Header.Get("X-GitHub-Delivery"), "event", r.Header.Get("X-GitHub-Event"), "remote", r.RemoteAddr)
		if status == http.StatusOK {
			log.Info("webhook ignored", "reason", answer)
			fmt.Fprintln(w, answer)
			return
		}
		s.metrics.Rejected(r.Header.Get("X-GitHub-Event"), refusals[status])
		log.Warn("webhook refused before reading it", "status", status, "reason", answer, "content_length", r.ContentLength)
		http.Error(w, answer, status)
		return
	}
	event, delivery, payload, ok := s.read(w, r)
	if !ok {
		return
	}
	log := s.log.With("delivery", delivery, "event", event)
	j, why, err := route(event, delivery, payload)
	if err != nil {
		s.metrics.Rejected(event, "payload")
		log.Warn("webhook payload unreadable", "error", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	if j == nil {
		log.Info("webhook ignored", "reason", why)
		fmt.Fprintf(w, "ignored: %s\n", why)
		return
	}
	log = log.With("repo", j.Repo, "pr", j.PR, "sha", j.SHA)
	if s.closed() {
		s.metrics.Rejected(event, "busy")
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	// The answer waits for the store (Redis: the job is in the stream),
	// not for a client that went away meanwhile.
	ctx, cancel := r.Context(), context.CancelFunc(func() {})
	if !s.o.Sync {
		ctx, cancel = context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	}
	defer cancel()
	err = s.store.Enqueue(ctx, store.Job{ID: delivery, Repo: j.Repo, Data: envelope(event, payload)})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		s.metrics.Duplicate(event)
		log.Info("webhook duplicate delivery dropped")
		fmt.Fprintln(w, "duplicate delivery")
	case errors.Is(err, store.ErrFull), errors.Is(err, store.ErrShuttingDown):
		s.metrics.Rejected(event, "busy")
		log.Warn("webhook not queued", "error", err)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	case err != nil && !s.o.Sync:
		s.metrics.Rejected(event, "store")
		log.Error("webhook not queued: the store failed", "error", err)
		http.Error(w, "the queue is unavailable", http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, "job failed", http.StatusInternalServerError)
	case s.o.Sync:
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, "done")
	default:
		log.Info("webhook queued")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, "queued")
	}
}

// refusals name, for the metrics, why precheck refused a delivery.
var refusals = map[int]string{
	http.StatusUnauthorized:          "signature",
	http.StatusBadRequest:            "not-github",
	http.StatusRequestEntityTooLarge: "size",
}

// read waits for a slot to read the body in, reads it and checks its
// signature; on failure it has answered.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (event, delivery string, payload []byte, ok bool) {
	// A slot to read the body in, and little time to read it: GitHub
	// gives up on a delivery after 10 seconds, so a sender that takes
	// longer is not GitHub and must not hold a slot.
	wait := time.NewTimer(readWindow)
	defer wait.Stop()
	select {
	case s.reads <- struct{}{}:
	case <-wait.C:
		s.metrics.Rejected(r.Header.Get("X-GitHub-Event"), "busy")
		s.log.Warn("webhook refused: too many bodies being read", "delivery", r.Header.Get("X-GitHub-Delivery"), "remote", r.RemoteAddr)
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return "", "", nil, false
	case <-r.Context().Done():
		return "", "", nil, false
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(readWindow)) // not every ResponseWriter supports it
	r.Body = http.MaxBytesReader(w, r.Body, maxPayload)
	event, delivery, payload, err := s.o.Verify(r)
	<-s.reads
	if err != nil {
		s.metrics.Rejected(r.Header.Get("X-GitHub-Event"), "signature")
		s.log.Warn("webhook refused", "delivery", r.Header.Get("X-GitHub-Delivery"), "event", r.Header.Get("X-GitHub-Event"), "remote", r.RemoteAddr, "error", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return "", "", nil, false
	}
	return event, delivery, payload, true
}

// installation is the part of a GitHub App's delivery that names the
// installation it came through.
type installation struct {
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

// route decides whether a delivery is work: it returns the job, or nil and
// why not. The payload is decoded once, into the job's workflow.Event; the
// use-case is workflow.Route's, asked here so that no tarball is
// downloaded for a delivery that does nothing.
func route(event, delivery string, body []byte) (*Job, string, error) {
	switch event {
	case "pull_request", "pull_request_review", "push":
	default:
		return nil, "appreg acts on pull_request, pull_request_review and push, not " + event, nil
	}
	ev, err := workflow.ParseEvent(event, body)
	if err != nil {
		return nil, "", err
	}
	var inst installation
	if err := json.Unmarshal(body, &inst); err != nil {
		return nil, "", fmt.Errorf("parsing the %s payload: %w", event, err)
	}
	if ev.Repo == "" {
		return nil, "", fmt.Errorf("the %s payload names no repository", event)
	}
	if inst.Installation == nil || inst.Installation.ID == 0 {
		return nil, "", fmt.Errorf("the %s payload names no installation (is it from a GitHub App?)", event)
	}
	use, why, err := workflow.Route(ev)
	switch {
	case err != nil:
		return nil, "", err
	case use == workflow.UseNone:
		return nil, why, nil
	}
	j := &Job{Event: ev, Delivery: delivery, Repo: ev.Repo, InstallationID: inst.Installation.ID, SHA: ev.SHA}
	if ev.PullRequest != nil {
		j.PR = ev.PullRequest.Number
	}
	if j.SHA == "" {
		return nil, "", fmt.Errorf("the %s payload names no commit", event)
	}
	return j, "", nil
}
