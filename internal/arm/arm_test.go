package arm_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/arm"
	"github.com/appreg/appreg/internal/emulator"
)

const (
	sub         = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	rgOrders    = sub + "/resourceGroups/rg-orders"
	contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	owner       = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
)

// setup starts an emulator and returns it with an ARM client signed in as
// its operator.
func setup(t *testing.T) (*emulator.Server, *arm.Client) {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Users: []string{"alice@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	op := srv.Operator()
	cred, err := azidentity.NewClientSecretCredential(op.TenantID, op.ClientID, op.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()}, Transport: srv.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := arm.New(cred, arm.Options{URL: srv.URL(), Transport: srv.Client(), PrincipalBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// newSP creates an application with a service principal directly and
// returns the service principal's object id.
func newSP(t *testing.T, srv *emulator.Server, name string) string {
	t.Helper()
	app, err := srv.CreateApplication(map[string]any{"displayName": name})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := srv.CreateServicePrincipal(app["appId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return sp["id"].(string)
}

func TestRolesResolveBuiltInAndCustom(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	custom := srv.AddCustomRole("Orders Operator", []string{"Microsoft.Compute/virtualMachines/start/action"}, nil, []string{sub})
	roles, err := c.Roles(t.Context(), rgOrders)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]arm.Role{}
	for _, r := range roles {
		byName[r.Name] = r
	}
	want := map[string]arm.Role{
		"Contributor":     {ID: contributor, Name: "Contributor"},
		"Owner":           {ID: owner, Name: "Owner"},
		"Orders Operator": {ID: custom, Name: "Orders Operator", Custom: true},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, byName[name]); diff != "" {
			t.Errorf("role %s (-want +got):\n%s", name, diff)
		}
	}
}

func TestCreateIsIdempotentAndDeleteRemoves(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	sp := newSP(t, srv, "deploy")
	want := arm.Assignment{Scope: rgOrders, RoleID: contributor, PrincipalID: sp}
	first, err := c.Create(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != arm.AssignmentName(sp, contributor, rgOrders) {
		t.Errorf("name %s is not the deterministic name", first.Name)
	}
	// A re-run (or a crash after the write) meets RoleAssignmentExists.
	second, err := c.Create(t.Context(), want)
	if err != nil {
		t.Fatalf("second create: %v", err)
	}
	if !strings.EqualFold(first.ID, second.ID) {
		t.Errorf("second create id %s, first %s", second.ID, first.ID)
	}
	got, err := c.Assignments(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	var mine []arm.Assignment
	for _, a := range got {
		if a.PrincipalID == sp {
			mine = append(mine, a)
		}
	}
	if diff := cmp.Diff([]arm.Assignment{{
		ID: first.ID, Name: first.Name, Scope: rgOrders, RoleID: contributor, PrincipalID: sp, PrincipalType: "ServicePrincipal",
	}}, mine); diff != "" {
		t.Errorf("assignments below the subscription (-want +got):\n%s", diff)
	}
	if err := c.Delete(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context(), first.ID); err != nil {
		t.Errorf("deleting an assignment already gone: %v", err)
	}
	if left := srv.AzureRoleAssignments(sp); len(left) != 0 {
		t.Errorf("assignments left after delete: %v", left)
	}
}

func TestCreateRetriesPrincipalNotFound(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	sp := newSP(t, srv, "fresh")
	srv.FailNext(emulator.FailRule{Method: "PUT", PathContains: "/roleAssignments/", Status: 400, Code: "PrincipalNotFound", Message: "Principal does not exist in the directory.", Times: 2})
	if _, err := c.Create(t.Context(), arm.Assignment{Scope: rgOrders, RoleID: contributor, PrincipalID: sp}); err != nil {
		t.Fatalf("create under replication lag: %v", err)
	}
	if got := srv.AzureRoleAssignments(sp); len(got) != 1 || got[0].Role != "Contributor" {
		t.Errorf("assignments %v, want one Contributor", got)
	}
}

func TestCreateGivesUpOnOtherErrors(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	sp := newSP(t, srv, "deploy")
	// Without a role allowing roleAssignments/write, ARM refuses.
	srv.RemoveAzureRoles(srv.Operator().ServicePrincipalID)
	_, err := c.Create(t.Context(), arm.Assignment{Scope: rgOrders, RoleID: contributor, PrincipalID: sp})
	var ae *arm.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || ae.Code != "AuthorizationFailed" {
		t.Fatalf("create without permission: %v, want 403 AuthorizationFailed", err)
	}
	if !strings.Contains(ae.Message, "Microsoft.Authorization/roleAssignments/write") {
		t.Errorf("message %q does not name the action", ae.Message)
	}
}

func TestURLForGraph(t *testing.T) {
	t.Parallel()
	for graphURL, want := range map[string]string{
		"https://graph.microsoft.com/v1.0":             "https://management.azure.com",
		"https://graph.microsoft.us/v1.0":              "https://management.usgovcloudapi.net",
		"https://microsoftgraph.chinacloudapi.cn/v1.0": "https://management.chinacloudapi.cn",
	} {
		if got, ok := arm.URLForGraph(graphURL); !ok || got != want {
			t.Errorf("URLForGraph(%s) = %s, %v; want %s", graphURL, got, ok, want)
		}
	}
	if _, ok := arm.URLForGraph("https://127.0.0.1:8443/v1.0"); ok {
		t.Error("an unknown Graph host has no known ARM endpoint")
	}
}
