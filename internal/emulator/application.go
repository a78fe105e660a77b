package emulator

import (
	"net/http"
	"strings"
	"time"
)

// Graph's timestamp format: RFC 3339 in UTC with 7 fractional digits.
const graphTime = "2006-01-02T15:04:05.0000000Z"

func (s *Server) timestamp() string { return s.now().UTC().Format(graphTime) }

// checkWrite rejects unknown, read-only and mistyped top-level properties of
// a written object.
func checkWrite(body map[string]any, tmpl map[string]any, readOnly map[string]bool, resource string) *apiError {
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		def, known := tmpl[k]
		if !known {
			return errUnknownProperty(k)
		}
		if readOnly[k] {
			return errReadOnly(k)
		}
		switch def.(type) {
		case []any:
			if _, ok := v.([]any); !ok {
				return errInvalidValue(k, resource)
			}
		case map[string]any:
			if _, ok := v.(map[string]any); !ok && v != nil {
				return errInvalidValue(k, resource)
			}
		}
		if _, ok := nestedTemplates[k]; ok && v != nil {
			if _, isMap := v.(map[string]any); !isMap {
				return errInvalidValue(k, resource)
			}
		}
	}
	return nil
}

// createApp creates an application from a POST or upsert body. uniqueName,
// when set, is the upsert key. The caller holds s.mu.
func (s *Server) createApp(body map[string]any, uniqueName string, lag bool) (*application, *apiError) {
	if err := checkWrite(body, applicationTemplate(), applicationReadOnly, "Application"); err != nil {
		return nil, err
	}
	if uniqueName != "" {
		if v, ok := body["uniqueName"]; ok && !strings.EqualFold(str(v), uniqueName) {
			return nil, errBadRequest("The uniqueName in the request body does not match the key.")
		}
	}
	props := applicationTemplate()
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		merged, err := mergeValue(k, props[k], v)
		if err != nil {
			return nil, err
		}
		props[k] = merged
	}
	if uniqueName != "" {
		props["uniqueName"] = uniqueName
	}
	props["id"] = newGUID()
	props["appId"] = newGUID()
	props["createdDateTime"] = s.timestamp()
	props["publisherDomain"] = s.defaultDomain()
	if err := s.t.validateApp(props, nil, s.tenantID); err != nil {
		return nil, err
	}
	if u := str(props["uniqueName"]); u != "" && s.t.appsByUnique[strings.ToLower(u)] != nil {
		return nil, errBadRequest("Another object with the same value for property uniqueName already exists.")
	}
	a := &application{object: object{seq: s.t.nextSeq(), props: props}, secrets: map[string]*secret{}}
	if lag {
		a.vis = s.newVisibility()
		if aud := str(props["signInAudience"]); aud == audienceOrgsAndMSA || aud == audiencePersonalMSA {
			a.msaVis = s.newVisibility()
		}
	}
	s.t.addApp(a)
	return a, nil
}

// patchApp applies a PATCH body to an application. The caller holds s.mu.
func (s *Server) patchApp(a *application, body map[string]any) *apiError {
	if err := checkWrite(body, applicationTemplate(), applicationReadOnly, "Application"); err != nil {
		return err
	}
	props := clone(a.props).(map[string]any)
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		if k == "uniqueName" {
			cur := str(props["uniqueName"])
			if cur != "" && !strings.EqualFold(cur, str(v)) {
				return errBadRequest("Property 'uniqueName' can only be set once, while it is null.")
			}
			if v == nil && cur != "" || v != nil && str(v) == "" {
				return errInvalidValue("uniqueName", "Application")
			}
		}
		merged, err := mergeValue(k, props[k], v)
		if err != nil {
			return err
		}
		props[k] = merged
	}
	// Writing an application with a personal-account audience right after
	// creating it answers 409 Error_MsaAppDoesNotExist until the Microsoft
	// account side exists (hashicorp/terraform-provider-azuread#1764).
	if !s.seen(&a.msaVis) {
		return &apiError{http.StatusConflict, "Error_MsaAppDoesNotExist", "The corresponding MSA application does not exist."}
	}
	// Until a write that disabled scopes or app roles has replicated, they
	// still count as enabled: changing or removing them answers
	// CannotDeleteOrUpdateEnabledEntitlement (Terraform's application
	// resource retries it after disabling).
	old := a.props
	if a.enabledBefore != nil {
		if s.seen(&a.disableVis) {
			a.enabledBefore = nil
		} else {
			old = a.enabledBefore
		}
	}
	if err := s.t.validateApp(props, old, s.tenantID); err != nil {
		return err
	}
	if u := str(props["uniqueName"]); u != "" {
		if other := s.t.appsByUnique[strings.ToLower(u)]; other != nil && other != a {
			return errBadRequest("Another object with the same value for property uniqueName already exists.")
		}
	}
	oldName := str(a.props["displayName"])
	if disables(a.props, props) {
		if v := s.newVisibility(); v.reads > 0 || !v.until.IsZero() {
			a.enabledBefore, a.disableVis = a.props, v
		}
	}
	s.t.removeApp(a)
	a.props = props
	s.t.addApp(a)
	s.syncSP(a, oldName)
	return nil
}

// disables reports whether after disables an app role or scope that is
// enabled in before.
func disables(before, after map[string]any) bool {
	perms := func(p map[string]any) []any {
		api, _ := p["api"].(map[string]any)
		scopes, _ := api["oauth2PermissionScopes"].([]any)
		roles, _ := p["appRoles"].([]any)
		return append(append([]any{}, roles...), scopes...)
	}
	after2 := perms(after)
	for _, b := range perms(before) {
		bm := b.(map[string]any)
		if bm["isEnabled"] != true {
			continue
		}
		for _, a := range after2 {
			if am := a.(map[string]any); strings.EqualFold(str(am["id"]), str(bm["id"])) && am["isEnabled"] == false {
				return true
			}
		}
	}
	return false
}

// syncSP copies what Entra derives from the application onto its service
// principal. The caller holds s.mu.
func (s *Server) syncSP(a *application, oldDisplayName string) {
	sp := s.t.sp(str(a.props["appId"]), true)
	if sp == nil {
		return
	}
	p := sp.props
	name := a.props["displayName"]
	if str(p["displayName"]) == oldDisplayName {
		p["displayName"] = name
	}
	p["appDisplayName"] = name
	p["appDescription"] = a.props["description"]
	p["appRoles"] = clone(a.props["appRoles"])
	api := a.props["api"].(map[string]any)
	p["oauth2PermissionScopes"] = clone(api["oauth2PermissionScopes"])
	p["servicePrincipalNames"] = toAny(append([]string{str(a.props["appId"])}, stringsOf(a.props["identifierUris"])...))
	var replies []string
	for _, prop := range []string{"web", "spa", "publicClient"} {
		obj, _ := a.props[prop].(map[string]any)
		replies = append(replies, stringsOf(obj["redirectUris"])...)
	}
	p["replyUrls"] = toAny(replies)
	p["signInAudience"] = a.props["signInAudience"]
	p["info"] = clone(a.props["info"])
	web := a.props["web"].(map[string]any)
	p["homepage"] = web["homePageUrl"]
	p["logoutUrl"] = web["logoutUrl"]
}

// lookupApp resolves an application for a request, honouring replication
// lag. The caller holds s.mu.
func (s *Server) lookupApp(k appKey) (*application, *apiError) {
	a := s.t.app(k)
	if a == nil || !s.seen(&a.vis) {
		return nil, errNotFound(k.value)
	}
	return a, nil
}

// appEntry renders an application for a list or a read, as the request's
// API version shows it. The caller holds s.mu.
func (s *Server) appEntry(r *request, a *application, expandOwners bool) entry {
	e := entry{seq: a.seq, props: withBeta(r, a.props, a.beta, betaApplicationTemplate())}
	if expandOwners {
		owners := make([]any, 0, min(len(a.owners), 20))
		for _, id := range a.owners {
			if len(owners) == 20 {
				break
			}
			if o := s.ownerJSON(id); o != nil {
				owners = append(owners, o)
			}
		}
		e.extra = map[string]any{"owners": owners}
	}
	return e
}

func (s *Server) listApplications(r *request) *response {
	q, resp := s.parseList(r, "application", applicationPropsOf(r), true)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]entry, 0, len(s.t.apps))
	for _, a := range s.t.apps {
		if s.seen(&a.vis) {
			all = append(all, s.appEntry(r, a, q.expandOwner))
		}
	}
	return s.page(r, q, "applications", all)
}

func (s *Server) getApplication(r *request, k appKey) *response {
	expand := false
	if v, ok := param(r.query, "expand"); ok {
		if !strings.EqualFold(strings.TrimSpace(v), "owners") {
			return s.badRequest(r, "Could not find a property named '"+v+"' on type 'microsoft.graph.application'.")
		}
		expand = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	return s.entity(r, "application", "applications", applicationPropsOf(r), s.appEntry(r, a, expand))
}

// postApplication creates an application; owners@odata.bind sets its first
// owners in the same request.
func (s *Server) postApplication(r *request) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	beta, err := takeBeta(r, body, betaApplicationTemplate(), "Application")
	if err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := mayCreateApp(r); err != nil {
		return s.fail(r, err)
	}
	owners, err := s.takeOwnersBind(body, "Application")
	if err != nil {
		return s.fail(r, err)
	}
	a, err := s.createApp(body, "", true)
	if err != nil {
		return s.fail(r, err)
	}
	a.owners = owners
	ownCreated(r, &a.owners)
	setBeta(&a.object, beta)
	return s.created(r, withBeta(r, a.props, a.beta, betaApplicationTemplate()), "applications")
}

// created renders a 201 with the full object.
func (s *Server) created(r *request, props map[string]any, context string) *response {
	out := clone(props).(map[string]any)
	out["@odata.context"] = s.metadataURL(r) + context + "/$entity"
	return newResponse(http.StatusCreated, out)
}

// patchApplication updates an application; on the uniqueName key with
// `Prefer: create-if-missing` it creates a missing one (201) instead of
// answering 404.
func (s *Server) patchApplication(r *request, k appKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	beta, berr := takeBeta(r, body, betaApplicationTemplate(), "Application")
	if berr != nil {
		return s.fail(r, berr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.t.app(k)
	if a == nil {
		if k.prop == "uniqueName" && preferCreate(r.header) {
			if _, ok := body["displayName"]; !ok {
				return s.fail(r, errInvalidValue("displayName", "Application"))
			}
			if err := mayCreateApp(r); err != nil {
				return s.fail(r, err)
			}
			a, err := s.createApp(body, k.value, true)
			if err != nil {
				return s.fail(r, err)
			}
			ownCreated(r, &a.owners)
			setBeta(&a.object, beta)
			resp := s.created(r, withBeta(r, a.props, a.beta, betaApplicationTemplate()), "applications")
			resp.header.Set("Preference-Applied", "create-if-missing")
			return resp
		}
		return s.fail(r, errNotFound(k.value))
	}
	if k.prop != "uniqueName" && !s.seen(&a.vis) {
		return s.fail(r, errNotFound(k.value))
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	if err := s.patchApp(a, body); err != nil {
		return s.fail(r, err)
	}
	setBeta(&a.object, beta)
	return noContent()
}

func preferCreate(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "create-if-missing") {
				return true
			}
		}
	}
	return false
}

// deleteApplication soft-deletes an application (and its service
// principal) into directory/deletedItems.
func (s *Server) deleteApplication(r *request, k appKey) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.lookupApp(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, a.owners); err != nil {
		return s.fail(r, err)
	}
	s.softDeleteApp(a)
	return noContent()
}

func (s *Server) softDeleteApp(a *application) {
	now := s.timestamp()
	s.t.removeApp(a)
	a.props["deletedDateTime"] = now
	s.t.deleted[strings.ToLower(a.id())] = &deletedItem{kind: "application", app: a}
	if sp := s.t.sp(str(a.props["appId"]), true); sp != nil {
		s.softDeleteSP(sp)
	}
}

// expired reports whether a credential's endDateTime is in the past.
func (s *Server) expired(cred map[string]any) bool {
	end, err := time.Parse(time.RFC3339Nano, str(cred["endDateTime"]))
	return err == nil && !s.now().Before(end)
}
