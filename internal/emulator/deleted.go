package emulator

import (
	"net/http"
	"strings"
)

// deletedCast maps the type casts of directory/deletedItems (both the
// fully qualified and the short form the SDK uses) to kinds.
func deletedCast(seg string) (string, bool) {
	switch strings.ToLower(seg) {
	case "microsoft.graph.application", "graph.application":
		return "application", true
	case "microsoft.graph.serviceprincipal", "graph.serviceprincipal":
		return "servicePrincipal", true
	}
	return "", false
}

func (d *deletedItem) entry() entry {
	if d.app != nil {
		return entry{seq: d.app.seq, props: d.app.props, extra: map[string]any{"@odata.type": "#microsoft.graph.application"}}
	}
	return entry{seq: d.sp.seq, props: d.sp.props, extra: map[string]any{"@odata.type": "#microsoft.graph.servicePrincipal"}}
}

func (s *Server) listDeleted(r *request, kind string) *response {
	props := applicationProps
	typeName := "application"
	if kind == "servicePrincipal" {
		props, typeName = servicePrincipalProps, "servicePrincipal"
	}
	q, resp := s.parseList(r, typeName, props, false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []entry
	for _, d := range s.t.deleted {
		if d.kind == kind {
			all = append(all, d.entry())
		}
	}
	return s.page(r, q, "directoryObjects/microsoft.graph."+typeName, all)
}

func (s *Server) getDeleted(r *request, id, kind string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.t.deleted[strings.ToLower(id)]
	if d == nil || kind != "" && d.kind != kind {
		return s.fail(r, errNotFound(id))
	}
	out := project(d.entry(), nil)
	out["@odata.context"] = s.metadataURL(r) + "directoryObjects/$entity"
	return newResponse(http.StatusOK, out)
}

// restoreDeleted brings a soft-deleted application or service principal
// back, as POST /directory/deletedItems/{id}/restore does.
func (s *Server) restoreDeleted(r *request, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.t.deleted[strings.ToLower(id)]
	if d == nil {
		return s.fail(r, errNotFound(id))
	}
	switch d.kind {
	case "application":
		a := d.app
		if u := str(a.props["uniqueName"]); u != "" && s.t.appsByUnique[strings.ToLower(u)] != nil {
			return s.fail(r, errBadRequest("Another object with the same value for property uniqueName already exists."))
		}
		a.props["deletedDateTime"] = nil
		s.t.addApp(a)
	default:
		sp := d.sp
		if s.t.sp(str(sp.props["appId"]), true) != nil {
			return s.fail(r, &apiError{http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
				"The service principal cannot be created, updated, or restored because the service principal name " + str(sp.props["appId"]) + " is already in use."})
		}
		sp.props["deletedDateTime"] = nil
		s.t.addSP(sp)
	}
	delete(s.t.deleted, strings.ToLower(id))
	out := project(d.entry(), nil)
	out["@odata.context"] = s.metadataURL(r) + "directoryObjects/$entity"
	return newResponse(http.StatusOK, out)
}

// purgeDeleted deletes a soft-deleted object for good.
func (s *Server) purgeDeleted(r *request, id string) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.deleted[strings.ToLower(id)] == nil {
		return s.fail(r, errNotFound(id))
	}
	delete(s.t.deleted, strings.ToLower(id))
	return noContent()
}
