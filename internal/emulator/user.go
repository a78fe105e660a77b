package emulator

import (
	"net/http"
	"strings"
)

// tenantDisplayName is the organisation's name, shown as publisherName.
const tenantDisplayName = "appreg emulator"

// defaultDomain is the tenant's initial domain.
func (s *Server) defaultDomain() string { return "appregemulator.onmicrosoft.com" }

// createUser adds a user; its UPN's domain becomes a verified domain of the
// tenant. The caller holds s.mu.
func (s *Server) createUser(body map[string]any) (*user, *apiError) {
	props := userTemplate()
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") || k == "passwordProfile" || k == "accountEnabled" || k == "mailNickname" {
			continue
		}
		if !userProps[k] {
			return nil, errUnknownProperty(k)
		}
		if k == "id" {
			return nil, errReadOnly(k)
		}
		props[k] = clone(v)
	}
	upn := str(props["userPrincipalName"])
	local, domain, ok := strings.Cut(upn, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") {
		return nil, errInvalidValue("userPrincipalName", "User")
	}
	if s.t.user(upn) != nil {
		return nil, errBadRequest("Another object with the same value for property userPrincipalName already exists.")
	}
	if props["displayName"] == nil {
		props["displayName"] = local
	}
	if props["mail"] == nil {
		props["mail"] = upn
	}
	props["id"] = newGUID()
	u := &user{object{seq: s.t.nextSeq(), props: props}}
	s.t.addUser(u)
	s.t.verifiedHosts[strings.ToLower(domain)] = true
	return u, nil
}

func (s *Server) listUsers(r *request) *response {
	if err := mayReadUsers(r); err != nil {
		return s.fail(r, err)
	}
	q, resp := s.parseList(r, "user", userProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]entry, 0, len(s.t.users))
	for _, u := range s.t.users {
		all = append(all, entry{seq: u.seq, props: u.props})
	}
	return s.page(r, q, "users", all)
}

func (s *Server) getUser(r *request, key string) *response {
	if err := mayReadUsers(r); err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.t.user(key)
	if u == nil {
		return s.fail(r, errNotFound(key))
	}
	return s.entity(r, "user", "users", userProps, entry{seq: u.seq, props: u.props})
}

func (s *Server) postUser(r *request) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.createUser(body)
	if err != nil {
		return s.fail(r, err)
	}
	return s.created(r, u.props, "users")
}

// getDirectoryObject answers GET /directoryObjects/{id} for users, service
// principals and applications.
func (s *Server) getDirectoryObject(r *request, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, kind := s.t.directoryObject(id)
	if o == nil || kind != "user" && !s.seen(&o.vis) {
		return s.fail(r, errNotFound(id))
	}
	out := clone(o.props).(map[string]any)
	out["@odata.type"] = "#microsoft.graph." + kind
	out["@odata.context"] = s.metadataURL(r) + "directoryObjects/$entity"
	return newResponse(http.StatusOK, out)
}
