package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The rules of Microsoft Graph that appreg depends on and that a lenient
// emulator would hide (docs/graph-behaviour.md lists each with its source).

func scopeJSON(id, value string, enabled bool) map[string]any {
	return map[string]any{
		"id": id, "value": value, "type": "User", "isEnabled": enabled,
		"adminConsentDisplayName": value, "adminConsentDescription": value,
	}
}

const azureCLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// Pre-authorizing a scope defined in the same write is refused
// (microsoft-graph-docs#20177, error as in #12675); in two writes it works.
func TestPreAuthorizationNeedsTheScopeToExistFirst(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	const scopeID = "5a1b7c3e-0d4f-4e5a-9b6c-7d8e9f0a1b2c"
	preAuth := []any{map[string]any{"appId": azureCLI, "delegatedPermissionIds": []any{scopeID}}}
	api := map[string]any{"oauth2PermissionScopes": []any{scopeJSON(scopeID, "access_as_user", true)}, "preAuthorizedApplications": preAuth}
	refused := c.must(http.StatusBadRequest, "POST", "/applications", map[string]any{"displayName": "api", "api": api})
	if errCode(refused) != "InvalidValue" || !strings.Contains(fmt.Sprint(refused), "cannot be found in the AppPermissions sets") {
		t.Errorf("create with scope and its pre-authorization: %v", refused)
	}
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "api"})
	path := "/applications/" + app["id"].(string)
	refused = c.must(http.StatusBadRequest, "PATCH", path, map[string]any{"api": api})
	if errCode(refused) != "InvalidValue" {
		t.Errorf("update with scope and its pre-authorization: %v", refused)
	}
	c.must(http.StatusNoContent, "PATCH", path, map[string]any{"api": map[string]any{"oauth2PermissionScopes": api["oauth2PermissionScopes"]}})
	c.must(http.StatusNoContent, "PATCH", path, map[string]any{"api": api})
}

// With Application.ReadWrite.OwnedBy (the operator's default) the caller
// writes only the applications and service principals it owns, and Graph
// says so with 403 Authorization_RequestDenied.
func TestOwnedByWritesOnlyWhatTheCallerOwns(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	op := s.Operator()
	denied := func(body map[string]any) {
		t.Helper()
		if errCode(body) != "Authorization_RequestDenied" || !strings.Contains(fmt.Sprint(body), "Insufficient privileges to complete the operation.") {
			t.Errorf("refusal = %v", body)
		}
	}
	// Created by the caller: owned, writable.
	owned := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "mine"})
	c.must(http.StatusNoContent, "PATCH", "/applications/"+owned["id"].(string), map[string]any{"notes": "ok"})
	// Made by someone else: not writable, nor its credentials or owners.
	other, err := s.CreateApplication(map[string]any{"displayName": "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	otherPath := "/applications/" + other["id"].(string)
	denied(c.must(http.StatusForbidden, "PATCH", otherPath, map[string]any{"notes": "no"}))
	denied(c.must(http.StatusForbidden, "POST", otherPath+"/addPassword", map[string]any{}))
	denied(c.must(http.StatusForbidden, "POST", otherPath+"/owners/$ref", map[string]any{"@odata.id": s.GraphURL() + "/directoryObjects/" + op.ServicePrincipalID}))
	denied(c.must(http.StatusForbidden, "POST", "/servicePrincipals", map[string]any{"appId": other["appId"]}))
	// The service principal of an owned app: creatable, but writable only
	// if the caller bound itself as its owner.
	bare := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": owned["appId"]})
	denied(c.must(http.StatusForbidden, "PATCH", "/servicePrincipals/"+bare["id"].(string), map[string]any{"tags": []any{"x"}}))
	second := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "mine too"})
	sp := c.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{
		"appId": second["appId"], "owners@odata.bind": []any{s.GraphURL() + "/directoryObjects/" + op.ServicePrincipalID},
	})
	c.must(http.StatusNoContent, "PATCH", "/servicePrincipals/"+sp["id"].(string), map[string]any{"tags": []any{"x"}})
}

// A caller without User.Read.All cannot look users up, nor without
// Application.Read.All (or a write permission) read other applications and
// service principals; consent writes need AppRoleAssignment.ReadWrite.All
// or DelegatedPermissionGrant.ReadWrite.All.
func TestConsentAndReadsNeedTheirPermissions(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	app, err := s.CreateApplication(map[string]any{"displayName": "no permissions"})
	if err != nil {
		t.Fatal(err)
	}
	appID := app["appId"].(string)
	cred, err := s.AddPassword(appID, map[string]any{"displayName": "test"})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := s.CreateServicePrincipal(appID)
	if err != nil {
		t.Fatal(err)
	}
	status, body := token(t, s, appID, cred["secretText"].(string), "https://graph.microsoft.com/.default")
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	c := &client{t: t, s: s, token: body["access_token"].(string)}
	graphSP, _ := s.ServicePrincipal("00000003-0000-0000-c000-000000000000")
	for _, r := range []struct{ method, path string }{
		{"GET", "/users"},
		{"GET", "/users/alice@contoso.com"},
		{"GET", "/users(userPrincipalName='alice@contoso.com')"},
	} {
		if got := c.must(http.StatusForbidden, r.method, r.path, nil); errCode(got) != "Authorization_RequestDenied" {
			t.Errorf("%s %s: %v", r.method, r.path, got)
		}
	}
	assignment := map[string]any{"principalId": sp["id"], "resourceId": graphSP["id"], "appRoleId": "df021288-bdef-4463-88db-98f22de89214"}
	c.must(http.StatusForbidden, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo", assignment)
	c.must(http.StatusForbidden, "POST", "/servicePrincipals/"+sp["id"].(string)+"/appRoleAssignments", assignment)
	c.must(http.StatusForbidden, "POST", "/oauth2PermissionGrants", map[string]any{
		"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graphSP["id"], "scope": "User.Read",
	})
	// Reading applications and service principals needs Application.Read.All
	// (or a write permission), except its own (serviceprincipal-get).
	c.must(http.StatusForbidden, "GET", "/applications", nil)
	c.must(http.StatusForbidden, "GET", "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')", nil)
	c.must(http.StatusOK, "GET", "/applications/"+app["id"].(string), nil)
	c.must(http.StatusOK, "GET", "/servicePrincipals(appId='"+appID+"')", nil)
	c.must(http.StatusOK, "GET", "/servicePrincipals/"+sp["id"].(string), nil)
	// The operator holds them: the same writes pass.
	op := newClient(t, s)
	op.must(http.StatusOK, "GET", "/users/alice@contoso.com", nil)
	op.must(http.StatusCreated, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo", assignment)
}

// Until a write that disabled a scope has replicated, changing or removing
// the scope answers CannotDeleteOrUpdateEnabledEntitlement, as before the
// disable (Terraform's application resource retries it).
func TestDisabledScopeCountsAsEnabledUntilReplicated(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	const scopeID = "6b2c8d4f-1e5a-4f6b-8c7d-9e0f1a2b3c4d"
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{
		"displayName": "api", "api": map[string]any{"oauth2PermissionScopes": []any{scopeJSON(scopeID, "read", true)}},
	})
	path := "/applications/" + app["id"].(string)
	s.SetFaults(Faults{LagReads: 2})
	c.must(http.StatusNoContent, "PATCH", path, map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scopeJSON(scopeID, "read", false)}}})
	remove := map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{}}}
	for range 2 {
		if got := c.must(http.StatusBadRequest, "PATCH", path, remove); errCode(got) != "CannotDeleteOrUpdateEnabledEntitlement" {
			t.Fatalf("removing the just-disabled scope: %v", got)
		}
	}
	c.must(http.StatusNoContent, "PATCH", path, remove)
}

// Right after an application for personal Microsoft accounts is created,
// writing it answers 409 Error_MsaAppDoesNotExist until its Microsoft
// account side exists (hashicorp/terraform-provider-azuread#1764).
func TestPersonalAccountAppIsNotWritableRightAway(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	s.SetFaults(Faults{LagReads: 1})
	c.must(http.StatusCreated, "PATCH", "/applications(uniqueName='consumer')", map[string]any{
		"displayName": "consumer", "signInAudience": "AzureADandPersonalMicrosoftAccount",
		"api": map[string]any{"requestedAccessTokenVersion": 2},
	}, "Prefer", "create-if-missing")
	got := c.must(http.StatusConflict, "PATCH", "/applications(uniqueName='consumer')", map[string]any{"notes": "n"})
	if errCode(got) != "Error_MsaAppDoesNotExist" || !strings.Contains(fmt.Sprint(got), "The corresponding MSA application does not exist.") {
		t.Errorf("write right after creation: %v", got)
	}
	c.must(http.StatusNoContent, "PATCH", "/applications(uniqueName='consumer')", map[string]any{"notes": "n"})
}

// Graph serves at most 100 directory objects a page with $expand; the
// emulator refuses a larger $top rather than cut it silently (Graph's
// known issue 13635), so a client relying on the cut is found here.
func TestTopOver100WithExpandIsRefused(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	got := c.must(http.StatusBadRequest, "GET", "/applications?"+url.Values{"$top": {"999"}, "$expand": {"owners"}}.Encode(), nil)
	if !strings.Contains(fmt.Sprint(got), "Invalid page size") {
		t.Errorf("$top=999 with $expand: %v", got)
	}
	c.must(http.StatusOK, "GET", "/applications?"+url.Values{"$top": {"100"}, "$expand": {"owners"}}.Encode(), nil)
}

// Access tokens Entra issues for Microsoft Graph are v1.0 whatever endpoint
// issued them (access-token-claims-reference).
func TestGraphTokensAreV1(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := s.Operator()
	status, body := token(t, s, op.ClientID, op.ClientSecret, "https://graph.microsoft.com/.default")
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	claims := claimsOf(t, body["access_token"].(string))
	want := map[string]any{"ver": "1.0", "iss": "https://sts.windows.net/" + s.TenantID() + "/", "appid": op.ClientID, "aud": "https://graph.microsoft.com", "oid": op.ServicePrincipalID}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if _, ok := claims["azp"]; ok {
		t.Errorf("a v1.0 token has no azp: %v", claims)
	}
}

// Owners, like every directory collection, come 100 to a page with an
// absolute @odata.nextLink, inside $batch as outside it.
func TestOwnersPageAt100InBatch(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "many owners"})
	for i := range 150 { // and the operator, which created it
		upn := fmt.Sprintf("u%03d@contoso.com", i)
		s.AddUser(upn)
		if err := s.AddOwner(app["id"].(string), upn); err != nil {
			t.Fatal(err)
		}
	}
	out := c.must(http.StatusOK, "POST", "/$batch", map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "GET", "url": "/applications/" + app["id"].(string) + "/owners"},
	}})
	item := out["responses"].([]any)[0].(map[string]any)["body"].(map[string]any)
	next, _ := item["@odata.nextLink"].(string)
	if n := len(item["value"].([]any)); n != 100 || !strings.HasPrefix(next, s.URL()+"/v1.0/") {
		t.Fatalf("first page: %d owners, nextLink %q", n, next)
	}
	rest := c.must(http.StatusOK, "GET", next, nil)
	if n := len(rest["value"].([]any)); n != 51 || rest["@odata.nextLink"] != nil {
		t.Errorf("second page: %d owners, nextLink %v", n, rest["@odata.nextLink"])
	}
}

// Issuer and subject are unique per application, and an application has at
// most 20 federated credentials (federatedidentitycredential-post).
func TestFederatedCredentialRules(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	c := newClient(t, s)
	app := c.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "fic"})
	path := "/applications/" + app["id"].(string) + "/federatedIdentityCredentials"
	fic := func(name, subject string) map[string]any {
		return map[string]any{"name": name, "issuer": "https://token.actions.githubusercontent.com", "subject": subject, "audiences": []any{"api://AzureADTokenExchange"}}
	}
	c.must(http.StatusCreated, "POST", path, fic("main", "repo:o/r:ref:refs/heads/main"))
	c.must(http.StatusBadRequest, "POST", path, fic("renamed", "repo:o/r:ref:refs/heads/main"))
	for i := 1; i < 20; i++ {
		c.must(http.StatusCreated, "POST", path, fic(fmt.Sprintf("e%02d", i), fmt.Sprintf("repo:o/r:environment:e%02d", i)))
	}
	c.must(http.StatusBadRequest, "POST", path, fic("one-too-many", "repo:o/r:environment:x"))
}
