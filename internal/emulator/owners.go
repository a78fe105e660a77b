package emulator

import (
	"net/http"
	"net/url"
	"strings"
)

// ownerJSON renders a directory object for owners lists, with its
// @odata.type. The caller holds s.mu.
func (s *Server) ownerJSON(id string) map[string]any {
	o, kind := s.t.directoryObject(id)
	if o == nil {
		return nil
	}
	out := clone(o.props).(map[string]any)
	out["@odata.type"] = "#microsoft.graph." + kind
	return out
}

// refID extracts the object id from an @odata.id reference such as
// https://graph.microsoft.com/v1.0/directoryObjects/{id} (any host).
func refID(ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	p := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return p
	}
	id := p[i+1:]
	// directoryObjects('id') form.
	if open := strings.Index(id, "('"); open >= 0 && strings.HasSuffix(id, "')") {
		id = id[open+2 : len(id)-2]
	}
	return id
}

var ownerProps = func() map[string]bool {
	p := map[string]bool{}
	for k := range userProps {
		p[k] = true
	}
	for k := range servicePrincipalProps {
		p[k] = true
	}
	return p
}()

func (s *Server) listOwners(r *request, k appKey) *response {
	q, resp := s.parseList(r, "directoryObject", ownerProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	var all []entry
	for i, id := range a.owners {
		o, kind := s.t.directoryObject(id)
		if o == nil {
			continue
		}
		all = append(all, entry{seq: int64(i + 1), props: o.props, extra: map[string]any{"@odata.type": "#microsoft.graph." + kind}})
	}
	return s.page(r, q, "directoryObjects", all)
}

// addOwner adds a user or service principal as an owner. Graph refuses a
// duplicate with 400 (apis.md §6). The caller holds s.mu.
func (s *Server) addOwner(a *application, id string) *apiError {
	o, kind := s.t.directoryObject(id)
	if o == nil || kind == "application" {
		return errNotFound(id)
	}
	for _, existing := range a.owners {
		if strings.EqualFold(existing, o.id()) {
			return errBadRequest("One or more added object references already exist for the following modified properties: 'owners'.")
		}
	}
	a.owners = append(a.owners, o.id())
	return nil
}

func (s *Server) postOwnerRef(r *request, k appKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	ref := str(body["@odata.id"])
	id := refID(ref)
	if id == "" {
		return s.fail(r, errInvalidValue("@odata.id", "Application"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := s.addOwner(a, id); err != nil {
		return s.fail(r, err)
	}
	return noContent()
}

func (s *Server) deleteOwnerRef(r *request, k appKey, id string) *response {
	if id == "" {
		ref, _ := param(r.query, "id")
		if ref == "" {
			ref = r.query.Get("@id")
		}
		id = refID(ref)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	for i, o := range a.owners {
		if strings.EqualFold(o, id) {
			a.owners = append(a.owners[:i:i], a.owners[i+1:]...)
			return noContent()
		}
	}
	return s.fail(r, errNotFound(id))
}

// getOwner answers GET /applications/{id}/owners/{ownerId}.
func (s *Server) getOwner(r *request, k appKey, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	for _, o := range a.owners {
		if strings.EqualFold(o, id) {
			out := s.ownerJSON(o)
			out["@odata.context"] = s.metadataURL(r) + "directoryObjects/$entity"
			return newResponse(http.StatusOK, out)
		}
	}
	return s.fail(r, errNotFound(id))
}
