package emulator

import (
	"strings"
)

// defaultAccessRoleID is the app role id that grants access without a
// specific role.
const defaultAccessRoleID = "00000000-0000-0000-0000-000000000000"

// assign creates an app role assignment of appRoleID on resource to the
// principal (service principal or user). Graph refuses duplicates with 400
// (apis.md §5). The caller holds s.mu.
func (s *Server) assign(resource *servicePrincipal, body map[string]any) (*object, *apiError) {
	for k := range body {
		if !strings.HasPrefix(k, "@odata.") && k != "principalId" && k != "resourceId" && k != "appRoleId" {
			if assignmentProps[k] {
				return nil, errReadOnly(k)
			}
			return nil, errUnknownProperty(k)
		}
	}
	principalID, roleID := str(body["principalId"]), strings.ToLower(str(body["appRoleId"]))
	if rid := str(body["resourceId"]); rid != "" && !strings.EqualFold(rid, resource.id()) {
		return nil, errBadRequest("The resourceId in the request body does not match the service principal in the URL.")
	}
	o, kind := s.t.directoryObject(principalID)
	if o == nil || kind == "application" {
		return nil, errNotFound(principalID)
	}
	if roleID != defaultAccessRoleID {
		found := false
		for _, r := range resource.props["appRoles"].([]any) {
			m := r.(map[string]any)
			if strings.EqualFold(str(m["id"]), roleID) && m["isEnabled"] == true {
				types := stringsOf(m["allowedMemberTypes"])
				want := "Application"
				if kind == "user" || kind == "group" {
					want = "User"
				}
				for _, t := range types {
					found = found || t == want
				}
			}
		}
		if !found {
			return nil, errBadRequest("Permission being assigned was not found on application '%s'.", str(resource.props["appId"]))
		}
	}
	for _, as := range s.t.assignments {
		if strings.EqualFold(str(as.props["principalId"]), o.id()) && strings.EqualFold(str(as.props["resourceId"]), resource.id()) &&
			strings.EqualFold(str(as.props["appRoleId"]), roleID) {
			return nil, errBadRequest("Permission being assigned already exists on the object.")
		}
	}
	principalType := map[string]string{"user": "User", "group": "Group"}[kind]
	if principalType == "" {
		principalType = "ServicePrincipal"
	}
	props := assignmentTemplate()
	props["id"] = newLongID()
	props["appRoleId"] = roleID
	props["createdDateTime"] = s.timestamp()
	props["principalDisplayName"] = o.props["displayName"]
	props["principalId"] = o.id()
	props["principalType"] = principalType
	props["resourceDisplayName"] = resource.props["displayName"]
	props["resourceId"] = resource.id()
	as := &object{seq: s.t.nextSeq(), props: props}
	s.t.assignments[props["id"].(string)] = as
	return as, nil
}

// assignmentsWhere lists assignments whose prop equals id. The caller holds
// s.mu.
func (s *Server) assignmentsWhere(prop, id string) []entry {
	var out []entry
	for _, as := range s.t.assignments {
		if strings.EqualFold(str(as.props[prop]), id) {
			out = append(out, entry{seq: as.seq, props: as.props})
		}
	}
	return out
}

func (s *Server) listAssignments(r *request, k spKey, prop, nav string) *response {
	q, resp := s.parseList(r, "appRoleAssignment", assignmentProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	return s.page(r, q, "servicePrincipals('"+sp.id()+"')/"+nav, s.assignmentsWhere(prop, sp.id()))
}

func (s *Server) postAppRoleAssignedTo(r *request, k spKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	if err := mayAssign(r); err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	as, err := s.assign(sp, body)
	if err != nil {
		return s.fail(r, err)
	}
	return s.created(r, as.props, "servicePrincipals('"+sp.id()+"')/appRoleAssignedTo")
}

// postAppRoleAssignment answers POST /servicePrincipals/{principal}/appRoleAssignments,
// the same assignment seen from the principal.
func (s *Server) postAppRoleAssignment(r *request, k spKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	if err := mayAssign(r); err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	principal, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	if pid := str(body["principalId"]); !strings.EqualFold(pid, principal.id()) {
		return s.fail(r, errBadRequest("The principalId in the request body does not match the service principal in the URL."))
	}
	resource := s.t.sp(str(body["resourceId"]), false)
	if resource == nil {
		return s.fail(r, errNotFound(str(body["resourceId"])))
	}
	as, err := s.assign(resource, body)
	if err != nil {
		return s.fail(r, err)
	}
	return s.created(r, as.props, "servicePrincipals('"+principal.id()+"')/appRoleAssignments")
}

func (s *Server) getAssignment(r *request, k spKey, prop, nav, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	as := s.t.assignments[id]
	if as == nil || !strings.EqualFold(str(as.props[prop]), sp.id()) {
		return s.fail(r, errNotFound(id))
	}
	return s.entity(r, "appRoleAssignment", "servicePrincipals('"+sp.id()+"')/"+nav, assignmentProps, entry{seq: as.seq, props: as.props})
}

func (s *Server) deleteAssignment(r *request, k spKey, prop, id string) *response {
	if err := mayAssign(r); err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	as := s.t.assignments[id]
	if as == nil || !strings.EqualFold(str(as.props[prop]), sp.id()) {
		return s.fail(r, errNotFound(id))
	}
	delete(s.t.assignments, id)
	return noContent()
}

// grantedRoles returns the values of the app roles of resource assigned to
// the service principal principalID. The caller holds s.mu.
func (s *Server) grantedRoles(principalID string, resource *servicePrincipal) []string {
	var out []string
	for _, as := range s.t.assignments {
		if !strings.EqualFold(str(as.props["principalId"]), principalID) || !strings.EqualFold(str(as.props["resourceId"]), resource.id()) {
			continue
		}
		for _, r := range resource.props["appRoles"].([]any) {
			m := r.(map[string]any)
			if strings.EqualFold(str(m["id"]), str(as.props["appRoleId"])) && str(m["value"]) != "" {
				out = append(out, str(m["value"]))
			}
		}
	}
	return out
}
