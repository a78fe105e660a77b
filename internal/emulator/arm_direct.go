package emulator

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// OperatorAzureRole is the Azure role the operator (appreg's own identity)
// holds at the tenant root management group in a fresh tenant, and so over
// every subscription: Role Based Access Control Administrator, which may
// read and write role assignments and nothing else.
const OperatorAzureRole = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"

func cmpOr(a, b string) string { return cmp.Or(a, b) }

// addAzureRole records a role assignment without checks. The caller holds
// s.mu.
func (s *Server) addAzureRole(principalID, principalType, roleID string, sc armScope) *roleAssignment {
	a := &roleAssignment{
		name: uuid.NewString(), scope: sc, roleID: strings.ToLower(roleID), principalID: strings.ToLower(principalID),
		principalType: principalType, createdOn: s.now().UTC().Format("2006-01-02T15:04:05.0000000Z"), seq: s.t.nextSeq(),
	}
	s.t.arm.assignments[strings.ToLower(a.id())] = a
	return a
}

// roleByName finds a role by name or GUID. The caller holds s.mu.
func (s *Server) roleByName(role string) *roleDefinition {
	if d := s.roleDefinitionByID(role[strings.LastIndex(role, "/")+1:]); d != nil {
		return d
	}
	for i := range builtInRoles {
		if strings.EqualFold(builtInRoles[i].name, role) {
			return &builtInRoles[i]
		}
	}
	for i, d := range s.armTenant().custom {
		if strings.EqualFold(d.name, role) {
			return &s.armTenant().custom[i]
		}
	}
	return nil
}

// AssignAzureRole assigns an Azure role (by name or id) to a principal (a
// service principal, user or group object id, or a user principal name) at
// scope, as someone working in the Azure portal would, and returns the
// assignment's resource id.
func (s *Server) AssignAzureRole(principal, role, scope string) (string, error) {
	sc, e := parseScope(scope)
	if e != nil {
		return "", e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.t.user(principal); u != nil {
		principal = u.id()
	}
	o, kind := s.t.directoryObject(principal)
	if o == nil || kind == "application" {
		return "", fmt.Errorf("principal %s is not in the tenant", principal)
	}
	d := s.roleByName(role)
	if d == nil {
		return "", fmt.Errorf("no Azure role %q", role)
	}
	typ := map[string]string{"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal"}[kind]
	return s.addAzureRole(o.id(), typ, d.id, sc).id(), nil
}

// RemoveAzureRoles removes every role assignment of a principal.
func (s *Server) RemoveAzureRoles(principalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, a := range s.armTenant().assignments {
		if strings.EqualFold(a.principalID, principalID) {
			delete(s.t.arm.assignments, k)
		}
	}
}

// AzureRoleAssignment is a role assignment as the direct API reports it.
type AzureRoleAssignment struct {
	ID, Role, Scope, PrincipalID, PrincipalType string
}

// AzureRoleAssignments returns the role assignments of a principal (every
// principal when principalID is empty), with role names, ordered by scope
// and role.
func (s *Server) AzureRoleAssignments(principalID string) []AzureRoleAssignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AzureRoleAssignment
	for _, a := range s.armTenant().assignments {
		if principalID != "" && !strings.EqualFold(a.principalID, principalID) {
			continue
		}
		name := a.roleID
		if d := s.roleDefinitionByID(a.roleID); d != nil {
			name = d.name
		}
		out = append(out, AzureRoleAssignment{ID: a.id(), Role: name, Scope: a.scope.String(), PrincipalID: a.principalID, PrincipalType: a.principalType})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// AddCustomRole defines a custom Azure role assignable at scopes and
// returns its id.
func (s *Server) AddCustomRole(name string, actions, notActions, assignableScopes []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := roleDefinition{
		id: uuid.NewString(), name: name, roleType: "CustomRole", actions: actions, notActions: notActions,
		assignableScopes: assignableScopes,
	}
	st := s.armTenant()
	st.custom = append(st.custom, d)
	return d.id
}

// AppToken issues an access token for resource (a URI such as
// "https://management.azure.com") to the service principal of an
// application (appId, uniqueName or object id), as the token endpoint would
// after a successful client credentials grant: what a deployment signed in
// as that application holds.
func (s *Server) AppToken(app, resource string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(app)
	if a == nil {
		return "", fmt.Errorf("no application %q", app)
	}
	appID := str(a.props["appId"])
	sp := s.t.sp(appID, true)
	if sp == nil {
		return "", fmt.Errorf("application %q has no service principal", app)
	}
	now := s.now()
	return s.signJWT(map[string]any{
		"aud": resource, "iss": s.issuer(), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"tid": s.tenantID, "appid": appID, "oid": sp.id(), "sub": sp.id(), "idtyp": "app", "ver": "1.0",
	})
}
