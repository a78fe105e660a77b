package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// LeastPrivilegeRoles are the Microsoft Graph application permissions the
// emulator grants its operator unless told otherwise: what an identity that
// creates and manages its own app registrations, resolves owners by user
// principal name and grants admin consent needs, and nothing more.
var LeastPrivilegeRoles = []string{
	"Application.ReadWrite.OwnedBy",
	"AppRoleAssignment.ReadWrite.All",
	"DelegatedPermissionGrant.ReadWrite.All",
	"Domain.Read.All", // GET /domains: identifier URIs are checked against the verified domains before any write
	"User.Read.All",
}

// caller is who signed a Graph request: the object id of the service
// principal (app-only token) or user (delegated token) and the permissions
// its token carries (roles for app-only, scp for delegated).
type caller struct {
	oid, appID string
	user       bool
	perm       map[string]bool
}

func newCaller(claims map[string]any) *caller {
	c := &caller{oid: strings.ToLower(str(claims["oid"])), appID: strings.ToLower(str(claims["appid"])), perm: map[string]bool{}}
	for _, r := range stringsOf(claims["roles"]) {
		c.perm[strings.ToLower(r)] = true
	}
	if scp := str(claims["scp"]); scp != "" {
		c.user = true
		for _, p := range strings.Fields(scp) {
			c.perm[strings.ToLower(p)] = true
		}
	}
	return c
}

func (c *caller) has(perms ...string) bool {
	for _, p := range perms {
		if c.perm[strings.ToLower(p)] {
			return true
		}
	}
	return false
}

// errDenied is Graph's answer when the token lacks the permission an
// operation needs (https://learn.microsoft.com/graph/errors: 403
// Authorization_RequestDenied).
func errDenied() *apiError {
	return &apiError{http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."}
}

// Permission rules, from the Microsoft Graph permissions reference
// (https://learn.microsoft.com/graph/permissions-reference) and the API
// pages of each operation:
//
//   - Application.ReadWrite.All (or Directory.ReadWrite.All) writes every
//     application and service principal.
//   - Application.ReadWrite.OwnedBy "allows the calling app to create other
//     applications and service principals, and fully manage those
//     applications and service principals": it may create applications
//     (POST /applications lists it), becoming their owner
//     (microsoftgraph/msgraph-sdk-powershell#829), and update only the
//     applications and service principals it owns
//     (microsoftgraph/microsoft-graph-docs#11114). It may create the
//     service principal of an application it owns
//     (microsoftgraph/microsoft-graph-docs#16138); it does not become owner
//     of that service principal unless it binds itself (owners@odata.bind,
//     as Terraform's azuread provider does).
//   - App role assignments need AppRoleAssignment.ReadWrite.All
//     (serviceprincipal-post-approleassignedto); delegated permission
//     grants need DelegatedPermissionGrant.ReadWrite.All
//     (oauth2permissiongrant-post); reading users needs User.Read.All or a
//     higher user or directory permission (user-get).
var (
	appWriteAll  = []string{"Application.ReadWrite.All", "Directory.ReadWrite.All"}
	appOwnedBy   = "Application.ReadWrite.OwnedBy"
	consentRoles = []string{"AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"}
	grantWrite   = []string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"}
	userRead     = []string{"User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// appRead reads applications and service principals (application-list,
	// serviceprincipal-list: "The Application.ReadWrite.OwnedBy permission
	// allows an app to call GET /applications and GET /servicePrincipals to
	// list all applications and service principals in the tenant").
	appRead = []string{"Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)

// mayRead checks a GET of applications or service principals (and what
// hangs off them): it needs one of appRead, except that "a service principal
// can retrieve its own application and service principal details without
// being granted any application permissions" (serviceprincipal-get). The
// caller holds s.mu.
func (s *Server) mayRead(r *request) *apiError {
	segs := parseSegments(r.path)
	if r.method != http.MethodGet || len(segs) == 0 || segs[0].name != "applications" && segs[0].name != "servicePrincipals" || r.caller.has(appRead...) {
		return nil
	}
	first := segs[0]
	switch {
	case first.keyed && first.keyProp == "appId":
		if strings.EqualFold(first.keyValue, r.caller.appID) {
			return nil
		}
	case !first.keyed && len(segs) > 1:
		id := segs[1].name
		if a := s.t.apps[strings.ToLower(id)]; first.name == "applications" && a != nil && strings.EqualFold(str(a.props["appId"]), r.caller.appID) {
			return nil
		}
		if first.name == "servicePrincipals" && strings.EqualFold(id, r.caller.oid) {
			return nil
		}
	}
	return errDenied()
}

// readAllowed answers 403 to a read mayRead refuses, or nil.
func (s *Server) readAllowed(r *request) *response {
	s.mu.Lock()
	err := s.mayRead(r)
	s.mu.Unlock()
	if err != nil {
		return s.fail(r, err)
	}
	return nil
}

// mayCreateApp checks that the caller may create an application.
func mayCreateApp(r *request) *apiError {
	if r.caller.has(appWriteAll...) || r.caller.has(appOwnedBy) {
		return nil
	}
	return errDenied()
}

// ownCreated makes an application's creator its owner when it created it
// with Application.ReadWrite.OwnedBy only. The caller holds s.mu.
func ownCreated(r *request, owners *[]string) {
	if r.caller.user || r.caller.has(appWriteAll...) || slices.Contains(*owners, r.caller.oid) {
		return
	}
	*owners = append(*owners, r.caller.oid)
}

// mayWriteOwned checks that the caller may write an application or service
// principal whose owners are owners.
func mayWriteOwned(r *request, owners []string) *apiError {
	if r.caller.has(appWriteAll...) {
		return nil
	}
	if r.caller.has(appOwnedBy) && slices.ContainsFunc(owners, func(o string) bool { return strings.EqualFold(o, r.caller.oid) }) {
		return nil
	}
	return errDenied()
}

// mayCreateSP checks that the caller may create the service principal of
// appID. The caller holds s.mu.
func (s *Server) mayCreateSP(r *request, appID string) *apiError {
	if r.caller.has(appWriteAll...) {
		return nil
	}
	if a := s.t.appsByAppID[strings.ToLower(appID)]; a != nil {
		return mayWriteOwned(r, a.owners)
	}
	return errDenied()
}

func mayAssign(r *request) *apiError {
	if r.caller.has(consentRoles...) {
		return nil
	}
	return errDenied()
}

func mayGrant(r *request) *apiError {
	if r.caller.has(grantWrite...) {
		return nil
	}
	return errDenied()
}

func mayReadUsers(r *request) *apiError {
	if r.caller.has(userRead...) {
		return nil
	}
	return errDenied()
}

// azureCLIAppID is the public client Azure CLI signs users in with.
const azureCLIAppID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// UserToken returns a Microsoft Graph access token for a user of the tenant
// signed in through Azure CLI with the delegated scopes given, as Entra
// issues it (v1.0, idtyp "user", oid the user's object id, scp the scopes,
// no roles): what a laptop's DefaultAzureCredential hands a Graph client.
func (s *Server) UserToken(upn string, scopes ...string) (string, error) {
	s.mu.Lock()
	u := s.t.user(upn)
	s.mu.Unlock()
	if u == nil {
		return "", fmt.Errorf("user %s is not in the tenant", upn)
	}
	now := s.now()
	claims := map[string]any{
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"tid": s.tenantID, "appid": azureCLIAppID, "app_displayname": "Microsoft Azure CLI",
		"oid": u.id(), "sub": newGUID(), "upn": str(u.props["userPrincipalName"]),
		"idtyp": "user", "scp": strings.Join(scopes, " "), "uti": newLongID()[:22],
	}
	v1Claims(claims, s.tenantID)
	return s.signJWT(claims)
}
