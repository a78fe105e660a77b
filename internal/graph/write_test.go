package graph_test

import (
	"io/fs"
	"os"
	"testing/fstest"

	"context"
	"fmt"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
	"slices"
	"strings"
	"testing"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/graph"
)

// Each write of the Graph adapter against the emulator, through the real
// msgraph-sdk-go client: what it leaves in the tenant, and that doing it
// twice changes nothing more (every step of an apply is re-run after a
// crash).

// created upserts a managed application named contoso-<name> and its
// service principal; it returns the application's object id and appId and
// the service principal's id.
func created(t *testing.T, c *graph.Client, want *appreg.Registration) (objectID, appID, spID string) {
	t.Helper()
	ctx := t.Context()
	objectID, appID, err := c.UpsertApplication(ctx, want, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	spID, err = c.UpsertServicePrincipal(ctx, appID, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objectID, appID, spID
}

func twice(t *testing.T, what string, op func(ctx context.Context) error) {
	t.Helper()
	for i := range 2 {
		if err := op(t.Context()); err != nil {
			t.Fatalf("%s (%d): %v", what, i+1, err)
		}
	}
}

func TestUpsertApplicationWritesTheManagedFields(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	desc := "the web front end"
	want := &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web", Description: &desc,
		Web:         &appreg.Web{RedirectURIs: []string{"https://web.contoso.com/cb"}},
		Permissions: []appreg.Permission{{API: "microsoft-graph", ResourceAppID: appreg.MicrosoftGraphAppID, Delegated: []string{"User.Read"}}}}
	access := []appreg.ResourceAccess{{ResourceAppID: appreg.MicrosoftGraphAppID, Items: []appreg.AccessItem{{ID: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", Type: "Scope"}}}}
	objectID, _, err := c.UpsertApplication(t.Context(), want, nil, access)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Application(objectID)
	if app["description"] != desc || !strings.Contains(fmt.Sprint(app["tags"]), appreg.MarkerTag) {
		t.Errorf("application = %v", app)
	}
	if got := fmt.Sprint(app["web"]); !strings.Contains(got, "https://web.contoso.com/cb") {
		t.Errorf("web = %s", got)
	}
	if got := fmt.Sprint(app["requiredResourceAccess"]); !strings.Contains(got, "e1fe6dd8-ba31-4d61-89e7-88639da4683d") {
		t.Errorf("requiredResourceAccess = %s", got)
	}
	// An update of the observed application keeps its marker.
	have := &appreg.Registration{UniqueName: "contoso-web", Observed: &appreg.Observed{ObjectID: objectID, Managed: true}}
	desc2 := "renamed"
	want.Description = &desc2
	if _, _, err := c.UpsertApplication(t.Context(), want, have, access); err != nil {
		t.Fatal(err)
	}
	app, _ = srv.Application(objectID)
	if app["description"] != desc2 || !strings.Contains(fmt.Sprint(app["tags"]), appreg.MarkerTag) {
		t.Errorf("after the update: %v", app)
	}
}

func TestDisableFirstDisablesOnlyTheNamedScopes(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	scopes := []appreg.Scope{
		{Value: "read", Consent: "Admin", AdminConsentDisplayName: "Read", AdminConsentDescription: "Read", ID: "11111111-1111-1111-1111-111111111111", Enabled: ptr(true)},
		{Value: "write", Consent: "Admin", AdminConsentDisplayName: "Write", AdminConsentDescription: "Write", ID: "22222222-2222-2222-2222-222222222222", Enabled: ptr(true)},
	}
	want := &appreg.Registration{Name: "api", UniqueName: "contoso-api", DisplayName: "API", API: &appreg.API{Scopes: scopes}}
	objectID, _, err := c.UpsertApplication(t.Context(), want, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	have := &appreg.Registration{UniqueName: "contoso-api", API: &appreg.API{Scopes: scopes}, Observed: &appreg.Observed{ObjectID: objectID, Managed: true}}
	twice(t, "DisableFirst", func(ctx context.Context) error { return c.DisableFirst(ctx, have, []string{"scope read"}) })
	app, _ := srv.Application(objectID)
	got := map[string]any{}
	for _, s := range app["api"].(map[string]any)["oauth2PermissionScopes"].([]any) {
		s := s.(map[string]any)
		got[s["value"].(string)] = s["isEnabled"]
	}
	if got["read"] != false || got["write"] != true {
		t.Errorf("scopes enabled = %v, want read disabled, write enabled", got)
	}
	if err := c.DisableFirst(t.Context(), have, nil); err != nil {
		t.Errorf("nothing to disable: %v", err)
	}
}

func TestUpsertServicePrincipalSetsItsProperties(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	_, appID, spID := created(t, c, &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web"})
	want := &appreg.ServicePrincipal{AssignmentRequired: ptr(true), Tags: []string{"HideApp"}, NotificationEmails: []string{"oncall@contoso.com"}}
	for range 2 {
		id, err := c.UpsertServicePrincipal(t.Context(), appID, want, nil)
		if err != nil {
			t.Fatal(err)
		}
		if id != spID {
			t.Errorf("the upsert made a second service principal %s (first %s)", id, spID)
		}
	}
	sp, _ := srv.ServicePrincipal(appID)
	if sp["appRoleAssignmentRequired"] != true || !strings.Contains(fmt.Sprint(sp["tags"]), "HideApp") ||
		!strings.Contains(fmt.Sprint(sp["tags"]), appreg.MarkerTag) || !strings.Contains(fmt.Sprint(sp["notificationEmailAddresses"]), "oncall@contoso.com") {
		t.Errorf("service principal = %v", sp)
	}
}

func TestOwnersAreAddedAndRemoved(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	objectID, _, _ := created(t, c, &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web"})
	alice := appreg.Owner{Ref: "alice@contoso.com", Kind: appreg.OwnerUser, ID: srv.AddUser("alice@contoso.com")}
	twice(t, "AddOwner", func(ctx context.Context) error { return c.AddOwner(ctx, objectID, alice) })
	if owners := srv.Owners(objectID); !slices.Contains(owners, alice.ID) {
		t.Fatalf("owners = %v, want alice (%s)", owners, alice.ID)
	}
	twice(t, "RemoveOwner", func(ctx context.Context) error { return c.RemoveOwner(ctx, objectID, alice) })
	if owners := srv.Owners(objectID); slices.Contains(owners, alice.ID) {
		t.Errorf("owners = %v, alice is still one", owners)
	}
}

func TestFederatedCredentialsAreUpsertedAndDeleted(t *testing.T) {
	t.Parallel()
	_, c := start(t)
	objectID, _, _ := created(t, c, &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web"})
	fic := appreg.FederatedCredential{Name: "deploy", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/web:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}}
	twice(t, "UpsertFederatedCredential", func(ctx context.Context) error { return c.UpsertFederatedCredential(ctx, objectID, fic) })
	fic.Subject = "repo:contoso/web:environment:prod"
	if err := c.UpsertFederatedCredential(t.Context(), objectID, fic); err != nil {
		t.Fatal(err)
	}
	set, err := c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Registrations[0].Credentials.Federated; len(got) != 1 || got[0].Subject != fic.Subject {
		t.Errorf("federated credentials = %+v, want one, with the new subject", got)
	}
	twice(t, "DeleteFederatedCredential", func(ctx context.Context) error { return c.DeleteFederatedCredential(ctx, objectID, "deploy") })
	set, err = c.ReadManaged(t.Context(), "contoso-", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Registrations[0].Credentials; got != nil && len(got.Federated) != 0 {
		t.Errorf("federated credentials after the delete = %+v", got.Federated)
	}
}

// userReadAll is Microsoft Graph's User.Read.All app role.
const userReadAll = "df021288-bdef-4463-88db-98f22de89214"

func TestAppRoleConsentIsGrantedAndRevoked(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	_, _, spID := created(t, c, &appreg.Registration{Name: "daemon", UniqueName: "contoso-daemon", DisplayName: "Daemon"})
	twice(t, "GrantAppRole", func(ctx context.Context) error {
		return c.GrantAppRole(ctx, spID, appreg.MicrosoftGraphAppID, userReadAll)
	})
	roles := func() []string {
		var out []string
		for _, a := range srv.AppRoleAssignments(spID) {
			out = append(out, fmt.Sprint(a["appRoleId"]))
		}
		return out
	}
	if got := roles(); len(got) != 1 || got[0] != userReadAll {
		t.Fatalf("app role assignments = %v, want one of User.Read.All", got)
	}
	twice(t, "RevokeAppRole", func(ctx context.Context) error {
		return c.RevokeAppRole(ctx, spID, appreg.MicrosoftGraphAppID, userReadAll)
	})
	if got := roles(); len(got) != 0 {
		t.Errorf("app role assignments after the revocation = %v", got)
	}
	if err := c.GrantAppRole(t.Context(), spID, "00000000-0000-0000-0000-0000000000aa", userReadAll); err == nil || !strings.Contains(err.Error(), "no service principal") {
		t.Errorf("a grant on an API the tenant lacks: %v", err)
	}
}

func TestDelegatedConsentIsCreatedChangedAndDeleted(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	_, _, spID := created(t, c, &appreg.Registration{Name: "web", UniqueName: "contoso-web", DisplayName: "Web"})
	scopes := func() []string {
		var out []string
		for _, g := range srv.DelegatedGrants(spID) {
			out = append(out, fmt.Sprint(g["consentType"])+": "+fmt.Sprint(g["scope"]))
		}
		return out
	}
	steps := []struct {
		add, remove []string
		want        []string
	}{
		{[]string{"User.Read"}, nil, []string{"AllPrincipals: User.Read"}},
		{[]string{"User.Read"}, nil, []string{"AllPrincipals: User.Read"}},
		{[]string{"Mail.Read"}, []string{"User.Read"}, []string{"AllPrincipals: Mail.Read"}},
		{nil, []string{"Mail.Read"}, nil},
		{nil, []string{"Mail.Read"}, nil},
	}
	for i, s := range steps {
		if err := c.SetDelegatedConsent(t.Context(), spID, appreg.MicrosoftGraphAppID, s.add, s.remove); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := scopes(); !slices.Equal(got, s.want) {
			t.Errorf("step %d (+%v -%v): grants %v, want %v", i, s.add, s.remove, got, s.want)
		}
	}
}

func TestDeleteApplicationTwice(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	objectID, _, _ := created(t, c, &appreg.Registration{Name: "old", UniqueName: "contoso-old", DisplayName: "Old"})
	twice(t, "DeleteApplication", func(ctx context.Context) error { return c.DeleteApplication(ctx, objectID) })
	if _, ok := srv.Application(objectID); ok {
		t.Error("the application is still there")
	}
}

func ptr[T any](v T) *T { return &v }

// TestWritesReadBack applies the repository's example registrations (every
// kind of field: scopes, app roles, optional claims, owners, consent,
// federated credentials) and a file adopting an application made in the
// portal, through the real client, then plans again: what was written
// reads back as written, so the second plan has nothing to do.
func TestWritesReadBack(t *testing.T) {
	t.Parallel()
	srv, c := start(t)
	for _, u := range []string{"bob@contoso.com", "carol@contoso.com"} {
		srv.AddUser(u)
	}
	// Adopting an application appreg does not own needs
	// Application.ReadWrite.All (README: Graph permissions).
	if err := srv.GrantOperator("Application.ReadWrite.All"); err != nil {
		t.Fatal(err)
	}
	legacy, err := srv.CreateApplication(map[string]any{"displayName": "Legacy", "signInAudience": "AzureADMyOrg"})
	if err != nil {
		t.Fatal(err)
	}
	fsys := os.DirFS("../..")
	files := fstest.MapFS{}
	for _, pattern := range []string{"appreg.yaml", "registrations/*.yaml"} {
		names, _ := fs.Glob(fsys, pattern)
		for _, n := range names {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				t.Fatal(err)
			}
			files[n] = &fstest.MapFile{Data: b}
		}
	}
	files["registrations/legacy.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: appreg/v1\nname: legacy\ndisplayName: Legacy\nadopt: {appId: " +
		legacy["appId"].(string) + "}\nnotes: adopted\nowners: [alice@contoso.com]\n")}
	loaded, diags := spec.LoadFS(files, "appreg.yaml")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	p, res, err := workflow.Apply(t.Context(), c, loaded, workflow.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The secret jupyterhub declares cannot be delivered without a
	// GitHub client; every registration is applied.
	if len(p.Changes) != 5 || slices.ContainsFunc(res.Outcomes, func(o plan.Outcome) bool { return o.Status != plan.Applied }) {
		t.Fatalf("apply: %d changes, outcomes %+v", len(p.Changes), res.Outcomes)
	}
	again, err := workflow.Plan(t.Context(), c, loaded)
	if err != nil {
		t.Fatal(err)
	}
	// Only the secret apply could not create (no GitHub to deliver it to)
	// is still to do.
	for _, ch := range again.Changes {
		for _, f := range ch.Fields {
			if !strings.HasPrefix(f.Path, "credentials.secrets[") {
				t.Errorf("%s still differs: %+v", ch.Key, f)
			}
		}
	}
	if len(again.Diagnostics) > 0 {
		t.Errorf("diagnostics: %v", again.Diagnostics)
	}
	self, err := c.Self(t.Context())
	if err != nil || self.ID == "" || self.Kind != appreg.OwnerServicePrincipal {
		t.Errorf("Self = %+v, %v", self, err)
	}
	if owners := srv.Owners(legacy["id"].(string)); !slices.Contains(owners, self.ID) {
		t.Errorf("appreg's own principal is not an owner of the adopted app: %v", owners)
	}
}
