package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/appreg/appreg/internal/appreg"
)

// everyField is a registration that uses every key of the format.
const everyField = `apiVersion: appreg/v1
name: payments-api
displayName: Payments API
adopt: {appId: 6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20}
description: "Backend API for card payments: charges and refunds"
notes: |-
  Owned by the payments team.
  Second line.
serviceManagementReference: CHG-1234
audience: AzureADMultipleOrgs
owners: [alice@contoso.com, sp:04b07795-8ddb-461a-bbee-02f9e1bf7b46]
tags: [team-payments, "true"]
identifierUris: ["api://{appId}", https://payments.contoso.com]
web:
  homePageUrl: https://payments.contoso.com
  logoutUrl: ""
  redirectUris: [https://payments.contoso.com/signin-oidc, http://localhost:8080/callback]
  implicitGrant: {accessTokens: false, idTokens: true}
spa: {redirectUris: []}
publicClient: {redirectUris: ["msal6a7e1c3b://auth"], allowPublicClientFlows: false}
api:
  accessTokenVersion: 2
  scopes:
    - value: access_as_user
      consent: user
      adminConsentDisplayName: Access Payments API
      adminConsentDescription: Lets the app call the Payments API as the signed-in user
      userConsentDisplayName: Access Payments API as you
      userConsentDescription: Lets the app call the Payments API for you
    - value: Payments.Admin
  authorizedClients:
    - client: azure-cli
      scopes: [access_as_user]
    - client: 1950a258-227b-4e31-a9cf-717495945fc2
      scopes: [access_as_user, Payments.Admin]
appRoles:
  - value: Payments.Write
    displayName: Write payments
    description: Create and refund payments
    allowedMemberTypes: [Application, User]
  - value: Payments.Audit
    allowedMemberTypes: [User]
permissions:
  - api: microsoft-graph
    delegated: [User.Read]
    application: [User.Read.All]
    adminConsent: true
  - api: orders-api
    application: [Orders.Read]
  - api: azure-key-vault
    delegated: []
    adminConsent: false
optionalClaims:
  idToken: [{name: email}, {name: upn, source: user, essential: true, additionalProperties: [include_externally_authenticated_upn]}]
  accessToken: []
groupMembershipClaims: SecurityGroup
info: {privacyStatementUrl: https://contoso.com/privacy, supportUrl: ""}
instanceLock: true
servicePrincipal:
  create: true
  assignmentRequired: true
  tags: [HideApp]
  notificationEmails: [payments-oncall@contoso.com]
credentials:
  federated:
    - name: deploy-main
      github: {repo: contoso/payments, branch: main}
    - name: deploy-prod
      description: production
      github: {repo: contoso/payments, environment: prod}
    - name: prs
      github: {repo: contoso/payments, pullRequest: true}
    - name: releases
      github: {repo: contoso/payments, tag: v1}
    - name: other-idp
      issuer: https://idp.contoso.com
      subject: "system:serviceaccount:payments:deployer"
      audiences: [api://custom]
    - name: gh-raw
      issuer: https://token.actions.githubusercontent.com
      subject: repo:contoso/payments:job_workflow_ref:contoso/wf/.github/workflows/x.yml@refs/heads/main
  secrets:
    - name: ci
      lifetime: 180d
      rotateBefore: 30d
      overlap: 7d
      deliver:
        - github: {repo: contoso/payments, secret: AZURE_CLIENT_SECRET}
        - github: {repo: contoso/payments, environment: production, secret: AZURE_CLIENT_SECRET}
        - githubOrg: {org: contoso, secret: PAYMENTS_SECRET, visibility: selected, repos: [payments, billing]}
    - name: defaults
advice: {ignore: [AR006]}
`

// TestEncodeRoundTrip parses registrations, encodes them and parses the
// result again: the registration must be the same.
func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	files := map[string]string{"payments-api.yaml": everyField, "minimal-api.yaml": "apiVersion: appreg/v1\nname: minimal-api\ndisplayName: x\n"}
	examples, err := filepath.Glob("../../registrations/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range examples {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f)] = string(data)
	}
	for file, data := range files {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			want, diags := ParseRegistration(file, []byte(data), nil)
			if diags.HasErrors() {
				t.Fatalf("parsing the input: %v", diags)
			}
			out, err := Encode(want, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), SchemaComment+"\n") {
				t.Errorf("the file does not start with the schema comment:\n%s", out)
			}
			got, diags := ParseRegistration(file, out, nil)
			if diags.HasErrors() {
				t.Fatalf("parsing the encoded file: %v\n%s", diags, out)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreTypes(appreg.Pos{})); diff != "" {
				t.Errorf("round trip (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}

// TestEncodeKeyOrder checks that keys come in the documented order of a registration file (README, "Files"),
// which the shape table does not record.
func TestEncodeKeyOrder(t *testing.T) {
	t.Parallel()
	r, diags := ParseRegistration("payments-api.yaml", []byte(everyField), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, err := Encode(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for l := range strings.Lines(string(out)) {
		if k, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") {
			keys = append(keys, k)
		}
	}
	want := []string{"apiVersion", "name", "displayName", "adopt", "description", "notes", "serviceManagementReference",
		"audience", "owners", "tags", "identifierUris", "web", "spa", "publicClient", "api", "appRoles", "permissions",
		"optionalClaims", "groupMembershipClaims", "info", "instanceLock", "servicePrincipal", "credentials", "advice"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if len(keys) != len(registrationShape[""]) {
		t.Errorf("the test names %d keys, the format has %d", len(keys), len(registrationShape[""]))
	}
}

// observed is an application as the Graph adapter reads it: every field
// filled, empty collections non-nil.
func observed() *appreg.Registration {
	f, tr := false, true
	empty := ""
	return &appreg.Registration{
		Name: "legacy-reporting", DisplayName: "Legacy reporting",
		Description: &empty, Notes: ptrTo("Clicked together in 2019"), ServiceManagementReference: &empty,
		Audience: ptrTo(appreg.AudienceMyOrg),
		Owners:   []appreg.Owner{{Ref: "alice@contoso.com", Kind: appreg.OwnerUser, ID: "11111111-1111-1111-1111-111111111111"}},
		Tags:     []string{}, IdentifierURIs: []string{"api://0f4a2b1c-9d7e-4a6c-9b0e-8d3d5a536c2c"},
		Web: &appreg.Web{HomePageURL: &empty, LogoutURL: &empty, RedirectURIs: []string{"https://reports.contoso.com/signin-oidc"},
			ImplicitGrant: &appreg.ImplicitGrant{AccessTokens: &f, IDTokens: &tr}},
		SPA:          &appreg.SPA{RedirectURIs: []string{}},
		PublicClient: &appreg.PublicClient{RedirectURIs: []string{}, AllowPublicClientFlows: &f},
		API: &appreg.API{Scopes: []appreg.Scope{{Value: "reports.read", Consent: appreg.ConsentUser, AdminConsentDisplayName: "Read reports",
			ID: "22222222-2222-2222-2222-222222222222", Enabled: &tr}},
			AuthorizedClients: []appreg.AuthorizedClient{{Client: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", AppID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", Scopes: []string{"reports.read"}}}},
		AppRoles: []appreg.AppRole{},
		Permissions: []appreg.Permission{
			{API: appreg.MicrosoftGraphAppID, ResourceAppID: appreg.MicrosoftGraphAppID, Delegated: []string{"User.Read"}, Application: []string{"User.Read.All"},
				ConsentedApplication: []string{"User.Read.All"}, ConsentedDelegated: []string{"User.Read"}},
			{API: "e406a681-f3d4-42a8-90b6-c2b029497af1", ResourceAppID: "e406a681-f3d4-42a8-90b6-c2b029497af1", Delegated: []string{"user_impersonation"}, Application: []string{}},
		},
		OptionalClaims:        &appreg.OptionalClaims{IDToken: []appreg.OptionalClaim{}, AccessToken: []appreg.OptionalClaim{}, SAML2Token: []appreg.OptionalClaim{}},
		GroupMembershipClaims: &empty,
		Info:                  &appreg.Info{MarketingURL: &empty, PrivacyStatementURL: &empty, SupportURL: &empty, TermsOfServiceURL: &empty},
		InstanceLock:          &f,
		ServicePrincipal:      &appreg.ServicePrincipal{AssignmentRequired: &tr, Tags: []string{"WindowsAzureActiveDirectoryIntegratedApp"}, NotificationEmails: []string{}},
		Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{
			{Name: "deploy-main", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/reports:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}},
		}},
		Observed: &appreg.Observed{ObjectID: "33333333-3333-3333-3333-333333333333", AppID: "0f4a2b1c-9d7e-4a6c-9b0e-8d3d5a536c2c",
			ServicePrincipalID: "44444444-4444-4444-4444-444444444444",
			Passwords: []appreg.PasswordCredential{{KeyID: "55555555-5555-5555-5555-555555555555", DisplayName: "old", Hint: "abc",
				Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}},
	}
}

// settingsWithDefaults is an appreg.yaml whose defaults would change an
// imported application if Encode left the defaulted fields out.
func settingsWithDefaults(t *testing.T) *appreg.Settings {
	t.Helper()
	s, diags := parseSettings("appreg.yaml", []byte(defaultConfig+"defaults: {audience: AzureADMultipleOrgs, instanceLock: true, owners: [bob@contoso.com], tags: [team-platform]}\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return &s
}

// TestEncodeObserved checks the file written for an application read from
// the tenant against a golden file (-update rewrites it), and what it means.
func TestEncodeObserved(t *testing.T) {
	t.Parallel()
	s := settingsWithDefaults(t)
	out, err := Encode(observed(), s)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/encode/legacy-reporting.yaml", out)
	got, diags := ParseRegistration("legacy-reporting.yaml", out, s)
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, out)
	}
	tr := true
	want := &appreg.Registration{
		Name: "legacy-reporting", UniqueName: "contoso-legacy-reporting", DisplayName: "Legacy reporting",
		Adopt: &appreg.Adopt{AppID: "0f4a2b1c-9d7e-4a6c-9b0e-8d3d5a536c2c"}, Notes: ptrTo("Clicked together in 2019"),
		Audience: ptrTo(appreg.AudienceMyOrg), Owners: []appreg.Owner{{Ref: "alice@contoso.com", Kind: appreg.OwnerUser}},
		Tags: []string{}, IdentifierURIs: []string{"api://{appId}"},
		Web: &appreg.Web{RedirectURIs: []string{"https://reports.contoso.com/signin-oidc"},
			ImplicitGrant: &appreg.ImplicitGrant{AccessTokens: ptrTo(false), IDTokens: &tr}},
		API: &appreg.API{Scopes: []appreg.Scope{{Value: "reports.read", Consent: appreg.ConsentUser, AdminConsentDisplayName: "Read reports"}},
			AuthorizedClients: []appreg.AuthorizedClient{{Client: "azure-cli", AppID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", Scopes: []string{"reports.read"}}}},
		Permissions: []appreg.Permission{
			{API: "microsoft-graph", ResourceAppID: appreg.MicrosoftGraphAppID, Delegated: []string{"User.Read"}, Application: []string{"User.Read.All"}, AdminConsent: &tr},
			{API: "azure-storage", ResourceAppID: "e406a681-f3d4-42a8-90b6-c2b029497af1", Delegated: []string{"user_impersonation"}},
		},
		InstanceLock:     ptrTo(false),
		ServicePrincipal: &appreg.ServicePrincipal{AssignmentRequired: &tr, Tags: []string{"WindowsAzureActiveDirectoryIntegratedApp"}},
		Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{
			{Name: "deploy-main", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/reports:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}},
		}},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreTypes(appreg.Pos{})); diff != "" {
		t.Errorf("parsed import (-want +got):\n%s\n%s", diff, out)
	}
}

// TestEncodeObservedLeavesOut checks what cannot be written exactly: it is
// left out with a comment saying why, and the file still validates.
func TestEncodeObservedLeavesOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(r *appreg.Registration)
		key     string // must be absent (not managed)
		comment string
	}{
		{"disabled scope", func(r *appreg.Registration) { r.API.Scopes[0].Enabled = ptrTo(false) }, "scopes", "disabled scopes"},
		{"disabled role", func(r *appreg.Registration) {
			r.AppRoles = []appreg.AppRole{{Value: "R", DisplayName: "R", AllowedMemberTypes: []string{"User"}, Enabled: ptrTo(false)}}
		}, "appRoles:", "disabled app roles"},
		{"unnamed permission", func(r *appreg.Registration) {
			r.Permissions[1].Delegated = []string{"77777777-7777-7777-7777-777777777777"}
		}, "permissions:", "cannot name permission 77777777-7777-7777-7777-777777777777"},
		{"partial consent", func(r *appreg.Registration) { r.Permissions[0].ConsentedDelegated = nil }, "adminConsent:", "adminConsent for microsoft-graph is left out"},
		{"consent elsewhere", func(r *appreg.Registration) {
			r.Permissions = append(r.Permissions, appreg.Permission{API: "x", ResourceAppID: "00000003-0000-0ff1-ce00-000000000000", ConsentedDelegated: []string{"AllSites.Read"}})
		}, "adminConsent:", "consent for APIs it does not request"},
		{"no service principal", func(r *appreg.Registration) { r.Observed.ServicePrincipalID = "" }, "assignmentRequired", "create: false"},
		{"invalid redirect", func(r *appreg.Registration) { r.Web.RedirectURIs = []string{"http://reports.contoso.com/cb"} }, "\nweb:", "# web is left out (not managed): redirect URI \"http://reports.contoso.com/cb\" must use https"},
		{"invalid tag", func(r *appreg.Registration) { r.Tags = []string{"has space"} }, "\ntags:", "# tags is left out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := observed()
			tt.edit(r)
			s := settingsWithDefaults(t)
			out, err := Encode(r, s)
			if err != nil {
				t.Fatal(err)
			}
			var code []string
			for l := range strings.Lines(string(out)) {
				if !strings.HasPrefix(l, "#") {
					code = append(code, l)
				}
			}
			if strings.Contains("\n"+strings.Join(code, ""), tt.key) {
				t.Errorf("%q is written:\n%s", tt.key, out)
			}
			if !strings.Contains(string(out), tt.comment) {
				t.Errorf("no comment %q:\n%s", tt.comment, out)
			}
			if _, diags := ParseRegistration("legacy-reporting.yaml", out, s); diags.HasErrors() {
				t.Errorf("%v\n%s", diags, out)
			}
		})
	}
}

// TestEncodeObservedFailsOnRequiredField checks that a problem in a key the
// file cannot do without is an error, not a comment.
func TestEncodeObservedFailsOnRequiredField(t *testing.T) {
	t.Parallel()
	r := observed()
	r.DisplayName = strings.Repeat("x", 300)
	if _, err := Encode(r, nil); err == nil || !strings.Contains(err.Error(), "displayName") {
		t.Errorf("err = %v, want one about displayName", err)
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
