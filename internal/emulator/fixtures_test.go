package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "graph", name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return m
}

// shapeDiff compares the JSON shape of got with want: every key of want must
// be in got with a value of the same JSON type (null matches anything: Graph
// answers null for unset properties), arrays compare their first elements,
// and got may hold extra keys only when allowed lists them (by key at the
// top level and in collection items, by dotted path below).
func shapeDiff(path string, want, got any, allowed map[string]bool) []string {
	if want == nil || got == nil {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want an object", path, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, shapeDiff(path+"."+k, wv, gv, allowed)...)
		}
		for k := range g {
			if _, ok := w[k]; ok {
				continue
			}
			top := path == "" || strings.HasSuffix(path, "[]")
			if !(top && allowed[k]) && !allowed[strings.TrimPrefix(path+"."+k, ".")] {
				out = append(out, fmt.Sprintf("%s.%s: unexpected key", path, k))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want an array", path, got)}
		}
		if len(w) == 0 || len(g) == 0 {
			return nil
		}
		return shapeDiff(path+"[]", w[0], g[0], allowed)
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return []string{fmt.Sprintf("%s: got %T, want %T", path, got, want)}
		}
		return nil
	}
}

func union(sets ...map[string]bool) map[string]bool {
	out := map[string]bool{"@odata.context": true}
	for _, s := range sets {
		for k := range s {
			out[k] = true
		}
	}
	return out
}

// appNested are nested application properties Graph v1.0 returns that the
// older documentation examples omit.
var appNested = map[string]bool{"web.redirectUriSettings": true}

func TestDocumentationExamplesHaveTheSameShape(t *testing.T) {
	t.Parallel()
	// The application is seeded through the Go API: nobody owns it.
	s := start(t, Options{Users: []string{"owner@contoso.com"}, GrantRoles: readWriteAll})
	c := newClient(t, s)
	ownerID := s.AddUser("owner@contoso.com")
	app, err := s.CreateApplication(map[string]any{
		"displayName": "a",
		"requiredResourceAccess": []any{map[string]any{
			"resourceAppId":  "00000003-0000-0000-c000-000000000000",
			"resourceAccess": []any{map[string]any{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	appPath := "/applications/" + app["id"].(string)
	c.must(http.StatusNoContent, "POST", appPath+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + ownerID})
	c.must(http.StatusOK, "POST", appPath+"/addPassword", map[string]any{})
	c.must(http.StatusCreated, "POST", appPath+"/federatedIdentityCredentials", readFixture(t, "federatedidentitycredential-create.request.json"))
	fics := c.must(http.StatusOK, "GET", appPath+"/federatedIdentityCredentials", nil)
	ficID := fics["value"].([]any)[0].(map[string]any)["id"].(string)
	sp := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})
	graphSP, _ := s.ServicePrincipal("00000003-0000-0000-c000-000000000000")
	graphSPID := graphSP["id"].(string)
	appFields := union(applicationProps)
	spFields := union(servicePrincipalProps)

	tests := []struct {
		fixture      string
		method, path string
		body         any
		headers      []string
		status       int
		allowed      map[string]bool
		unwrap       string // compare this key of the fixture (documentation quirk)
	}{
		{fixture: "application-get.response.json", method: "GET", path: appPath, status: 200, allowed: union(appFields, appNested)},
		{fixture: "application-get-by-appid-select.response.json", method: "GET", path: "/applications(appId='" + app["appId"].(string) + "')?$select=id,appId,displayName,requiredResourceAccess", status: 200},
		{fixture: "application-list.response.json", method: "GET", path: "/applications", status: 200, allowed: union(appFields, appNested)},
		{fixture: "application-list-filter-count.response.json", method: "GET", path: "/applications?$filter=startswith(displayName,%20'a')&$count=true&$top=1&$orderby=displayName", headers: []string{"ConsistencyLevel", "eventual"}, status: 200, allowed: union(appFields, appNested, map[string]bool{"@odata.nextLink": true})},
		{fixture: "application-post-applications.response.json", method: "POST", path: "/applications", body: readFixture(t, "application-post-applications.request.json"), status: 201, allowed: union(appFields, appNested)},
		{fixture: "application-upsert.response.json", method: "PATCH", path: "/applications(uniqueName='app-65278')", body: readFixture(t, "application-upsert.request.json"), headers: []string{"Prefer", "create-if-missing"}, status: 201, allowed: union(appFields, appNested)},
		{fixture: "application-addpassword.response.json", method: "POST", path: appPath + "/addPassword", body: readFixture(t, "application-addpassword.request.json"), status: 200, allowed: map[string]bool{"@odata.context": true}},
		{fixture: "application-list-owners.response.json", method: "GET", path: appPath + "/owners", status: 200, allowed: union(userProps, map[string]bool{"@odata.type": true})},
		{fixture: "federatedidentitycredential-create.response.json", method: "POST", path: "/applications(appId='" + app["appId"].(string) + "')/federatedIdentityCredentials", body: func() any {
			b := readFixture(t, "federatedidentitycredential-create.request.json")
			b["name"] = "testing03"
			b["subject"] = "other"
			return b
		}(), status: 201},
		{fixture: "federatedidentitycredential-get.response.json", method: "GET", path: appPath + "/federatedIdentityCredentials/" + ficID, status: 200, unwrap: "value"},
		{fixture: "federatedidentitycredential-list.response.json", method: "GET", path: appPath + "/federatedIdentityCredentials", status: 200, allowed: map[string]bool{"@odata.context": true}},
		{fixture: "serviceprincipal-get.response.json", method: "GET", path: "/servicePrincipals/" + sp["id"].(string), status: 200, allowed: spFields},
		{fixture: "serviceprincipal-get-msgraph-select.response.json", method: "GET", path: "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id,appId,displayName,appRoles,oauth2PermissionScopes", status: 200},
		{fixture: "serviceprincipal-list.response.json", method: "GET", path: "/servicePrincipals", status: 200, allowed: union(spFields, map[string]bool{"@odata.context": true})},
		{fixture: "serviceprincipal-list-filter-count.response.json", method: "GET", path: "/servicePrincipals?$filter=startswith(displayName,%20'a')&$count=true&$top=1&$orderby=displayName", headers: []string{"ConsistencyLevel", "eventual"}, status: 200, allowed: union(spFields, map[string]bool{"@odata.nextLink": true})},
		{fixture: "serviceprincipal-create.response.json", method: "POST", path: "/servicePrincipals", body: func() any {
			a, err := s.CreateApplication(map[string]any{"displayName": "My App"})
			if err != nil {
				t.Fatal(err)
			}
			return map[string]any{"appId": a["appId"]}
		}(), status: 201, allowed: spFields},
		{fixture: "serviceprincipal-post-approleassignedto.response.json", method: "POST", path: "/servicePrincipals/" + graphSPID + "/appRoleAssignedTo", body: map[string]any{
			"principalId": sp["id"], "resourceId": graphSPID, "appRoleId": "df021288-bdef-4463-88db-98f22de89214", // User.Read.All
		}, status: 201},
		{fixture: "oauth2permissiongrant-post.response.json", method: "POST", path: "/oauth2PermissionGrants", body: func() any {
			b := readFixture(t, "oauth2permissiongrant-post.request.json")
			b["clientId"], b["resourceId"] = sp["id"], graphSPID
			return b
		}(), status: 201},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.fixture, ".response.json"), func(t *testing.T) {
			c := &client{t: t, s: s, token: c.token}
			want := readFixture(t, tt.fixture)
			if tt.unwrap != "" {
				want = want[tt.unwrap].(map[string]any)
			}
			got := c.must(tt.status, tt.method, tt.path, tt.body, tt.headers...)
			if diff := shapeDiff("", want, got, tt.allowed); len(diff) > 0 {
				sort.Strings(diff)
				t.Errorf("shape differs from %s:\n%s", tt.fixture, strings.Join(diff, "\n"))
			}
		})
	}

	t.Run("throttling-429", func(t *testing.T) {
		c := &client{t: t, s: s, token: c.token}
		s.FailNext(FailRule{Method: "GET", PathContains: "throttled-fixture", Status: http.StatusTooManyRequests})
		status, h, got := c.do("GET", "/applications(uniqueName='throttled-fixture')", nil)
		if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Fatalf("status %d, Retry-After %q", status, h.Get("Retry-After"))
		}
		allowed := map[string]bool{"error.innerError.client-request-id": true}
		if diff := shapeDiff("", readFixture(t, "throttling-429.response.json"), got, allowed); len(diff) > 0 {
			t.Errorf("shape differs:\n%s", strings.Join(diff, "\n"))
		}
	})

	t.Run("json-batching", func(t *testing.T) {
		c := &client{t: t, s: s, token: c.token}
		got := c.must(http.StatusOK, "POST", "/$batch", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "GET", "url": "/applications?$top=1"},
			map[string]any{"id": "3", "method": "DELETE", "url": "/applications/00000000-0000-0000-0000-00000000dead"},
			map[string]any{"id": "4", "method": "POST", "url": "/applications/" + app["id"].(string) + "/owners", "body": map[string]any{}, "headers": map[string]any{"Content-Type": "application/json"}},
		}})
		want := readFixture(t, "json-batching.response.json")
		wantItems := want["responses"].([]any)
		byID := map[string]any{}
		for _, it := range got["responses"].([]any) {
			byID[it.(map[string]any)["id"].(string)] = it
		}
		// Envelopes: item 1 (200) against the fixture's 200, the failures
		// against its 403 and 405; headers differ by service, so only their
		// type is compared.
		for _, pair := range [][2]int{{0, 0}, {2, 1}, {3, 2}} {
			w := wantItems[pair[0]].(map[string]any)
			g := byID[[]string{"1", "3", "4"}[pair[1]]].(map[string]any)
			wEnv := map[string]any{"id": w["id"], "status": w["status"], "headers": map[string]any{}, "body": w["body"]}
			if pair[0] == 0 {
				wEnv["body"] = map[string]any{"@odata.context": "", "value": []any{}}
			}
			if diff := shapeDiff("", wEnv, g, map[string]bool{"body.@odata.nextLink": true, "headers.Content-Type": true}); len(diff) > 0 {
				t.Errorf("batch item %v differs:\n%s", g["id"], strings.Join(diff, "\n"))
			}
		}
		if st := byID["4"].(map[string]any)["status"]; st != float64(405) {
			t.Errorf("POST to owners: status %v, want 405", st)
		}
	})
}
