package emulator

import "github.com/appreg/appreg/internal/appreg"

// permission is one app role (application permission) or delegated scope a
// first-party API publishes on its service principal.
type permission struct {
	value, id, displayName, description string
	admin                               bool // scopes: only an admin may consent
}

// firstPartyPermissions are the permissions the emulator's first-party
// service principals publish besides Microsoft Graph's (which come from the
// catalog), with the ids these APIs publish in every tenant, so that files
// naming them (e.g. a Power BI automation with Tenant.Read.All) plan and
// apply as against a real tenant. A subset: each API's most used
// permissions.
//
// Sources: the service principals' appRoles and oauth2PermissionScopes as
// published per application in the "Service Principal Names / Permissions"
// pages of the public first-party application inventories (Power BI Service,
// Office 365 SharePoint Online), cross-checked against public
// requiredResourceAccess and appRoleAssignment code naming the same ids:
// Power BI Tenant.Read.All 654b31ae-…/Tenant.ReadWrite.All 28379fa9-… (az
// ad app permission add, Terraform azuread_app_role_assignment), SharePoint
// Sites.Selected 20d37865-…, Exchange full_access_as_app dc890d15-…,
// Exchange.ManageAsApp dc50a0fb-…, EWS.AccessAsUser.All 3b5f3d61-…; Azure
// Resource Manager's and Key Vault's user_impersonation 41094075-… and
// f53da476-… (az ad app permission add --api 797f4846-…).
var firstPartyPermissions = map[string]struct{ roles, scopes []permission }{
	appreg.KnownAPIs["power-bi"]: {
		roles: []permission{
			{"Tenant.Read.All", "654b31ae-d941-4e22-8798-7add8fdf049f", "View all content in tenant", "The app can view all content in the tenant without a signed in user.", true},
			{"Tenant.ReadWrite.All", "28379fa9-8596-4fd9-869e-cb60a93b5d84", "Read and write all content in tenant", "The app can create, edit, view, and delete all content in the tenant without a signed in user.", true},
		},
		scopes: []permission{
			{"App.Read.All", "8b01a991-5a5a-47f8-91a2-84d6bfd72c02", "View all Power BI apps", "The app can view all Power BI apps the signed in user has access to.", false},
			{"Dashboard.Read.All", "2448370f-f988-42cd-909c-6528efd67c1a", "Read dashboards", "Allows reading dashboards on the user's behalf.", false},
			{"Dataflow.Read.All", "f9759906-80a4-4f4a-b010-24b832bc6a30", "Read dataflows", "Allows reading dataflows on the user's behalf.", false},
			{"Dataset.Read.All", "7f33e027-4039-419b-938e-2f8ca153e68e", "View all datasets", "The app can view all datasets for the signed in user and any datasets that the user has access to.", false},
			{"Dataset.ReadWrite.All", "322b68b2-0804-416e-86a5-d772c567b6e6", "Read and write all datasets", "The app can view and write to all datasets for the signed in user and any datasets that the user has access to.", false},
			{"Gateway.Read.All", "d2e42f6b-2baf-4ff4-83ef-51e66321516e", "View all gateways", "The app can view all gateways that the signed in user is an admin of.", false},
			{"Item.Read.All", "d2bc95fc-440e-4b0e-bafd-97182de7aef5", "Make API calls that require read permissions on all Fabric items", "Allows the app to make API calls that require read permissions on all Fabric items, on behalf of the signed-in user.", false},
			{"Tenant.Read.All", "01944dba-21df-426f-bb8c-796488be96ad", "View all content in tenant", "The app can view all content in the tenant for the signed in user.", true},
			{"Workspace.Read.All", "b2f1b2fa-f35c-407c-979c-a858a808ba85", "View all workspaces", "The app can view all workspaces the signed in user has access to.", false},
		},
	},
	appreg.KnownAPIs["sharepoint"]: {
		roles: []permission{
			{"Sites.FullControl.All", "678536fe-1083-478a-9c59-b99265e6b0d3", "Have full control of all site collections", "Allows the app to have full control of all site collections without a signed in user.", true},
			{"Sites.Manage.All", "9bff6588-13f2-4c48-bbf2-ddab62256b36", "Read and write items and lists in all site collections", "Allows the app to read, create, update, and delete document libraries and lists in all site collections without a signed in user.", true},
			{"Sites.Read.All", "d13f72ca-a275-4b96-b789-48ebcc4da984", "Read items in all site collections", "Allows the app to read documents and list items in all site collections without a signed in user.", true},
			{"Sites.ReadWrite.All", "fbcd29d2-fcca-4405-aded-518d457caae4", "Read and write items in all site collections", "Allows the app to create, read, update, and delete documents and list items in all site collections without a signed in user.", true},
			{"Sites.Selected", "20d37865-089c-4dee-8c41-6967602d4ac8", "Access selected site collections", "Allow the application to access a subset of site collections without a signed in user.", true},
			{"TermStore.Read.All", "2a8d57a5-4090-4a41-bf1c-3c621d2ccad3", "Read managed metadata", "Allows the app to read enterprise managed metadata and to read basic site info without a signed in user.", true},
			{"TermStore.ReadWrite.All", "c8e3537c-ec53-43b9-bed3-b2bd3617ae97", "Read and write managed metadata", "Allows the app to write enterprise managed metadata and to read basic site info without a signed in user.", true},
		},
		scopes: []permission{
			{"AllSites.FullControl", "56680e0d-d2a3-4ae1-80d8-3c4f2100e3d0", "Have full control of all site collections", "Allows the app to have full control of all site collections on behalf of the signed-in user.", true},
			{"AllSites.Manage", "b3f70a70-8a4b-4f95-9573-d71c496a53f4", "Read and write items and lists in all site collections", "Allows the app to read, create, update, and delete document libraries and lists in all site collections on behalf of the signed-in user.", false},
			{"AllSites.Read", "4e0d77b0-96ba-4398-af14-3baa780278f4", "Read items in all site collections", "Allows the app to read documents and list items in all site collections on behalf of the signed-in user.", false},
			{"AllSites.Write", "640ddd16-e5b7-4d71-9690-3f4022699ee7", "Read and write items in all site collections", "Allows the app to create, read, update, and delete documents and list items in all site collections on behalf of the signed-in user.", false},
			{"MyFiles.Read", "dd2c8d78-58e1-46d7-82dd-34d411282686", "Read user files", "Allows the app to read the current user's files.", false},
			{"Sites.Search.All", "1002502a-9a71-4426-8551-69ab83452fab", "Run search queries as a user", "Allows the app to run search queries and to read basic site info on behalf of the current signed-in user.", false},
			{"Sites.Selected", "9ac4404a-0323-446d-b334-b4ae4d18b38a", "Access selected site collections", "Allows the app to access a subset of site collections with a signed-in user.", true},
		},
	},
	appreg.KnownAPIs["exchange-online"]: {
		roles: []permission{
			{"full_access_as_app", "dc890d15-9560-4a4c-9b7f-a736ec74ec40", "Use Exchange Web Services with full access to all mailboxes", "Allows the app to have full access via Exchange Web Services to all mailboxes without a signed-in user.", true},
			{"Exchange.ManageAsApp", "dc50a0fb-09a3-484d-be87-e023b12c6440", "Manage Exchange As Application", "Allows the app to manage the organization's Exchange environment without any user interaction.", true},
		},
		scopes: []permission{
			{"EWS.AccessAsUser.All", "3b5f3d61-589b-4a3c-a359-5dd4b5ee5bd5", "Access mailboxes as the signed-in user via Exchange Web Services", "Allows the app to have the same access to mailboxes as the signed-in user via Exchange Web Services.", false},
		},
	},
	appreg.KnownAPIs["azure-resource-manager"]: {scopes: []permission{
		{"user_impersonation", "41094075-9dad-400e-a0bd-54e686782033", "Access Azure Service Management as organization users (preview)", "Allows the application to access Azure Service Management as the signed-in user.", false},
	}},
	appreg.KnownAPIs["azure-key-vault"]: {scopes: []permission{
		{"user_impersonation", "f53da476-18e3-4152-8e01-aec403e6edc0", "Have full access to the Azure Key Vault service", "Allow the application full access to the Azure Key Vault service on behalf of the signed-in user.", false},
	}},
}

// seedPermissions sets a first-party service principal's appRoles and
// oauth2PermissionScopes from firstPartyPermissions; it reports whether
// there were any.
func seedPermissions(sp *servicePrincipal, appID string) bool {
	p, ok := firstPartyPermissions[appID]
	if !ok {
		return false
	}
	roles := make([]any, 0, len(p.roles))
	for _, r := range p.roles {
		roles = append(roles, map[string]any{
			"allowedMemberTypes": []any{"Application"}, "description": r.description, "displayName": r.displayName,
			"id": r.id, "isEnabled": true, "origin": "Application", "value": r.value,
		})
	}
	scopes := make([]any, 0, len(p.scopes))
	for _, s := range p.scopes {
		ty := "User"
		if s.admin {
			ty = "Admin"
		}
		scopes = append(scopes, map[string]any{
			"adminConsentDescription": s.description, "adminConsentDisplayName": s.displayName, "id": s.id, "isEnabled": true,
			"type": ty, "userConsentDescription": s.description, "userConsentDisplayName": s.displayName, "value": s.value,
		})
	}
	sp.props["appRoles"] = roles
	sp.props["oauth2PermissionScopes"] = scopes
	return true
}
