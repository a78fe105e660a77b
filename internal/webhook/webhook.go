// Package webhook is appreg's GitHub App server (appreg serve): a thin shell
// that receives GitHub's webhook deliveries and runs, for each, what the
// GitHub Action would run for the same event.
//
// The Handler only verifies, parses, routes and enqueues (STYLE.md rule
// 16): it checks X-Hub-Signature-256, answers 202 at once for the events
// appreg acts on (pull_request opened, synchronize and reopened,
// pull_request_review, push to the default branch) and 200 for the others,
// drops deliveries it has seen (GitHub redelivers on timeouts and on
// request), and hands a Job to a Queue. The Queue runs one repository's
// jobs in order, one at a time (two applies of one repository must never
// race), and different repositories' jobs concurrently, up to a bound. In
// Sync mode the Handler runs the job before answering, for tests.
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
	"sort"
	"strings"
	"sync"
	"time"

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
	// Sync runs each job inside the request, before answering (tests).
	Sync bool
	// MaxConcurrent bounds the repositories worked on at once (default
	// 4); MaxPending the jobs waiting (default 1000: beyond, 503 and
	// GitHub's redelivery).
	MaxConcurrent, MaxPending int
	// Remember is how many delivery ids are kept to drop duplicates
	// (default 10,000).
	Remember int
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

// Server is the webhook endpoint and its queue.
type Server struct {
	o     Options
	log   *slog.Logger
	seen  *lru
	queue *Queue
	reads chan struct{} // bounds the bodies read at once
}

// New returns a Server; its queue starts empty and accepts jobs until
// Shutdown.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Remember <= 0 {
		o.Remember = 10_000
	}
	if o.MaxConcurrentReads <= 0 {
		o.MaxConcurrentReads = 4
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 15 * time.Minute
	}
	s := &Server{o: o, log: o.Logger, seen: newLRU(o.Remember), reads: make(chan struct{}, o.MaxConcurrentReads)}
	// A delivery whose job failed is forgotten, so that redelivering it
	// (GitHub keeps its id) runs it again.
	run := func(ctx context.Context, j Job) error {
		err := o.Run(ctx, j)
		if err != nil && j.Delivery != "" {
			s.seen.remove(j.Delivery)
		}
		return err
	}
	s.queue = NewQueue(run, o.MaxConcurrent, o.MaxPending, o.Logger)
	s.queue.jobTimeout = o.JobTimeout
	return s
}

// Handler serves POST / and POST /webhook (deliveries) and GET /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.deliver)
	mux.HandleFunc("POST /{$}", s.deliver)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.queue.closed() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if stuck := s.queue.stuck(time.Now()); len(stuck) > 0 {
			http.Error(w, "stuck: "+strings.Join(stuck, "; "), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}

// Shutdown stops accepting jobs and waits for the queued and running ones
// until ctx is done; then it cancels them and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.queue.Shutdown(ctx) }

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
	if status, answer := precheck(r); status != 0 {
		log := s.log.With("delivery", r.Header.Get("X-GitHub-Delivery"), "event", r.Header.Get("X-GitHub-Event"), "remote", r.RemoteAddr)
		if status == http.StatusOK {
			log.Info("webhook ignored", "reason", answer)
			fmt.Fprintln(w, answer)
			return
		}
		log.Warn("webhook refused before reading it", "status", status, "reason", answer, "content_length", r.ContentLength)
		http.Error(w, answer, status)
		return
	}
	// A slot to read the body in, and little time to read it: GitHub
	// gives up on a delivery after 10 seconds, so a sender that takes
	// longer is not GitHub and must not hold a slot.
	wait := time.NewTimer(readWindow)
	defer wait.Stop()
	select {
	case s.reads <- struct{}{}:
	case <-wait.C:
		s.log.Warn("webhook refused: too many bodies being read", "delivery", r.Header.Get("X-GitHub-Delivery"), "remote", r.RemoteAddr)
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(readWindow)) // not every ResponseWriter supports it
	r.Body = http.MaxBytesReader(w, r.Body, maxPayload)
	event, delivery, payload, err := s.o.Verify(r)
	<-s.reads
	if err != nil {
		s.log.Warn("webhook refused", "delivery", r.Header.Get("X-GitHub-Delivery"), "event", r.Header.Get("X-GitHub-Event"), "remote", r.RemoteAddr, "error", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	log := s.log.With("delivery", delivery, "event", event)
	j, why, err := route(event, delivery, payload)
	if err != nil {
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
	if delivery != "" && !s.seen.add(delivery) {
		log.Info("webhook duplicate delivery dropped")
		fmt.Fprintln(w, "duplicate delivery")
		return
	}
	if s.o.Sync {
		if s.queue.closed() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if err := s.queue.runOne(r.Context(), *j); err != nil {
			http.Error(w, "job failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, "done")
		return
	}
	if err := s.queue.Add(*j); err != nil {
		s.seen.remove(delivery) // let GitHub's redelivery in
		log.Warn("webhook not queued", "error", err)
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	log.Info("webhook queued")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "queued")
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

// Queue runs jobs: one repository's in the order added, one at a time;
// different repositories' concurrently, at most a bound at once.
type Queue struct {
	run        Runner
	log        *slog.Logger
	sem        chan struct{}
	maxPending int

	// jobTimeout is each job's deadline (0: none).
	jobTimeout time.Duration

	mu       sync.Mutex
	pending  map[string][]Job     // by repository
	active   map[string]bool      // a worker runs for the repository
	running  map[string]time.Time // when the repository's running job started
	npending int
	shut     bool
	wg       sync.WaitGroup
	// base is the context jobs run under: it outlives the requests that
	// queued them and is cancelled when Shutdown gives up waiting.
	base   context.Context
	cancel context.CancelFunc
}

// NewQueue returns a Queue running jobs with run; maxConcurrent (default
// 4) bounds the repositories worked on at once, maxPending (default 1000)
// the jobs waiting.
func NewQueue(run Runner, maxConcurrent, maxPending int, log *slog.Logger) *Queue {
	if maxConcurrent <= 0 {
		maxConcurrent = 4
	}
	if maxPending <= 0 {
		maxPending = 1000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancel(context.Background())
	return &Queue{run: run, log: log, sem: make(chan struct{}, maxConcurrent), maxPending: maxPending,
		pending: map[string][]Job{}, active: map[string]bool{}, running: map[string]time.Time{}, base: base, cancel: cancel}
}

// Errors of Add.
var (
	ErrShuttingDown = errors.New("the server is shutting down")
	ErrQueueFull    = errors.New("too many jobs are waiting")
)

// Add queues j behind the jobs of its repository.
func (q *Queue) Add(j Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.shut:
		return ErrShuttingDown
	case q.npending >= q.maxPending:
		return ErrQueueFull
	}
	q.pending[j.Repo] = append(q.pending[j.Repo], j)
	q.npending++
	if !q.active[j.Repo] {
		q.active[j.Repo] = true
		q.wg.Add(1)
		go q.worker(j.Repo)
	}
	return nil
}

// worker runs repo's jobs until none is left.
func (q *Queue) worker(repo string) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		jobs := q.pending[repo]
		if len(jobs) == 0 {
			delete(q.pending, repo)
			delete(q.active, repo)
			q.mu.Unlock()
			return
		}
		j := jobs[0]
		q.pending[repo] = jobs[1:]
		q.npending--
		q.mu.Unlock()

		select {
		case q.sem <- struct{}{}:
		case <-q.base.Done():
			q.log.Warn("job dropped at shutdown", "repo", j.Repo, "pr", j.PR, "delivery", j.Delivery, "event", j.Event.Name)
			continue
		}
		q.runOne(q.base, j)
		<-q.sem
	}
}

// runOne runs j under its deadline, logging its outcome.
func (q *Queue) runOne(ctx context.Context, j Job) error {
	log := q.log.With("repo", j.Repo, "pr", j.PR, "delivery", j.Delivery, "event", j.Event.Name, "sha", j.SHA)
	start := time.Now()
	if q.jobTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, q.jobTimeout)
		defer cancel()
	}
	q.mu.Lock()
	q.running[j.Repo] = start
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.running, j.Repo)
		q.mu.Unlock()
	}()
	log.Info("job started")
	err := q.run(ctx, j)
	if err != nil {
		log.Error("job failed", "error", err, "duration", time.Since(start).Round(time.Millisecond))
		return err
	}
	log.Info("job done", "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// stuck lists the repositories whose job has run past twice its deadline:
// it was cancelled at the deadline and has not returned since.
func (q *Queue) stuck(now time.Time) []string {
	if q.jobTimeout <= 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for repo, start := range q.running {
		if d := now.Sub(start); d > 2*q.jobTimeout {
			out = append(out, fmt.Sprintf("%s running for %s (deadline %s)", repo, d.Round(time.Second), q.jobTimeout))
		}
	}
	sort.Strings(out)
	return out
}

func (q *Queue) closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shut
}

// Shutdown refuses new jobs and waits for the queued and running ones;
// when ctx is done first it cancels them, waits for them to return and
// returns ctx's error.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.shut = true
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		<-done
		return fmt.Errorf("waiting for running jobs: %w", ctx.Err())
	}
}
