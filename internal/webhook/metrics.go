package webhook

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are appreg serve's Prometheus metrics, served on /metrics. Every
// label takes a bounded set of values: a stranger posting to the webhook
// chooses the headers it sends, never a new time series.
type Metrics struct {
	reg         *prometheus.Registry
	received    *prometheus.CounterVec // event
	duplicate   *prometheus.CounterVec // event
	rejected    *prometheus.CounterVec // event, reason
	jobDuration *prometheus.HistogramVec
	retries     prometheus.Counter
	parked      prometheus.Counter
	requests    *prometheus.CounterVec // api, code
	apiErrors   *prometheus.CounterVec // api
	secrets     *prometheus.CounterVec // outcome
}

// NewMetrics returns the metrics of one server; depth reads the queue's
// depth when /metrics is scraped.
func NewMetrics(depth func(ctx context.Context) (int64, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appreg_webhook_deliveries_received_total",
			Help: "Webhook deliveries received, by event (before any check)."}, []string{"event"}),
		duplicate: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appreg_webhook_deliveries_duplicate_total",
			Help: "Deliveries dropped because their delivery id was already queued, by event."}, []string{"event"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appreg_webhook_deliveries_rejected_total",
			Help: "Deliveries refused, by event and reason (signature, payload, size, busy, store)."}, []string{"event", "reason"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "appreg_job_duration_seconds",
			Help:    "Duration of job runs, by command (pull-request, review, merge) and outcome (success, failure).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900}}, []string{"command", "outcome"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "appreg_job_retries_total",
			Help: "Job runs that were retries of a failed run."}),
		parked: prometheus.NewCounter(prometheus.CounterOpts{Name: "appreg_jobs_parked_total",
			Help: "Jobs parked (dead-lettered) after every attempt failed."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appreg_api_requests_total",
			Help: "Requests to Microsoft Graph (and its token endpoint) and GitHub, by api and HTTP status (error: no answer)."},
			[]string{"api", "code"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appreg_api_errors_total",
			Help: "Requests to Microsoft Graph and GitHub answered 4xx or 5xx or not at all, by api."}, []string{"api"}),
		secrets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appreg_secrets_total",
			Help: "Client secrets created or rotated and delivered (outcome rotated), or that failed (outcome failed)."},
			[]string{"outcome"}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "appreg_queue_depth",
		Help: "Jobs queued and not finished (running ones included); of every replica with the Redis store. NaN when the store is unreachable."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := depth(ctx)
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		})
	m.reg.MustRegister(m.received, m.duplicate, m.rejected, m.jobDuration, m.retries, m.parked,
		m.requests, m.apiErrors, m.secrets, queue,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, api := range []string{"graph", "github"} {
		m.apiErrors.WithLabelValues(api)
	}
	for _, o := range []string{"rotated", "failed"} {
		m.secrets.WithLabelValues(o)
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// knownEvents are the event label's values; any other is "other".
var knownEvents = map[string]bool{
	"pull_request": true, "pull_request_review": true, "push": true, "ping": true,
	"installation": true, "installation_repositories": true, "check_suite": true, "check_run": true,
}

func eventLabel(e string) string {
	if knownEvents[e] {
		return e
	}
	return "other"
}

// Received counts a delivery as it arrives.
func (m *Metrics) Received(event string) { m.received.WithLabelValues(eventLabel(event)).Inc() }

// Duplicate counts a delivery dropped as already queued.
func (m *Metrics) Duplicate(event string) { m.duplicate.WithLabelValues(eventLabel(event)).Inc() }

// Rejected counts a refused delivery; reason is one of appreg's own words.
func (m *Metrics) Rejected(event, reason string) {
	m.rejected.WithLabelValues(eventLabel(event), reason).Inc()
}

// Job records a job run: its command, how long it took, and whether it
// succeeded; attempt above 1 is a retry.
func (m *Metrics) Job(command string, attempt int, d time.Duration, err error) {
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	m.jobDuration.WithLabelValues(command, outcome).Observe(d.Seconds())
	if attempt > 1 {
		m.retries.Inc()
	}
}

// Parked counts a parked job.
func (m *Metrics) Parked() { m.parked.Inc() }

// Secrets counts secrets rotated (or created and delivered) and failed.
func (m *Metrics) Secrets(rotated, failed int) {
	m.secrets.WithLabelValues("rotated").Add(float64(rotated))
	m.secrets.WithLabelValues("failed").Add(float64(failed))
}

// Transport counts the requests base sends to api ("graph" or "github"),
// by status, and the errors among them.
func (m *Metrics) Transport(api string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return countingTransport{m: m, api: api, base: base}
}

type countingTransport struct {
	m    *Metrics
	api  string
	base http.RoundTripper
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.m.requests.WithLabelValues(t.api, code).Inc()
	if err != nil || resp.StatusCode >= 400 {
		t.m.apiErrors.WithLabelValues(t.api).Inc()
	}
	return resp, err
}
