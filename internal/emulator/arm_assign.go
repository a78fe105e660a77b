package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// Role assignments and role definitions as ARM serves them at api-version
// 2022-04-01 (https://learn.microsoft.com/rest/api/authorization/role-assignments,
// https://learn.microsoft.com/rest/api/authorization/role-definitions), with
// the errors documented in
// https://learn.microsoft.com/azure/role-based-access-control/troubleshooting.

const (
	actionAssignRead   = "Microsoft.Authorization/roleAssignments/read"
	actionAssignWrite  = "Microsoft.Authorization/roleAssignments/write"
	actionAssignDelete = "Microsoft.Authorization/roleAssignments/delete"
)

// principalTypes are the values ARM accepts for principalType.
var principalTypes = map[string]bool{"User": true, "Group": true, "ServicePrincipal": true, "ForeignGroup": true, "Device": true}

// roleDefinitionJSON renders a role definition as listed at scope.
func roleDefinitionJSON(d *roleDefinition, sc armScope) map[string]any {
	scopes := d.assignableScopes
	if len(scopes) == 0 {
		scopes = []string{"/"}
	}
	return map[string]any{
		"id":   roleDefinitionID(d.id, sc),
		"name": d.id,
		"type": "Microsoft.Authorization/roleDefinitions",
		"properties": map[string]any{
			"roleName": d.name, "type": cmpOr(d.roleType, "BuiltInRole"), "description": d.description,
			"assignableScopes": toAny(scopes),
			"permissions": []any{map[string]any{
				"actions": toAny(d.actions), "notActions": toAny(append([]string{}, d.notActions...)),
				"dataActions": []any{}, "notDataActions": []any{},
			}},
			"createdOn": "2015-02-02T21:55:09.8806423Z", "updatedOn": "2024-01-01T00:00:00.0000000Z",
			"createdBy": nil, "updatedBy": nil,
		},
	}
}

// roleDefinitionID is a role definition's id as ARM returns it for a scope:
// subscription-relative inside a subscription, tenant-level elsewhere.
func roleDefinitionID(guid string, sc armScope) string {
	if sc.sub != "" {
		return "/subscriptions/" + sc.sub + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
	}
	return "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

// definitionsAt returns the roles assignable at sc. The caller holds s.mu.
func (s *Server) definitionsAt(sc armScope) []*roleDefinition {
	var out []*roleDefinition
	for i := range builtInRoles {
		out = append(out, &builtInRoles[i])
	}
	for i := range s.armTenant().custom {
		d := &s.armTenant().custom[i]
		for _, as := range d.assignableScopes {
			if outer, e := parseScope(as); e == nil && (s.encloses(outer, sc) || s.encloses(sc, outer)) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

var roleNameFilter = regexp.MustCompile(`^\s*roleName\s+eq\s+'(.*)'\s*$`)

func (s *Server) listRoleDefinitions(c *armCall, scopePath string) (int, any, http.Header) {
	sc, e := parseScope(scopePath)
	if e != nil {
		return armFail(e)
	}
	var name string
	if f := firstOf(c.query, "$filter"); f != "" {
		m := roleNameFilter.FindStringSubmatch(f)
		if m == nil && !strings.Contains(f, "type eq") {
			return armFail(&armError{400, "InvalidFilter", "The filter '" + f + "' is not supported."})
		}
		if m != nil {
			name = m[1]
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []any{}
	for _, d := range s.definitionsAt(sc) {
		if name == "" || strings.EqualFold(d.name, name) {
			items = append(items, roleDefinitionJSON(d, sc))
		}
	}
	return http.StatusOK, map[string]any{"value": items}, nil
}

func (s *Server) getRoleDefinition(c *armCall, scopePath, id string) (int, any, http.Header) {
	sc, e := parseScope(scopePath)
	if e != nil {
		return armFail(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.definitionsAt(sc) {
		if strings.EqualFold(d.id, id) {
			return http.StatusOK, roleDefinitionJSON(d, sc), nil
		}
	}
	return armFail(&armError{404, "RoleDefinitionDoesNotExist", "The specified role definition with ID '" + id + "' does not exist."})
}

func firstOf(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// assignmentJSON renders a role assignment.
func assignmentJSON(a *roleAssignment) map[string]any {
	return map[string]any{
		"id": a.id(), "name": a.name, "type": "Microsoft.Authorization/roleAssignments",
		"properties": map[string]any{
			"roleDefinitionId": roleDefinitionID(a.roleID, a.scope),
			"principalId":      a.principalID, "principalType": a.principalType,
			"scope": a.scope.String(), "condition": nil, "conditionVersion": nil,
			"createdOn": a.createdOn, "updatedOn": a.createdOn, "createdBy": a.createdBy, "updatedBy": a.createdBy,
			"delegatedManagedIdentityResourceId": nil, "description": nullable(a.description),
		},
	}
}

// roleAssignment answers GET, PUT and DELETE on one role assignment.
func (s *Server) roleAssignment(c *armCall, scopePath, name string) (int, any, http.Header) {
	sc, e := parseScope(scopePath)
	if e != nil {
		return armFail(e)
	}
	id := strings.TrimSuffix(sc.String(), "/") + "/providers/Microsoft.Authorization/roleAssignments/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.armTenant()
	existing := st.assignments[strings.ToLower(id)]
	switch c.method {
	case http.MethodGet:
		if e := s.authorize(c.principal, actionAssignRead, sc, id); e != nil {
			return armFail(e)
		}
		if existing == nil {
			return armFail(&armError{404, "RoleAssignmentNotFound", "The role assignment '" + name + "' is not found."})
		}
		return http.StatusOK, assignmentJSON(existing), nil
	case http.MethodDelete:
		if e := s.authorize(c.principal, actionAssignDelete, sc, id); e != nil {
			return armFail(e)
		}
		if existing == nil {
			return http.StatusNoContent, nil, nil
		}
		delete(st.assignments, strings.ToLower(id))
		return http.StatusOK, assignmentJSON(existing), nil
	case http.MethodPut:
		if e := s.authorize(c.principal, actionAssignWrite, sc, id); e != nil {
			return armFail(e)
		}
		a, e := s.putAssignment(c, sc, name, existing)
		if e != nil {
			return armFail(e)
		}
		return http.StatusCreated, assignmentJSON(a), nil
	}
	return armFail(&armError{405, "MethodNotAllowed", "The requested method is not allowed."})
}

// putAssignment validates and creates a role assignment. The caller holds
// s.mu.
func (s *Server) putAssignment(c *armCall, sc armScope, name string, existing *roleAssignment) (*roleAssignment, *armError) {
	if !guidPattern.MatchString(name) || len(name) != 36 {
		return nil, &armError{400, "InvalidRoleAssignmentId", "The role assignment ID '" + name + "' is not valid. The role assignment ID must be a GUID."}
	}
	var body struct {
		Properties *struct {
			RoleDefinitionID string `json:"roleDefinitionId"`
			PrincipalID      string `json:"principalId"`
			PrincipalType    string `json:"principalType"`
			Description      string `json:"description"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Properties == nil {
		return nil, &armError{400, "InvalidRequestContent", "The request content was invalid and could not be deserialized."}
	}
	p := body.Properties
	if p.RoleDefinitionID == "" || p.PrincipalID == "" {
		return nil, &armError{400, "InvalidCreateRoleAssignmentRequest", "The request to create role assignment '" + name + "' is not valid. Role definition ID and principal ID are required."}
	}
	if p.PrincipalType != "" && !principalTypes[p.PrincipalType] {
		return nil, &armError{400, "InvalidPrincipalType", "The principal type '" + p.PrincipalType + "' is not valid."}
	}
	roleID := strings.ToLower(p.RoleDefinitionID[strings.LastIndex(p.RoleDefinitionID, "/")+1:])
	var def *roleDefinition
	for _, d := range s.definitionsAt(sc) {
		if strings.EqualFold(d.id, roleID) {
			def = d
		}
	}
	if def == nil || !strings.Contains(strings.ToLower(p.RoleDefinitionID), "/providers/microsoft.authorization/roledefinitions/") {
		return nil, &armError{400, "RoleDefinitionDoesNotExist", "The specified role definition with ID '" + roleID + "' does not exist."}
	}
	kind, e := s.armPrincipal(p.PrincipalID, p.PrincipalType)
	if e != nil {
		return nil, e
	}
	if existing != nil {
		if !strings.EqualFold(existing.principalID, p.PrincipalID) || existing.roleID != roleID {
			return nil, &armError{400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated."}
		}
		return nil, &armError{409, "RoleAssignmentExists", "The role assignment already exists."}
	}
	for _, a := range s.armTenant().assignments {
		if strings.EqualFold(a.principalID, p.PrincipalID) && a.roleID == roleID && a.scope.key() == sc.key() {
			return nil, &armError{409, "RoleAssignmentExists", "The role assignment already exists."}
		}
	}
	a := &roleAssignment{
		name: strings.ToLower(name), scope: sc, roleID: roleID, principalID: strings.ToLower(p.PrincipalID),
		principalType: kind, description: p.Description, createdOn: s.now().UTC().Format("2006-01-02T15:04:05.0000000Z"),
		createdBy: c.principal, seq: s.t.nextSeq(),
	}
	s.armTenant().assignments[strings.ToLower(a.id())] = a
	return a, nil
}

// armPrincipal checks that a role assignment's principal exists in the
// directory and returns its type. A principal still replicating is
// PrincipalNotFound unless the request names its type, as ARM documents
// (https://aka.ms/docs-principaltype). The caller holds s.mu.
func (s *Server) armPrincipal(id, declared string) (string, *armError) {
	notFound := &armError{400, "PrincipalNotFound", "Principal " + strings.ReplaceAll(id, "-", "") + " does not exist in the directory " + s.tenantID +
		". Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype"}
	o, kind := s.t.directoryObject(id)
	if o == nil || kind == "application" {
		return "", notFound
	}
	actual := map[string]string{"user": "User", "servicePrincipal": "ServicePrincipal", "group": "Group"}[kind]
	lagging := !s.seen(&o.vis)
	if lagging && declared == "" {
		return "", notFound
	}
	if declared != "" && declared != actual {
		return "", &armError{400, "UnmatchedPrincipalType", "The PrincipalId '" + strings.ReplaceAll(id, "-", "") + "' has type '" + actual +
			"' , which is different from specified PrincipalType '" + declared + "'."}
	}
	return actual, nil
}

// listRoleAssignments answers GET {scope}/providers/Microsoft.Authorization/roleAssignments:
// without a filter, the assignments at, above and below the scope;
// $filter=atScope() those at or above; $filter=principalId eq '{id}' those
// of one principal at, above or below.
func (s *Server) listRoleAssignments(c *armCall, scopePath string) (int, any, http.Header) {
	sc, e := parseScope(scopePath)
	if e != nil {
		return armFail(e)
	}
	filter := strings.TrimSpace(firstOf(c.query, "$filter"))
	atScope, principal := false, ""
	switch {
	case filter == "":
	case filter == "atScope()":
		atScope = true
	case strings.HasPrefix(filter, "principalId eq "):
		principal = strings.Trim(strings.TrimPrefix(filter, "principalId eq "), "' ")
	default:
		return armFail(&armError{400, "UnsupportedQuery", "The filter '" + filter + "' is not supported. Supported filters are atScope(), principalId eq '{value}' and assignedTo('{value}')."})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.authorize(c.principal, actionAssignRead, sc, sc.String()); e != nil {
		return armFail(e)
	}
	var found []*roleAssignment
	for _, a := range s.armTenant().assignments {
		above := s.encloses(a.scope, sc)
		below := s.encloses(sc, a.scope)
		if !above && (atScope || !below) {
			continue
		}
		if principal != "" && !strings.EqualFold(a.principalID, principal) {
			continue
		}
		found = append(found, a)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].seq < found[j].seq })
	items := make([]any, len(found))
	for i, a := range found {
		items[i] = assignmentJSON(a)
	}
	return http.StatusOK, map[string]any{"value": items}, nil
}
