package emulator

import (
	"net/http"
	"strings"
	"testing"
)

const (
	testSub      = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	testRG       = testSub + "/resourceGroups/rg-orders"
	testVM       = testRG + "/providers/Microsoft.Compute/virtualMachines/vm-orders-1"
	apiVersion   = "?api-version=2022-04-01"
	contributorD = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
)

// armClient calls ARM on the emulator with a token the real token
// endpoint issued to the operator for https://management.azure.com.
func armClient(t *testing.T, s *Server) *client {
	t.Helper()
	op := s.Operator()
	status, body := token(t, s, op.ClientID, op.ClientSecret, "https://management.azure.com/.default")
	if status != http.StatusOK {
		t.Fatalf("operator ARM token: %d %v", status, body)
	}
	return &client{t: t, s: s, token: body["access_token"].(string)}
}

// appClient calls ARM as the service principal of a new application and
// returns it with that principal's object id.
func appClient(t *testing.T, s *Server, name string) (*client, string) {
	t.Helper()
	app, err := s.CreateApplication(map[string]any{"displayName": name})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := s.CreateServicePrincipal(app["appId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.AppToken(app["appId"].(string), "https://management.azure.com/")
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, s: s, token: tok}, sp["id"].(string)
}

func (c *client) arm(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	status, _, out := c.do(method, c.s.URL()+path, body)
	return status, out
}

func assignBody(role, principal, principalType string) map[string]any {
	p := map[string]any{"roleDefinitionId": role, "principalId": principal}
	if principalType != "" {
		p["principalType"] = principalType
	}
	return map[string]any{"properties": p}
}

func TestARMStartVMNeedsARoleAllowingTheAction(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := armClient(t, s)
	deploy, spID := appClient(t, s, "deploy")

	status, body := deploy.arm("POST", testVM+"/start"+apiVersion, nil)
	if status != http.StatusForbidden || errCode(body) != "AuthorizationFailed" {
		t.Fatalf("start without a role: %d %v, want 403 AuthorizationFailed", status, body)
	}
	msg := body["error"].(map[string]any)["message"].(string)
	for _, want := range []string{"'" + spID + "'", "'Microsoft.Compute/virtualMachines/start/action'", "over scope '" + testVM + "'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %s", msg, want)
		}
	}

	cases := []struct {
		role, scope string
		want        int
	}{
		{"acdd72a7-3d0f-4296-a4b2-ba0d0ac7bd1d", testRG, http.StatusForbidden},                               // Reader: */read only
		{"b24988ac-6180-42a0-ab88-20f7382dd24c", testSub + "/resourceGroups/rg-other", http.StatusForbidden}, // Contributor elsewhere
		{"b24988ac-6180-42a0-ab88-20f7382dd24c", testRG, http.StatusAccepted},                                // Contributor: *
	}
	for _, tc := range cases {
		name := newGUID()
		op.must(http.StatusCreated, "PUT", s.URL()+tc.scope+"/providers/Microsoft.Authorization/roleAssignments/"+name+apiVersion,
			assignBody(testSub+"/providers/Microsoft.Authorization/roleDefinitions/"+tc.role, spID, "ServicePrincipal"))
		if status, body := deploy.arm("POST", testVM+"/start"+apiVersion, nil); status != tc.want {
			t.Errorf("start after %s at %s: %d %v, want %d", tc.role, tc.scope, status, body, tc.want)
		}
	}
}

func TestARMContributorMayNotAssignRoles(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := armClient(t, s)
	deploy, spID := appClient(t, s, "deploy")
	op.must(http.StatusCreated, "PUT", s.URL()+testSub+"/providers/Microsoft.Authorization/roleAssignments/"+newGUID()+apiVersion,
		assignBody(contributorD, spID, "ServicePrincipal"))
	// Contributor's notActions exclude Microsoft.Authorization/*/Write.
	status, body := deploy.arm("PUT", testRG+"/providers/Microsoft.Authorization/roleAssignments/"+newGUID()+apiVersion,
		assignBody(contributorD, spID, "ServicePrincipal"))
	if status != http.StatusForbidden || errCode(body) != "AuthorizationFailed" {
		t.Fatalf("role assignment by a Contributor: %d %v, want 403 AuthorizationFailed", status, body)
	}
	// Listing needs only read, which Contributor has.
	if status, body := deploy.arm("GET", testRG+"/providers/Microsoft.Authorization/roleAssignments"+apiVersion, nil); status != http.StatusOK {
		t.Errorf("list by a Contributor: %d %v", status, body)
	}
}

func TestARMRoleAssignmentErrors(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Users: []string{"alice@contoso.com"}})
	op := armClient(t, s)
	_, spID := appClient(t, s, "deploy")
	base := s.URL() + testRG + "/providers/Microsoft.Authorization/roleAssignments/"
	name := newGUID()
	op.must(http.StatusCreated, "PUT", base+name+apiVersion, assignBody(contributorD, spID, "ServicePrincipal"))

	cases := []struct {
		name       string
		path       string
		body       any
		wantStatus int
		wantCode   string
	}{
		{"same name again", base + name + apiVersion, assignBody(contributorD, spID, "ServicePrincipal"), 409, "RoleAssignmentExists"},
		{"same principal, role and scope under another name", base + newGUID() + apiVersion, assignBody(contributorD, spID, ""), 409, "RoleAssignmentExists"},
		{"name not a GUID", base + "contributor" + apiVersion, assignBody(contributorD, spID, ""), 400, "InvalidRoleAssignmentId"},
		{"unknown role", base + newGUID() + apiVersion, assignBody("/providers/Microsoft.Authorization/roleDefinitions/"+newGUID(), spID, ""), 400, "RoleDefinitionDoesNotExist"},
		{"unknown principal", base + newGUID() + apiVersion, assignBody(contributorD, newGUID(), "ServicePrincipal"), 400, "PrincipalNotFound"},
		{"wrong principal type", base + newGUID() + apiVersion, assignBody(contributorD, spID, "User"), 400, "UnmatchedPrincipalType"},
		{"no api-version", base + newGUID(), assignBody(contributorD, spID, ""), 400, "MissingApiVersionParameter"},
		{"bad subscription id", s.URL() + "/subscriptions/not-a-guid/providers/Microsoft.Authorization/roleAssignments/" + newGUID() + apiVersion, assignBody(contributorD, spID, ""), 400, "InvalidSubscriptionId"},
		{"missing role", base + newGUID() + apiVersion, map[string]any{"properties": map[string]any{"principalId": spID}}, 400, "InvalidCreateRoleAssignmentRequest"},
		{"get unknown", base + newGUID() + apiVersion, nil, 404, "RoleAssignmentNotFound"},
	}
	for _, tc := range cases {
		method := "PUT"
		if tc.body == nil {
			method = "GET"
		}
		status, _, body := op.do(method, tc.path, tc.body)
		if status != tc.wantStatus || errCode(body) != tc.wantCode {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, body, tc.wantStatus, tc.wantCode)
		}
	}
	// Deleting is 200 with the assignment, then 204 once gone.
	op.must(http.StatusOK, "DELETE", base+name+apiVersion, nil)
	op.must(http.StatusNoContent, "DELETE", base+name+apiVersion, nil)
}

func TestARMPrincipalNotFoundWhileReplicating(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := armClient(t, s)
	g := newClient(t, s)
	app := g.must(http.StatusCreated, "POST", "/applications", map[string]any{"displayName": "fresh"})
	s.SetFaults(Faults{LagReads: 1})
	sp := g.must(http.StatusCreated, "POST", "/servicePrincipals", map[string]any{"appId": app["appId"]})
	s.SetFaults(Faults{})
	base := s.URL() + testRG + "/providers/Microsoft.Authorization/roleAssignments/"
	status, _, body := op.do("PUT", base+newGUID()+apiVersion, assignBody(contributorD, sp["id"].(string), ""))
	if status != http.StatusBadRequest || errCode(body) != "PrincipalNotFound" {
		t.Fatalf("assignment to a replicating principal: %d %v, want 400 PrincipalNotFound", status, body)
	}
	// Once replicated, the same request succeeds.
	op.must(http.StatusCreated, "PUT", base+newGUID()+apiVersion, assignBody(contributorD, sp["id"].(string), ""))
}

func TestARMListFilters(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := armClient(t, s)
	_, a := appClient(t, s, "a")
	_, b := appClient(t, s, "b")
	for _, x := range []struct{ scope, principal string }{{testSub, a}, {testRG, a}, {testRG, b}, {testSub + "/resourceGroups/rg-other", b}} {
		op.must(http.StatusCreated, "PUT", s.URL()+x.scope+"/providers/Microsoft.Authorization/roleAssignments/"+newGUID()+apiVersion,
			assignBody(contributorD, x.principal, "ServicePrincipal"))
	}
	count := func(path, principal string) int {
		out := op.must(http.StatusOK, "GET", s.URL()+path, nil)
		n := 0
		for _, v := range out["value"].([]any) {
			if v.(map[string]any)["properties"].(map[string]any)["principalId"] == principal {
				n++
			}
		}
		return n
	}
	list := "/providers/Microsoft.Authorization/roleAssignments" + apiVersion
	if got := count(testRG+list, b); got != 1 {
		t.Errorf("b at rg-orders (at, above, below): %d, want 1", got)
	}
	if got := count(testSub+list, b); got != 2 {
		t.Errorf("b below the subscription: %d, want 2", got)
	}
	if got := count(testRG+list+"&$filter=atScope()", a); got != 2 {
		t.Errorf("a at or above rg-orders: %d, want 2", got)
	}
	if got := count(testSub+list+"&$filter=atScope()", b); got != 0 {
		t.Errorf("b at or above the subscription: %d, want 0", got)
	}
	if got := count(testSub+list+"&$filter=principalId%20eq%20'"+a+"'", b); got != 0 {
		t.Errorf("principalId filter for a returned b's: %d", got)
	}
}

func TestARMRoleViaGroupMembership(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	deploy, spID := appClient(t, s, "deploy")
	gid, err := s.CreateGroup("VM operators", spID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AssignAzureRole(gid, "Virtual Machine Contributor", testRG); err != nil {
		t.Fatal(err)
	}
	if status, body := deploy.arm("POST", testVM+"/start"+apiVersion, nil); status != http.StatusAccepted {
		t.Errorf("start as a member of a group holding Virtual Machine Contributor: %d %v", status, body)
	}
}

func TestARMRoleDefinitionsByName(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	op := armClient(t, s)
	out := op.must(http.StatusOK, "GET", s.URL()+testSub+"/providers/Microsoft.Authorization/roleDefinitions"+apiVersion+"&$filter=roleName%20eq%20'Owner'", nil)
	v := out["value"].([]any)
	if len(v) != 1 || v[0].(map[string]any)["id"] != testSub+"/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635" {
		t.Errorf("Owner at a subscription: %v", v)
	}
}

func TestARMRejectsGraphTokens(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	g := newClient(t, s)
	status, _, body := g.do("GET", s.URL()+testSub+"/providers/Microsoft.Authorization/roleAssignments"+apiVersion, nil)
	if status != http.StatusUnauthorized || errCode(body) != "InvalidAuthenticationTokenAudience" {
		t.Errorf("Graph token at ARM: %d %v", status, body)
	}
}

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.Compute/virtualMachines/start/action", true},
		{"*/read", "Microsoft.Compute/virtualMachines/read", true},
		{"*/read", "Microsoft.Compute/virtualMachines/start/action", false},
		{"microsoft.authorization/*/write", "Microsoft.Authorization/roleAssignments/write", true},
		{"Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachines/start/action", true},
		{"Microsoft.Compute/virtualMachines/*/read", "Microsoft.Compute/virtualMachines/start/action", false},
		{"Microsoft.Compute/disks/read", "Microsoft.Compute/disks/write", false},
	}
	for _, tc := range cases {
		if got := wildcardMatch(strings.ToLower(tc.pattern), strings.ToLower(tc.action)); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pattern, tc.action, got)
		}
	}
}
