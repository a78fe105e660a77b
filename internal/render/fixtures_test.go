package render

import (
	"slices"
	"time"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/rotate"
)

// The fixtures are the plans and results the golden files show. Most are
// computed by the planner from hand-made registrations, so that the goldens
// show what users will see; the ones needing Graph's permission catalog are
// plan literals shaped like the planner's output.

func ptr[T any](v T) *T { return &v }

const prefix = "contoso-"

func desired(name string, mod func(r *appreg.Registration)) *appreg.Registration {
	r := &appreg.Registration{
		Name: name, UniqueName: prefix + name, DisplayName: displayName(name),
		Source: appreg.Pos{File: "registrations/" + name + ".yaml", Line: 1, Column: 1},
	}
	if mod != nil {
		mod(r)
	}
	return r
}

// displayName is how the fixtures' applications are called in the portal.
func displayName(name string) string {
	names := map[string]string{
		"payments-api": "Payments API", "billing-api": "Billing API", "legacy-reports": "Legacy Reports",
		"old-dashboard": "Old Dashboard", "web-portal": "Web Portal", "crm-sync": "CRM Sync", "orders-client": "Orders Client",
	}
	if n, ok := names[name]; ok {
		return n
	}
	return name
}

// observed is what the tenant holds after applying desired(name, mod).
func observed(name, appID string, mod func(r *appreg.Registration)) *appreg.Registration {
	r := desired(name, mod)
	r.Source = appreg.Pos{}
	r.Observed = &appreg.Observed{ObjectID: "0b" + appID[2:], AppID: appID, Managed: true, Owned: true, ServicePrincipalID: "5b" + appID[2:]}
	r.Tags = append(slices.Clone(r.Tags), appreg.MarkerTag)
	return r
}

func set(rs ...*appreg.Registration) *appreg.Set { return &appreg.Set{Registrations: rs} }

func settings() appreg.Settings {
	return appreg.Settings{TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", NamePrefix: prefix, Deletion: appreg.Deletion{MaxPerRun: 3}}
}

const (
	paymentsAppID = "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20"
	billingAppID  = "3f2b8d41-7c6e-4a09-b1d2-5e8f7a6c9b30"
	legacyAppID   = "9c4d2e1f-3a5b-4c6d-8e7f-0a1b2c3d4e5f"
	oldDashAppID  = "1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6"
	portalAppID   = "7e8f9a0b-1c2d-4e3f-a4b5-c6d7e8f9a0b1"
)

func paymentsAPI(r *appreg.Registration) {
	r.Description = ptr("Backend API for card payments")
	r.Audience = ptr(appreg.AudienceMyOrg)
	r.Web = &appreg.Web{
		HomePageURL:   ptr("https://payments.contoso.com"),
		RedirectURIs:  []string{"https://payments.contoso.com/signin-oidc"},
		ImplicitGrant: &appreg.ImplicitGrant{AccessTokens: ptr(false), IDTokens: ptr(false)},
	}
}

// unchanged is a tenant that matches the files.
func unchanged() *plan.Plan {
	return plan.Compute(plan.Input{
		Settings: settings(),
		Desired:  set(desired("billing-api", nil), desired("payments-api", paymentsAPI)),
		Observed: set(observed("billing-api", billingAppID, nil), observed("payments-api", paymentsAppID, paymentsAPI)),
	})
}

// create is a new registration declaring most of what a file can.
func create() *plan.Plan {
	want := desired("payments-api", func(r *appreg.Registration) {
		paymentsAPI(r)
		r.Notes = ptr("Owned by the payments team")
		r.ServiceManagementReference = ptr("CHG-1234")
		r.Owners = []appreg.Owner{
			{Ref: "alice@contoso.com", Kind: appreg.OwnerUser, ID: "a11ce000-0000-4000-8000-000000000001"},
			{Ref: "bob@contoso.com", Kind: appreg.OwnerUser, ID: "b0b00000-0000-4000-8000-000000000002"},
		}
		r.Tags = []string{"team-payments"}
		r.IdentifierURIs = []string{"api://{appId}"}
		r.Web.LogoutURL = ptr("https://payments.contoso.com/signout")
		r.SPA = &appreg.SPA{RedirectURIs: []string{}}
		r.API = &appreg.API{
			AccessTokenVersion: ptr(2),
			Scopes: []appreg.Scope{{Value: "access_as_user", Consent: appreg.ConsentUser,
				AdminConsentDisplayName: "Access Payments API", AdminConsentDescription: "Lets the app call the Payments API as the signed-in user"}},
		}
		r.AppRoles = []appreg.AppRole{{Value: "Payments.Write", DisplayName: "Write payments", Description: "Create and refund payments",
			AllowedMemberTypes: []string{appreg.MemberApplication}}}
		r.OptionalClaims = &appreg.OptionalClaims{IDToken: []appreg.OptionalClaim{{Name: "email"}}}
		r.GroupMembershipClaims = ptr("SecurityGroup")
		r.Info = &appreg.Info{PrivacyStatementURL: ptr("https://contoso.com/privacy")}
		r.InstanceLock = ptr(true)
		r.ServicePrincipal = &appreg.ServicePrincipal{AssignmentRequired: ptr(true), NotificationEmails: []string{"payments-oncall@contoso.com"}}
		r.Credentials = &appreg.Credentials{
			Federated: []appreg.FederatedCredential{{Name: "deploy-main", Issuer: appreg.GitHubIssuer,
				Subject: "repo:contoso/payments:ref:refs/heads/main", Audiences: []string{appreg.TokenExchangeAudience}}},
			Secrets: []appreg.Secret{{Name: "ci", Lifetime: 90 * 24 * time.Hour, RotateBefore: 30 * 24 * time.Hour, Overlap: 7 * 24 * time.Hour}},
		}
	})
	return plan.Compute(plan.Input{Settings: settings(), Desired: set(want), Observed: set()})
}

// drift is an update: someone changed the application in the portal.
func drift() *plan.Plan {
	mod := func(r *appreg.Registration) {
		paymentsAPI(r)
		r.Owners = []appreg.Owner{{Ref: "alice@contoso.com", Kind: appreg.OwnerUser, ID: "a11ce000-0000-4000-8000-000000000001"}}
	}
	have := observed("payments-api", paymentsAppID, mod)
	have.DisplayName = "Payments API (renamed in portal)"
	have.Audience = ptr(appreg.AudienceMultipleOrgs)
	have.Web.RedirectURIs = []string{"https://payments.contoso.com/signin-oidc", "https://localhost:5001/signin-oidc"}
	have.Owners = append(have.Owners, appreg.Owner{Ref: "mallory@contoso.com", Kind: appreg.OwnerUser, ID: "3a110000-0000-4000-8000-000000000003"})
	have.Description = ptr("Backend API for card payments.\nDo not touch | ask #payments")
	return plan.Compute(plan.Input{
		Settings: settings(),
		Desired:  set(desired("billing-api", nil), desired("payments-api", mod)),
		Observed: set(observed("billing-api", billingAppID, nil), have),
	})
}

// adopt takes over an application clicked together in the portal.
func adopt() *plan.Plan {
	existing := observed("legacy-reports", legacyAppID, nil)
	existing.Name, existing.UniqueName = "", ""
	existing.DisplayName = "Legacy Reports"
	existing.Observed.Managed = false
	existing.Tags = nil
	existing.Web = &appreg.Web{RedirectURIs: []string{"https://reports.contoso.com/auth"}}
	want := desired("legacy-reports", func(r *appreg.Registration) {
		r.Adopt = &appreg.Adopt{AppID: legacyAppID}
		r.Web = &appreg.Web{RedirectURIs: []string{"https://reports.contoso.com/auth"}}
		r.Notes = ptr("Adopted from the portal, owned by finance")
	})
	return plan.Compute(plan.Input{Settings: settings(), Desired: set(want), Observed: set(existing)})
}

// deletion removes two files with a cap of one deletion per run, next to an
// application that has the uniqueName but not appreg's marker.
func deletion() *plan.Plan {
	s := settings()
	s.Deletion = appreg.Deletion{Allow: true, MaxPerRun: 1}
	portal := observed("web-portal", portalAppID, nil)
	portal.Observed.Managed = false
	return plan.Compute(plan.Input{
		Settings: s,
		Desired:  set(desired("web-portal", nil)),
		Observed: set(observed("legacy-reports", legacyAppID, nil), observed("old-dashboard", oldDashAppID, nil), portal),
	})
}

// privileged requests Microsoft Graph application permissions with admin
// consent and widens an audience. It is a literal because resolving Graph
// permission names needs the permission catalog, which render does not
// import.
func privileged() *plan.Plan {
	return &plan.Plan{
		Changes: []plan.Change{
			{
				Key: "directory-sync", UniqueName: prefix + "directory-sync", Action: plan.Create, Reason: "not in the tenant yet",
				Fields: []plan.FieldDiff{
					{Path: "displayName", After: `"Directory Sync"`},
					{Path: "permissions[microsoft-graph].delegated", Before: "[]", After: "[User.Read]"},
					{Path: "permissions[microsoft-graph].application", Before: "[]", After: "[Directory.ReadWrite.All, User.Read.All]"},
					{Path: "permissions[microsoft-graph].adminConsent", Before: "none", After: "application: Directory.ReadWrite.All, User.Read.All; delegated: User.Read"},
					{Path: "credentials.federated[deploy-main]", After: "https://token.actions.githubusercontent.com repo:contoso/directory-sync:ref:refs/heads/main"},
				},
				Risk: plan.RiskHigh,
				Categories: []appreg.Category{appreg.CategoryNewRegistration, appreg.CategoryApplicationPermission,
					appreg.CategoryPrivilegedPermission, appreg.CategoryAdminConsent, appreg.CategoryCredentialChange},
				Privileged: []string{"microsoft-graph:Directory.ReadWrite.All"},
				Grants: []plan.Grant{
					{ResourceAppID: appreg.MicrosoftGraphAppID, API: "microsoft-graph", Kind: "application", Value: "Directory.ReadWrite.All"},
					{ResourceAppID: appreg.MicrosoftGraphAppID, API: "microsoft-graph", Kind: "application", Value: "User.Read.All"},
					{ResourceAppID: appreg.MicrosoftGraphAppID, API: "microsoft-graph", Kind: "delegated", Value: "User.Read"},
				},
			},
			{
				Key: "partner-portal", UniqueName: prefix + "partner-portal", AppID: portalAppID, Action: plan.Update,
				Reason: "the tenant differs from registrations/partner-portal.yaml",
				Fields: []plan.FieldDiff{
					{Path: "audience", Before: `"AzureADMyOrg"`, After: `"AzureADMultipleOrgs"`},
					{Path: "owners", Before: "[alice@contoso.com]", After: "[alice@contoso.com, partners-team@contoso.com]"},
				},
				Risk:       plan.RiskHigh,
				Categories: []appreg.Category{appreg.CategoryAudienceChange, appreg.CategoryOwnerChange},
			},
		},
		Unchanged:   []string{"billing-api", "payments-api"},
		Refused:     []plan.Refusal{},
		Fingerprint: "4f1c2a9be0d35e7a61c8f02b9d4e7a13c5f60b8e2d1a9c7f4b3e6d5a0c2f1e8d",
	}
}

// diagnostics has a registration left out because of an error, next to a
// create and a warning.
func diagnostics() *plan.Plan {
	orders := desired("orders-client", func(r *appreg.Registration) {
		r.Permissions = []appreg.Permission{{API: "fabrikam-orders", ResourceAppID: "2c6a4b8e-0f1d-4e3a-9b7c-5d8e6f0a1b2c",
			Application: []string{"Orders.Read"}, Source: appreg.Pos{File: "registrations/orders-client.yaml", Line: 9, Column: 5}}}
	})
	p := plan.Compute(plan.Input{Settings: settings(), Desired: set(desired("crm-sync", nil), orders), Observed: set()})
	p.Diagnostics = append(p.Diagnostics, diag.Diagnostic{Severity: diag.Warning, Summary: "secret \"ci\" expires in 12 days and is rotated by the next scheduled run",
		File: "registrations/crm-sync.yaml", Line: 14, Column: 7})
	p.Diagnostics.Sort()
	return p
}

// result is an apply where one registration failed, one was skipped because
// it depends on it, and the plan had changed since review.
func result() *plan.Result {
	return &plan.Result{
		Fingerprint: "9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e",
		Expected:    "4f1c2a9be0d35e7a61c8f02b9d4e7a13c5f60b8e2d1a9c7f4b3e6d5a0c2f1e8d",
		Outcomes: []plan.Outcome{
			{Key: "directory-sync", UniqueName: prefix + "directory-sync", Action: plan.Create, Status: plan.Failed,
				AppID: "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f", ObjectID: "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f7a",
				Steps: []string{"created application", "created service principal", "added owner sp:appreg"},
				Error: "granting microsoft-graph Directory.ReadWrite.All (application): Authorization_RequestDenied: Insufficient privileges to complete the operation."},
			{Key: "orders-client", UniqueName: prefix + "orders-client", Action: plan.Create, Status: plan.Skipped,
				Steps: []string{}, Error: "skipped: depends on directory-sync, which failed"},
			{Key: "payments-api", UniqueName: prefix + "payments-api", Action: plan.Update, Status: plan.Applied, AppID: paymentsAppID,
				ObjectID: "0b7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20",
				Steps: []string{"updated application (displayName, audience, web.redirectUris)", "removed owner mallory@contoso.com",
					"upserted federated credential deploy-main", "created secret ci (hint Zx9, expires 2026-04-12) and delivered it to contoso/payments secret AZURE_CLIENT_SECRET"}},
		},
		Refused: []plan.Refusal{{Key: "old-dashboard", AppID: oldDashAppID, Action: plan.Delete,
			Reason: "deleting it would exceed deletion.maxPerRun (1) for this run", Hint: "it is deleted by a later run, or raise deletion.maxPerRun in appreg.yaml"}},
		Secrets: []rotate.Outcome{
			{Registration: "payments-api", Secret: "ci", Action: rotate.Create, Reason: "no client secret exists yet",
				NewKeyID: "5a1c9e0f-3b7d-4e2a-9c8b-6d4f2e1a0b9c", ValidUntil: "2027-02-20", Verified: true,
				Delivered: []string{"contoso/payments secret AZURE_CLIENT_SECRET"}, Removed: []string{}},
			{Registration: "jupyterhub", Secret: "hub", Action: rotate.Rotate, Reason: "expires 2026-12-01, within rotateBefore (30d)",
				NewKeyID: "7e2d8c1b-4a6f-4b3e-8d9c-0f1e2a3b4c5d", ValidUntil: "2027-02-20", Verified: true, Delivered: []string{}, Removed: []string{},
				Error: "delivering the new secret of jupyterhub to contoso/jupyterhub-deploy secret JUPYTERHUB_CLIENT_SECRET (the previous secret stays valid): writing secret JUPYTERHUB_CLIENT_SECRET of contoso/jupyterhub-deploy: github answered 403 Forbidden: Resource not accessible by integration"},
		},
	}
}

// secrets is a plan whose only news is client secrets: one to create on
// apply, one due for rotation, one kept with its predecessor inside the
// overlap and a credential made in the portal.
func secrets() *plan.Plan {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	repo := appreg.Delivery{Kind: appreg.DeliverRepo, Repo: "contoso/payments", Secret: "AZURE_CLIENT_SECRET"}
	env := appreg.Delivery{Kind: appreg.DeliverEnvironment, Repo: "contoso/payments", Environment: "production", Secret: "AZURE_CLIENT_SECRET"}
	org := appreg.Delivery{Kind: appreg.DeliverOrg, Org: "contoso", Secret: "REPORTS_SECRET", Visibility: "selected", Repos: []string{"reports"}}
	s := func(name string, d ...appreg.Delivery) appreg.Secret {
		return appreg.Secret{Name: name, Lifetime: 90 * day, RotateBefore: 30 * day, Overlap: 7 * day, Deliver: d}
	}
	cred := func(key, secret string, start time.Time) appreg.PasswordCredential {
		return appreg.PasswordCredential{KeyID: key, DisplayName: rotate.DisplayName(secret, start), Hint: "Zx9", Start: start, End: start.Add(90 * day)}
	}
	portal := appreg.PasswordCredential{KeyID: "0c0c0c0c-1111-4222-8333-444455556666", DisplayName: "added by hand", Start: now.Add(-200 * day), End: now.Add(500 * day)}
	return &plan.Plan{
		Changes:   []plan.Change{},
		Unchanged: []string{"jupyterhub", "payments-api", "reports"},
		Refused:   []plan.Refusal{},
		Secrets: []rotate.Decision{
			rotate.Decide(now, "jupyterhub", s("hub", appreg.Delivery{Kind: appreg.DeliverRepo, Repo: "contoso/jupyterhub-deploy", Secret: "JUPYTERHUB_CLIENT_SECRET"}), nil, false),
			rotate.Decide(now, "payments-api", s("ci", repo, env), []appreg.PasswordCredential{
				cred("3f2e1d0c-9b8a-4765-8432-10fedcba9876", "ci", now.Add(-65*day)), portal}, false),
			rotate.Decide(now, "reports", s("sync", org), []appreg.PasswordCredential{
				cred("aa11bb22-cc33-4d44-8e55-66ff77889900", "sync", now.Add(-3*day)),
				cred("99887766-5544-4332-8211-00ffeeddccbb", "sync", now.Add(-70*day))}, false),
		},
		Fingerprint: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}
}

// advice is a plan with advice about two registrations: a warning, an
// error appreg.yaml raised, and a silenced one.
func advice() *plan.Plan {
	p := plan.Compute(plan.Input{Settings: settings(), Desired: set(desired("orders-deployer", nil), desired("legacy-sync", nil)), Observed: set()})
	p.Advice = []plan.Advice{
		{ID: "AR008", Key: "orders-deployer", Severity: diag.Warning, File: "registrations/orders-deployer.yaml", Line: 11, Column: 7,
			Message: "Owner on /subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/orders lets orders-deployer grant anyone access there: assign Contributor, which manages the same resources but not who may access them"},
		{ID: "AR006", Key: "legacy-sync", Severity: diag.Error, File: "registrations/legacy-sync.yaml", Line: 11, Column: 7,
			Message: "secret legacy is only delivered to GitHub Actions: sign in from the workflow with a federated credential (credentials.federated: - github: {repo: contoso/legacy, …}) and remove the secret"},
		{ID: "AR007", Key: "legacy-sync", Severity: diag.Warning, File: "registrations/legacy-sync.yaml", Line: 11, Column: 7, Silenced: true, SilencedBy: "registrations/legacy-sync.yaml:15:1",
			Message: "secret legacy lives 365d, beyond the 180d that Entra recommends and tenant credential policies commonly enforce: shorten lifetime, or set policy.secrets.maxLifetime in appreg.yaml to your tenant's limit"},
	}
	return p
}
