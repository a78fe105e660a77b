package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenIDConfiguration(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	resp, err := s.Client().Get(s.AuthorityHost() + s.TenantID() + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"issuer", "token_endpoint", "authorization_endpoint"} {
		u, err := url.Parse(cfg[k].(string))
		if err != nil || u.Scheme+"://"+u.Host != s.URL() {
			t.Errorf("%s = %v, want on %s", k, cfg[k], s.URL())
		}
	}
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := start(t, Options{Now: clk.Now})
	app, err := s.CreateApplication(map[string]any{"displayName": "client"})
	if err != nil {
		t.Fatal(err)
	}
	appID := app["appId"].(string)
	sp, err := s.CreateServicePrincipal(appID)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := s.AddPassword(appID, map[string]any{"displayName": "good"})
	old, _ := s.AddPassword(appID, map[string]any{"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2024-06-01T00:00:00Z"})
	graph := "https://graph.microsoft.com/.default"

	tests := []struct {
		name, clientID, secret, scope string
		status                        int
		code                          int
		errName                       string
	}{
		{"key id instead of value", appID, good["keyId"].(string), graph, 401, 7000215, "invalid_client"},
		{"wrong secret", appID, "not-the-secret", graph, 401, 7000215, "invalid_client"},
		{"expired secret", appID, old["secretText"].(string), graph, 401, 7000222, "invalid_client"},
		{"unknown application", "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20", "x", graph, 400, 700016, "unauthorized_client"},
		{"scope without .default", appID, good["secretText"].(string), "https://graph.microsoft.com/User.Read", 400, 1002012, "invalid_scope"},
		{"unknown resource", appID, good["secretText"].(string), "api://nothing/.default", 400, 500011, "invalid_resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := token(t, s, tt.clientID, tt.secret, tt.scope)
			codes, _ := body["error_codes"].([]any)
			if status != tt.status || body["error"] != tt.errName || len(codes) != 1 || codes[0] != float64(tt.code) {
				t.Errorf("got %d %v", status, body)
			}
			for _, k := range []string{"error_description", "timestamp", "trace_id", "correlation_id"} {
				if _, ok := body[k].(string); !ok {
					t.Errorf("error lacks %s: %v", k, body)
				}
			}
			if strings.Contains(body["error_description"].(string), tt.secret) && tt.secret != "x" {
				t.Errorf("error description echoes the secret")
			}
		})
	}

	// Roles reflect appRoleAssignedTo on the requested resource.
	status, body := token(t, s, appID, good["secretText"].(string), graph)
	if status != 200 || body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["ext_expires_in"] != float64(3599) {
		t.Fatalf("token: %d %v", status, body)
	}
	if _, ok := claimsOf(t, body["access_token"].(string))["roles"]; ok {
		t.Error("roles without consent")
	}
	c := newClient(t, s)
	graphSP, _ := s.ServicePrincipal("00000003-0000-0000-c000-000000000000")
	c.must(http.StatusCreated, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo", map[string]any{
		"principalId": sp["id"], "resourceId": graphSP["id"], "appRoleId": "df021288-bdef-4463-88db-98f22de89214",
	})
	_, body = token(t, s, appID, good["secretText"].(string), graph)
	claims := claimsOf(t, body["access_token"].(string))
	if roles, _ := claims["roles"].([]any); len(roles) != 1 || roles[0] != "User.Read.All" {
		t.Errorf("roles = %v", claims["roles"])
	}
	if claims["oid"] != sp["id"] || claims["appid"] != appID || claims["aud"] != "https://graph.microsoft.com" ||
		claims["iss"] != "https://sts.windows.net/"+s.TenantID()+"/" || claims["ver"] != "1.0" || claims["azp"] != nil {
		t.Errorf("claims = %v", claims)
	}
	if exp := claims["exp"].(float64); int64(exp) != clk.Now().Add(3599*time.Second).Unix() {
		t.Errorf("exp = %v", exp)
	}

	// Graph accepts the token until it expires (User.Read.All reads users;
	// reading other applications would need Application.Read.All).
	client := &client{t: t, s: s, token: body["access_token"].(string)}
	client.must(http.StatusOK, "GET", "/users?$top=1", nil)
	clk.Add(time.Hour)
	if got := client.must(http.StatusUnauthorized, "GET", "/applications?$top=1", nil); errCode(got) != "InvalidAuthenticationToken" {
		t.Errorf("expired token: %v", got)
	}
}

func TestGraphRequiresAValidToken(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	other := start(t, Options{})
	forged := newClient(t, other).token
	for name, tok := range map[string]string{"none": "", "garbage": "abc.def.ghi", "other emulator": forged} {
		c := &client{t: t, s: s, token: tok}
		if got := c.must(http.StatusUnauthorized, "GET", "/applications", nil); errCode(got) != "InvalidAuthenticationToken" {
			t.Errorf("%s: %v", name, got)
		}
	}
}
