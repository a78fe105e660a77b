package plan

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

func ptr[T any](v T) *T { return &v }

const graphSPAppID = appreg.MicrosoftGraphAppID

func graphCatalogs() map[string]*catalog.Catalog {
	return map[string]*catalog.Catalog{graphSPAppID: catalog.Graph()}
}

func desired(name string, mod func(r *appreg.Registration)) *appreg.Registration {
	r := &appreg.Registration{
		Name: name, UniqueName: "contoso-" + name, DisplayName: "App " + name,
		Source: appreg.Pos{File: "registrations/" + name + ".yaml", Line: 1, Column: 1},
	}
	if mod != nil {
		mod(r)
	}
	return r
}

// observed returns what the tenant would hold after applying desired(name, mod).
func observed(name string, mod func(r *appreg.Registration)) *appreg.Registration {
	r := desired(name, mod)
	r.Source = appreg.Pos{}
	r.Observed = &appreg.Observed{ObjectID: "obj-" + name, AppID: "app-" + name, Managed: true, Owned: true, ServicePrincipalID: "sp-" + name}
	r.Tags = append(slices.Clone(r.Tags), appreg.MarkerTag)
	return r
}

func set(rs ...*appreg.Registration) *appreg.Set { return &appreg.Set{Registrations: rs} }

func TestCreateShowsManagedFieldsOnly(t *testing.T) {
	t.Parallel()
	p := Compute(Input{
		Desired: set(desired("web", func(r *appreg.Registration) {
			r.Web = &appreg.Web{RedirectURIs: []string{"https://a.example/cb"}}
			r.Notes = ptr("team web")
		})),
		Observed: set(),
		Catalogs: graphCatalogs(),
	})
	if len(p.Changes) != 1 {
		t.Fatalf("changes = %d, want 1: %+v", len(p.Changes), p)
	}
	c := p.Changes[0]
	want := []FieldDiff{
		{Path: "displayName", Section: SectionApplication, Kind: KindScalar, New: "App web", After: `"App web"`},
		{Path: "notes", Section: SectionApplication, Kind: KindScalar, New: "team web", After: `"team web"`},
		{Path: "web.redirectUris", Section: SectionApplication, Kind: KindSet, Category: appreg.CategoryRedirectURIChange,
			New: []string{"https://a.example/cb"}, After: "[https://a.example/cb]"},
	}
	if diff := cmp.Diff(want, c.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if c.Action != Create || !c.UpdateApplication || !c.UpdateServicePrincipal {
		t.Errorf("create change = %+v", c)
	}
	if diff := cmp.Diff([]appreg.Category{appreg.CategoryNewRegistration, appreg.CategoryRedirectURIChange}, c.Categories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
}

func TestNoChangesWhenTenantMatches(t *testing.T) {
	t.Parallel()
	mod := func(r *appreg.Registration) {
		r.Description = ptr("d")
		r.Web = &appreg.Web{RedirectURIs: []string{"https://b", "https://a"}}
		r.Permissions = []appreg.Permission{{API: "microsoft-graph", ResourceAppID: graphSPAppID,
			Application: []string{"User.Read.All"}, AdminConsent: ptr(true)}}
		r.Credentials = &appreg.Credentials{Federated: []appreg.FederatedCredential{{
			Name: "main", Issuer: appreg.GitHubIssuer, Subject: "repo:o/r:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}}}}
	}
	have := observed("api", mod)
	have.Web.RedirectURIs = []string{"https://a", "https://b"} // order is not a difference
	have.Permissions[0].ConsentedApplication = []string{"User.Read.All"}
	have.Notes = ptr("set in the portal; unmanaged")
	p := Compute(Input{Desired: set(desired("api", mod)), Observed: set(have), Catalogs: graphCatalogs()})
	if p.HasChanges() {
		t.Fatalf("want no changes, got %+v", p.Changes)
	}
	if diff := cmp.Diff([]string{"api"}, p.Unchanged); diff != "" {
		t.Error(diff)
	}
}

func TestDriftIsAnUpdate(t *testing.T) {
	t.Parallel()
	mod := func(r *appreg.Registration) { r.Audience = ptr(appreg.AudienceMyOrg) }
	have := observed("api", mod)
	have.Audience = ptr(appreg.AudienceMultipleOrgs)
	have.DisplayName = "Renamed in portal"
	p := Compute(Input{Desired: set(desired("api", mod)), Observed: set(have)})
	if len(p.Changes) != 1 {
		t.Fatalf("changes = %+v", p.Changes)
	}
	c := p.Changes[0]
	want := []FieldDiff{
		{Path: "displayName", Section: SectionApplication, Kind: KindScalar, Old: "Renamed in portal", New: "App api",
			Before: `"Renamed in portal"`, After: `"App api"`},
		{Path: "audience", Section: SectionApplication, Kind: KindScalar, Category: appreg.CategoryAudienceChange,
			Old: appreg.AudienceMultipleOrgs, New: appreg.AudienceMyOrg, Before: `"AzureADMultipleOrgs"`, After: `"AzureADMyOrg"`},
	}
	if diff := cmp.Diff(want, c.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if c.Action != Update || c.Risk != RiskHigh || !slices.Contains(c.Categories, appreg.CategoryAudienceChange) {
		t.Errorf("change = %+v", c)
	}
	if c.UpdateServicePrincipal {
		t.Error("service principal exists and is unchanged, but the plan updates it")
	}
}

func TestPermissionsResolveToCatalogIDsAndGrants(t *testing.T) {
	t.Parallel()
	want := desired("sync", func(r *appreg.Registration) {
		r.Permissions = []appreg.Permission{{API: "microsoft-graph", ResourceAppID: graphSPAppID,
			Delegated: []string{"User.Read"}, Application: []string{"User.Read.All", "Directory.ReadWrite.All"}, AdminConsent: ptr(true)}}
	})
	p := Compute(Input{Desired: set(want), Observed: set(), Catalogs: graphCatalogs()})
	c := p.Changes[0]
	wantAccess := []appreg.ResourceAccess{{ResourceAppID: graphSPAppID, Items: []appreg.AccessItem{
		{ID: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", Type: "Scope", Value: "User.Read"},
		{ID: "df021288-bdef-4463-88db-98f22de89214", Type: "Role", Value: "User.Read.All"},
		{ID: "19dbc75e-c2e2-444c-a770-ec69d8559fc7", Type: "Role", Value: "Directory.ReadWrite.All"},
	}}}
	if diff := cmp.Diff(wantAccess, c.Access); diff != "" {
		t.Errorf("access (-want +got):\n%s", diff)
	}
	if len(c.Grants) != 3 || c.Grants[0].ID != "df021288-bdef-4463-88db-98f22de89214" {
		t.Errorf("grants = %+v", c.Grants)
	}
	if diff := cmp.Diff([]string{"microsoft-graph:Directory.ReadWrite.All"}, c.Privileged); diff != "" {
		t.Errorf("privileged (-want +got):\n%s", diff)
	}
	for _, cat := range []appreg.Category{appreg.CategoryApplicationPermission, appreg.CategoryPrivilegedPermission, appreg.CategoryAdminConsent} {
		if !slices.Contains(c.Categories, cat) {
			t.Errorf("categories %v lack %s", c.Categories, cat)
		}
	}
}

func TestUnknownPermissionIsADiagnosticWithSuggestion(t *testing.T) {
	t.Parallel()
	want := desired("sync", func(r *appreg.Registration) {
		r.Permissions = []appreg.Permission{{API: "microsoft-graph", ResourceAppID: graphSPAppID, Application: []string{"User.Raed.All"},
			Source: appreg.Pos{File: "registrations/sync.yaml", Line: 7, Column: 5}}}
	})
	p := Compute(Input{Desired: set(want), Observed: set(), Catalogs: graphCatalogs()})
	if p.HasChanges() {
		t.Errorf("a registration with errors must not be planned: %+v", p.Changes)
	}
	if len(p.Diagnostics) != 1 {
		t.Fatalf("diagnostics = %v", p.Diagnostics)
	}
	if got, want := p.Diagnostics[0].String(), `registrations/sync.yaml:7:5: error: application permission "User.Raed.All" is not offered by microsoft-graph in this tenant (did you mean "User.Read.All"?)`; got != want {
		t.Errorf("diagnostic\n got %s\nwant %s", got, want)
	}
}

func TestConsentRevokedWhenAdminConsentTurnedOff(t *testing.T) {
	t.Parallel()
	mod := func(r *appreg.Registration) {
		r.Permissions = []appreg.Permission{{API: "microsoft-graph", ResourceAppID: graphSPAppID, Application: []string{"User.Read.All"}, AdminConsent: ptr(false)}}
	}
	have := observed("sync", mod)
	have.Permissions[0].ConsentedApplication = []string{"User.Read.All"}
	p := Compute(Input{Desired: set(desired("sync", mod)), Observed: set(have), Catalogs: graphCatalogs()})
	c := p.Changes[0]
	if len(c.Grants) != 0 || len(c.Revokes) != 1 || c.Revokes[0].Value != "User.Read.All" {
		t.Errorf("grants %+v revokes %+v", c.Grants, c.Revokes)
	}
	if c.UpdateApplication {
		t.Error("revoking consent alone must not patch the application")
	}
}

func TestChangedEnabledScopeIsDisabledFirst(t *testing.T) {
	t.Parallel()
	have := observed("api", func(r *appreg.Registration) {
		r.API = &appreg.API{Scopes: []appreg.Scope{
			{Value: "read", Consent: "user", AdminConsentDisplayName: "Read", ID: "11111111-1111-1111-1111-111111111111", Enabled: ptr(true)},
			{Value: "gone", Consent: "admin", AdminConsentDisplayName: "Gone", ID: "22222222-2222-2222-2222-222222222222", Enabled: ptr(true)},
		}}
	})
	want := desired("api", func(r *appreg.Registration) {
		r.API = &appreg.API{Scopes: []appreg.Scope{{Value: "read", Consent: "admin", AdminConsentDisplayName: "Read"}}}
	})
	p := Compute(Input{Desired: set(want), Observed: set(have)})
	c := p.Changes[0]
	if diff := cmp.Diff([]string{"scope read", "scope gone"}, c.DisableFirst); diff != "" {
		t.Errorf("disable first (-want +got):\n%s", diff)
	}
	if got := c.After.API.Scopes[0].ID; got != "11111111-1111-1111-1111-111111111111" {
		t.Errorf("changed scope must keep its id, got %s", got)
	}
}

func TestNewScopeIDsAreStable(t *testing.T) {
	t.Parallel()
	mk := func() *appreg.Registration {
		return desired("api", func(r *appreg.Registration) {
			r.API = &appreg.API{Scopes: []appreg.Scope{{Value: "read", Consent: "user"}}}
		})
	}
	a := Compute(Input{Desired: set(mk()), Observed: set()})
	b := Compute(Input{Desired: set(mk()), Observed: set()})
	if a.Changes[0].After.API.Scopes[0].ID != b.Changes[0].After.API.Scopes[0].ID || a.Fingerprint != b.Fingerprint {
		t.Error("planning twice gave different ids or fingerprints")
	}
	if !appreg.IsGUID(a.Changes[0].After.API.Scopes[0].ID) {
		t.Errorf("scope id %q is not a GUID", a.Changes[0].After.API.Scopes[0].ID)
	}
}

func TestPermissionOnAnotherRegistration(t *testing.T) {
	t.Parallel()
	orders := desired("orders-api", func(r *appreg.Registration) {
		r.AppRoles = []appreg.AppRole{{Value: "Orders.Read", DisplayName: "Read", AllowedMemberTypes: []string{"Application"}}}
	})
	client := desired("shop", func(r *appreg.Registration) {
		r.Permissions = []appreg.Permission{{API: "orders-api", Application: []string{"Orders.Read"}, AdminConsent: ptr(true)}}
	})
	p := Compute(Input{Desired: set(orders, client), Observed: set()})
	if len(p.Diagnostics) != 0 {
		t.Fatal(p.Diagnostics)
	}
	shop := p.Changes[1]
	roleID := p.Changes[0].After.AppRoles[0].ID
	want := []appreg.ResourceAccess{{Registration: "orders-api", Items: []appreg.AccessItem{{ID: roleID, Type: "Role", Value: "Orders.Read"}}}}
	if diff := cmp.Diff(want, shop.Access); diff != "" {
		t.Errorf("access (-want +got):\n%s", diff)
	}
	if len(shop.Grants) != 1 || shop.Grants[0].Registration != "orders-api" || shop.Grants[0].ID != roleID {
		t.Errorf("grants = %+v", shop.Grants)
	}
}

func TestDeletionRails(t *testing.T) {
	t.Parallel()
	gone := []*appreg.Registration{observed("a", nil), observed("b", nil), observed("c", nil)}
	tests := []struct {
		name        string
		deletion    appreg.Deletion
		wantDeleted []string
		wantRefused []string
	}{
		{"not allowed", appreg.Deletion{Allow: false, MaxPerRun: 3}, nil, []string{"a", "b", "c"}},
		{"capped", appreg.Deletion{Allow: true, MaxPerRun: 2}, []string{"a", "b"}, []string{"c"}},
		{"allowed", appreg.Deletion{Allow: true, MaxPerRun: 3}, []string{"a", "b", "c"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Compute(Input{Settings: appreg.Settings{Deletion: tt.deletion}, Desired: set(), Observed: set(gone...)})
			var deleted, refused []string
			for _, c := range p.Changes {
				if c.Action != Delete || c.Risk != RiskHigh {
					t.Errorf("unexpected change %+v", c)
				}
				deleted = append(deleted, c.Key)
			}
			for _, r := range p.Refused {
				refused = append(refused, r.Key)
			}
			if diff := cmp.Diff(tt.wantDeleted, deleted); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRefused, refused); diff != "" {
				t.Errorf("refused (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdoption(t *testing.T) {
	t.Parallel()
	existing := observed("legacy", nil)
	existing.Name, existing.UniqueName = "", ""
	existing.Observed.Managed = false
	existing.Tags = nil
	existing.Observed.AppID = "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"
	want := desired("legacy", func(r *appreg.Registration) { r.Adopt = &appreg.Adopt{AppID: "6A7E1C3B-0D7F-4B8E-9A51-2F0C9E4D1A20"} })
	p := Compute(Input{Desired: set(want), Observed: set(existing)})
	if len(p.Changes) != 1 || p.Changes[0].Action != Adopt || !p.Changes[0].UpdateApplication {
		t.Fatalf("changes = %+v diags %v", p.Changes, p.Diagnostics)
	}
	if len(p.Refused) != 0 {
		t.Errorf("an adopted app must not be proposed for deletion: %+v", p.Refused)
	}

	taken := observed("other", nil)
	taken.Observed.AppID = "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"
	taken.Observed.Managed = false
	p = Compute(Input{Desired: set(want), Observed: set(taken)})
	if len(p.Changes) != 0 || len(p.Refused) != 1 {
		t.Errorf("adopting an app whose uniqueName is set to something else must be refused: %+v", p)
	}
}

func TestUnmanagedAppWithSameUniqueNameIsRefused(t *testing.T) {
	t.Parallel()
	have := observed("web", nil)
	have.Observed.Managed = false
	p := Compute(Input{Desired: set(desired("web", nil)), Observed: set(have)})
	if len(p.Changes) != 0 || len(p.Refused) != 1 || p.Refused[0].Hint == "" {
		t.Errorf("plan = %+v", p)
	}
}

func TestOwnersKeepSelf(t *testing.T) {
	t.Parallel()
	self := appreg.Owner{Ref: "sp:operator", Kind: appreg.OwnerServicePrincipal, ID: "self-id"}
	have := observed("web", func(r *appreg.Registration) {
		r.Owners = []appreg.Owner{{Ref: "alice@contoso.com", ID: "alice-id"}, self}
	})
	want := desired("web", func(r *appreg.Registration) {
		r.Owners = []appreg.Owner{{Ref: "bob@contoso.com", ID: "bob-id"}}
	})
	p := Compute(Input{Desired: set(want), Observed: set(have), Self: self})
	c := p.Changes[0]
	if len(c.AddOwners) != 1 || c.AddOwners[0].ID != "bob-id" || len(c.RemoveOwners) != 1 || c.RemoveOwners[0].ID != "alice-id" {
		t.Errorf("add %+v remove %+v", c.AddOwners, c.RemoveOwners)
	}
	if diff := cmp.Diff([]FieldDiff{{Path: "owners", Section: SectionOwners, Kind: KindSet, Category: appreg.CategoryOwnerChange,
		Old: []string{"alice@contoso.com"}, New: []string{"bob@contoso.com"}, Before: "[alice@contoso.com]", After: "[bob@contoso.com]"}}, c.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestFederatedCredentials(t *testing.T) {
	t.Parallel()
	fic := func(name, subject string) appreg.FederatedCredential {
		return appreg.FederatedCredential{Name: name, Issuer: appreg.GitHubIssuer, Subject: subject, Audiences: []string{appreg.TokenExchangeAudience}}
	}
	have := observed("deploy", func(r *appreg.Registration) {
		r.Credentials = &appreg.Credentials{Federated: []appreg.FederatedCredential{fic("main", "repo:o/r:ref:refs/heads/main"), fic("old", "repo:o/r:pull_request")}}
	})
	want := desired("deploy", func(r *appreg.Registration) {
		r.Credentials = &appreg.Credentials{Federated: []appreg.FederatedCredential{fic("main", "repo:o/r:ref:refs/heads/main"), fic("prod", "repo:o/r:environment:prod")}}
	})
	c := Compute(Input{Desired: set(want), Observed: set(have)}).Changes[0]
	if len(c.UpsertFederated) != 1 || c.UpsertFederated[0].Name != "prod" || !slices.Equal(c.RemoveFederated, []string{"old"}) {
		t.Errorf("upsert %+v remove %v", c.UpsertFederated, c.RemoveFederated)
	}
	if !slices.Contains(c.Categories, appreg.CategoryCredentialChange) || c.UpdateApplication {
		t.Errorf("categories %v updateApplication %v", c.Categories, c.UpdateApplication)
	}
}

func TestCreateAudienceIsAChangeOnlyWhenMultiTenant(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		audience string
		want     bool
	}{{appreg.AudienceMyOrg, false}, {appreg.AudienceMultipleOrgs, true}} {
		p := Compute(Input{Desired: set(desired("web", func(r *appreg.Registration) { r.Audience = ptr(tt.audience) })), Observed: set()})
		if got := slices.Contains(p.Changes[0].Categories, appreg.CategoryAudienceChange); got != tt.want {
			t.Errorf("create with audience %s: audience-change = %v, want %v", tt.audience, got, tt.want)
		}
	}
}
