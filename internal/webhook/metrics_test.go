package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/webhook"
)

// scrape returns the metrics' text, without comments.
func scrape(t *testing.T, m *webhook.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", w.Code)
	}
	var lines []string
	for _, l := range strings.Split(w.Body.String(), "\n") {
		if strings.HasPrefix(l, "appreg_") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func wantLines(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got+"\n", w+"\n") {
			t.Errorf("metrics lack %q; have:\n%s", w, got)
		}
	}
}

func TestMetricsTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
		}
	}))
	m := webhook.NewMetrics(func(context.Context) (int64, error) { return 7, nil })
	c := &http.Client{Transport: m.Transport("graph", nil)}
	for _, p := range []string{"/a", "/b", "/missing"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	srv.Close()
	if _, err := c.Get(srv.URL + "/gone"); err == nil {
		t.Fatal("a request to a closed server succeeded")
	}
	wantLines(t, scrape(t, m),
		`appreg_api_requests_total{api="graph",code="200"} 2`,
		`appreg_api_requests_total{api="graph",code="404"} 1`,
		`appreg_api_requests_total{api="graph",code="error"} 1`,
		`appreg_api_errors_total{api="graph"} 2`,
		`appreg_api_errors_total{api="github"} 0`,
		`appreg_queue_depth 7`,
	)
}

func TestMetricsCounters(t *testing.T) {
	t.Parallel()
	m := webhook.NewMetrics(func(context.Context) (int64, error) { return 0, errors.New("redis unreachable") })
	m.Received("pull_request")
	m.Received("pull_request")
	m.Received("<script>alert(1)</script>") // a stranger's header: no new series
	m.Duplicate("push")
	m.Rejected("push", "signature")
	m.Job("merge", 1, 2*time.Second, nil)
	m.Job("merge", 2, time.Second, errors.New("graph answered 503"))
	m.Parked()
	m.Secrets(2, 1)
	wantLines(t, scrape(t, m),
		`appreg_webhook_deliveries_received_total{event="pull_request"} 2`,
		`appreg_webhook_deliveries_received_total{event="other"} 1`,
		`appreg_webhook_deliveries_duplicate_total{event="push"} 1`,
		`appreg_webhook_deliveries_rejected_total{event="push",reason="signature"} 1`,
		`appreg_job_duration_seconds_count{command="merge",outcome="success"} 1`,
		`appreg_job_duration_seconds_count{command="merge",outcome="failure"} 1`,
		`appreg_job_retries_total 1`,
		`appreg_jobs_parked_total 1`,
		`appreg_secrets_total{outcome="rotated"} 2`,
		`appreg_secrets_total{outcome="failed"} 1`,
		`appreg_queue_depth NaN`,
	)
}
