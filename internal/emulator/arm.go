package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The emulator serves the few Azure Resource Manager calls appreg makes
// (role definitions and role assignments of Microsoft.Authorization,
// api-version 2022-04-01) and one authorization check a user can try
// (starting a virtual machine), on the same listener as Graph: ARM paths
// start with /subscriptions or /providers. Any subscription, resource group
// and virtual machine exists on first use.

// armAppID is Azure Resource Manager's appId in every tenant.
const armAppID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

// firstPartyNames are the servicePrincipalNames (resource URIs) of
// first-party APIs beyond their appId, by which clients request tokens.
var firstPartyNames = map[string][]string{
	armAppID: {"https://management.azure.com/", "https://management.core.windows.net/"},
}

// armAudiences are the audiences ARM accepts in a token
// (InvalidAuthenticationTokenAudience names them).
var armAudiences = []string{
	"https://management.core.windows.net/", "https://management.core.windows.net",
	"https://management.azure.com/", "https://management.azure.com",
}

// armError is an error in ARM's shape: {"error":{"code","message"}}
// (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
type armError struct {
	status        int
	code, message string
}

func (e *armError) Error() string { return e.code + ": " + e.message }

// armState is the Azure side of the tenant: role assignments by lower-case
// id, and custom role definitions. All access holds Server.mu.
type armState struct {
	assignments map[string]*roleAssignment
	custom      []roleDefinition
}

// roleAssignment is one Microsoft.Authorization/roleAssignments resource.
type roleAssignment struct {
	name                       string
	scope                      armScope
	roleID                     string // role definition GUID, lower case
	principalID, principalType string
	description                string
	createdOn, createdBy       string
	seq                        int64
}

func (a *roleAssignment) id() string {
	return strings.TrimSuffix(a.scope.String(), "/") + "/providers/Microsoft.Authorization/roleAssignments/" + a.name
}

// armTenant returns the ARM state, creating it on first use. The caller
// holds s.mu.
func (s *Server) armTenant() *armState {
	if s.t.arm == nil {
		s.t.arm = &armState{assignments: map[string]*roleAssignment{}}
		if op := s.operator.ServicePrincipalID; op != "" {
			s.addAzureRole(op, "ServicePrincipal", OperatorAzureRole, armScope{mg: s.tenantID})
		}
	}
	return s.t.arm
}

// isARMPath reports whether a request path belongs to Azure Resource
// Manager.
func isARMPath(p string) bool {
	first, _, _ := strings.Cut(strings.TrimLeft(p, "/"), "/")
	return strings.EqualFold(first, "subscriptions") || strings.EqualFold(first, "providers")
}

// vmActions are the virtual machine operations served, by lower-case path
// segment, as their Azure actions name them.
var vmActions = map[string]string{"start": "start", "poweroff": "powerOff", "restart": "restart", "deallocate": "deallocate"}

var vmPath = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Compute/virtualMachines/([^/]+)(?:/(start|powerOff|restart|deallocate))?$`)

// armCall is one authenticated ARM request.
type armCall struct {
	method, path string
	query        map[string][]string
	body         []byte
	principal    string // the caller's object id
}

// serveARM answers an Azure Resource Manager request.
func (s *Server) serveARM(w http.ResponseWriter, hr *http.Request) (string, int) {
	p := "/" + strings.TrimLeft(hr.URL.Path, "/")
	pattern, h := s.routeARM(hr.Method, p)
	key := hr.Method + " " + pattern
	s.count(key, true)
	if d := s.currentFaults().Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-hr.Context().Done():
			t.Stop()
		case <-t.C:
		}
	}
	status, body, header := s.handleARM(hr, p, h)
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("x-ms-request-id", newGUID())
	w.Header().Set("x-ms-correlation-request-id", newGUID())
	if body == nil {
		w.WriteHeader(status)
		return key, status
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body) //nolint:errcheck // the client went away
	return key, status
}

type armHandler func(c *armCall) (int, any, http.Header)

func armFail(e *armError) (int, any, http.Header) {
	return e.status, map[string]any{"error": map[string]any{"code": e.code, "message": e.message}}, nil
}

func (s *Server) handleARM(hr *http.Request, p string, h armHandler) (int, any, http.Header) {
	body, err := readBody(hr)
	if err != nil {
		return armFail(&armError{400, "InvalidRequestContent", "The request content could not be read."})
	}
	principal, e := s.armAuthenticate(hr.Header.Get("Authorization"))
	if e != nil {
		st, b, _ := armFail(e)
		return st, b, http.Header{"Www-Authenticate": {`Bearer authorization_uri="` + s.url + `/", error="invalid_token", error_description="` + e.message + `"`}}
	}
	if hr.URL.Query().Get("api-version") == "" {
		return armFail(&armError{400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."})
	}
	if rule, ok := s.takeRule(hr.Method, p); ok {
		code, msg := rule.Code, rule.Message
		if code == "" || msg == "" {
			code, msg = defaultARMError(rule.Status)
		}
		return armFail(&armError{rule.Status, code, msg})
	}
	return h(&armCall{method: hr.Method, path: p, query: hr.URL.Query(), body: body, principal: principal})
}

func defaultARMError(status int) (string, string) {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests", "The request was throttled."
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable", "The service is temporarily unavailable."
	default:
		return "InternalServerError", "Encountered internal server error."
	}
}

// armAuthenticate checks an ARM bearer token and returns the caller's
// object id. ARM accepts tokens for its audiences from the tenant only.
func (s *Server) armAuthenticate(auth string) (string, *armError) {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return "", &armError{401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."}
	}
	claims, err := s.verifyJWT(strings.TrimSpace(tok))
	if err != nil {
		return "", &armError{401, "InvalidAuthenticationToken", "The access token is invalid."}
	}
	if exp, ok := claims["exp"].(float64); !ok || !s.now().Before(time.Unix(int64(exp), 0)) {
		return "", &armError{401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time."}
	}
	aud := str(claims["aud"])
	okAud := false
	for _, a := range armAudiences {
		okAud = okAud || a == aud
	}
	if !okAud {
		return "", &armError{401, "InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource '" + aud +
			"'. It should exactly match with one of the allowed audiences '" + strings.Join(armAudiences, "','") + "'."}
	}
	if !strings.EqualFold(str(claims["tid"]), s.tenantID) {
		return "", &armError{401, "InvalidAuthenticationTokenTenant", "The access token is from the wrong issuer '" + str(claims["iss"]) +
			"'. It must match the tenant '" + s.issuer() + "' associated with this subscription. Please use the authority (URL) '" + s.url + "/" + s.tenantID + "' to get the token."}
	}
	return strings.ToLower(str(claims["oid"])), nil
}

// routeARM finds the handler of an ARM request and its counted pattern.
func (s *Server) routeARM(method, p string) (string, armHandler) {
	lower := strings.ToLower(p)
	if i := strings.LastIndex(lower, "/providers/microsoft.authorization/"); i >= 0 {
		scopePath := p[:i]
		tail := strings.Split(strings.Trim(p[i+len("/providers/microsoft.authorization/"):], "/"), "/")
		pattern := "{scope}/providers/Microsoft.Authorization/" + tail[0]
		switch {
		case strings.EqualFold(tail[0], "roleAssignments") && len(tail) == 1 && method == http.MethodGet:
			return pattern, func(c *armCall) (int, any, http.Header) { return s.listRoleAssignments(c, scopePath) }
		case strings.EqualFold(tail[0], "roleAssignments") && len(tail) == 2:
			name := tail[1]
			return pattern + "/{name}", func(c *armCall) (int, any, http.Header) { return s.roleAssignment(c, scopePath, name) }
		case strings.EqualFold(tail[0], "roleDefinitions") && len(tail) == 1 && method == http.MethodGet:
			return pattern, func(c *armCall) (int, any, http.Header) { return s.listRoleDefinitions(c, scopePath) }
		case strings.EqualFold(tail[0], "roleDefinitions") && len(tail) == 2 && method == http.MethodGet:
			id := tail[1]
			return pattern + "/{id}", func(c *armCall) (int, any, http.Header) { return s.getRoleDefinition(c, scopePath, id) }
		}
	}
	if m := vmPath.FindStringSubmatch(p); m != nil {
		sub, rg, vm, action := m[1], m[2], m[3], m[4]
		if action == "" && method == http.MethodGet {
			return "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}",
				func(c *armCall) (int, any, http.Header) { return s.getVM(c, sub, rg, vm) }
		}
		if action != "" && method == http.MethodPost {
			return "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}/" + action,
				func(c *armCall) (int, any, http.Header) { return s.vmAction(c, sub, rg, vm, action) }
		}
	}
	return normalizeUnknown(p), func(*armCall) (int, any, http.Header) {
		return armFail(&armError{400, "InvalidResourceType", "The resource type could not be found for the request path '" + p + "'."})
	}
}

// authorize checks that principal holds, at a scope enclosing target, a
// role whose actions allow action; otherwise it is ARM's 403
// AuthorizationFailed. The caller holds s.mu.
func (s *Server) authorize(principal, action string, target armScope, resourceID string) *armError {
	if s.allowed(principal, action, target) {
		return nil
	}
	return &armError{http.StatusForbidden, "AuthorizationFailed", "The client '" + principal + "' with object id '" + principal +
		"' does not have authorization to perform action '" + action + "' over scope '" + resourceID +
		"' or the scope is invalid. If access was recently granted, please refresh your credentials."}
}

// allowed reports whether principal, directly or through a group it is a
// member of, holds a role allowing action at a scope enclosing target. The
// caller holds s.mu.
func (s *Server) allowed(principal, action string, target armScope) bool {
	ids := map[string]bool{strings.ToLower(principal): true}
	for _, g := range s.groupsOf(principal) {
		ids[strings.ToLower(g)] = true
	}
	for _, a := range s.armTenant().assignments {
		if !ids[strings.ToLower(a.principalID)] || !s.encloses(a.scope, target) {
			continue
		}
		if d := s.roleDefinitionByID(a.roleID); d != nil && d.allows(action) {
			return true
		}
	}
	return false
}

// roleDefinitionByID finds a built-in or custom role by GUID. The caller
// holds s.mu.
func (s *Server) roleDefinitionByID(id string) *roleDefinition {
	for i := range builtInRoles {
		if strings.EqualFold(builtInRoles[i].id, id) {
			return &builtInRoles[i]
		}
	}
	for i, d := range s.armTenant().custom {
		if strings.EqualFold(d.id, id) {
			return &s.armTenant().custom[i]
		}
	}
	return nil
}

// getVM answers GET on a virtual machine: it exists on first use.
func (s *Server) getVM(c *armCall, sub, rg, vm string) (int, any, http.Header) {
	sc, e := parseScope(c.path)
	if e != nil {
		return armFail(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.authorize(c.principal, "Microsoft.Compute/virtualMachines/read", sc, sc.String()); e != nil {
		return armFail(e)
	}
	return http.StatusOK, map[string]any{
		"id": sc.String(), "name": vm, "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
		"properties": map[string]any{"provisioningState": "Succeeded"},
	}, nil
}

// vmAction answers POST .../virtualMachines/{vm}/{start|powerOff|restart|deallocate}:
// 202 Accepted when the caller may perform
// Microsoft.Compute/virtualMachines/{action}/action there
// (https://learn.microsoft.com/rest/api/compute/virtual-machines/start).
func (s *Server) vmAction(c *armCall, sub, rg, vm, action string) (int, any, http.Header) {
	sc, e := parseScope(strings.TrimSuffix(c.path, "/"+action))
	if e != nil {
		return armFail(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.authorize(c.principal, "Microsoft.Compute/virtualMachines/"+vmActions[strings.ToLower(action)]+"/action", sc, sc.String()); e != nil {
		return armFail(e)
	}
	return http.StatusAccepted, nil, nil
}
