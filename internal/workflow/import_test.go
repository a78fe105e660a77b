package workflow

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/spec"
)

const (
	legacyID  = "0f4a2b1c-9d7e-4a6c-9b0e-8d3d5a536c2c"
	storageID = "e406a681-f3d4-42a8-90b6-c2b029497af1"
)

// tenant is a fake tenant holding fixed applications, as the Graph adapter
// reads them: managed ones by name, the others (Name "") only when named by
// adopt, consent only where asked for.
type tenant struct {
	apps    []*appreg.Registration
	mu      sync.Mutex      // subtests share a tenant
	consent map[string]bool // what ReadManaged was last asked to read consent for
}

func (f *tenant) ReadManaged(_ context.Context, prefix string, adopt []string, consent map[string]bool) (*appreg.Set, error) {
	f.mu.Lock()
	f.consent = consent
	f.mu.Unlock()
	out := &appreg.Set{}
	for _, r := range f.apps {
		cp := *r
		cp.Name = ""
		if r.Observed.Managed && strings.HasPrefix(r.UniqueName, prefix) {
			cp.Name = strings.TrimPrefix(r.UniqueName, prefix)
		} else if !containsFold(adopt, r.Observed.AppID) {
			continue
		}
		if !consent[cp.Name] && !consent[strings.ToLower(r.Observed.AppID)] {
			cp.Permissions = nil
			for _, p := range r.Permissions {
				p.ConsentedApplication, p.ConsentedDelegated = nil, nil
				cp.Permissions = append(cp.Permissions, p)
			}
		}
		out.Registrations = append(out.Registrations, &cp)
	}
	return out, nil
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (f *tenant) Catalogs(_ context.Context, ids []string) (map[string]*catalog.Catalog, error) {
	out := map[string]*catalog.Catalog{}
	for _, id := range ids {
		switch strings.ToLower(id) {
		case appreg.MicrosoftGraphAppID:
			out[appreg.MicrosoftGraphAppID] = catalog.Graph()
		case storageID:
			out[storageID] = catalog.New([]catalog.Permission{{ID: "03e0da56-190b-40ad-a80c-ea378c433f7f", Value: "user_impersonation", Enabled: true}}, nil)
		}
	}
	return out, nil
}

func (f *tenant) ResolveOwners(_ context.Context, owners []appreg.Owner) ([]appreg.Owner, error) {
	out := make([]appreg.Owner, len(owners))
	for i, o := range owners {
		o.ID = map[string]string{"alice@contoso.com": "alice-id", "bob@contoso.com": "bob-id"}[o.Ref]
		out[i] = o
	}
	return out, nil
}

func (f *tenant) Self(context.Context) (appreg.Owner, error) {
	return appreg.Owner{Ref: "sp:appreg", Kind: appreg.OwnerServicePrincipal, ID: "self"}, nil
}

// legacy is an application clicked together in the portal, as Graph reads
// it: every field filled.
func legacy() *appreg.Registration {
	f, tr, empty := false, true, ""
	return &appreg.Registration{
		DisplayName: "Legacy Reporting (prod)", Description: &empty, Notes: &empty, ServiceManagementReference: &empty,
		Audience: ptr(appreg.AudienceMyOrg),
		Owners:   []appreg.Owner{{Ref: "alice@contoso.com", Kind: appreg.OwnerUser, ID: "alice-id"}},
		Tags:     []string{}, IdentifierURIs: []string{"api://" + legacyID},
		Web: &appreg.Web{HomePageURL: &empty, LogoutURL: &empty, RedirectURIs: []string{"https://reports.contoso.com/signin-oidc"},
			ImplicitGrant: &appreg.ImplicitGrant{AccessTokens: &f, IDTokens: &tr}},
		SPA:          &appreg.SPA{RedirectURIs: []string{}},
		PublicClient: &appreg.PublicClient{RedirectURIs: []string{}, AllowPublicClientFlows: &f},
		API: &appreg.API{Scopes: []appreg.Scope{{Value: "reports.read", Consent: appreg.ConsentUser, AdminConsentDisplayName: "Read reports",
			ID: "22222222-2222-2222-2222-222222222222", Enabled: &tr}}, AuthorizedClients: []appreg.AuthorizedClient{}},
		AppRoles: []appreg.AppRole{{Value: "Reports.Export", DisplayName: "Export", AllowedMemberTypes: []string{"Application"},
			ID: "66666666-6666-6666-6666-666666666666", Enabled: &tr}},
		Permissions: []appreg.Permission{
			{API: appreg.MicrosoftGraphAppID, ResourceAppID: appreg.MicrosoftGraphAppID, Delegated: []string{"User.Read"}, Application: []string{"User.Read.All"},
				ConsentedApplication: []string{"User.Read.All"}, ConsentedDelegated: []string{"User.Read"}},
			{API: storageID, ResourceAppID: storageID, Delegated: []string{"user_impersonation"}, Application: []string{}},
		},
		OptionalClaims:        &appreg.OptionalClaims{IDToken: []appreg.OptionalClaim{{Name: "email"}}, AccessToken: []appreg.OptionalClaim{}, SAML2Token: []appreg.OptionalClaim{}},
		GroupMembershipClaims: &empty,
		Info:                  &appreg.Info{MarketingURL: &empty, PrivacyStatementURL: &empty, SupportURL: &empty, TermsOfServiceURL: &empty},
		InstanceLock:          &f,
		ServicePrincipal:      &appreg.ServicePrincipal{AssignmentRequired: &tr, Tags: []string{"WindowsAzureActiveDirectoryIntegratedApp"}, NotificationEmails: []string{}},
		Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{
			{Name: "deploy-main", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/reports:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}},
		}},
		Observed: &appreg.Observed{ObjectID: "33333333-3333-3333-3333-333333333333", AppID: legacyID, ServicePrincipalID: "44444444-4444-4444-4444-444444444444"},
	}
}

func ptr[T any](v T) *T { return &v }

// settings has defaults that would change an imported application if the
// file left the defaulted fields out.
const settings = "apiVersion: appreg/v1\ntenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e\nnamePrefix: contoso-\n" +
	"defaults: {audience: AzureADMultipleOrgs, instanceLock: true, owners: [bob@contoso.com], tags: [team-platform]}\n"

func loadFiles(t *testing.T, files map[string][]byte) *spec.Result {
	t.Helper()
	fsys := fstest.MapFS{"appreg.yaml": {Data: []byte(settings)}, "registrations": {Mode: fs.ModeDir}}
	for name, data := range files {
		fsys["registrations/"+name+".yaml"] = &fstest.MapFile{Data: data}
	}
	loaded, diags := spec.LoadFS(fsys, "appreg.yaml")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return loaded
}

// TestImportThenPlanShowsOnlyTheAdoption is the point of import: the file
// written for an existing application plans as its adoption and nothing
// else, whatever appreg.yaml's defaults say.
func TestImportThenPlanShowsOnlyTheAdoption(t *testing.T) {
	t.Parallel()
	g := &tenant{apps: []*appreg.Registration{legacy()}}
	got, err := Import(t.Context(), g, loadFiles(t, nil), ImportOptions{AppIDs: []string{strings.ToUpper(legacyID)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "legacy-reporting-prod" || got[0].AppID != legacyID {
		t.Fatalf("imported %+v", got)
	}
	if !g.consent[legacyID] {
		t.Errorf("consent was not read for the imported application: %v", g.consent)
	}
	loaded := loadFiles(t, map[string][]byte{got[0].Name: got[0].Data})
	p, err := Plan(t.Context(), g, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Diagnostics) > 0 || len(p.Refused) > 0 {
		t.Fatalf("diagnostics %v, refused %v\n%s", p.Diagnostics, p.Refused, got[0].Data)
	}
	if len(p.Changes) != 1 {
		t.Fatalf("%d changes, want 1: %+v", len(p.Changes), p.Changes)
	}
	c := p.Changes[0]
	if c.Action != plan.Adopt || len(c.Fields) > 0 || len(c.Grants) > 0 || len(c.Revokes) > 0 || len(c.RemoveOwners) > 0 ||
		len(c.UpsertFederated) > 0 || len(c.RemoveFederated) > 0 || c.UpdateServicePrincipal || len(c.DisableFirst) > 0 {
		t.Errorf("change %s %s: fields %v, grants %v, revokes %v, remove owners %v, federated +%v -%v, sp %v\n%s", c.Action, c.Key,
			c.Fields, c.Grants, c.Revokes, c.RemoveOwners, c.UpsertFederated, c.RemoveFederated, c.UpdateServicePrincipal, got[0].Data)
	}
	if diff := cmp.Diff([]appreg.Owner{{Ref: "sp:appreg", Kind: appreg.OwnerServicePrincipal, ID: "self"}}, c.AddOwners); diff != "" {
		t.Errorf("owners added (-want +got), only appreg itself:\n%s", diff)
	}
}

func TestImportRefusals(t *testing.T) {
	t.Parallel()
	managed := legacy()
	managed.UniqueName, managed.Observed.AppID, managed.Observed.Managed = "contoso-reports", "11111111-0000-0000-0000-000000000001", true
	elsewhere := legacy()
	elsewhere.UniqueName, elsewhere.Observed.AppID, elsewhere.Observed.Managed = "fabrikam-reports", "11111111-0000-0000-0000-000000000002", true
	named := legacy()
	named.UniqueName, named.Observed.AppID = "contoso-reporting-v1", "11111111-0000-0000-0000-000000000003"
	foreign := legacy()
	foreign.UniqueName, foreign.Observed.AppID = "reports", "11111111-0000-0000-0000-000000000004"
	twin := legacy()
	twinID := "11111111-0000-0000-0000-000000000006"
	twin.Observed.AppID = twinID
	g := &tenant{apps: []*appreg.Registration{legacy(), managed, elsewhere, named, foreign, twin}}
	existing := map[string][]byte{
		"reports":          []byte("apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\n"),
		"legacy-reporting": []byte("apiVersion: appreg/v1\nname: legacy-reporting\ndisplayName: x\nadopt: {appId: " + legacyID + "}\n"),
	}
	tests := []struct {
		name string
		o    ImportOptions
		want string // every line of the error, sorted
	}{
		{"not a guid", ImportOptions{AppIDs: []string{"payments"}}, `error: --app-id "payments" is not an application id`},
		{"unknown", ImportOptions{AppIDs: []string{"99999999-9999-9999-9999-999999999999"}}, "error: no application with appId 99999999-9999-9999-9999-999999999999 in the tenant"},
		{"managed here", ImportOptions{AppIDs: []string{managed.Observed.AppID}}, `registrations/reports.yaml: error: application 11111111-0000-0000-0000-000000000001 ("Legacy Reporting (prod)") is already managed by appreg through this file`},
		{"managed elsewhere", ImportOptions{AppIDs: []string{elsewhere.Observed.AppID}}, `is already managed by appreg as uniqueName "fabrikam-reports"`},
		{"adopted by a file", ImportOptions{AppIDs: []string{legacyID}}, "registrations/legacy-reporting.yaml: error: application 0f4a2b1c-9d7e-4a6c-9b0e-8d3d5a536c2c (\"Legacy Reporting (prod)\") is already adopted by this file (not applied yet)"},
		{"uniqueName of another prefix", ImportOptions{AppIDs: []string{foreign.Observed.AppID}}, `already has uniqueName "reports", which Graph lets set only once`},
		{"uniqueName against --name", ImportOptions{AppIDs: []string{named.Observed.AppID}, Names: map[string]string{named.Observed.AppID: "other"}}, "its registration must be named reporting-v1"},
		{"reimport under another --name", ImportOptions{AppIDs: []string{legacyID}, Reimport: true, Names: map[string]string{legacyID: "legacy"}}, "keeps the name legacy-reporting"},
		{"invalid --name", ImportOptions{AppIDs: []string{elsewhere.Observed.AppID, twinID}, Names: map[string]string{twinID: "Twin"}}, `"Twin" is not a valid registration name`},
		{"taken --name", ImportOptions{AppIDs: []string{twinID}, Names: map[string]string{twinID: "reports"}}, "cannot be named reports: registrations/reports.yaml already uses that name"},
		{"--name of no import", ImportOptions{AppIDs: []string{twinID}, Names: map[string]string{"11111111-0000-0000-0000-000000000005": "x"}},
			"--name names 11111111-0000-0000-0000-000000000005, which is not imported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Import(t.Context(), g, loadFiles(t, existing), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
			if got != nil {
				t.Errorf("imported %d files despite the error", len(got))
			}
		})
	}
}

func TestImportNames(t *testing.T) {
	t.Parallel()
	named := legacy()
	named.UniqueName, named.Observed.AppID = "contoso-reporting-v1", "11111111-0000-0000-0000-000000000003"
	twin := legacy()
	twin.Observed.AppID = "11111111-0000-0000-0000-000000000006"
	odd := legacy()
	odd.DisplayName, odd.Observed.AppID = "Ü", "11111111-0000-0000-0000-000000000007"
	g := &tenant{apps: []*appreg.Registration{legacy(), named, twin, odd}}
	existing := map[string][]byte{
		"legacy-reporting-prod": []byte("apiVersion: appreg/v1\nname: legacy-reporting-prod\ndisplayName: Reports\n"),
		"legacy-reporting":      []byte("apiVersion: appreg/v1\nname: legacy-reporting\ndisplayName: x\nadopt: {appId: " + legacyID + "}\n"),
	}
	got, err := Import(t.Context(), g, loadFiles(t, existing), ImportOptions{
		AppIDs:   []string{legacyID, named.Observed.AppID, twin.Observed.AppID, odd.Observed.AppID, "11111111-0000-0000-0000-000000000006"},
		Reimport: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range got {
		names = append(names, im.Name)
	}
	// The adopted one keeps its file; the uniqueName decides; a taken name
	// gets a suffix; a display name without letters gives app-<appId>.
	want := []string{"legacy-reporting", "reporting-v1", "legacy-reporting-prod-2", "app-11111111"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if len(got) == 4 && (len(got[1].Notes) != 1 || !strings.Contains(got[1].Notes[0], "lets set only once")) {
		t.Errorf("notes of the app with a uniqueName: %v", got[1].Notes)
	}
}

func TestNameFor(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Payments API":                 "payments-api",
		"  --Legacy__Reporting-- ":     "legacy-reporting",
		"AB":                           "ab-app",
		"日本語":                          "app-0f4a2b1c",
		strings.Repeat("x", 70):        strings.Repeat("x", 64),
		strings.Repeat("a", 63) + " b": strings.Repeat("a", 63),
	} {
		if got := nameFor(in, legacyID); got != want || !spec.ValidName(got) {
			t.Errorf("nameFor(%q) = %q, want %q (valid)", in, got, want)
		}
	}
}
