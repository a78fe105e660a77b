package advice

import (
	"fmt"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/appreg"
)

// The advice ids are stable: a retired check keeps its id unused, and a new
// check takes the next number. docs/advice.md has a section per id.
var checks = []check{
	{"AR001", "Delegated permissions on an app no user signs in to", delegatedWithoutUser},
	{"AR002", "Application permissions without admin consent", applicationWithoutConsent},
	{"AR003", "Scopes without an identifier URI", scopesWithoutIdentifierURI},
	{"AR004", "Power BI automation outside any security group", powerBIWithoutGroup},
	{"AR005", "Assignment required and nobody assigned", assignmentRequiredNobody},
	{"AR006", "A client secret only GitHub Actions uses", secretForGitHubOnly},
	{"AR007", "A secret lifetime beyond the tenant's policy", secretLifetime},
	{"AR008", "Owner where Contributor would do", ownerRole},
}

// RecommendedSecretLifetime is the longest client secret lifetime the
// Microsoft Entra admin center recommends (180 days), which tenants' app
// management policies commonly enforce.
const RecommendedSecretLifetime = 180 * 24 * time.Hour

// ownerRoleID is the role definition id of the built-in Azure role Owner.
// See https://learn.microsoft.com/azure/role-based-access-control/built-in-roles#owner.
const ownerRoleID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"

// delegatedWithoutUser: delegated permissions only ever reach a token that
// a user signed in for; an app that signs in only as itself gets none.
func delegatedWithoutUser(_ *Input, want, have *appreg.Registration) []finding {
	if userSignIn(want, have) || !hasCredential(want, have) {
		return nil
	}
	var out []finding
	for _, p := range want.Permissions {
		if len(p.Delegated) > 0 {
			out = append(out, finding{pos: p.Source, msg: fmt.Sprintf(
				"delegated permissions %s on %s never reach a token: no user signs in to %s (no redirect URIs, no public client flows); request application permissions with adminConsent: true instead",
				strings.Join(p.Delegated, ", "), p.API, want.Name)})
		}
	}
	return out
}

// applicationWithoutConsent: an application permission is in the token's
// roles claim only once an admin consented to it.
func applicationWithoutConsent(_ *Input, want, have *appreg.Registration) []finding {
	var out []finding
	for _, p := range want.Permissions {
		if len(p.Application) == 0 || p.AdminConsent != nil && *p.AdminConsent {
			continue
		}
		if p.AdminConsent == nil && consented(p, have) {
			continue // consent is granted outside appreg
		}
		out = append(out, finding{pos: p.Source, msg: fmt.Sprintf(
			"application permissions %s on %s have no admin consent, so the app's tokens carry no roles for them: set adminConsent: true",
			strings.Join(p.Application, ", "), p.API)})
	}
	return out
}

// scopesWithoutIdentifierURI: clients request a scope as
// "<identifier URI>/<scope>"; without an identifier URI the usual
// api://<appId> names no resource.
func scopesWithoutIdentifierURI(_ *Input, want, have *appreg.Registration) []finding {
	if want.API == nil || len(want.API.Scopes) == 0 {
		return nil
	}
	uris := want.IdentifierURIs
	if uris == nil && have != nil {
		uris = have.IdentifierURIs
	}
	if len(uris) > 0 {
		return nil
	}
	return []finding{{pos: want.API.Scopes[0].Source, msg: fmt.Sprintf(
		"%s exposes scopes but has no identifier URI, so clients asking for api://<appId>/<scope> get AADSTS500011: add identifierUris: [\"api://{appId}\"]", want.Name)}}
}

// powerBIWithoutGroup: Power BI admits a service principal to its APIs only
// when it is in a security group its tenant setting "Service principals can
// use Fabric APIs" allows.
func powerBIWithoutGroup(_ *Input, want, have *appreg.Registration) []finding {
	if userSignIn(want, have) {
		return nil
	}
	var groups []appreg.GroupMembership
	known := false
	if sp := want.ServicePrincipal; sp != nil && sp.MemberOf != nil {
		groups, known = sp.MemberOf, true
	} else if have != nil && have.ServicePrincipal != nil && have.ServicePrincipal.MemberOf != nil {
		groups, known = have.ServicePrincipal.MemberOf, true
	}
	if len(groups) > 0 {
		return nil
	}
	for _, p := range want.Permissions {
		if !strings.EqualFold(resourceAppID(p), appreg.KnownAPIs["power-bi"]) {
			continue
		}
		why := "is in no security group"
		if !known {
			why = "is in no declared security group"
		}
		return []finding{{pos: p.Source, msg: fmt.Sprintf(
			"%s calls Power BI as itself but its service principal %s, and Power BI admits service principals only through the groups its tenant setting allows: add servicePrincipal.memberOf: [the allowed group]",
			want.Name, why)}}
	}
	return nil
}

// assignmentRequiredNobody: with assignment required, only assigned users
// and groups get a token; assigning nobody locks everyone out (AADSTS50105).
func assignmentRequiredNobody(_ *Input, want, have *appreg.Registration) []finding {
	sp := want.ServicePrincipal
	if sp == nil || sp.AssignmentRequired == nil || !*sp.AssignmentRequired || !userSignIn(want, have) {
		return nil
	}
	assigned := sp.Assignments
	if assigned == nil {
		if have == nil || have.ServicePrincipal == nil || have.ServicePrincipal.Assignments == nil {
			return nil // unmanaged and unknown: people may be assigned in the portal
		}
		assigned = have.ServicePrincipal.Assignments
	}
	if len(assigned) > 0 {
		return nil
	}
	return []finding{{msg: fmt.Sprintf(
		"%s requires assignment but nobody is assigned, so every sign-in fails with AADSTS50105: add servicePrincipal.assignments (a group) or set assignmentRequired: false",
		want.Name)}}
}

// secretForGitHubOnly: a workflow signs in with its OIDC token through a
// federated credential; a secret delivered only to GitHub Actions is a
// credential to leak and rotate for nothing.
func secretForGitHubOnly(_ *Input, want, have *appreg.Registration) []finding {
	if want.Credentials == nil || userSignIn(want, have) {
		return nil
	}
	var out []finding
	for _, s := range want.Credentials.Secrets {
		if len(s.Deliver) == 0 {
			continue
		}
		repo := s.Deliver[0].Repo
		if repo == "" {
			repo = s.Deliver[0].Org + "/…"
		}
		out = append(out, finding{pos: s.Source, msg: fmt.Sprintf(
			"secret %s is only delivered to GitHub Actions: sign in from the workflow with a federated credential (credentials.federated: - github: {repo: %s, …}) and remove the secret",
			s.Name, repo)})
	}
	return out
}

// secretLifetime: Entra refuses addPassword beyond the lifetime the
// tenant's app management policy allows; appreg.yaml's
// policy.secrets.maxLifetime states that limit, and without it the
// recommended 180 days is assumed.
func secretLifetime(in *Input, want, _ *appreg.Registration) []finding {
	if in.Settings.Policy.Secrets.MaxLifetime > 0 || want.Credentials == nil {
		return nil // the loader already holds lifetimes to the stated policy
	}
	var out []finding
	for _, s := range want.Credentials.Secrets {
		if s.Lifetime > RecommendedSecretLifetime {
			out = append(out, finding{pos: s.Source, msg: fmt.Sprintf(
				"secret %s lives %s, beyond the 180d that Entra recommends and tenant credential policies commonly enforce: shorten lifetime, or set policy.secrets.maxLifetime in appreg.yaml to your tenant's limit",
				s.Name, days(s.Lifetime))})
		}
	}
	return out
}

// ownerRole: Owner can grant anyone access to everything in its scope;
// Contributor manages the same resources without that.
func ownerRole(_ *Input, want, _ *appreg.Registration) []finding {
	if want.ServicePrincipal == nil {
		return nil
	}
	var out []finding
	for _, r := range want.ServicePrincipal.AzureRoles {
		if strings.EqualFold(r.Role, "Owner") || strings.EqualFold(r.RoleName, "Owner") ||
			strings.EqualFold(r.Role, ownerRoleID) || strings.EqualFold(r.RoleID, ownerRoleID) {
			out = append(out, finding{pos: r.Source, msg: fmt.Sprintf(
				"Owner on %s lets %s grant anyone access there: assign Contributor, which manages the same resources but not who may access them",
				r.Scope, want.Name)})
		}
	}
	return out
}
