package sdktest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/appreg/appreg/internal/emulator"
)

func TestApplicationsThroughSDK(t *testing.T) {
	e := setup(t, emulator.Options{Users: []string{"alice@contoso.com"}})
	t.Parallel()
	c := e.client

	// Upsert by uniqueName: 404 without Prefer, 201 with the app, then 204.
	body := models.NewApplication()
	body.SetDisplayName(ptr("Payments API"))
	body.SetTags([]string{"appreg:managed"})
	if _, err := c.ApplicationsWithUniqueName(ptr("payments")).Patch(ctx(t), body, nil); err == nil {
		t.Fatal("upsert without Prefer succeeded")
	} else if status, code, _ := odata(t, err); status != http.StatusNotFound || code != "Request_ResourceNotFound" {
		t.Fatalf("upsert without Prefer: %d %s", status, code)
	}
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", "create-if-missing")
	cfg := &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: h}
	created, err := c.ApplicationsWithUniqueName(ptr("payments")).Patch(ctx(t), body, cfg)
	if err != nil || created == nil || deref(created.GetUniqueName()) != "payments" || created.GetAppId() == nil {
		t.Fatalf("upsert create: %v %v", created, err)
	}
	id, appID := deref(created.GetId()), deref(created.GetAppId())
	body.SetDisplayName(ptr("Payments"))
	if again, err := c.ApplicationsWithUniqueName(ptr("payments")).Patch(ctx(t), body, cfg); err != nil || again != nil {
		t.Fatalf("upsert update: %v %v", again, err)
	}

	// Reads by every key, with $select.
	got, err := c.Applications().ByApplicationId(id).Get(ctx(t), &applications.ApplicationItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName", "uniqueName"}},
	})
	if err != nil || deref(got.GetDisplayName()) != "Payments" {
		t.Fatalf("get by id: %v %v", got, err)
	}
	if got, err := c.ApplicationsWithAppId(&appID).Get(ctx(t), nil); err != nil || deref(got.GetId()) != id {
		t.Fatalf("get by appId: %v", err)
	}
	if got, err := c.ApplicationsWithUniqueName(ptr("payments")).Get(ctx(t), nil); err != nil || deref(got.GetAppId()) != appID {
		t.Fatalf("get by uniqueName: %v", err)
	}

	// PATCH with validation.
	web := models.NewWebApplication()
	web.SetRedirectUris([]string{"http://payments.example/signin"})
	patch := models.NewApplication()
	patch.SetWeb(web)
	_, err = c.Applications().ByApplicationId(id).Patch(ctx(t), patch, nil)
	if status, code, _ := odata(t, err); status != http.StatusBadRequest || code != "Request_BadRequest" {
		t.Errorf("http redirect: %d %s", status, code)
	}
	web.SetRedirectUris([]string{"https://payments.example/signin"})
	if _, err := c.Applications().ByApplicationId(id).Patch(ctx(t), patch, nil); err != nil {
		t.Fatalf("patch: %v", err)
	}

	// Secrets.
	pc := models.NewPasswordCredential()
	pc.SetDisplayName(ptr("ci"))
	addBody := applications.NewItemAddPasswordPostRequestBody()
	addBody.SetPasswordCredential(pc)
	secret, err := c.Applications().ByApplicationId(id).AddPassword().Post(ctx(t), addBody, nil)
	if err != nil || len(deref(secret.GetSecretText())) != 40 || deref(secret.GetHint()) != deref(secret.GetSecretText())[:3] {
		t.Fatalf("addPassword: %v", err)
	}
	rmBody := applications.NewItemRemovePasswordPostRequestBody()
	rmBody.SetKeyId(secret.GetKeyId())
	if err := c.Applications().ByApplicationId(id).RemovePassword().Post(ctx(t), rmBody, nil); err != nil {
		t.Fatalf("removePassword: %v", err)
	}

	// Federated credentials: create, read by name, upsert, list, delete.
	fic := models.NewFederatedIdentityCredential()
	fic.SetName(ptr("deploy-main"))
	fic.SetIssuer(ptr("https://token.actions.githubusercontent.com"))
	fic.SetSubject(ptr("repo:contoso/payments:ref:refs/heads/main"))
	fic.SetAudiences([]string{"api://AzureADTokenExchange"})
	createdFIC, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentials().Post(ctx(t), fic, nil)
	if err != nil || createdFIC.GetId() == nil {
		t.Fatalf("create FIC: %v", err)
	}
	if _, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentials().Post(ctx(t), fic, nil); err == nil {
		t.Error("duplicate FIC accepted")
	}
	byName, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentialsWithName(ptr("deploy-main")).Get(ctx(t), nil)
	if err != nil || deref(byName.GetId()) != deref(createdFIC.GetId()) {
		t.Fatalf("FIC by name: %v", err)
	}
	env := models.NewFederatedIdentityCredential()
	env.SetIssuer(ptr("https://token.actions.githubusercontent.com"))
	env.SetSubject(ptr("repo:contoso/payments:environment:prod"))
	env.SetAudiences([]string{"api://AzureADTokenExchange"})
	ficCfg := &applications.ItemFederatedIdentityCredentialsWithNameRequestBuilderPatchRequestConfiguration{Headers: h}
	if up, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentialsWithName(ptr("deploy-prod")).Patch(ctx(t), env, ficCfg); err != nil || deref(up.GetName()) != "deploy-prod" {
		t.Fatalf("FIC upsert create: %v", err)
	}
	env.SetDescription(ptr("production"))
	if up, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentialsWithName(ptr("deploy-prod")).Patch(ctx(t), env, ficCfg); err != nil || up != nil {
		t.Fatalf("FIC upsert update: %v %v", up, err)
	}
	list, err := c.Applications().ByApplicationId(id).FederatedIdentityCredentials().Get(ctx(t), nil)
	if err != nil || len(list.GetValue()) != 2 {
		t.Fatalf("list FICs: %v", err)
	}
	if err := c.Applications().ByApplicationId(id).FederatedIdentityCredentials().ByFederatedIdentityCredentialId(deref(createdFIC.GetId())).Delete(ctx(t), nil); err != nil {
		t.Fatalf("delete FIC: %v", err)
	}

	// Owners through $ref; a duplicate is a 400.
	alice := e.srv.AddUser("alice@contoso.com")
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr("https://graph.microsoft.com/v1.0/directoryObjects/" + alice))
	if err := c.Applications().ByApplicationId(id).Owners().Ref().Post(ctx(t), ref, nil); err != nil {
		t.Fatalf("add owner: %v", err)
	}
	err = c.Applications().ByApplicationId(id).Owners().Ref().Post(ctx(t), ref, nil)
	if status, _, msg := odata(t, err); status != http.StatusBadRequest || msg == "" {
		t.Errorf("duplicate owner: %d %q", status, msg)
	}
	// The operator created the app with Application.ReadWrite.OwnedBy,
	// which made it the first owner.
	owners, err := c.Applications().ByApplicationId(id).Owners().Get(ctx(t), nil)
	if err != nil || len(owners.GetValue()) != 2 {
		t.Fatalf("list owners: %v", err)
	}
	if _, ok := owners.GetValue()[0].(models.ServicePrincipalable); !ok {
		t.Errorf("first owner is a %T, want the operator's service principal", owners.GetValue()[0])
	}
	if _, ok := owners.GetValue()[1].(models.Userable); !ok {
		t.Errorf("owner is a %T, want a user", owners.GetValue()[1])
	}
	expanded, err := c.Applications().Get(ctx(t), &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{
			Filter: ptr("appId eq '" + appID + "'"), Expand: []string{"owners"},
		},
	})
	if err != nil || len(expanded.GetValue()) != 1 || len(expanded.GetValue()[0].GetOwners()) != 2 {
		t.Fatalf("$expand=owners: %v", err)
	}
	if err := c.Applications().ByApplicationId(id).Owners().ByDirectoryObjectId(alice).Ref().Delete(ctx(t), nil); err != nil {
		t.Fatalf("remove owner: %v", err)
	}

	// Filters on the list.
	for _, f := range []string{"appId eq '" + appID + "'", "tags/any(t:t eq 'appreg:managed')", "uniqueName eq 'payments'"} {
		res, err := c.Applications().Get(ctx(t), &applications.ApplicationsRequestBuilderGetRequestConfiguration{
			QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: ptr(f), Select: []string{"id", "appId"}},
		})
		if err != nil || len(res.GetValue()) != 1 || deref(res.GetValue()[0].GetId()) != id {
			t.Errorf("filter %s: %v", f, err)
		}
	}

	// Delete, deleted items (the SDK's short cast), restore, purge.
	if err := c.Applications().ByApplicationId(id).Delete(ctx(t), nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	deleted, err := c.Directory().DeletedItems().GraphApplication().Get(ctx(t), nil)
	if err != nil || len(deleted.GetValue()) != 1 || deleted.GetValue()[0].GetDeletedDateTime() == nil {
		t.Fatalf("deleted items: %v", err)
	}
	if _, err := c.Directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(ctx(t), nil); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if _, err := c.Applications().ByApplicationId(id).Get(ctx(t), nil); err != nil {
		t.Fatalf("get restored: %v", err)
	}
	if err := c.Applications().ByApplicationId(id).Delete(ctx(t), nil); err != nil {
		t.Fatalf("delete again: %v", err)
	}
	if err := c.Directory().DeletedItems().ByDirectoryObjectId(id).Delete(ctx(t), nil); err != nil {
		t.Fatalf("purge: %v", err)
	}
	_, err = c.Directory().DeletedItems().ByDirectoryObjectId(id).Get(ctx(t), nil)
	if status, code, _ := odata(t, err); status != http.StatusNotFound || code != "Request_ResourceNotFound" {
		t.Errorf("purged item: %d %s", status, code)
	}
}

func TestScopeChangeNeedsDisableFirst(t *testing.T) {
	e := setup(t, emulator.Options{})
	t.Parallel()
	c := e.client
	app := models.NewApplication()
	app.SetDisplayName(ptr("Orders API"))
	created, err := c.Applications().Post(ctx(t), app, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id := deref(created.GetId())
	setScope := func(enabled bool, value string) error {
		scope := models.NewPermissionScope()
		scope.SetId(ptr(uuid.MustParse(uuidFor(1))))
		scope.SetValue(ptr(value))
		scope.SetIsEnabled(ptr(enabled))
		scope.SetTypeEscaped(ptr("User"))
		scope.SetAdminConsentDisplayName(ptr("Access orders"))
		scope.SetAdminConsentDescription(ptr("Access orders"))
		api := models.NewApiApplication()
		api.SetOauth2PermissionScopes([]models.PermissionScopeable{scope})
		p := models.NewApplication()
		p.SetApi(api)
		_, err := c.Applications().ByApplicationId(id).Patch(ctx(t), p, nil)
		return err
	}
	if err := setScope(true, "orders.read"); err != nil {
		t.Fatalf("add scope: %v", err)
	}
	status, code, msg := odata(t, setScope(true, "orders.write"))
	if status != http.StatusBadRequest || code != "CannotDeleteOrUpdateEnabledEntitlement" || msg != "Permission (scope or role) cannot be deleted or updated unless disabled first." {
		t.Errorf("change enabled scope: %d %s %q", status, code, msg)
	}
	if err := setScope(false, "orders.read"); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if err := setScope(false, "orders.write"); err != nil {
		t.Fatalf("change disabled: %v", err)
	}
}

func uuidFor(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
