package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestGraphPathForms(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "paths"})
	id := app["id"].(string)
	for _, path := range []string{
		"/v1.0/applications/" + id,
		"//v1.0/applications/" + id, // a Graph resource id with a trailing slash + "/v1.0"
		"/v1.0/" + s.TenantID() + "/applications/" + id,
		"/v1.0/appregemulator.onmicrosoft.com/applications/" + id,
		"/beta/applications/" + id,
	} {
		if got := c.must(http.StatusOK, "GET", s.URL()+path, nil); got["id"] != id {
			t.Errorf("GET %s = %v", path, got)
		}
	}
	stats := s.Stats()
	if stats["GET /v1.0/applications/{id}"] != 4 || stats["GET /beta/applications/{id}"] != 1 {
		t.Errorf("stats = %v", stats)
	}
	resp, err := s.Client().Get(s.URL() + "/v2.0/applications")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /v2.0/applications: %s", resp.Status)
	}
}

func TestTokenScopeForms(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := s.Operator()
	for _, scope := range []string{
		s.URL() + "/.default",
		s.URL() + "//.default", // go-azure-sdk: resource id "https://host:port/" + "/.default"
		"https://graph.microsoft.com/.default",
		"https://graph.microsoft.com//.default",
	} {
		status, body := token(t, s, op.ClientID, op.ClientSecret, scope)
		if status != http.StatusOK {
			t.Errorf("scope %s: %d %v", scope, status, body)
			continue
		}
		claims := claimsOf(t, body["access_token"].(string))
		if claims["oid"] != op.ServicePrincipalID || body["expires_in"].(float64) <= 1200 {
			t.Errorf("scope %s: claims %v, expires_in %v", scope, claims, body["expires_in"])
		}
		c := &client{t: t, s: s, token: body["access_token"].(string)}
		c.must(http.StatusOK, "GET", "/applications?$top=1", nil)
	}
	status, body := token(t, s, op.ClientID, op.ClientSecret, "https://127.0.0.2:8443/.default")
	if status != http.StatusBadRequest || body["error"] != "invalid_resource" {
		t.Errorf("another host: %d %v", status, body)
	}
}

func TestCloudMetadata(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := &client{t: t, s: s}
	got := c.must(http.StatusOK, "GET", s.URL()+"/metadata/endpoints?api-version=2022-09-01", nil)
	auth := got["authentication"].(map[string]any)
	if got["microsoftGraphResourceId"] != s.URL()+"/" || auth["loginEndpoint"] != s.URL() || got["resourceManager"] != s.URL()+"/arm" {
		t.Errorf("metadata = %v", got)
	}
	if missing := c.must(http.StatusBadRequest, "GET", s.URL()+"/metadata/endpoints", nil); errCode(missing) != "MissingApiVersionParameter" {
		t.Errorf("without api-version: %v", missing)
	}
	if s.Stats()["GET /metadata/endpoints"] != 2 {
		t.Errorf("stats = %v", s.Stats())
	}
}

func TestBetaOnlyProperties(t *testing.T) {
	t.Parallel()
	// Service principals created without an owner are written to.
	s := start(t, Options{GrantRoles: readWriteAll})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "beta"})
	id, appID := app["id"].(string), app["appId"].(string)
	if _, ok := app["oauth2RequirePostResponse"]; ok {
		t.Error("v1.0 create answers a beta-only property")
	}
	beta := s.URL() + "/beta"

	got := c.must(http.StatusOK, "GET", beta+"/applications/"+id+"?$select=oauth2RequirePostResponse", nil)
	if len(got) != 2 || got["oauth2RequirePostResponse"] != false ||
		got["@odata.context"] != beta+"/$metadata#applications(oauth2RequirePostResponse)/$entity" {
		t.Errorf("beta $select = %v", got)
	}
	c.must(http.StatusBadRequest, "GET", "/applications/"+id+"?$select=oauth2RequirePostResponse", nil)
	c.must(http.StatusBadRequest, "PATCH", "/applications/"+id, map[string]any{"oauth2RequirePostResponse": true})
	c.must(http.StatusBadRequest, "PATCH", beta+"/applications/"+id, map[string]any{"oauth2RequirePostResponse": "yes"})
	c.must(http.StatusNoContent, "PATCH", beta+"/applications/"+id, map[string]any{"oauth2RequirePostResponse": true, "notes": "set on beta"})
	if got := c.must(http.StatusOK, "GET", beta+"/applications/"+id, nil); got["oauth2RequirePostResponse"] != true || got["notes"] != "set on beta" {
		t.Errorf("beta GET after PATCH = %v", got)
	}
	v1 := c.must(http.StatusOK, "GET", "/applications/"+id, nil)
	if _, ok := v1["oauth2RequirePostResponse"]; ok || v1["notes"] != "set on beta" {
		t.Errorf("v1.0 GET after beta PATCH = %v", v1)
	}
	list := c.must(http.StatusOK, "GET", beta+"/applications?$filter=appId eq '"+appID+"'", nil)
	if v := list["value"].([]any); len(v) != 1 || v[0].(map[string]any)["oauth2RequirePostResponse"] != true {
		t.Errorf("beta list = %v", list)
	}

	sp := c.must(http.StatusCreated, "POST", beta+"/servicePrincipals", map[string]any{"appId": appID})
	if v, ok := sp["samlMetadataUrl"]; !ok || v != nil {
		t.Errorf("beta create = %v", sp)
	}
	spID := sp["id"].(string)
	if got := c.must(http.StatusOK, "GET", beta+"/servicePrincipals/"+spID+"?$select=samlMetadataUrl", nil); len(got) != 2 || got["samlMetadataUrl"] != nil {
		t.Errorf("beta service principal $select = %v", got)
	}
	c.must(http.StatusBadRequest, "GET", "/servicePrincipals/"+spID+"?$select=samlMetadataUrl", nil)
	c.must(http.StatusNoContent, "PATCH", beta+"/servicePrincipals/"+spID, map[string]any{"samlMetadataUrl": "https://idp.example/metadata"})
	if got := c.must(http.StatusOK, "GET", beta+"/servicePrincipals/"+spID+"?$select=samlMetadataUrl", nil); got["samlMetadataUrl"] != "https://idp.example/metadata" {
		t.Errorf("after beta PATCH = %v", got)
	}
}

func TestOwnersBindOnCreate(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	c := newClient(t, s)
	alice, caller := s.AddUser("alice@contoso.com"), s.Operator().ServicePrincipalID
	ref := func(id string) string { return "https://graph.microsoft.com/v1.0/directoryObjects/" + id }

	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{
		"displayName": "bound", "owners@odata.bind": []string{ref(caller), s.GraphURL() + "/" + s.TenantID() + "/directoryObjects/" + alice},
	})
	if _, ok := app["owners@odata.bind"]; ok {
		t.Errorf("the annotation is echoed: %v", app)
	}
	if got := s.Owners(app["id"].(string)); len(got) != 2 || got[0] != caller || got[1] != alice {
		t.Errorf("owners = %v", got)
	}
	owners := c.must(http.StatusOK, "GET", "/applications/"+app["id"].(string)+"/owners", nil)["value"].([]any)
	if len(owners) != 2 || owners[0].(map[string]any)["@odata.type"] != "#microsoft.graph.servicePrincipal" || owners[1].(map[string]any)["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("owners list = %v", owners)
	}

	sp := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"], "owners@odata.bind": []string{ref(alice)}})
	spOwners := c.must(http.StatusOK, "GET", "/servicePrincipals/"+sp["id"].(string)+"/owners", nil)["value"].([]any)
	if len(spOwners) != 1 || spOwners[0].(map[string]any)["id"] != alice {
		t.Errorf("service principal owners = %v", spOwners)
	}

	tooMany := make([]string, 21)
	for i := range tooMany {
		tooMany[i] = ref(s.AddUser(fmt.Sprintf("user%d@contoso.com", i)))
	}
	before := len(c.must(http.StatusOK, "GET", "/applications", nil)["value"].([]any))
	for name, tt := range map[string]struct {
		bind   any
		status int
	}{
		"unknown object": {[]string{ref("6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20")}, http.StatusNotFound},
		"an application": {[]string{ref(app["id"].(string))}, http.StatusNotFound},
		"repeated":       {[]string{ref(alice), ref(strings.ToUpper(alice))}, http.StatusBadRequest},
		"not a list":     {ref(alice), http.StatusBadRequest},
		"more than 20":   {tooMany, http.StatusBadRequest},
	} {
		c.must(tt.status, "POST", "/applications", map[string]any{"displayName": "refused " + name, "owners@odata.bind": tt.bind})
	}
	if after := len(c.must(http.StatusOK, "GET", "/applications", nil)["value"].([]any)); after != before {
		t.Errorf("refused creates left %d applications, want %d", after, before)
	}
	c.must(http.StatusBadRequest, "POST", "/applications", map[string]any{"displayName": "x", "createdOnBehalfOf@odata.bind": ref(alice)})
}

func TestServicePrincipalOwners(t *testing.T) {
	t.Parallel()
	// Adding owners to a service principal created without one.
	s := start(t, Options{Users: []string{"alice@contoso.com"}, GrantRoles: readWriteAll})
	c := newClient(t, s)
	alice := s.AddUser("alice@contoso.com")
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "owned"})
	sp := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})
	base := "/servicePrincipals/" + sp["id"].(string) + "/owners"

	status, header, empty := c.do("GET", base, nil)
	if v, ok := empty["value"].([]any); status != http.StatusOK || !ok || len(v) != 0 || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Errorf("no owners: %d %q %v", status, header.Get("Content-Type"), empty)
	}
	c.must(http.StatusNoContent, "POST", base+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + alice})
	if got := c.must(http.StatusBadRequest, "POST", base+"/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + alice}); !strings.Contains(got["error"].(map[string]any)["message"].(string), "already exist") {
		t.Errorf("duplicate: %v", got)
	}
	if got := c.must(http.StatusOK, "GET", base+"/"+alice, nil); got["@odata.type"] != "#microsoft.graph.user" {
		t.Errorf("GET owner = %v", got)
	}
	if v := c.must(http.StatusOK, "GET", base, nil)["value"].([]any); len(v) != 1 {
		t.Errorf("owners = %v", v)
	}
	c.must(http.StatusNoContent, "DELETE", base+"/"+alice+"/$ref", nil)
	c.must(http.StatusNotFound, "DELETE", base+"/"+alice+"/$ref", nil)
	c.must(http.StatusNotFound, "GET", "/servicePrincipals/6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20/owners", nil)
	if got := s.Stats()["DELETE /v1.0/servicePrincipals/{id}/owners/{id}/$ref"]; got != 2 {
		t.Errorf("stats = %v", s.Stats())
	}
}
