package emulator

import (
	"net/http"
	"testing"
	"time"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	s.FailNext(FailRule{Method: "POST", PathContains: "/applications", Status: http.StatusInternalServerError, Times: 2})
	for range 2 {
		if got := c.must(http.StatusInternalServerError, "POST", "/applications", map[string]any{"displayName": "x"}); errCode(got) != "UnknownError" {
			t.Errorf("injected error = %v", got)
		}
	}
	c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "x"})
	s.mu.Lock()
	n := len(s.t.apps)
	s.mu.Unlock()
	if n != 2 { // the operator and the one that got through
		t.Errorf("failed requests had effects: %d applications", n)
	}
	s.FailNext(FailRule{Method: "GET", PathContains: "/owners", Status: http.StatusNotFound, Code: "Request_ResourceNotFound", Message: "gone"})
	got := c.must(http.StatusNotFound, "GET", "/applications/whatever/owners", nil)
	if got["error"].(map[string]any)["message"] != "gone" {
		t.Errorf("custom message lost: %v", got)
	}
}

// A rule with Effect lets the write happen and loses its answer: the
// application gets the secret whose value the caller never sees.
func TestFailNextWithEffect(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "x"})
	s.FailNext(FailRule{Method: "POST", PathContains: "/addPassword", Status: http.StatusServiceUnavailable, Effect: true})
	got := c.must(http.StatusServiceUnavailable, "POST", "/applications/"+app["id"].(string)+"/addPassword", map[string]any{})
	if _, leaked := got["secretText"]; leaked || errCode(got) != "ServiceUnavailable" {
		t.Errorf("answer = %v", got)
	}
	after, _ := s.Application(app["id"].(string))
	if n := len(after["passwordCredentials"].([]any)); n != 1 {
		t.Errorf("the write took effect %d times, want once", n)
	}
}

func TestServerErrorsAndThrottling(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	s.SetFaults(Faults{ServerErrorRate: 1, RetryAfter: 2 * time.Second})
	st, h, body := c.do("GET", "/applications", nil)
	if st != http.StatusServiceUnavailable || h.Get("Retry-After") != "2" || errCode(body) != "ServiceUnavailable" {
		t.Errorf("503: %d %q %v", st, h.Get("Retry-After"), body)
	}
	s.SetFaults(Faults{ThrottleRate: 1})
	st, h, body = c.do("GET", "/applications", nil)
	if st != http.StatusTooManyRequests || h.Get("Retry-After") != "0" || errCode(body) != "TooManyRequests" {
		t.Errorf("429: %d %q %v", st, h.Get("Retry-After"), body)
	}
	// The token endpoint is never throttled.
	if st, _ := token(t, s, s.Operator().ClientID, s.Operator().ClientSecret, "https://graph.microsoft.com/.default"); st != http.StatusOK {
		t.Errorf("token endpoint throttled: %d", st)
	}
	s.SetFaults(Faults{Latency: time.Millisecond})
	c.must(http.StatusOK, "GET", "/applications", nil)
}

func TestReplicationLag(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := start(t, Options{Now: clk.Now})
	c := newClient(t, s)

	s.SetFaults(Faults{LagReads: 2})
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "lag"})
	s.SetFaults(Faults{})
	path := "/applications/" + app["id"].(string)
	if got := c.must(http.StatusBadRequest, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]}); errCode(got) != "NoBackingApplicationObject" {
		t.Errorf("SP during lag: %v", got)
	}
	c.must(http.StatusNotFound, "GET", path, nil)
	c.must(http.StatusOK, "GET", path, nil)
	c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})

	s.SetFaults(Faults{LagFor: time.Minute})
	app = c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "lag2"})
	path = "/applications/" + app["id"].(string)
	s.SetFaults(Faults{})
	for range 3 {
		c.must(http.StatusNotFound, "GET", path, nil)
	}
	if list := c.must(http.StatusOK, "GET", "/applications?$filter=appId eq '"+app["appId"].(string)+"'", nil); len(list["value"].([]any)) != 0 {
		t.Errorf("lagging app listed")
	}
	clk.Add(time.Minute)
	c.must(http.StatusOK, "GET", path, nil)
	if _, err := s.CreateServicePrincipal(app["appId"].(string)); err != nil {
		t.Fatal(err)
	}
	// A new secret works only after its own lag.
	s.SetFaults(Faults{LagReads: 1})
	cred := c.must(http.StatusOK, "POST", "/applications(appId='"+app["appId"].(string)+"')/addPassword", nil)
	s.SetFaults(Faults{})
	if st, body := token(t, s, app["appId"].(string), cred["secretText"].(string), "https://graph.microsoft.com/.default"); st != http.StatusUnauthorized {
		t.Errorf("token with a lagging secret: %d %v", st, body)
	}
	if st, body := token(t, s, app["appId"].(string), cred["secretText"].(string), "https://graph.microsoft.com/.default"); st != http.StatusOK {
		t.Errorf("token after lag: %d %v", st, body)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	s.ResetStats()
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "s"})
	c.must(http.StatusOK, "GET", "/applications/"+app["id"].(string), nil)
	c.must(http.StatusOK, "GET", "/applications(appId='"+app["appId"].(string)+"')", nil)
	c.must(http.StatusOK, "GET", "/applications/"+app["id"].(string)+"/federatedIdentityCredentials", nil)
	want := map[string]int{
		"POST /v1.0/applications":                                  1,
		"GET /v1.0/applications/{id}":                              1,
		"GET /v1.0/applications(appId={id})":                       1,
		"GET /v1.0/applications/{id}/federatedIdentityCredentials": 1,
	}
	got := s.Stats()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Stats()[%q] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if s.TotalRequests() != 4 {
		t.Errorf("TotalRequests = %d, want 4", s.TotalRequests())
	}
	s.ResetStats()
	if len(s.Stats()) != 0 || s.TotalRequests() != 0 {
		t.Error("ResetStats left counts")
	}
}
