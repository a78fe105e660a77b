package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// ficName is the form Graph accepts for a federated credential name.
var ficName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$`)

// ficKey says how a request names a federated credential.
type ficKey struct{ prop, value string } // prop: id or name

func (a *application) fic(k ficKey) *object {
	for _, f := range a.fics {
		if k.prop == "name" && strings.EqualFold(str(f.props["name"]), k.value) ||
			k.prop == "id" && strings.EqualFold(f.id(), k.value) {
			return f
		}
	}
	return nil
}

// writeFIC validates and applies a create (f == nil) or update of a
// federated identity credential (apis.md §4). The caller holds s.mu.
func (s *Server) writeFIC(a *application, f *object, body map[string]any) (*object, *apiError) {
	readOnly := map[string]bool{"id": true}
	if err := checkWrite(body, ficTemplate(), readOnly, "FederatedIdentityCredential"); err != nil {
		return nil, err
	}
	props := ficTemplate()
	if f != nil {
		props = clone(f.props).(map[string]any)
		if v, ok := body["name"]; ok && !strings.EqualFold(str(v), str(props["name"])) {
			return nil, errBadRequest("Property 'name' is read-only and cannot be updated.")
		}
	}
	for k, v := range body {
		if !strings.HasPrefix(k, "@odata.") {
			props[k] = clone(v)
		}
	}
	name, issuer, subject := str(props["name"]), str(props["issuer"]), str(props["subject"])
	if !ficName.MatchString(name) {
		return nil, errInvalidValue("name", "FederatedIdentityCredential")
	}
	if u, err := url.Parse(issuer); issuer == "" || len(issuer) > 600 || err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errInvalidValue("issuer", "FederatedIdentityCredential")
	}
	if subject == "" || len(subject) > 600 {
		return nil, errInvalidValue("subject", "FederatedIdentityCredential")
	}
	aud := stringsOf(props["audiences"])
	if len(aud) != 1 || aud[0] == "" || len(aud[0]) > 600 || len(props["audiences"].([]any)) != 1 {
		return nil, errInvalidValue("audiences", "FederatedIdentityCredential")
	}
	if d, ok := props["description"]; ok && d != nil {
		if ds, ok := d.(string); !ok || len(ds) > 600 {
			return nil, errInvalidValue("description", "FederatedIdentityCredential")
		}
	}
	for _, o := range a.fics {
		if o == f {
			continue
		}
		if strings.EqualFold(str(o.props["name"]), name) {
			return nil, &apiError{http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
				fmt.Sprintf("FederatedIdentityCredential with name %s already exists.", name)}
		}
		if str(o.props["issuer"]) == issuer && str(o.props["subject"]) == subject {
			return nil, errBadRequest("FederatedIdentityCredential with the same issuer '%s' and subject '%s' already exists on the application.", issuer, subject)
		}
	}
	if f == nil {
		if len(a.fics) >= maxFederatedPerApp {
			return nil, errBadRequest("The application already has the maximum number (%d) of federated identity credentials.", maxFederatedPerApp)
		}
		props["id"] = newGUID()
		f = &object{seq: s.t.nextSeq(), props: props, vis: s.newVisibility()}
		a.fics = append(a.fics, f)
		return f, nil
	}
	f.props = props
	return f, nil
}

// ficJSON renders a federated credential as Graph does, with its @odata.id.
func (s *Server) ficJSON(a *application, f *object) map[string]any {
	out := clone(f.props).(map[string]any)
	out["@odata.id"] = s.ficODataID(a, f)
	return out
}

func (s *Server) ficODataID(a *application, f *object) string {
	return fmt.Sprintf("%s/v2/%s/directoryObjects/$/Microsoft.DirectoryServices.Application('%s')/federatedIdentityCredentials/%s",
		s.url, s.tenantID, a.id(), f.id())
}

func (s *Server) ficContext(a *application) string {
	return "applications('" + a.id() + "')/federatedIdentityCredentials"
}

func (s *Server) listFICs(r *request, k appKey) *response {
	q, resp := s.parseList(r, "federatedIdentityCredential", ficProps, false)
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
	for _, f := range a.fics {
		if s.seen(&f.vis) {
			all = append(all, entry{seq: f.seq, props: f.props, extra: map[string]any{"@odata.id": s.ficODataID(a, f)}})
		}
	}
	return s.page(r, q, s.ficContext(a), all)
}

func (s *Server) getFIC(r *request, k appKey, fk ficKey) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	f := a.fic(fk)
	if f == nil || !s.seen(&f.vis) {
		return s.fail(r, errNotFound(fk.value))
	}
	e := entry{seq: f.seq, props: f.props, extra: map[string]any{"@odata.id": s.ficODataID(a, f)}}
	return s.entity(r, "federatedIdentityCredential", s.ficContext(a), ficProps, e)
}

func (s *Server) postFIC(r *request, k appKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	f, err := s.writeFIC(a, nil, body)
	if err != nil {
		return s.fail(r, err)
	}
	out := s.ficJSON(a, f)
	out["@odata.context"] = s.metadataURL(r) + s.ficContext(a) + "/$entity"
	return newResponse(http.StatusCreated, out)
}

// patchFIC updates a federated credential; on the name key with
// `Prefer: create-if-missing` it creates a missing one (201).
func (s *Server) patchFIC(r *request, k appKey, fk ficKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	f := a.fic(fk)
	if f == nil {
		if fk.prop != "name" || !preferCreate(r.header) {
			return s.fail(r, errNotFound(fk.value))
		}
		if v, ok := body["name"]; ok && !strings.EqualFold(str(v), fk.value) {
			return s.fail(r, errBadRequest("The name in the request body does not match the key."))
		}
		body["name"] = fk.value
		f, err := s.writeFIC(a, nil, body)
		if err != nil {
			return s.fail(r, err)
		}
		out := s.ficJSON(a, f)
		out["@odata.context"] = s.metadataURL(r) + s.ficContext(a) + "/$entity"
		return newResponse(http.StatusCreated, out)
	}
	if _, err := s.writeFIC(a, f, body); err != nil {
		return s.fail(r, err)
	}
	return noContent()
}

func (s *Server) deleteFIC(r *request, k appKey, fk ficKey) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	f := a.fic(fk)
	if f == nil || !s.seen(&f.vis) {
		return s.fail(r, errNotFound(fk.value))
	}
	for i, o := range a.fics {
		if o == f {
			a.fics = append(a.fics[:i:i], a.fics[i+1:]...)
			break
		}
	}
	return noContent()
}
