package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestApplicationLifecycle(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)

	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "Payments", "@odata.type": "#microsoft.graph.application"})
	id, appID := app["id"].(string), app["appId"].(string)
	for _, k := range []string{"identifierUris", "tags", "appRoles", "passwordCredentials", "keyCredentials", "requiredResourceAccess"} {
		if v, ok := app[k].([]any); !ok || len(v) != 0 {
			t.Errorf("%s = %#v, want []", k, app[k])
		}
	}
	if v, ok := app["uniqueName"]; !ok || v != nil {
		t.Errorf("uniqueName = %#v, want null", v)
	}

	c.must(http.StatusNoContent, "PATCH", "/applications/"+id, map[string]any{"uniqueName": "payments", "web": map[string]any{"redirectUris": []string{"https://pay.example/cb"}}})
	c.must(http.StatusNoContent, "PATCH", "/applications/"+id, map[string]any{"web": map[string]any{"homePageUrl": "https://pay.example"}})
	for _, path := range []string{"/applications/" + id, "/applications(appId='" + appID + "')", "/applications(uniqueName='payments')"} {
		got := c.must(http.StatusOK, "GET", path, nil)
		web := got["web"].(map[string]any)
		if got["id"] != id || web["homePageUrl"] != "https://pay.example" || len(web["redirectUris"].([]any)) != 1 {
			t.Errorf("GET %s = %v", path, got)
		}
	}
	sel := c.must(http.StatusOK, "GET", "/applications/"+id+"?$select=id,displayName", nil)
	if len(sel) != 3 || !strings.HasSuffix(sel["@odata.context"].(string), "$metadata#applications(id,displayName)/$entity") {
		t.Errorf("$select answer = %v", sel)
	}

	c.must(http.StatusNoContent, "DELETE", "/applications/"+id, nil)
	c.must(http.StatusNotFound, "GET", "/applications/"+id, nil)
	for _, cast := range []string{"microsoft.graph.application", "graph.application"} {
		list := c.must(http.StatusOK, "GET", "/directory/deletedItems/"+cast, nil)
		if v := list["value"].([]any); len(v) != 1 || v[0].(map[string]any)["deletedDateTime"] == nil {
			t.Errorf("deleted items (%s) = %v", cast, list)
		}
	}
	c.must(http.StatusOK, "GET", "/directory/deletedItems/"+id, nil)
	c.must(http.StatusOK, "POST", "/directory/deletedItems/"+id+"/restore", nil)
	c.must(http.StatusOK, "GET", "/applications(uniqueName='payments')", nil)
	c.must(http.StatusNoContent, "DELETE", "/applications/"+id, nil)
	c.must(http.StatusNoContent, "DELETE", "/directory/deletedItems/"+id, nil)
	c.must(http.StatusNotFound, "GET", "/directory/deletedItems/"+id, nil)
}

func TestUpsertByUniqueName(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)

	c.must(http.StatusNotFound, "PATCH", "/applications(uniqueName='orders')", map[string]any{"displayName": "Orders"})
	created := c.must(http.StatusCreated, "PATCH", "/applications(uniqueName='orders')", map[string]any{"displayName": "Orders", "tags": []string{"appreg:managed"}}, "Prefer", "create-if-missing")
	if created["uniqueName"] != "orders" || created["id"] == nil || created["appId"] == nil {
		t.Errorf("created = %v", created)
	}
	c.must(http.StatusNoContent, "PATCH", "/applications(uniqueName='orders')", map[string]any{"displayName": "Orders v2"}, "Prefer", "create-if-missing")
	got, ok := s.Application("orders")
	if !ok || got["displayName"] != "Orders v2" {
		t.Errorf("after update: %v", got)
	}
	c.must(http.StatusBadRequest, "PATCH", "/applications(uniqueName='nameless')", map[string]any{"tags": []string{}}, "Prefer", "create-if-missing")
}

func TestApplicationValidation(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	c := newClient(t, s)
	scopeID := "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"
	scope := func(enabled bool, value string) map[string]any {
		return map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{map[string]any{
			"id": scopeID, "value": value, "type": "User", "isEnabled": enabled,
			"adminConsentDisplayName": "Access", "adminConsentDescription": "Access",
		}}}}
	}
	tests := []struct {
		name     string
		patches  []map[string]any // all but the last must succeed
		wantCode string
	}{
		{"http redirect", []map[string]any{{"web": map[string]any{"redirectUris": []string{"http://pay.example/cb"}}}}, "Request_BadRequest"},
		{"http localhost redirect", []map[string]any{{"web": map[string]any{"redirectUris": []string{"http://localhost:8080/cb"}}}}, ""},
		{"unknown property", []map[string]any{{"colour": "blue"}}, "Request_BadRequest"},
		{"unknown nested property", []map[string]any{{"web": map[string]any{"colour": "blue"}}}, "Request_BadRequest"},
		{"read-only appId", []map[string]any{{"appId": "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a21"}}, "Request_BadRequest"},
		{"passwordCredentials", []map[string]any{{"passwordCredentials": []any{}}}, "Request_BadRequest"},
		{"uniqueName once", []map[string]any{{"uniqueName": "a"}, {"uniqueName": "b"}}, "Request_BadRequest"},
		{"uniqueName same again", []map[string]any{{"uniqueName": "a"}, {"uniqueName": "a"}}, ""},
		{"tag with space", []map[string]any{{"tags": []string{"a b"}}}, "Request_BadRequest"},
		{"long displayName", []map[string]any{{"displayName": strings.Repeat("x", 257)}}, "Request_BadRequest"},
		{"bad audience", []map[string]any{{"signInAudience": "Everyone"}}, "Request_BadRequest"},
		{"unverified identifier", []map[string]any{{"identifierUris": []string{"https://payments.example.org"}}}, "HostNameNotOnVerifiedDomain"},
		{"verified identifier", []map[string]any{{"identifierUris": []string{"https://payments.contoso.com"}}}, ""},
		{"api identifier", []map[string]any{{"identifierUris": []string{"api://payments"}}}, ""},
		{"change enabled scope", []map[string]any{scope(true, "read"), scope(true, "write")}, "CannotDeleteOrUpdateEnabledEntitlement"},
		{"remove enabled scope", []map[string]any{scope(true, "read"), {"api": map[string]any{"oauth2PermissionScopes": []any{}}}}, "CannotDeleteOrUpdateEnabledEntitlement"},
		{"disable then change", []map[string]any{scope(true, "read"), scope(false, "read"), scope(false, "write"), {"api": map[string]any{"oauth2PermissionScopes": []any{}}}}, ""},
		{"personal audience needs v2 tokens", []map[string]any{{"signInAudience": "AzureADandPersonalMicrosoftAccount"}}, "Request_BadRequest"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &client{t: t, s: s, token: c.token}
			app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": fmt.Sprintf("v%d", i)})
			path := "/applications/" + app["id"].(string)
			for j, p := range tt.patches {
				if uniq, ok := p["uniqueName"].(string); ok {
					p = map[string]any{"uniqueName": fmt.Sprintf("%s-%d", uniq, i)}
				}
				status, _, body := c.do("PATCH", path, p)
				last := j == len(tt.patches)-1
				switch {
				case !last || tt.wantCode == "":
					if status != http.StatusNoContent {
						t.Fatalf("patch %d: status %d: %v", j, status, body)
					}
				default:
					if status != http.StatusBadRequest || errCode(body) != tt.wantCode {
						t.Fatalf("patch %d: status %d code %q, want 400 %q: %v", j, status, errCode(body), tt.wantCode, body)
					}
					inner := body["error"].(map[string]any)["innerError"].(map[string]any)
					for _, k := range []string{"date", "request-id", "client-request-id"} {
						if inner[k] == nil {
							t.Errorf("innerError lacks %s: %v", k, body)
						}
					}
				}
			}
		})
	}
}

func TestListPagingAndFilters(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	for i := range 250 {
		props := map[string]any{"displayName": fmt.Sprintf("app-%03d", i)}
		if i%50 == 0 {
			props["tags"] = []any{"appreg:managed"}
		}
		if _, err := s.CreateApplication(props); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	next := "/applications?$select=id,appId,displayName"
	pages := 0
	for next != "" {
		page := c.must(http.StatusOK, "GET", next, nil)
		pages++
		for _, v := range page["value"].([]any) {
			m := v.(map[string]any)
			if len(m) != 3 {
				t.Fatalf("selected item = %v", m)
			}
			ids = append(ids, m["id"].(string))
		}
		next, _ = page["@odata.nextLink"].(string)
		if next != "" && !strings.HasPrefix(next, s.GraphURL()+"/applications?") {
			t.Fatalf("nextLink %q is not on %s", next, s.GraphURL())
		}
	}
	if len(ids) != 251 || pages != 3 { // 250 + the operator
		t.Errorf("listed %d applications in %d pages, want 251 in 3", len(ids), pages)
	}

	tagged := c.must(http.StatusOK, "GET", "/applications?$filter=tags/any(t:t eq 'appreg:managed')&$top=999", nil)
	if n := len(tagged["value"].([]any)); n != 5 {
		t.Errorf("tags/any matched %d, want 5", n)
	}
	op := s.Operator()
	byAppID := c.must(http.StatusOK, "GET", "/applications?$filter=appId eq '"+op.ClientID+"'", nil)
	if v := byAppID["value"].([]any); len(v) != 1 || v[0].(map[string]any)["appId"] != op.ClientID {
		t.Errorf("appId eq = %v", byAppID)
	}
	counted := c.must(http.StatusOK, "GET", "/applications?$filter=startswith(displayName,'app-1')&$count=true&$top=1&$orderby=displayName", nil, "ConsistencyLevel", "eventual")
	if counted["@odata.count"] != float64(100) || counted["value"].([]any)[0].(map[string]any)["displayName"] != "app-100" {
		t.Errorf("count query = %v", counted["@odata.count"])
	}
	for _, q := range []string{"$top=1000", "$count=true", "$select=colour", "$filter=appId ne 'x'", "$filter=bogus eq 'x'", "$orderby=displayName"} {
		status, _, body := c.do("GET", "/applications?"+q, nil)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %v", q, status, body)
		}
	}
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "p"})
	path := "/applications/" + app["id"].(string)

	cred := c.must(http.StatusOK, "POST", path+"/addPassword", map[string]any{"passwordCredential": map[string]any{"displayName": "ci"}})
	text, _ := cred["secretText"].(string)
	if len(text) != 40 || cred["hint"] != text[:3] || cred["displayName"] != "ci" {
		t.Errorf("addPassword = %v", cred)
	}
	got := c.must(http.StatusOK, "GET", path, nil)
	creds := got["passwordCredentials"].([]any)
	if len(creds) != 1 {
		t.Fatalf("passwordCredentials = %v", creds)
	}
	pc := creds[0].(map[string]any)
	if v, ok := pc["secretText"]; !ok || v != nil {
		t.Errorf("stored secretText = %#v, want null", v)
	}
	if pc["keyId"] != cred["keyId"] || !strings.HasPrefix(pc["endDateTime"].(string), fmt.Sprint(s.now().UTC().Year()+2)) {
		t.Errorf("stored credential = %v", pc)
	}
	if issued := s.IssuedSecrets(); issued[len(issued)-1] != text {
		t.Errorf("IssuedSecrets lacks the new secret")
	}
	c.must(http.StatusNoContent, "POST", path+"/removePassword", map[string]any{"keyId": cred["keyId"]})
	if got := c.must(http.StatusOK, "GET", path, nil); len(got["passwordCredentials"].([]any)) != 0 {
		t.Errorf("credential not removed: %v", got["passwordCredentials"])
	}
}

func TestFederatedIdentityCredentials(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "f", "uniqueName": "f"})
	base := "/applications/" + app["id"].(string) + "/federatedIdentityCredentials"
	fic := func(name, subject string) map[string]any {
		return map[string]any{"name": name, "issuer": "https://token.actions.githubusercontent.com", "subject": subject, "audiences": []string{"api://AzureADTokenExchange"}}
	}
	created := c.must(http.StatusCreated, "POST", base, fic("main", "repo:o/r:ref:refs/heads/main"))
	if created["description"] != nil || created["@odata.id"] == nil {
		t.Errorf("created = %v", created)
	}
	if status, _, b := c.do("POST", base, fic("main", "repo:o/r:environment:prod")); status != http.StatusConflict {
		t.Errorf("duplicate name: %d %v", status, b)
	}
	if status, _, b := c.do("POST", base, fic("other", "repo:o/r:ref:refs/heads/main")); status != http.StatusBadRequest {
		t.Errorf("duplicate issuer+subject: %d %v", status, b)
	}
	c.must(http.StatusNotFound, "PATCH", "/applications(uniqueName='f')/federatedIdentityCredentials(name='pr')", fic("pr", "repo:o/r:pull_request"))
	c.must(http.StatusCreated, "PATCH", "/applications(uniqueName='f')/federatedIdentityCredentials(name='pr')", fic("pr", "repo:o/r:pull_request"), "Prefer", "create-if-missing")
	c.must(http.StatusNoContent, "PATCH", "/applications(uniqueName='f')/federatedIdentityCredentials(name='pr')", map[string]any{"description": "PRs"}, "Prefer", "create-if-missing")
	got := c.must(http.StatusOK, "GET", base+"(name='pr')", nil)
	if got["description"] != "PRs" {
		t.Errorf("by name = %v", got)
	}
	c.must(http.StatusOK, "GET", base+"/"+created["id"].(string), nil)
	for i := 2; i < 20; i++ {
		c.must(http.StatusCreated, "POST", base, fic(fmt.Sprintf("env-%d", i), fmt.Sprintf("repo:o/r:environment:e%d", i)))
	}
	if status, _, b := c.do("POST", base, fic("one-too-many", "repo:o/r:environment:x")); status != http.StatusBadRequest {
		t.Errorf("21st credential: %d %v", status, b)
	}
	if list := c.must(http.StatusOK, "GET", base, nil); len(list["value"].([]any)) != 20 {
		t.Errorf("listed %d credentials", len(list["value"].([]any)))
	}
	c.must(http.StatusNoContent, "DELETE", base+"(name='pr')", nil)
	c.must(http.StatusNotFound, "GET", base+"(name='pr')", nil)
}

func TestOwners(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "o"})
	base := "/applications/" + app["id"].(string)
	alice := s.AddUser("alice@contoso.com")
	ref := map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + alice}
	c.must(http.StatusNoContent, "POST", base+"/owners/$ref", ref)
	dup := c.must(http.StatusBadRequest, "POST", base+"/owners/$ref", ref)
	if !strings.Contains(dup["error"].(map[string]any)["message"].(string), "already exist") {
		t.Errorf("duplicate owner: %v", dup)
	}
	// The operator created the app with Application.ReadWrite.OwnedBy: it
	// is an owner already, the first.
	op := s.Operator()
	c.must(http.StatusBadRequest, "POST", base+"/owners/$ref", map[string]any{"@odata.id": s.GraphURL() + "/directoryObjects/" + op.ServicePrincipalID})
	for i := range 25 {
		id := s.AddUser(fmt.Sprintf("u%d@contoso.com", i))
		c.must(http.StatusNoContent, "POST", base+"/owners/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + id})
	}
	list := c.must(http.StatusOK, "GET", base+"/owners?$top=999", nil)
	if v := list["value"].([]any); len(v) != 27 || v[0].(map[string]any)["@odata.type"] != "#microsoft.graph.servicePrincipal" || v[1].(map[string]any)["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("owners = %d", len(v))
	}
	expanded := c.must(http.StatusOK, "GET", "/applications?$expand=owners&$filter=appId eq '"+app["appId"].(string)+"'", nil)
	if n := len(expanded["value"].([]any)[0].(map[string]any)["owners"].([]any)); n != 20 {
		t.Errorf("$expand=owners gave %d, want 20", n)
	}
	c.must(http.StatusNoContent, "DELETE", base+"/owners/"+alice+"/$ref", nil)
	c.must(http.StatusNotFound, "DELETE", base+"/owners/"+alice+"/$ref", nil)
	if owners := s.Owners(app["id"].(string)); len(owners) != 26 {
		t.Errorf("Owners = %d", len(owners))
	}
}

func TestExpandCapsThePageAt100(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	for i := range 150 {
		if _, err := s.CreateApplication(map[string]any{"displayName": fmt.Sprintf("app %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	plain := c.must(http.StatusOK, "GET", "/applications?$top=999", nil)
	if n := len(plain["value"].([]any)); n < 150 {
		t.Errorf("$top=999 gave %d, want every application", n)
	}
	c.must(http.StatusBadRequest, "GET", "/applications?$top=999&$expand=owners", nil)
	expanded := c.must(http.StatusOK, "GET", "/applications?$top=100&$expand=owners", nil)
	if n := len(expanded["value"].([]any)); n != 100 || expanded["@odata.nextLink"] == nil {
		t.Errorf("$top=100&$expand=owners gave %d with nextLink %v, want a page of 100 and a next link", n, expanded["@odata.nextLink"])
	}
}
