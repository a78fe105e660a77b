package ghtest_test

import (
	"testing"
)

// TestRevealSecret checks the one non-GitHub route: only the reveal token
// reads a delivered secret back, by name; the token that wrote it cannot
// (GitHub never returns a value), and the route is off until a reveal
// token is set.
func TestRevealSecret(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	putRepoSecret("APP_SECRET")(t, srv)
	path := "/_ghtest/secret?repo=contoso/payments&name=app_secret"

	if r := do(t, srv, "Bearer reveal-me", "GET", path, nil); r.status != 401 {
		t.Errorf("before SetRevealToken: %d, want 401", r.status)
	}
	srv.SetRevealToken("reveal-me")
	for _, tc := range []struct {
		auth, path string
		status     int
		body       string
	}{
		{"Bearer " + token, path, 401, ""},
		{"Bearer wrong", path, 401, ""},
		{"Bearer reveal-me", path, 200, "value of APP_SECRET"},
		{"Bearer reveal-me", "/_ghtest/secret?repo=contoso/payments&name=OTHER", 404, ""},
		{"Bearer reveal-me", "/_ghtest/secret?name=APP_SECRET", 400, ""},
	} {
		r := do(t, srv, tc.auth, "GET", tc.path, nil)
		if r.status != tc.status || (tc.body != "" && string(r.body) != tc.body) {
			t.Errorf("GET %s as %q: %d %q, want %d %q", tc.path, tc.auth, r.status, r.body, tc.status, tc.body)
		}
	}
}
