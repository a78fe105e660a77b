package graph_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/graph"
)

// start runs an emulator and a Graph client authenticated as its operator
// through the real azidentity and msgraph-sdk-go clients.
func start(tb testing.TB) (*emulator.Server, *graph.Client) {
	tb.Helper()
	return startWith(tb, emulator.Options{Users: []string{"alice@contoso.com"}})
}

// startWith is start with an emulator of options o.
func startWith(tb testing.TB, o emulator.Options) (*emulator.Server, *graph.Client) {
	tb.Helper()
	srv, err := emulator.Start(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	c, err := graph.New(graph.Options{URL: srv.GraphURL(), Credential: operatorCredential(tb, srv), Transport: srv.Client().Transport, LagBackoff: time.Millisecond, Repository: testRepo})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, c
}

// operatorCredential signs in as the emulator's operator with the real
// azidentity client.
func operatorCredential(tb testing.TB, srv *emulator.Server) *azidentity.ClientSecretCredential {
	tb.Helper()
	op := srv.Operator()
	cred, err := azidentity.NewClientSecretCredential(op.TenantID, op.ClientID, op.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()}, Transport: srv.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cred
}

// testRepo is the repository the test client acts for.
const testRepo = "contoso/apps"

// seedApp creates an application directly in the tenant, as if made earlier.
func seedApp(tb testing.TB, srv *emulator.Server, uniqueName string, managed bool) map[string]any {
	tb.Helper()
	props := map[string]any{"displayName": "App " + uniqueName, "uniqueName": uniqueName}
	if managed {
		props["tags"] = []any{appreg.MarkerTag, appreg.RepoTag(testRepo)}
	}
	app, err := srv.CreateApplication(props)
	if err != nil {
		tb.Fatal(err)
	}
	return app
}

func TestReadManagedTakesMarkedAppsWithThePrefix(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	for _, n := range []string{"contoso-app", "contoso-bpp", "fabrikam-cpp"} {
		seedApp(t, srv, n, true)
	}
	seedApp(t, srv, "contoso-unmanaged", false)
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range set.Registrations {
		names = append(names, r.Name+"="+r.UniqueName)
	}
	if got, want := strings.Join(names, " "), "app=contoso-app bpp=contoso-bpp"; got != want {
		t.Errorf("read %q, want %q", got, want)
	}
}

func TestReadManagedPagesAndBatches(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	const n = 1100 // more than one page of 999 service principals
	for i := range n {
		seedApp(t, srv, fmt.Sprintf("contoso-app-%04d", i), true)
	}
	srv.ResetStats()
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Registrations) != n {
		t.Fatalf("read %d registrations, want %d", len(set.Registrations), n)
	}
	stats := srv.Stats()
	// With owners expanded Graph pages at 100 (known issue 13635): still
	// fewer requests than 1,100 owner reads in $batch.
	if got := stats["GET /v1.0/applications"]; got != 11 {
		t.Errorf("application list took %d pages, want 11 (100 per page with $expand): %v", got, stats)
	}
	if got := stats["GET /v1.0/servicePrincipals"]; got != 1 {
		t.Errorf("service principal list took %d pages, want 1 (999 per page)", got)
	}
	// 1,100 federated credential reads and 1,100 service principal lookups
	// in $batch requests of 20.
	if got, want := stats["POST /v1.0/$batch"], 2*n/20; got != want {
		t.Errorf("$batch requests = %d, want %d", got, want)
	}
}

func TestBatchItemsThrottledAreRetried(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	for i := range 60 {
		app := seedApp(t, srv, fmt.Sprintf("contoso-t-%02d", i), true)
		if _, err := srv.AddFederatedCredential(app["id"].(string), map[string]any{
			"name": "main", "issuer": appreg.GitHubIssuer, "subject": fmt.Sprintf("repo:o/r%d:ref:refs/heads/main", i),
			"audiences": []any{appreg.TokenExchangeAudience},
		}); err != nil {
			t.Fatal(err)
		}
	}
	srv.SetFaults(emulator.Faults{ThrottleRate: 0.3})
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Registrations {
		if len(r.Credentials.Federated) != 1 {
			t.Fatalf("%s: %d federated credentials, want 1 (a throttled item was lost)", r.Name, len(r.Credentials.Federated))
		}
	}
	if len(set.Registrations) != 60 {
		t.Errorf("read %d, want 60", len(set.Registrations))
	}
}

func TestUpsertIsIdempotentAndSurvivesLag(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	srv.SetFaults(emulator.Faults{LagReads: 3})
	want := &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web", IdentifierURIs: []string{"api://{appId}"}}
	id1, appID, err := c.UpsertApplication(t.Context(), want, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The service principal of a just-created app fails with
	// NoBackingApplicationObject until the app has replicated.
	if _, err := c.UpsertServicePrincipal(t.Context(), appID, nil, nil); err != nil {
		t.Fatalf("service principal during replication lag: %v", err)
	}
	id2, appID2, err := c.UpsertApplication(t.Context(), want, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || appID != appID2 {
		t.Errorf("second upsert made a new app: %s/%s vs %s/%s", id1, appID, id2, appID2)
	}
	app, _ := srv.Application("contoso-web")
	if got := fmt.Sprint(app["identifierUris"]); got != "[api://"+appID+"]" {
		t.Errorf("identifierUris = %s, want the appId filled in", got)
	}
}

func TestErrorsCarryGraphCodeMessageAndRequestID(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	srv.FailNext(emulator.FailRule{Method: "PATCH", PathContains: "applications(uniqueName=", Status: 400, Code: "Request_BadRequest", Message: "Property 'web' is invalid.", Times: 1})
	_, _, err := c.UpsertApplication(t.Context(), &appreg.Registration{UniqueName: "contoso-x", DisplayName: "X"}, nil, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{`upserting application "contoso-x"`, "Request_BadRequest", "Property 'web' is invalid.", "HTTP 400", "request-id "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestResolveOwnersReportsTheMissing(t *testing.T) {
	t.Parallel()
	_, c := start(t)
	owners, err := c.ResolveOwners(t.Context(), []appreg.Owner{
		{Ref: "alice@contoso.com", Kind: appreg.OwnerUser}, {Ref: "nobody@contoso.com", Kind: appreg.OwnerUser},
	})
	var missing *graph.MissingOwnersError
	if !errors.As(err, &missing) || strings.Join(missing.Refs, ",") != "nobody@contoso.com" {
		t.Fatalf("err = %v, want nobody@contoso.com missing", err)
	}
	if owners[0].ID == "" || !appreg.IsGUID(owners[0].ID) {
		t.Errorf("alice was not resolved: %+v", owners[0])
	}
}

func TestAddPasswordVerifyAndRemove(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	ctx := t.Context()
	want := &appreg.Registration{UniqueName: "contoso-daemon", DisplayName: "Daemon"}
	objectID, appID, err := c.UpsertApplication(ctx, want, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	spID, err := c.UpsertServicePrincipal(ctx, appID, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.GrantAppRole(ctx, spID, appreg.MicrosoftGraphAppID, "df021288-bdef-4463-88db-98f22de89214"); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	cred, value, err := c.AddPassword(ctx, objectID, "appreg:ci:2026-11-22T00:00:00Z", end)
	if err != nil {
		t.Fatal(err)
	}
	if !appreg.IsGUID(cred.KeyID) || cred.Hint != value.Reveal()[:3] || !cred.End.Equal(end) {
		t.Errorf("credential metadata %+v", cred)
	}
	if issued := srv.IssuedSecrets(); len(issued) == 0 || issued[len(issued)-1] != value.Reveal() {
		t.Error("the value returned is not the one the emulator issued")
	}
	v := &graph.Verifier{AuthorityHost: srv.AuthorityHost(), TenantID: srv.TenantID(), Transport: srv.Client(), Backoff: time.Millisecond}
	roles, err := v.Verify(ctx, appID, value)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(roles, ",") != "User.Read.All" {
		t.Errorf("roles = %v, want the consented User.Read.All", roles)
	}
	// The key id instead of the value: Entra's AADSTS7000215, after the
	// bounded retries, and the error never repeats what was sent.
	v.Attempts = 2
	_, err = v.Verify(ctx, appID, appreg.NewSecretValue(cred.KeyID))
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") || strings.Contains(err.Error(), cred.KeyID) {
		t.Errorf("verify with a key id: %v", err)
	}
	if err := c.RemovePassword(ctx, objectID, cred.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := c.RemovePassword(ctx, objectID, cred.KeyID); err != nil {
		t.Errorf("removing twice must be idempotent: %v", err)
	}
	if _, err := v.Verify(ctx, appID, value); err == nil {
		t.Error("a removed secret still obtains tokens")
	}
}
