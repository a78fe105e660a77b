package spec

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/appreg/appreg/internal/appreg"
)

func ptr[T any](v T) *T { return &v }

const header = "apiVersion: appreg/v1\nname: payments-api\ndisplayName: Payments API\n"

// TestParseRegistration checks decoded registrations: absent versus empty
// lists, defaults, the github: shorthand, durations and references.
func TestParseRegistration(t *testing.T) {
	t.Parallel()
	withDefaults := defaultSettings()
	withDefaults.NamePrefix = "contoso-"
	withDefaults.Defaults = appreg.Defaults{
		Audience:     ptr(appreg.AudienceMultipleOrgs),
		InstanceLock: ptr(true),
		Owners:       []string{"alice@contoso.com", "sp:04b07795-8ddb-461a-bbee-02f9e1bf7b46"},
		Tags:         []string{},
	}
	base := func(r appreg.Registration) *appreg.Registration {
		r.Name, r.UniqueName, r.DisplayName = "payments-api", "payments-api", "Payments API"
		return &r
	}
	tests := []struct {
		name     string
		yaml     string
		settings *appreg.Settings
		want     *appreg.Registration
	}{
		{
			name: "absent fields are nil",
			yaml: header,
			want: base(appreg.Registration{}),
		},
		{
			name: "explicit empty lists and null are managed none",
			yaml: header + `owners: []
tags: null
identifierUris: []
web: {redirectUris: []}
spa: {redirectUris: null}
appRoles: []
permissions: []
credentials: {federated: [], secrets: null}
`,
			want: base(appreg.Registration{
				Owners: []appreg.Owner{}, Tags: []string{}, IdentifierURIs: []string{},
				Web: &appreg.Web{RedirectURIs: []string{}}, SPA: &appreg.SPA{RedirectURIs: []string{}},
				AppRoles: []appreg.AppRole{}, Permissions: []appreg.Permission{},
				Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{}, Secrets: []appreg.Secret{}},
			}),
		},
		{
			name:     "defaults fill absent fields only",
			yaml:     header,
			settings: &withDefaults,
			want: &appreg.Registration{
				Name: "payments-api", UniqueName: "contoso-payments-api", DisplayName: "Payments API",
				Audience: ptr(appreg.AudienceMultipleOrgs), InstanceLock: ptr(true),
				Owners: []appreg.Owner{
					{Ref: "alice@contoso.com", Kind: appreg.OwnerUser},
					{Ref: "sp:04b07795-8ddb-461a-bbee-02f9e1bf7b46", Kind: appreg.OwnerServicePrincipal},
				},
				Tags: []string{},
			},
		},
		{
			name:     "explicit values win over defaults",
			yaml:     header + "audience: AzureADMyOrg\ninstanceLock: false\nowners: [6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20]\ntags: [team-payments]\n",
			settings: &withDefaults,
			want: &appreg.Registration{
				Name: "payments-api", UniqueName: "contoso-payments-api", DisplayName: "Payments API",
				Audience: ptr(appreg.AudienceMyOrg), InstanceLock: ptr(false),
				Owners: []appreg.Owner{{Ref: "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20", Kind: appreg.OwnerUser}},
				Tags:   []string{"team-payments"},
			},
		},
		{
			name: "github shorthand expands to issuer and subject",
			yaml: header + `credentials:
  federated:
    - {name: main, github: {repo: contoso/payments, branch: main}}
    - {name: prod, github: {repo: contoso/payments, environment: prod}, description: Production}
    - {name: prs, github: {repo: contoso/payments, pullRequest: true}}
    - {name: release, github: {repo: contoso/payments, tag: v1.2.0}}
    - name: raw
      issuer: https://idp.contoso.com
      subject: system:serviceaccount:payments:deployer
      audiences: [api://custom]
`,
			want: base(appreg.Registration{Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{
				{Name: "main", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/payments:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}},
				{Name: "prod", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/payments:environment:prod", Audiences: []string{appreg.TokenExchangeAudience}, Description: ptr("Production")},
				{Name: "prs", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/payments:pull_request", Audiences: []string{appreg.TokenExchangeAudience}},
				{Name: "release", Issuer: appreg.GitHubIssuer, Subject: "repo:contoso/payments:ref:refs/tags/v1.2.0", Audiences: []string{appreg.TokenExchangeAudience}},
				{Name: "raw", Issuer: "https://idp.contoso.com", Subject: "system:serviceaccount:payments:deployer", Audiences: []string{"api://custom"}},
			}}}),
		},
		{
			name: "secret durations, defaults and deliveries",
			yaml: header + `credentials:
  secrets:
    - name: ci
    - name: short
      lifetime: 2w
      overlap: 12h
    - name: full
      lifetime: 1d12h
      rotateBefore: 30m
      overlap: 90m
      deliver:
        - github: {repo: contoso/payments, secret: AZURE_CLIENT_SECRET}
        - github: {repo: contoso/payments, environment: production, secret: AZURE_CLIENT_SECRET}
        - githubOrg: {org: contoso, secret: PAYMENTS_SECRET, visibility: selected, repos: [payments, billing]}
        - githubOrg: {org: contoso, secret: PAYMENTS_SECRET_ALL, visibility: all}
`,
			want: base(appreg.Registration{Credentials: &appreg.Credentials{Secrets: []appreg.Secret{
				{Name: "ci", Lifetime: 90 * day, RotateBefore: 30 * day, Overlap: day},
				{Name: "short", Lifetime: 14 * day, RotateBefore: 14 * day / 3, Overlap: 12 * time.Hour},
				{Name: "full", Lifetime: 36 * time.Hour, RotateBefore: 30 * time.Minute, Overlap: 90 * time.Minute, Deliver: []appreg.Delivery{
					{Kind: appreg.DeliverRepo, Repo: "contoso/payments", Secret: "AZURE_CLIENT_SECRET"},
					{Kind: appreg.DeliverEnvironment, Repo: "contoso/payments", Environment: "production", Secret: "AZURE_CLIENT_SECRET"},
					{Kind: appreg.DeliverOrg, Org: "contoso", Secret: "PAYMENTS_SECRET", Visibility: "selected", Repos: []string{"payments", "billing"}},
					{Kind: appreg.DeliverOrg, Org: "contoso", Secret: "PAYMENTS_SECRET_ALL", Visibility: "all"},
				}},
			}}}),
		},
		{
			name: "permissions, exposed API and references",
			yaml: header + `identifierUris: ["api://{appId}"]
api:
  accessTokenVersion: 2
  scopes:
    - {value: access_as_user, consent: user, adminConsentDisplayName: Access}
    - {value: Payments.Admin}
  authorizedClients:
    - {client: azure-cli, scopes: [access_as_user]}
    - {client: 1950A258-227B-4E31-A9CF-717495945FC2, scopes: [access_as_user, Payments.Admin]}
    - {client: payments-web, scopes: [Payments.Admin]}
appRoles:
  - {value: Payments.Write, displayName: Write, allowedMemberTypes: [Application, User]}
permissions:
  - api: microsoft-graph
    delegated: [User.Read]
    application: [User.Read.All]
    adminConsent: true
  - api: CFA8B339-82A2-471A-A3C9-0FC0BE7A4093
    delegated: [user_impersonation]
  - api: orders-api
    application: [Orders.Read]
`,
			want: base(appreg.Registration{
				IdentifierURIs: []string{"api://{appId}"},
				API: &appreg.API{
					AccessTokenVersion: ptr(2),
					Scopes: []appreg.Scope{
						{Value: "access_as_user", Consent: appreg.ConsentUser, AdminConsentDisplayName: "Access"},
						{Value: "Payments.Admin", Consent: appreg.ConsentAdmin},
					},
					AuthorizedClients: []appreg.AuthorizedClient{
						{Client: "azure-cli", AppID: appreg.KnownAPIs["azure-cli"], Scopes: []string{"access_as_user"}},
						{Client: "1950A258-227B-4E31-A9CF-717495945FC2", AppID: appreg.KnownAPIs["azure-powershell"], Scopes: []string{"access_as_user", "Payments.Admin"}},
						{Client: "payments-web", Scopes: []string{"Payments.Admin"}},
					},
				},
				AppRoles: []appreg.AppRole{{Value: "Payments.Write", DisplayName: "Write", AllowedMemberTypes: []string{"Application", "User"}}},
				Permissions: []appreg.Permission{
					{API: "microsoft-graph", ResourceAppID: appreg.MicrosoftGraphAppID, Delegated: []string{"User.Read"}, Application: []string{"User.Read.All"}, AdminConsent: ptr(true)},
					{API: "CFA8B339-82A2-471A-A3C9-0FC0BE7A4093", ResourceAppID: "cfa8b339-82a2-471a-a3c9-0fc0be7a4093", Delegated: []string{"user_impersonation"}},
					{API: "orders-api", Application: []string{"Orders.Read"}},
				},
			}),
		},
		{
			name: "platforms, claims and service principal",
			yaml: header + `description: ""
web:
  homePageUrl: https://payments.contoso.com
  redirectUris: [https://payments.contoso.com/signin-oidc, http://localhost:5000/signin-oidc]
  implicitGrant: {idTokens: true}
publicClient: {redirectUris: [msalpayments://auth], allowPublicClientFlows: true}
optionalClaims:
  idToken: [{name: email, essential: true}, {name: ext, source: user, additionalProperties: [emit_as_roles]}]
groupMembershipClaims: SecurityGroup
info: {supportUrl: https://contoso.com/help}
servicePrincipal: {create: false, tags: [HideApp], notificationEmails: [oncall@contoso.com]}
adopt: {appId: 6A7E1C3B-0D7F-4B8E-9A51-2F0C9E4D1A20}
`,
			want: base(appreg.Registration{
				Description: ptr(""),
				Adopt:       &appreg.Adopt{AppID: "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"},
				Web: &appreg.Web{
					HomePageURL:   ptr("https://payments.contoso.com"),
					RedirectURIs:  []string{"https://payments.contoso.com/signin-oidc", "http://localhost:5000/signin-oidc"},
					ImplicitGrant: &appreg.ImplicitGrant{IDTokens: ptr(true)},
				},
				PublicClient: &appreg.PublicClient{RedirectURIs: []string{"msalpayments://auth"}, AllowPublicClientFlows: ptr(true)},
				OptionalClaims: &appreg.OptionalClaims{IDToken: []appreg.OptionalClaim{
					{Name: "email", Essential: ptr(true)},
					{Name: "ext", Source: ptr("user"), AdditionalProperties: []string{"emit_as_roles"}},
				}},
				GroupMembershipClaims: ptr("SecurityGroup"),
				Info:                  &appreg.Info{SupportURL: ptr("https://contoso.com/help")},
				ServicePrincipal:      &appreg.ServicePrincipal{Create: ptr(false), Tags: []string{"HideApp"}, NotificationEmails: []string{"oncall@contoso.com"}},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, diags := ParseRegistration("registrations/payments-api.yaml", []byte(tt.yaml), tt.settings)
			for _, d := range diags {
				t.Errorf("unexpected diagnostic: %s", d)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreTypes(appreg.Pos{})); diff != "" {
				t.Errorf("registration (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSourcePositions checks that every Source field points at its entry.
func TestSourcePositions(t *testing.T) {
	t.Parallel()
	yaml := header + `api:
  scopes:
    - value: s
  authorizedClients:
    - client: azure-cli
      scopes: [s]
appRoles:
  - value: r
    allowedMemberTypes: [User]
permissions:
  - api: microsoft-graph
    delegated: [User.Read]
credentials:
  federated:
    - name: fed
      github: {repo: a/b, branch: main}
  secrets:
    - name: sec
`
	const file = "registrations/payments-api.yaml"
	r, diags := ParseRegistration(file, []byte(yaml), nil)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	at := func(line, col int) appreg.Pos { return appreg.Pos{File: file, Line: line, Column: col} }
	got := []appreg.Pos{
		r.Source, r.API.Scopes[0].Source, r.API.AuthorizedClients[0].Source, r.AppRoles[0].Source,
		r.Permissions[0].Source, r.Credentials.Federated[0].Source, r.Credentials.Secrets[0].Source,
	}
	want := []appreg.Pos{at(2, 7), at(6, 7), at(8, 7), at(11, 5), at(14, 5), at(18, 7), at(21, 7)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90d", 90 * day, false},
		{"12h", 12 * time.Hour, false},
		{"30m", 30 * time.Minute, false},
		{"2w", 14 * day, false},
		{"45s", 45 * time.Second, false},
		{"1d12h", 36 * time.Hour, false},
		{"", 0, true},
		{"90", 0, true},
		{"d", 0, true},
		{"3y", 0, true},
		{"0d", 0, true},
		{"-1d", 0, true},
		{"1.5d", 0, true},
		{"99999999999999999999d", 0, true},
		{"40000w", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, d := range []time.Duration{90 * day, 36 * time.Hour, day + 30*time.Minute, 45 * time.Second} {
		back, err := parseDuration(formatDuration(d))
		if err != nil || back != d {
			t.Errorf("parseDuration(formatDuration(%v)) = %v, %v", d, back, err)
		}
	}
}
