package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/graph"
)

const azureCLIAppID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// operatorCall sends a Graph request as the emulator's operator, outside
// appreg's client, and decodes the answer.
func operatorCall(t *testing.T, srv *emulator.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	tok, err := operatorCredential(t, srv).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.GraphURL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// A new scope and its pre-authorization for Azure CLI in one change: appreg
// writes the scope first and the pre-authorization after, as Graph requires.
func TestScopeAndItsPreAuthorizationInOneChange(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	const scopeID = "7c3d9e5a-2f6b-4a7c-9d8e-0f1a2b3c4d5e"
	want := &appreg.Registration{Name: "api", UniqueName: "contoso-api", DisplayName: "API", API: &appreg.API{
		Scopes: []appreg.Scope{{Value: "access_as_user", ID: scopeID, Consent: appreg.ConsentUser,
			AdminConsentDisplayName: "Access", AdminConsentDescription: "Access the API"}},
		AuthorizedClients: []appreg.AuthorizedClient{{Client: "azure-cli", AppID: azureCLIAppID, Scopes: []string{"access_as_user"}}},
	}}
	if _, _, err := c.UpsertApplication(t.Context(), want, nil, nil); err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Application("contoso-api")
	pre := app["api"].(map[string]any)["preAuthorizedApplications"].([]any)
	if len(pre) != 1 || fmt.Sprint(pre[0].(map[string]any)["delegatedPermissionIds"]) != "["+scopeID+"]" {
		t.Errorf("preAuthorizedApplications = %v", pre)
	}
}

// appreg binds itself as owner of the service principals it creates, so
// that with Application.ReadWrite.OwnedBy it can change them later, and
// tags them so that they show under Enterprise applications.
func TestServicePrincipalsAreOwnedByAppreg(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	_, appID, err := c.UpsertApplication(t.Context(), &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpsertServicePrincipal(t.Context(), appID, &appreg.ServicePrincipal{Tags: []string{"team-a"}}, nil); err != nil {
		t.Fatal(err)
	}
	status, owners := operatorCall(t, srv, "GET", "/servicePrincipals(appId='"+appID+"')/owners", nil)
	if v, _ := owners["value"].([]any); status != http.StatusOK || len(v) != 1 || v[0].(map[string]any)["id"] != srv.Operator().ServicePrincipalID {
		t.Fatalf("owners of the new service principal: %d %v", status, owners)
	}
	if _, err := c.UpsertServicePrincipal(t.Context(), appID, &appreg.ServicePrincipal{Tags: []string{"team-b"}}, &appreg.ServicePrincipal{Tags: []string{"team-a"}}); err != nil {
		t.Fatalf("changing it later: %v", err)
	}
	sp, _ := srv.ServicePrincipal(appID)
	if tags := fmt.Sprint(sp["tags"]); !strings.Contains(tags, "WindowsAzureActiveDirectoryIntegratedApp") || !strings.Contains(tags, "team-b") {
		t.Errorf("tags = %v", tags)
	}
}

// Owners and app role assignments past Graph's page of 100 are all read.
func TestSubReadsFollowNextLink(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	roles := catalog.Graph().Application[:120]
	var access []any
	for _, r := range roles {
		access = append(access, map[string]any{"id": r.ID, "type": "Role"})
	}
	app, err := srv.CreateApplication(map[string]any{
		"displayName": "many", "uniqueName": "contoso-many", "tags": []any{appreg.MarkerTag},
		"requiredResourceAccess": []any{map[string]any{"resourceAppId": appreg.MicrosoftGraphAppID, "resourceAccess": access}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		upn := fmt.Sprintf("u%03d@contoso.com", i)
		srv.AddUser(upn)
		if err := srv.AddOwner(app["id"].(string), upn); err != nil {
			t.Fatal(err)
		}
	}
	sp, err := srv.CreateServicePrincipal(app["appId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	graphSP, _ := srv.ServicePrincipal(appreg.MicrosoftGraphAppID)
	for _, r := range roles {
		st, body := operatorCall(t, srv, "POST", "/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo",
			map[string]any{"principalId": sp["id"], "resourceId": graphSP["id"], "appRoleId": strings.ToLower(r.ID)})
		if st != http.StatusCreated {
			t.Fatalf("assigning %s: %d %v", r.Value, st, body)
		}
	}
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, map[string]bool{"many": true})
	if err != nil {
		t.Fatal(err)
	}
	r := set.Registrations[0]
	if len(r.Owners) != 150 {
		t.Errorf("read %d owners, want 150", len(r.Owners))
	}
	var consented int
	for _, p := range r.Permissions {
		consented += len(p.ConsentedApplication)
	}
	if consented != 120 {
		t.Errorf("read %d consented application permissions, want 120", consented)
	}
}

// loseAddPasswordAnswer lets the first addPassword reach Graph and replaces
// its answer with a 503, as a gateway does when the directory committed the
// write but the answer was lost.
type loseAddPasswordAnswer struct {
	base http.RoundTripper
	lost atomic.Bool
}

func (l *loseAddPasswordAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/addPassword") || !l.lost.CompareAndSwap(false, true) {
		return resp, err
	}
	resp.Body.Close()
	body := `{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unavailable. Please retry later."}}`
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
		Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// addPassword whose answer is lost is not retried blindly: the secret the
// first attempt added (whose value nobody holds) is removed, so the
// application ends with exactly the one secret appreg returned.
func TestAddPasswordAfterALostAnswerLeavesOneSecret(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	c, err := graph.New(graph.Options{URL: srv.GraphURL(), Credential: operatorCredential(t, srv), Transport: &loseAddPasswordAnswer{base: srv.Client().Transport}, LagBackoff: time.Millisecond, Repository: testRepo})
	if err != nil {
		t.Fatal(err)
	}
	objectID, _, err := c.UpsertApplication(t.Context(), &appreg.Registration{Name: "hub", UniqueName: "contoso-hub", DisplayName: "Hub"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, secret, err := c.AddPassword(t.Context(), objectID, "hub", time.Now().Add(90*24*time.Hour).UTC().Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Application(objectID)
	var keys []string
	for _, p := range app["passwordCredentials"].([]any) {
		keys = append(keys, p.(map[string]any)["keyId"].(string))
	}
	if len(keys) != 1 || !strings.EqualFold(keys[0], got.KeyID) {
		t.Errorf("secrets on the application %v, appreg holds %s", keys, got.KeyID)
	}
	if secret.Reveal() == "" || !slices.Contains(srv.IssuedSecrets(), secret.Reveal()) {
		t.Error("the returned secret is not one Graph issued")
	}
}

// Under replication lag, Graph's documented replication errors are retried
// within the bound: NoBackingApplicationObject creating the service
// principal of a new app, 409 Error_MsaAppDoesNotExist writing a new app
// for personal accounts, CannotDeleteOrUpdateEnabledEntitlement removing a
// scope just disabled. Any other refusal is not retried.
func TestReplicationErrorsAreRetriedAndOnlyThose(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	const scopeID = "8d4e0f6b-3a7c-4b8d-9e0f-1a2b3c4d5e6f"
	scopes := []appreg.Scope{{Value: "read", ID: scopeID, Consent: appreg.ConsentUser, AdminConsentDisplayName: "Read", AdminConsentDescription: "Read"}}
	aud := appreg.AudienceMultipleOrgsAndPersonal
	v2 := 2
	want := &appreg.Registration{Name: "consumer", UniqueName: "contoso-consumer", DisplayName: "Consumer", Audience: &aud,
		IdentifierURIs: []string{"api://{appId}"}, API: &appreg.API{AccessTokenVersion: &v2, Scopes: scopes}}
	srv.SetFaults(emulator.Faults{LagReads: 2})
	objectID, appID, err := c.UpsertApplication(t.Context(), want, nil, nil)
	if err != nil {
		t.Fatalf("creating an app for personal accounts under lag: %v", err)
	}
	if _, err := c.UpsertServicePrincipal(t.Context(), appID, nil, nil); err != nil {
		t.Fatalf("creating its service principal under lag: %v", err)
	}
	srv.SetFaults(emulator.Faults{})
	app, _ := srv.Application(objectID)
	have := &appreg.Registration{Name: "consumer", UniqueName: "contoso-consumer", API: &appreg.API{AccessTokenVersion: &v2, Scopes: scopes},
		Observed: &appreg.Observed{ObjectID: objectID, AppID: appID, Managed: true}}
	if fmt.Sprint(app["identifierUris"]) != "[api://"+appID+"]" {
		t.Errorf("identifierUris = %v", app["identifierUris"])
	}

	srv.SetFaults(emulator.Faults{LagReads: 2})
	if err := c.DisableFirst(t.Context(), have, []string{"scope read"}); err != nil {
		t.Fatal(err)
	}
	removed := *want
	removed.API = &appreg.API{AccessTokenVersion: &v2, Scopes: []appreg.Scope{}}
	removed.IdentifierURIs = nil
	const upsert = "PATCH /v1.0/applications(uniqueName={id})"
	before := srv.Stats()[upsert]
	if _, _, err := c.UpsertApplication(t.Context(), &removed, have, nil); err != nil {
		t.Fatalf("removing the just-disabled scope under lag: %v", err)
	}
	if n := srv.Stats()[upsert] - before; n != 3 {
		t.Errorf("the removal was sent %d times, want 3 (twice refused while the disable replicates)", n)
	}
	srv.SetFaults(emulator.Faults{})

	before = srv.Stats()[upsert]
	srv.FailNext(emulator.FailRule{Method: "PATCH", PathContains: "uniqueName", Status: http.StatusBadRequest, Code: "Request_BadRequest", Message: "Invalid value."})
	if _, _, err := c.UpsertApplication(t.Context(), &removed, have, nil); err == nil || !strings.Contains(err.Error(), "Invalid value.") {
		t.Fatalf("a refusal that is no replication error: %v", err)
	}
	if n := srv.Stats()[upsert] - before; n != 1 {
		t.Errorf("a 400 that is no replication error was sent %d times, want once", n)
	}
}
