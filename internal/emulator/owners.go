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

// ownersOf resolves the owners list of the application or service
// principal a request names, honouring replication lag. The caller holds
// s.mu.
type ownersOf func() (*[]string, *apiError)

func (s *Server) appOwners(k appKey) ownersOf {
	return func() (*[]string, *apiError) {
		a, err := s.lookupApp(k)
		if err != nil {
			return nil, err
		}
		return &a.owners, nil
	}
}

func (s *Server) spOwners(k spKey) ownersOf {
	return func() (*[]string, *apiError) {
		sp, err := s.lookupSP(k)
		if err != nil {
			return nil, err
		}
		return &sp.owners, nil
	}
}

// listOwners answers GET …/owners: users and service principals with their
// @odata.type, and an empty value array when there are none.
func (s *Server) listOwners(r *request, of ownersOf) *response {
	q, resp := s.parseList(r, "directoryObject", ownerProps, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owners, err := of()
	if err != nil {
		return s.fail(r, err)
	}
	var all []entry
	for i, id := range *owners {
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
func (s *Server) addOwner(owners *[]string, id string) *apiError {
	o, kind := s.t.directoryObject(id)
	if o == nil || kind == "application" {
		return errNotFound(id)
	}
	for _, existing := range *owners {
		if strings.EqualFold(existing, o.id()) {
			return errDuplicateOwner()
		}
	}
	*owners = append(*owners, o.id())
	return nil
}

func errDuplicateOwner() *apiError {
	return errBadRequest("One or more added object references already exist for the following modified properties: 'owners'.")
}

// ownersBind is the annotation that sets the owners of an object being
// created: "owners@odata.bind": ["https://graph.microsoft.com/v1.0/directoryObjects/{id}", …].
const ownersBind = "owners@odata.bind"

// maxOwnersBind is how many owners a create binds; Terraform's azuread
// provider sends the first 20 this way and adds the rest with owners/$ref.
const maxOwnersBind = 20

// takeOwnersBind removes owners@odata.bind from a create body and resolves
// its references (any host, as for owners/$ref) to users and service
// principals: a reference to nothing is 404 and a repeated one 400, before
// anything is created. The caller holds s.mu.
func (s *Server) takeOwnersBind(body map[string]any, resource string) ([]string, *apiError) {
	v, ok := body[ownersBind]
	if !ok {
		return nil, nil
	}
	delete(body, ownersBind)
	refs, isList := v.([]any)
	if !isList || len(refs) > maxOwnersBind {
		return nil, errInvalidValue(ownersBind, resource)
	}
	ids := []string{}
	for _, ref := range refs {
		ref, _ := ref.(string)
		id := refID(ref)
		if id == "" {
			return nil, errInvalidValue(ownersBind, resource)
		}
		if err := s.addOwner(&ids, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func (s *Server) postOwnerRef(r *request, of ownersOf) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	id := refID(str(body["@odata.id"]))
	if id == "" {
		return s.fail(r, errInvalidValue("@odata.id", "directoryObject"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owners, err := of()
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, *owners); err != nil {
		return s.fail(r, err)
	}
	if err := s.addOwner(owners, id); err != nil {
		return s.fail(r, err)
	}
	return noContent()
}

// deleteOwnerRef answers DELETE …/owners/{id}/$ref, and the older
// DELETE …/owners/$ref?$id=… form when id is empty.
func (s *Server) deleteOwnerRef(r *request, of ownersOf, id string) *response {
	if id == "" {
		ref, _ := param(r.query, "id")
		if ref == "" {
			ref = r.query.Get("@id")
		}
		id = refID(ref)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owners, err := of()
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, *owners); err != nil {
		return s.fail(r, err)
	}
	for i, o := range *owners {
		if strings.EqualFold(o, id) {
			*owners = append((*owners)[:i:i], (*owners)[i+1:]...)
			return noContent()
		}
	}
	return s.fail(r, errNotFound(id))
}

// getOwner answers GET …/owners/{ownerId}.
func (s *Server) getOwner(r *request, of ownersOf, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	owners, err := of()
	if err != nil {
		return s.fail(r, err)
	}
	for _, o := range *owners {
		if strings.EqualFold(o, id) {
			out := s.ownerJSON(o)
			out["@odata.context"] = s.metadataURL(r) + "directoryObjects/$entity"
			return newResponse(http.StatusOK, out)
		}
	}
	return s.fail(r, errNotFound(id))
}
