package emulator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/appreg/appreg/internal/catalog"
)

// microsoftTenantID is the tenant that owns Microsoft's first-party apps.
const microsoftTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

// spKey says how a request names a service principal.
type spKey struct{ prop, value string } // prop: id or appId

func (k spKey) find(t *tenant) *servicePrincipal { return t.sp(k.value, k.prop == "appId") }

var servicePrincipalReadOnly = func() map[string]bool {
	ro := map[string]bool{}
	for k := range servicePrincipalProps {
		if !servicePrincipalWritable[k] {
			ro[k] = true
		}
	}
	return ro
}()

func errNoBackingApp(appID string) *apiError {
	return &apiError{http.StatusBadRequest, "NoBackingApplicationObject",
		fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", appID)}
}

// createSP creates the service principal of an application in the tenant
// or of a Microsoft first-party application. The caller holds s.mu.
func (s *Server) createSP(body map[string]any, lag bool) (*servicePrincipal, *apiError) {
	if err := checkWrite(body, servicePrincipalTemplate(), servicePrincipalReadOnly, "ServicePrincipal"); err != nil {
		return nil, err
	}
	appID := strings.ToLower(str(body["appId"]))
	if !isGUID(appID) {
		return nil, errInvalidValue("appId", "ServicePrincipal")
	}
	if s.t.sp(appID, true) != nil {
		return nil, &apiError{http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			fmt.Sprintf("The service principal cannot be created, updated, or restored because the service principal name %s is already in use.", appID)}
	}
	props := servicePrincipalTemplate()
	props["id"] = newGUID()
	props["appId"] = appID
	a := s.t.appsByAppID[appID]
	switch {
	case a != nil:
		if lag && !s.seen(&a.vis) {
			return nil, errNoBackingApp(appID)
		}
		props["appOwnerOrganizationId"] = s.tenantID
		props["publisherName"] = tenantDisplayName
		props["displayName"] = a.props["displayName"]
	case catalog.FirstPartyName(appID) != "":
		name := catalog.FirstPartyName(appID)
		props["appOwnerOrganizationId"] = microsoftTenantID
		props["publisherName"] = "Microsoft Services"
		props["displayName"] = name
		props["appDisplayName"] = name
		props["servicePrincipalNames"] = []any{appID}
		props["signInAudience"] = audienceMultipleOrgs
	default:
		return nil, errNoBackingApp(appID)
	}
	sp := &servicePrincipal{object: object{seq: s.t.nextSeq(), props: props}}
	if lag {
		sp.vis = s.newVisibility()
	}
	s.t.addSP(sp)
	if a != nil {
		s.syncSP(a, str(a.props["displayName"]))
	}
	if err := s.patchSP(sp, body); err != nil {
		s.t.removeSP(sp)
		return nil, err
	}
	return sp, nil
}

// patchSP applies writable properties. The caller holds s.mu.
func (s *Server) patchSP(sp *servicePrincipal, body map[string]any) *apiError {
	if err := checkWrite(body, servicePrincipalTemplate(), servicePrincipalReadOnly, "ServicePrincipal"); err != nil {
		return err
	}
	props := clone(sp.props).(map[string]any)
	for k, v := range body {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		if k == "appId" {
			if !strings.EqualFold(str(v), str(props["appId"])) {
				return errReadOnly("appId")
			}
			continue
		}
		merged, err := mergeValue(k, props[k], v)
		if err != nil {
			return err
		}
		props[k] = merged
	}
	for _, k := range []string{"accountEnabled", "appRoleAssignmentRequired"} {
		if _, ok := props[k].(bool); !ok {
			return errInvalidValue(k, "ServicePrincipal")
		}
	}
	if name := str(props["displayName"]); strings.TrimSpace(name) == "" || len([]rune(name)) > 256 {
		return errInvalidValue("displayName", "ServicePrincipal")
	}
	for _, tag := range props["tags"].([]any) {
		if t, ok := tag.(string); !ok || t == "" || len(t) > 256 || strings.ContainsAny(t, " \t\r\n") {
			return errInvalidValue("tags", "ServicePrincipal")
		}
	}
	for _, e := range props["notificationEmailAddresses"].([]any) {
		if m, ok := e.(string); !ok || !strings.Contains(m, "@") {
			return errInvalidValue("notificationEmailAddresses", "ServicePrincipal")
		}
	}
	sp.props = props
	return nil
}

// lookupSP resolves a service principal for a request, honouring lag. The
// caller holds s.mu.
func (s *Server) lookupSP(k spKey) (*servicePrincipal, *apiError) {
	sp := k.find(s.t)
	if sp == nil || !s.seen(&sp.vis) {
		return nil, errNotFound(k.value)
	}
	return sp, nil
}

func (s *Server) listServicePrincipals(r *request) *response {
	q, resp := s.parseList(r, "servicePrincipal", servicePrincipalPropsOf(r), false)
	if resp != nil {
		return resp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]entry, 0, len(s.t.sps))
	for _, sp := range s.t.sps {
		if s.seen(&sp.vis) {
			all = append(all, entry{seq: sp.seq, props: withBeta(r, sp.props, sp.beta, betaServicePrincipalTemplate())})
		}
	}
	return s.page(r, q, "servicePrincipals", all)
}

func (s *Server) getServicePrincipal(r *request, k spKey) *response {
	if _, ok := param(r.query, "expand"); ok {
		return s.badRequest(r, "Expanding service principal relationships is not supported by the emulator.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	e := entry{seq: sp.seq, props: withBeta(r, sp.props, sp.beta, betaServicePrincipalTemplate())}
	return s.entity(r, "servicePrincipal", "servicePrincipals", servicePrincipalPropsOf(r), e)
}

// postServicePrincipal creates a service principal; owners@odata.bind
// sets its first owners in the same request.
func (s *Server) postServicePrincipal(r *request) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	beta, err := takeBeta(r, body, betaServicePrincipalTemplate(), "ServicePrincipal")
	if err != nil {
		return s.fail(r, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owners, err := s.takeOwnersBind(body, "ServicePrincipal")
	if err != nil {
		return s.fail(r, err)
	}
	if err := s.mayCreateSP(r, str(body["appId"])); err != nil {
		return s.fail(r, err)
	}
	sp, err := s.createSP(body, true)
	if err != nil {
		return s.fail(r, err)
	}
	sp.owners = owners
	setBeta(&sp.object, beta)
	return s.created(r, withBeta(r, sp.props, sp.beta, betaServicePrincipalTemplate()), "servicePrincipals")
}

// patchServicePrincipal updates a service principal; on the appId key with
// `Prefer: create-if-missing` it creates a missing one (201).
func (s *Server) patchServicePrincipal(r *request, k spKey) *response {
	body, resp := s.decodeObject(r)
	if resp != nil {
		return resp
	}
	beta, berr := takeBeta(r, body, betaServicePrincipalTemplate(), "ServicePrincipal")
	if berr != nil {
		return s.fail(r, berr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := k.find(s.t)
	if sp == nil {
		if k.prop == "appId" && preferCreate(r.header) {
			if v, ok := body["appId"]; ok && !strings.EqualFold(str(v), k.value) {
				return s.fail(r, errReadOnly("appId"))
			}
			body["appId"] = k.value
			if err := s.mayCreateSP(r, k.value); err != nil {
				return s.fail(r, err)
			}
			sp, err := s.createSP(body, true)
			if err != nil {
				return s.fail(r, err)
			}
			setBeta(&sp.object, beta)
			resp := s.created(r, withBeta(r, sp.props, sp.beta, betaServicePrincipalTemplate()), "servicePrincipals")
			resp.header.Set("Preference-Applied", "create-if-missing")
			return resp
		}
		return s.fail(r, errNotFound(k.value))
	}
	if k.prop != "appId" && !s.seen(&sp.vis) {
		return s.fail(r, errNotFound(k.value))
	}
	if err := mayWriteOwned(r, sp.owners); err != nil {
		return s.fail(r, err)
	}
	if err := s.patchSP(sp, body); err != nil {
		return s.fail(r, err)
	}
	setBeta(&sp.object, beta)
	return noContent()
}

func (s *Server) deleteServicePrincipal(r *request, k spKey) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, err := s.lookupSP(k)
	if err != nil {
		return s.fail(r, err)
	}
	if err := mayWriteOwned(r, sp.owners); err != nil {
		return s.fail(r, err)
	}
	s.softDeleteSP(sp)
	return noContent()
}

// softDeleteSP moves a service principal to deleted items and removes the
// role assignments and grants it takes part in. The caller holds s.mu.
func (s *Server) softDeleteSP(sp *servicePrincipal) {
	s.t.removeSP(sp)
	sp.props["deletedDateTime"] = s.timestamp()
	s.t.deleted[strings.ToLower(sp.id())] = &deletedItem{kind: "servicePrincipal", sp: sp}
	id := sp.id()
	for k, as := range s.t.assignments {
		if strings.EqualFold(str(as.props["principalId"]), id) || strings.EqualFold(str(as.props["resourceId"]), id) {
			delete(s.t.assignments, k)
		}
	}
	for k, g := range s.t.grants {
		if strings.EqualFold(str(g.props["clientId"]), id) || strings.EqualFold(str(g.props["resourceId"]), id) {
			delete(s.t.grants, k)
		}
	}
}
