package emulator

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// segment is one path segment, possibly with a key: applications,
// applications(appId='…'), federatedIdentityCredentials(name='…').
type segment struct {
	name, keyProp, keyValue string
	keyed                   bool
}

var keyedSegment = regexp.MustCompile(`^([^()]+)\((?:([A-Za-z]+)=)?'(.*)'\)$`)

func parseSegments(path string) []segment {
	var out []segment
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if p == "" {
			continue
		}
		if m := keyedSegment.FindStringSubmatch(p); m != nil {
			out = append(out, segment{name: m[1], keyProp: m[2], keyValue: strings.ReplaceAll(m[3], "''", "'"), keyed: true})
			continue
		}
		out = append(out, segment{name: p})
	}
	return out
}

type handler func(*request) *response

// byMethod dispatches on the request method, answering 405 otherwise.
func (s *Server) byMethod(m map[string]handler) handler {
	return func(r *request) *response {
		if h, ok := m[r.method]; ok {
			return h(r)
		}
		return s.methodNotAllowed(r)
	}
}

// route finds the handler of a Graph request and the normalized pattern it
// is counted under ("/v1.0/applications/{id}/owners/$ref"; routeKey puts
// the request's own API version in place of /v1.0).
func (s *Server) route(r *request) (string, handler) {
	segs := parseSegments(r.path)
	unknown := func() (string, handler) {
		return "/v1.0" + normalizeUnknown(r.path), func(r *request) *response {
			return s.graphError(r, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+lastSegment(r.path)+"'.")
		}
	}
	if len(segs) == 0 {
		return unknown()
	}
	first := segs[0]
	switch first.name {
	case "$batch":
		if len(segs) == 1 {
			return "/v1.0/$batch", s.byMethod(map[string]handler{"POST": s.serveBatch})
		}
	case "applications":
		if len(segs) == 1 && !first.keyed {
			return "/v1.0/applications", s.byMethod(map[string]handler{"GET": s.listApplications, "POST": s.postApplication})
		}
		var k appKey
		var pattern string
		var rest []segment
		switch {
		case first.keyed && (first.keyProp == "appId" || first.keyProp == "uniqueName"):
			k, pattern, rest = appKey{first.keyProp, first.keyValue}, "/v1.0/applications("+first.keyProp+"={id})", segs[1:]
		case first.keyed:
			return unknown()
		default:
			k, pattern, rest = appKey{"id", segs[1].name}, "/v1.0/applications/{id}", segs[2:]
		}
		return s.routeApplication(k, pattern, rest, unknown)
	case "servicePrincipals":
		if len(segs) == 1 && !first.keyed {
			return "/v1.0/servicePrincipals", s.byMethod(map[string]handler{"GET": s.listServicePrincipals, "POST": s.postServicePrincipal})
		}
		var k spKey
		var pattern string
		var rest []segment
		switch {
		case first.keyed && first.keyProp == "appId":
			k, pattern, rest = spKey{"appId", first.keyValue}, "/v1.0/servicePrincipals(appId={id})", segs[1:]
		case first.keyed:
			return unknown()
		default:
			k, pattern, rest = spKey{"id", segs[1].name}, "/v1.0/servicePrincipals/{id}", segs[2:]
		}
		return s.routeServicePrincipal(k, pattern, rest, unknown)
	case "oauth2PermissionGrants":
		switch len(segs) {
		case 1:
			return "/v1.0/oauth2PermissionGrants", s.byMethod(map[string]handler{"GET": s.listGrants, "POST": s.postGrant})
		case 2:
			id := segs[1].name
			return "/v1.0/oauth2PermissionGrants/{id}", s.byMethod(map[string]handler{
				"GET":    func(r *request) *response { return s.getGrant(r, id) },
				"PATCH":  func(r *request) *response { return s.patchGrant(r, id) },
				"DELETE": func(r *request) *response { return s.deleteGrant(r, id) },
			})
		}
	case "users":
		switch {
		case len(segs) == 1 && first.keyed && first.keyProp == "userPrincipalName":
			upn := first.keyValue
			return "/v1.0/users(userPrincipalName={id})", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.getUser(r, upn) }})
		case len(segs) == 1 && !first.keyed:
			return "/v1.0/users", s.byMethod(map[string]handler{"GET": s.listUsers, "POST": s.postUser})
		case len(segs) == 2 && !first.keyed:
			key := segs[1].name
			return "/v1.0/users/{id}", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.getUser(r, key) }})
		case len(segs) == 3 && !first.keyed && segs[2].name == "memberOf":
			key := segs[1].name
			return "/v1.0/users/{id}/memberOf", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.listMemberOf(r, s.userID(key)) }})
		}
	case "groups":
		if !first.keyed {
			return s.routeGroups(segs, unknown)
		}
	case "domains":
		if len(segs) == 1 && !first.keyed {
			return "/v1.0/domains", s.byMethod(map[string]handler{"GET": s.listDomains})
		}
	case "directoryObjects":
		if len(segs) == 2 && !first.keyed {
			id := segs[1].name
			return "/v1.0/directoryObjects/{id}", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.getDirectoryObject(r, id) }})
		}
	case "directory":
		if len(segs) >= 2 && segs[1].name == "deletedItems" {
			return s.routeDeleted(segs[2:], unknown)
		}
	}
	return unknown()
}

func (s *Server) routeApplication(k appKey, pattern string, rest []segment, unknown func() (string, handler)) (string, handler) {
	if len(rest) == 0 {
		return pattern, s.byMethod(map[string]handler{
			"GET":    func(r *request) *response { return s.getApplication(r, k) },
			"PATCH":  func(r *request) *response { return s.patchApplication(r, k) },
			"DELETE": func(r *request) *response { return s.deleteApplication(r, k) },
		})
	}
	switch rest[0].name {
	case "addPassword":
		if len(rest) == 1 {
			return pattern + "/addPassword", s.byMethod(map[string]handler{"POST": func(r *request) *response { return s.postAddPassword(r, k) }})
		}
	case "removePassword":
		if len(rest) == 1 {
			return pattern + "/removePassword", s.byMethod(map[string]handler{"POST": func(r *request) *response { return s.postRemovePassword(r, k) }})
		}
	case "federatedIdentityCredentials":
		var fk ficKey
		var fp string
		switch {
		case len(rest) == 1 && !rest[0].keyed:
			return pattern + "/federatedIdentityCredentials", s.byMethod(map[string]handler{
				"GET":  func(r *request) *response { return s.listFICs(r, k) },
				"POST": func(r *request) *response { return s.postFIC(r, k) },
			})
		case len(rest) == 1 && rest[0].keyProp == "name":
			fk, fp = ficKey{"name", rest[0].keyValue}, pattern+"/federatedIdentityCredentials(name={id})"
		case len(rest) == 2 && !rest[0].keyed:
			fk, fp = ficKey{"id", rest[1].name}, pattern+"/federatedIdentityCredentials/{id}"
		default:
			return unknown()
		}
		return fp, s.byMethod(map[string]handler{
			"GET":    func(r *request) *response { return s.getFIC(r, k, fk) },
			"PATCH":  func(r *request) *response { return s.patchFIC(r, k, fk) },
			"DELETE": func(r *request) *response { return s.deleteFIC(r, k, fk) },
		})
	case "owners":
		return s.routeOwners(pattern, rest, s.appOwners(k), unknown)
	}
	return unknown()
}

// routeOwners routes the owners navigation of an application or service
// principal (rest starts at "owners").
func (s *Server) routeOwners(pattern string, rest []segment, of ownersOf, unknown func() (string, handler)) (string, handler) {
	if rest[0].keyed {
		return unknown()
	}
	switch {
	case len(rest) == 1:
		return pattern + "/owners", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.listOwners(r, of) }})
	case len(rest) == 2 && rest[1].name == "$ref":
		return pattern + "/owners/$ref", s.byMethod(map[string]handler{
			"POST":   func(r *request) *response { return s.postOwnerRef(r, of) },
			"DELETE": func(r *request) *response { return s.deleteOwnerRef(r, of, "") },
		})
	case len(rest) == 2:
		id := rest[1].name
		return pattern + "/owners/{id}", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.getOwner(r, of, id) }})
	case len(rest) == 3 && rest[2].name == "$ref":
		id := rest[1].name
		return pattern + "/owners/{id}/$ref", s.byMethod(map[string]handler{"DELETE": func(r *request) *response { return s.deleteOwnerRef(r, of, id) }})
	}
	return unknown()
}

func (s *Server) routeServicePrincipal(k spKey, pattern string, rest []segment, unknown func() (string, handler)) (string, handler) {
	if len(rest) == 0 {
		return pattern, s.byMethod(map[string]handler{
			"GET":    func(r *request) *response { return s.getServicePrincipal(r, k) },
			"PATCH":  func(r *request) *response { return s.patchServicePrincipal(r, k) },
			"DELETE": func(r *request) *response { return s.deleteServicePrincipal(r, k) },
		})
	}
	nav := rest[0].name
	if nav == "owners" {
		return s.routeOwners(pattern, rest, s.spOwners(k), unknown)
	}
	if nav == "memberOf" && len(rest) == 1 {
		return pattern + "/memberOf", s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.listMemberOf(r, s.spID(k)) }})
	}
	prop := map[string]string{"appRoleAssignedTo": "resourceId", "appRoleAssignments": "principalId"}[nav]
	if prop == "" || rest[0].keyed {
		return unknown()
	}
	switch len(rest) {
	case 1:
		post := func(r *request) *response { return s.postAppRoleAssignedTo(r, k) }
		if nav == "appRoleAssignments" {
			post = func(r *request) *response { return s.postAppRoleAssignment(r, k) }
		}
		return pattern + "/" + nav, s.byMethod(map[string]handler{
			"GET":  func(r *request) *response { return s.listAssignments(r, k, prop, nav) },
			"POST": post,
		})
	case 2:
		id := rest[1].name
		return pattern + "/" + nav + "/{id}", s.byMethod(map[string]handler{
			"GET":    func(r *request) *response { return s.getAssignment(r, k, prop, nav, id) },
			"DELETE": func(r *request) *response { return s.deleteAssignment(r, k, prop, id) },
		})
	}
	return unknown()
}

func (s *Server) routeDeleted(rest []segment, unknown func() (string, handler)) (string, handler) {
	const base = "/v1.0/directory/deletedItems"
	switch len(rest) {
	case 1:
		if kind, ok := deletedCast(rest[0].name); ok {
			return base + "/" + rest[0].name, s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.listDeleted(r, kind) }})
		}
		id := rest[0].name
		return base + "/{id}", s.byMethod(map[string]handler{
			"GET":    func(r *request) *response { return s.getDeleted(r, id, "") },
			"DELETE": func(r *request) *response { return s.purgeDeleted(r, id) },
		})
	case 2:
		id := rest[0].name
		if rest[1].name == "restore" {
			return base + "/{id}/restore", s.byMethod(map[string]handler{"POST": func(r *request) *response { return s.restoreDeleted(r, id) }})
		}
		if kind, ok := deletedCast(rest[1].name); ok {
			return base + "/{id}/" + rest[1].name, s.byMethod(map[string]handler{"GET": func(r *request) *response { return s.getDeleted(r, id, kind) }})
		}
	}
	return unknown()
}

var guidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// normalizeUnknown replaces ids in a path that matched no route.
func normalizeUnknown(path string) string { return guidPattern.ReplaceAllString(path, "{id}") }

func lastSegment(path string) string {
	p := strings.Trim(path, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

// newRequest builds the internal form of a Graph request to API version
// ("v1.0" or "beta").
func newRequest(method, version, path string, query url.Values, header http.Header) *request {
	crid := header.Get("client-request-id")
	if crid == "" {
		crid = newGUID()
	}
	return &request{
		method: strings.ToUpper(method), version: version, path: path, query: query, header: header,
		requestID: newGUID(), clientRequestID: crid, caller: &caller{perm: map[string]bool{}},
	}
}

// graphVersions are the Microsoft Graph API versions served. /beta serves
// the same objects from the same store as /v1.0, with the beta-only
// properties clients read there (see beta.go).
var graphVersions = map[string]bool{"v1.0": true, "beta": true}

// splitGraphPath splits a request path into its Graph API version and the
// path below it ("/applications/{id}"). It accepts the forms clients build
// from a base URL: repeated slashes ("//v1.0/applications", from a Graph
// resource id with a trailing slash) and a tenant segment
// ("/v1.0/{tenant}/applications", as Graph itself allows).
func (s *Server) splitGraphPath(p string) (version, rest string, ok bool) {
	version, rest, _ = strings.Cut(strings.TrimLeft(p, "/"), "/")
	if !graphVersions[version] {
		return "", "", false
	}
	rest = strings.TrimLeft(rest, "/")
	if first, after, _ := strings.Cut(rest, "/"); strings.EqualFold(first, s.tenantID) || strings.EqualFold(first, s.defaultDomain()) {
		rest = after
	}
	return version, "/" + rest, true
}

// routeKey is the key a request is counted under: method and normalized
// path with its API version ("GET /beta/applications/{id}").
func routeKey(r *request, pattern string) string {
	return r.method + " /" + r.version + strings.TrimPrefix(pattern, "/v1.0")
}

// serveGraph handles a Microsoft Graph HTTP request: count, latency,
// authentication, injected faults, then the handler.
func (s *Server) serveGraph(w http.ResponseWriter, hr *http.Request, version, path string) (string, int) {
	r := newRequest(hr.Method, version, path, hr.URL.Query(), hr.Header)
	pattern, h := s.route(r)
	key := routeKey(r, pattern)
	s.count(key, true)
	resp := s.handleGraph(hr.Context(), hr, r, h)
	writeResponse(w, r, resp)
	return key, resp.status
}

func (s *Server) handleGraph(ctx context.Context, hr *http.Request, r *request, h handler) *response {
	if d := s.currentFaults().Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	body, err := readBody(hr)
	if err != nil {
		return s.graphError(r, http.StatusBadRequest, "BadRequest", "Unable to read the request body.")
	}
	r.body = body
	if resp := s.authenticate(r); resp != nil {
		return resp
	}
	if resp := s.readAllowed(r); resp != nil {
		return resp
	}
	if resp := s.injected(r, true, h); resp != nil {
		return resp
	}
	return h(r)
}
