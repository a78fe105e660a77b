package emulator

import (
	"fmt"
	"strings"

	"github.com/appreg/appreg/internal/catalog"
)

// The methods below give tests direct access to the tenant, like an edit in
// the portal: no HTTP, no authentication, no faults, no replication lag.
// Objects are returned as JSON-shaped maps, as Graph would return them, and
// are copies.

// AddUser adds a user (or returns the existing one's id) and verifies the
// domain of its user principal name.
func (s *Server) AddUser(upn string) (id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.t.user(upn); u != nil {
		return u.id()
	}
	u, err := s.createUser(map[string]any{"userPrincipalName": upn})
	if err != nil {
		return ""
	}
	return u.id()
}

// CreateApplication creates an application from Graph JSON properties
// (e.g. an unmanaged app to adopt), with Graph's validation.
func (s *Server) CreateApplication(props map[string]any) (map[string]any, error) {
	body, ok := normalize(props).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("creating application: properties must be an object")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.createApp(body, "", false)
	if err != nil {
		return nil, fmt.Errorf("creating application: %w", err)
	}
	return clone(a.props).(map[string]any), nil
}

// Application returns an application by object id, appId or uniqueName.
func (s *Server) Application(key string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(key)
	if a == nil {
		return nil, false
	}
	return clone(a.props).(map[string]any), true
}

// PatchApplication updates an application by object id, appId or
// uniqueName, with Graph's PATCH semantics and validation.
func (s *Server) PatchApplication(key string, props map[string]any) error {
	body, ok := normalize(props).(map[string]any)
	if !ok {
		return fmt.Errorf("patching application %q: properties must be an object", key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(key)
	if a == nil {
		return fmt.Errorf("patching application %q: %w", key, errNotFound(key))
	}
	if err := s.patchApp(a, body); err != nil {
		return fmt.Errorf("patching application %q: %w", key, err)
	}
	return nil
}

// AddPassword adds a password credential to an application (by object id,
// appId or uniqueName) and returns it with its secretText, as addPassword
// does. startDateTime and endDateTime may lie in the past, to make expired
// secrets.
func (s *Server) AddPassword(key string, cred map[string]any) (map[string]any, error) {
	in, _ := normalize(cred).(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(key)
	if a == nil {
		return nil, fmt.Errorf("adding password to %q: %w", key, errNotFound(key))
	}
	out, err := s.addPassword(a, in, false)
	if err != nil {
		return nil, fmt.Errorf("adding password to %q: %w", key, err)
	}
	return out, nil
}

// CreateServicePrincipal creates the service principal of an application
// in the tenant or of a Microsoft first-party application.
func (s *Server) CreateServicePrincipal(appID string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.createSP(map[string]any{"appId": appID}, false)
	if err != nil {
		return nil, fmt.Errorf("creating service principal for %s: %w", appID, err)
	}
	return clone(sp.props).(map[string]any), nil
}

// GrantOperator grants the operator a further Microsoft Graph application
// permission (an app role assignment on Microsoft Graph). Tokens issued
// after it carry the role.
func (s *Server) GrantOperator(role string) error {
	p, ok := catalog.Graph().Lookup(catalog.Application, role)
	if !ok {
		return fmt.Errorf("granting %s: not a Microsoft Graph application permission", role)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	graphSP := s.t.sp(graphAppID, true)
	_, err := s.assign(graphSP, map[string]any{
		"principalId": s.operator.ServicePrincipalID, "resourceId": graphSP.id(), "appRoleId": strings.ToLower(p.ID),
	})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("granting %s to the operator: %w", role, err)
	}
	return nil
}

// ServicePrincipal returns the service principal of an appId.
func (s *Server) ServicePrincipal(appID string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.t.sp(appID, true)
	if sp == nil {
		return nil, false
	}
	return clone(sp.props).(map[string]any), true
}

// AppRoleAssignments returns the app role assignments whose principalId is
// spID, oldest first.
func (s *Server) AppRoleAssignments(spID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedCopies(s.assignmentsWhere("principalId", spID))
}

// DelegatedGrants returns the oauth2PermissionGrants whose clientId is
// clientSPID, oldest first.
func (s *Server) DelegatedGrants(clientSPID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var es []entry
	for _, g := range s.t.grants {
		if strings.EqualFold(str(g.props["clientId"]), clientSPID) {
			es = append(es, entry{seq: g.seq, props: g.props})
		}
	}
	return sortedCopies(es)
}

// Owners returns the object ids of an application's owners (by object id,
// appId or uniqueName), in the order they were added.
func (s *Server) Owners(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.appByAnyKey(key)
	if a == nil {
		return nil
	}
	return append([]string(nil), a.owners...)
}

func sortedCopies(es []entry) []map[string]any {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].seq < es[j-1].seq; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
	out := make([]map[string]any, 0, len(es))
	for _, e := range es {
		out = append(out, clone(e.props).(map[string]any))
	}
	return out
}
