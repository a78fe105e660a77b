package sdktest

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/emulator"
)

func TestServicePrincipalsAndConsentThroughSDK(t *testing.T) {
	// The service principal is upserted without an owner and updated
	// after: Application.ReadWrite.OwnedBy would not allow that.
	e := setup(t, emulator.Options{GrantRoles: []string{"Application.ReadWrite.All"}})
	t.Parallel()
	c := e.client

	// The Graph service principal carries the real catalog.
	graphSP, err := c.ServicePrincipalsWithAppId(ptr(appreg.MicrosoftGraphAppID)).Get(ctx(t), &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: []string{"id", "appId", "appRoles", "oauth2PermissionScopes"}},
	})
	if err != nil {
		t.Fatalf("get Graph SP: %v", err)
	}
	want, _ := catalog.Graph().Lookup(catalog.Application, "User.Read.All")
	var roleID *uuid.UUID
	for _, r := range graphSP.GetAppRoles() {
		if deref(r.GetValue()) == "User.Read.All" {
			roleID = r.GetId()
		}
	}
	if roleID == nil || roleID.String() != want.ID || len(graphSP.GetOauth2PermissionScopes()) != len(catalog.Graph().Delegated) {
		t.Fatalf("Graph SP roles/scopes do not match the catalog")
	}
	graphSPID := deref(graphSP.GetId())

	// Upsert the client's SP by appId.
	app := models.NewApplication()
	app.SetDisplayName(ptr("Reporter"))
	created, err := c.Applications().Post(ctx(t), app, nil)
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	appID := deref(created.GetAppId())
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", "create-if-missing")
	spBody := models.NewServicePrincipal()
	spBody.SetAppRoleAssignmentRequired(ptr(true))
	sp, err := c.ServicePrincipalsWithAppId(&appID).Patch(ctx(t), spBody, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderPatchRequestConfiguration{Headers: h})
	if err != nil || sp == nil || deref(sp.GetAppId()) != appID || !deref(sp.GetAppRoleAssignmentRequired()) {
		t.Fatalf("SP upsert: %v %v", sp, err)
	}
	spID := deref(sp.GetId())
	spBody.SetTags([]string{"HideApp"})
	if again, err := c.ServicePrincipalsWithAppId(&appID).Patch(ctx(t), spBody, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderPatchRequestConfiguration{Headers: h}); err != nil || again != nil {
		t.Fatalf("SP upsert update: %v %v", again, err)
	}
	list, err := c.ServicePrincipals().Get(ctx(t), &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: ptr("appId eq '" + appID + "'")},
	})
	if err != nil || len(list.GetValue()) != 1 || deref(list.GetValue()[0].GetId()) != spID || len(list.GetValue()[0].GetTags()) != 1 {
		t.Fatalf("SP filter: %v", err)
	}
	if got, err := c.ServicePrincipals().ByServicePrincipalId(spID).Get(ctx(t), nil); err != nil || deref(got.GetDisplayName()) != "Reporter" {
		t.Fatalf("SP by id: %v", err)
	}

	// Application permission: appRoleAssignedTo, duplicate is a 400.
	assignment := models.NewAppRoleAssignment()
	principal, resource := uuid.MustParse(spID), uuid.MustParse(graphSPID)
	assignment.SetPrincipalId(&principal)
	assignment.SetResourceId(&resource)
	assignment.SetAppRoleId(roleID)
	as, err := c.ServicePrincipals().ByServicePrincipalId(graphSPID).AppRoleAssignedTo().Post(ctx(t), assignment, nil)
	if err != nil || deref(as.GetPrincipalType()) != "ServicePrincipal" {
		t.Fatalf("appRoleAssignedTo: %v", err)
	}
	_, err = c.ServicePrincipals().ByServicePrincipalId(graphSPID).AppRoleAssignedTo().Post(ctx(t), assignment, nil)
	if status, _, msg := odata(t, err); status != http.StatusBadRequest || msg != "Permission being assigned already exists on the object." {
		t.Errorf("duplicate assignment: %d %q", status, msg)
	}
	mine, err := c.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignments().Get(ctx(t), nil)
	if err != nil || len(mine.GetValue()) != 1 {
		t.Fatalf("appRoleAssignments: %v", err)
	}
	assignedTo, err := c.ServicePrincipals().ByServicePrincipalId(graphSPID).AppRoleAssignedTo().Get(ctx(t), nil)
	if err != nil || len(assignedTo.GetValue()) != len(emulator.LeastPrivilegeRoles)+2 { // the operator's roles, the Application.ReadWrite.All granted above, and this one
		t.Fatalf("appRoleAssignedTo list: %d %v", len(assignedTo.GetValue()), err)
	}
	if err := c.ServicePrincipals().ByServicePrincipalId(graphSPID).AppRoleAssignedTo().ByAppRoleAssignmentId(deref(as.GetId())).Delete(ctx(t), nil); err != nil {
		t.Fatalf("revoke: %v", err)
	}

	// Delegated permission: oauth2PermissionGrants, duplicate is a 409.
	grant := models.NewOAuth2PermissionGrant()
	grant.SetClientId(&spID)
	grant.SetConsentType(ptr("AllPrincipals"))
	grant.SetResourceId(&graphSPID)
	grant.SetScope(ptr("User.Read"))
	g, err := c.Oauth2PermissionGrants().Post(ctx(t), grant, nil)
	if err != nil || g.GetId() == nil {
		t.Fatalf("grant: %v", err)
	}
	_, err = c.Oauth2PermissionGrants().Post(ctx(t), grant, nil)
	if status, _, _ := odata(t, err); status != http.StatusConflict {
		t.Errorf("duplicate grant: %d", status)
	}
	found, err := c.Oauth2PermissionGrants().Get(ctx(t), &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
		QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: ptr("clientId eq '" + spID + "' and consentType eq 'AllPrincipals'")},
	})
	if err != nil || len(found.GetValue()) != 1 {
		t.Fatalf("grant filter: %v", err)
	}
	upd := models.NewOAuth2PermissionGrant()
	upd.SetScope(ptr("User.Read Group.Read.All"))
	if _, err := c.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(deref(g.GetId())).Patch(ctx(t), upd, nil); err != nil {
		t.Fatalf("grant patch: %v", err)
	}
	if grants := e.srv.DelegatedGrants(spID); len(grants) != 1 || grants[0]["scope"] != "User.Read Group.Read.All" {
		t.Errorf("DelegatedGrants = %v", grants)
	}
	if err := c.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(deref(g.GetId())).Delete(ctx(t), nil); err != nil {
		t.Fatalf("grant delete: %v", err)
	}

	// Users: create, get by id and UPN, filter.
	u := models.NewUser()
	u.SetDisplayName(ptr("Bob"))
	u.SetUserPrincipalName(ptr("bob@contoso.com"))
	u.SetMailNickname(ptr("bob"))
	u.SetAccountEnabled(ptr(true))
	pp := models.NewPasswordProfile()
	pp.SetPassword(ptr("not-a-real-password-1!"))
	u.SetPasswordProfile(pp)
	bob, err := c.Users().Post(ctx(t), u, nil)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	if got, err := c.Users().ByUserId("bob@contoso.com").Get(ctx(t), nil); err != nil || deref(got.GetId()) != deref(bob.GetId()) {
		t.Fatalf("user by UPN: %v", err)
	}
	if got, err := c.UsersWithUserPrincipalName(ptr("bob@contoso.com")).Get(ctx(t), nil); err != nil || deref(got.GetId()) != deref(bob.GetId()) {
		t.Fatalf("user by UPN key: %v", err)
	}
	filtered, err := c.Users().Get(ctx(t), &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: ptr("userPrincipalName eq 'bob@contoso.com'")},
	})
	if err != nil || len(filtered.GetValue()) != 1 {
		t.Fatalf("user filter: %v", err)
	}
	if obj, err := c.DirectoryObjects().ByDirectoryObjectId(deref(bob.GetId())).Get(ctx(t), nil); err != nil || deref(obj.GetId()) != deref(bob.GetId()) {
		t.Fatalf("directoryObject: %v", err)
	}

	// Deleting the SP through the SDK.
	if err := c.ServicePrincipals().ByServicePrincipalId(spID).Delete(ctx(t), nil); err != nil {
		t.Fatalf("delete SP: %v", err)
	}
}

func TestReplicationLagThroughSDK(t *testing.T) {
	e := setup(t, emulator.Options{})
	t.Parallel()
	c := e.client
	e.srv.SetFaults(emulator.Faults{LagReads: 2})
	app := models.NewApplication()
	app.SetDisplayName(ptr("Laggy"))
	created, err := c.Applications().Post(ctx(t), app, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	e.srv.SetFaults(emulator.Faults{})
	sp := models.NewServicePrincipal()
	sp.SetAppId(created.GetAppId())
	_, err = c.ServicePrincipals().Post(ctx(t), sp, nil)
	if status, code, _ := odata(t, err); status != http.StatusBadRequest || code != "NoBackingApplicationObject" {
		t.Errorf("SP during lag: %d %s", status, code)
	}
	_, err = c.Applications().ByApplicationId(deref(created.GetId())).Get(ctx(t), nil)
	if status, code, _ := odata(t, err); status != http.StatusNotFound || code != "Request_ResourceNotFound" {
		t.Errorf("read during lag: %d %s", status, code)
	}
	if _, err := c.ServicePrincipals().Post(ctx(t), sp, nil); err != nil {
		t.Errorf("SP after lag: %v", err)
	}
}
