package emulator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// readWriteAll grants the operator Application.ReadWrite.All on top of the
// least-privilege default, for tests of objects it does not own.
var readWriteAll = []string{"Application.ReadWrite.All"}

// start starts an emulator that is closed when the test ends.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// token obtains an access token with the client credentials flow.
func token(t *testing.T, s *Server, clientID, secret, scope string) (int, map[string]any) {
	t.Helper()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {secret}, "scope": {scope},
	}
	resp, err := s.Client().PostForm(s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding token response: %v", err)
	}
	return resp.StatusCode, body
}

// client calls Graph on an emulator as the operator.
type client struct {
	t     *testing.T
	s     *Server
	token string
}

func newClient(t *testing.T, s *Server) *client {
	t.Helper()
	op := s.Operator()
	status, body := token(t, s, op.ClientID, op.ClientSecret, "https://graph.microsoft.com/.default")
	if status != http.StatusOK {
		t.Fatalf("operator token: %d %v", status, body)
	}
	return &client{t: t, s: s, token: body["access_token"].(string)}
}

// do sends a Graph request (path below /v1.0 or an absolute URL) with a
// gzipped JSON body, as kiota does, and decodes the JSON answer. Extra
// headers come as name, value pairs.
func (c *client) do(method, path string, body any, headers ...string) (int, http.Header, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatalf("encoding body: %v", err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(raw)
		zw.Close()
		rd = &buf
	}
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = c.s.GraphURL() + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.t.Fatalf("building request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.s.Client().Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			c.t.Fatalf("%s %s: Content-Type %q", method, path, resp.Header.Get("Content-Type"))
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: decoding %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	status, _, out := c.do(method, path, body, headers...)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, want, out)
	}
	return out
}

// errCode returns error.code of a Graph error body.
func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}
