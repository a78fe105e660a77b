package emulator

import (
	"strings"
)

// Groups as Microsoft Graph serves them (https://learn.microsoft.com/graph/api/resources/group):
// security groups with members (users, service principals and groups)
// added and removed through members/$ref, and memberOf seen from a member.

// group is a group object with its direct members.
type group struct {
	object
	members []string // directory object ids, in the order added
}

func groupTemplate() map[string]any {
	return map[string]any{
		"id": nil, "deletedDateTime": nil, "classification": nil, "createdDateTime": nil,
		"description": nil, "displayName": nil, "groupTypes": []any{}, "isAssignableToRole": nil,
		"mail": nil, "mailEnabled": false, "mailNickname": nil, "securityEnabled": true,
		"securityIdentifier": nil, "visibility": nil,
	}
}

var groupProps = keysOf(groupTemplate())

// directoryProps are the properties selectable on a list of directory
// objects of any type.
var directoryProps = func() map[string]bool {
	p := map[string]bool{}
	for _, m := range []map[string]bool{userProps, servicePrincipalProps, groupProps} {
		for k := range m {
			p[k] = true
		}
	}
	return p
}()

// groupsByID returns the tenant's groups, creating the map on first use.
// The caller holds s.mu.
func (s *Server) groupsByID() map[string]*group {
	if s.t.groups == nil {
		s.t.groups = map[string]*group{}
	}
	return s.t.groups
}

// createGroup validates and adds a group (group-post-groups: displayName,
// mailEnabled, mailNickname and securityEnabled are required). The caller
// holds s.mu.
func (s *Server) createGroup(body map[string]any) (*group, *apiError) {
	props := groupTemplate()
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") || k == "members@odata.bind" || k == "owners@odata.bind" {
			continue
		}
		if !groupProps[k] {
			return nil, errUnknownProperty(k)
		}
		switch k {
		case "id", "createdDateTime", "deletedDateTime", "mail", "securityIdentifier":
			return nil, errReadOnly(k)
		}
		props[k] = clone(v)
	}
	for _, req := range []string{"displayName", "mailEnabled", "mailNickname", "securityEnabled"} {
		if _, ok := body[req]; !ok || body[req] == nil {
			return nil, errInvalidValue(req, "Group")
		}
	}
	props["id"] = newGUID()
	props["createdDateTime"] = s.timestamp()
	props["securityIdentifier"] = "S-1-12-1-" + strings.ReplaceAll(props["id"].(string)[:13], "-", "")
	g := &group{object: object{seq: s.t.nextSeq(), props: props, vis: s.newVisibility()}}
	s.groupsByID()[strings.ToLower(g.id())] = g
	for _, ref := range stringsOf(body["members@odata.bind"]) {
		if e := s.addMember(g, refID(ref)); e != nil {
			delete(s.groupsByID(), strings.ToLower(g.id()))
			return nil, e
		}
	}
	return g, nil
}

// groupByKey finds a group by object id, honouring replication lag. The
// caller holds s.mu.
func (s *Server) groupByKey(id string) (*group, *apiError) {
	g := s.groupsByID()[strings.ToLower(id)]
	if g == nil || !s.seen(&g.vis) {
		return nil, errNotFound(id)
	}
	return g, nil
}

// addMember adds a user, service principal or group to g. Graph refuses a
// duplicate with 400 and an unknown object with 404. The caller holds s.mu.
func (s *Server) addMember(g *group, id string) *apiError {
	o, kind := s.t.directoryObject(id)
	if o == nil || kind == "application" {
		return errNotFound(id)
	}
	for _, m := range g.members {
		if strings.EqualFold(m, o.id()) {
			return errBadRequest("One or more added object references already exist for the following modified properties: 'members'.")
		}
	}
	g.members = append(g.members, o.id())
	return nil
}

// groupsOf returns the ids of the groups id is a member of, directly or
// through nested groups. The caller holds s.mu.
func (s *Server) groupsOf(id string) []string {
	var out []string
	seen := map[string]bool{}
	queue := []string{strings.ToLower(id)}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for gid, g := range s.groupsByID() {
			if seen[gid] {
				continue
			}
			for _, m := range g.members {
				if strings.EqualFold(m, cur) {
					seen[gid] = true
					out = append(out, g.id())
					queue = append(queue, gid)
					break
				}
			}
		}
	}
	return out
}

func (s *Server) routeGroups(segs []segment, unknown func() (string, handler)) (string, handler) {
	switch {
	case len(segs) == 1:
		return "/v1.0/groups", s.byMethod(map[string]handler{"GET": s.listGroups, "POST": s.postGroup})
	case len(segs) == 2:
		id := segs[1].name
		return "/v1.0/groups/{id}", s.byMethod(map[string]handler{
			"GET":    func(r *request) *response { return s.getGroup(r, id) },
			"DELETE": func(r *request) *response { return s.deleteGroup(r, id) },
		})
	case len(segs) == 3 && segs[2].name == "members":
		id := segs[1].name
		return "/v1.0/groups/{id}/members", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.listMembers(r, id) }})
	case len(segs) == 4 && segs[2].name == "members" && segs[3].name == "$ref":
		id := segs[1].name
		return "/v1.0/groups/{id}/members/$ref", s.byMethod(map[string]handler{"POST": func(r *request) *response { return s.postMemberRef(r, id) }})
	case len(segs) == 5 && segs[2].name == "members" && segs[4].name == "$ref":
		id, member := segs[1].name, segs[3].name
		return "/v1.0/groups/{id}/members/{id}/$ref", s.byMethod(map[string]handler{"DELETE": func(r *request) *response { return s.deleteMemberRef(r, id, member) }})
	}
	return unknown()
}

func (s *Server) listGroups(r *request) *response {
	if e := mayReadGroups(r); e != nil {
		return s.fail(r, e)
	}
	q, resp := s.parseList(r, "group", groupProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []entry
	for _, g := range s.groupsByID() {
		if s.seen(&g.vis) {
			all = append(all, entry{seq: g.seq, props: g.props})
		}
	}
	return s.page(r, q, "groups", all)
}

func (s *Server) postGroup(r *request) *response {
	if e := mayCreateGroup(r); e != nil {
		return s.fail(r, e)
	}
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.createGroup(body)
	if err != nil {
		return s.fail(r, err)
	}
	return s.created(r, g.props, "groups")
}

func (s *Server) getGroup(r *request, id string) *response {
	if e := mayReadGroups(r); e != nil {
		return s.fail(r, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupByKey(id)
	if err != nil {
		return s.fail(r, err)
	}
	return s.entity(r, "group", "groups", groupProps, entry{seq: g.seq, props: g.props})
}

func (s *Server) deleteGroup(r *request, id string) *response {
	if e := mayWriteGroups(r); e != nil {
		return s.fail(r, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupByKey(id)
	if err != nil {
		return s.fail(r, err)
	}
	delete(s.groupsByID(), strings.ToLower(g.id()))
	return noContent()
}

func (s *Server) listMembers(r *request, id string) *response {
	if e := mayReadGroups(r); e != nil {
		return s.fail(r, e)
	}
	q, resp := s.parseList(r, "directoryObject", directoryProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupByKey(id)
	if err != nil {
		return s.fail(r, err)
	}
	var all []entry
	for i, m := range g.members {
		if o, kind := s.t.directoryObject(m); o != nil {
			all = append(all, entry{seq: int64(i + 1), props: o.props, extra: map[string]any{"@odata.type": "#microsoft.graph." + kind}})
		}
	}
	return s.page(r, q, "directoryObjects", all)
}

// postMemberRef answers POST /groups/{id}/members/$ref
// (group-post-members: {"@odata.id": "…/directoryObjects/{id}"}, 204).
func (s *Server) postMemberRef(r *request, id string) *response {
	if e := mayWriteMembers(r); e != nil {
		return s.fail(r, e)
	}
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	ref := str(body["@odata.id"])
	if ref == "" {
		return s.badRequest(r, "Invalid request body: @odata.id is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupByKey(id)
	if err != nil {
		return s.fail(r, err)
	}
	if err := s.addMember(g, refID(ref)); err != nil {
		return s.fail(r, err)
	}
	return noContent()
}

// deleteMemberRef answers DELETE /groups/{id}/members/{member}/$ref
// (group-delete-members: 204; 404 when not a member).
func (s *Server) deleteMemberRef(r *request, id, member string) *response {
	if e := mayWriteMembers(r); e != nil {
		return s.fail(r, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupByKey(id)
	if err != nil {
		return s.fail(r, err)
	}
	for i, m := range g.members {
		if strings.EqualFold(m, member) {
			g.members = append(g.members[:i], g.members[i+1:]...)
			return noContent()
		}
	}
	return s.fail(r, errNotFound(member))
}

// listMemberOf answers GET /{users|servicePrincipals}/{id}/memberOf: the
// groups the object is a direct member of.
func (s *Server) listMemberOf(r *request, objectID func() (string, *apiError)) *response {
	if e := mayReadGroups(r); e != nil {
		return s.fail(r, e)
	}
	q, resp := s.parseList(r, "directoryObject", directoryProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := objectID()
	if err != nil {
		return s.fail(r, err)
	}
	var all []entry
	for _, g := range s.groupsByID() {
		for _, m := range g.members {
			if strings.EqualFold(m, id) {
				all = append(all, entry{seq: g.seq, props: g.props, extra: map[string]any{"@odata.type": "#microsoft.graph.group"}})
				break
			}
		}
	}
	return s.page(r, q, "directoryObjects", all)
}

// CreateGroup creates a security group directly (as an administrator would
// in the portal) and returns its object id.
func (s *Server) CreateGroup(displayName string, members ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.createGroup(map[string]any{
		"displayName": displayName, "mailEnabled": false, "securityEnabled": true,
		"mailNickname": strings.ReplaceAll(strings.ToLower(displayName), " ", "-"),
	})
	if err != nil {
		return "", err
	}
	g.vis = visibility{}
	for _, m := range members {
		if u := s.t.user(m); u != nil {
			m = u.id()
		}
		if err := s.addMember(g, m); err != nil {
			return "", err
		}
	}
	return g.id(), nil
}

// GroupMembers returns the object ids of a group's direct members.
func (s *Server) GroupMembers(groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groupsByID()[strings.ToLower(groupID)]; g != nil {
		return append([]string(nil), g.members...)
	}
	return nil
}

// spID resolves a service principal key to its object id. The caller holds
// s.mu.
func (s *Server) spID(k spKey) func() (string, *apiError) {
	return func() (string, *apiError) {
		sp, err := s.lookupSP(k)
		if err != nil {
			return "", err
		}
		return sp.id(), nil
	}
}

// userID resolves a user's object id or user principal name. The caller
// holds s.mu.
func (s *Server) userID(key string) func() (string, *apiError) {
	return func() (string, *apiError) {
		u := s.t.user(key)
		if u == nil {
			return "", errNotFound(key)
		}
		return u.id(), nil
	}
}

// AppRoleAssignedTo returns the app role assignments granted on the
// service principal spID (to users, groups and service principals).
func (s *Server) AppRoleAssignedTo(spID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedCopies(s.assignmentsWhere("resourceId", spID))
}
