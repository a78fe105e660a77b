package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithuniquename"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"

	"github.com/appreg/appreg/internal/appreg"
)

func createIfMissing() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", "create-if-missing")
	return h
}

// UpsertApplication writes the managed properties of want. A managed or new
// application is upserted by uniqueName (PATCH with Prefer:
// create-if-missing), so that two concurrent runs can never create two; an
// application being adopted (have set but not managed) is patched by object
// id and gets its uniqueName and appreg's marker. Either way the
// application is tagged as owned by the client's Repository, replacing any
// other repository's tag (the plan showed that as an adoption). It returns
// the object id
// and appId. access is the resolved requiredResourceAccess, used when
// want.Permissions is managed.
func (c *Client) UpsertApplication(ctx context.Context, want, have *appreg.Registration, access []appreg.ResourceAccess) (objectID, appID string, err error) {
	if c.opts.Repository == "" {
		return "", "", fmt.Errorf("writing application %q: the repository appreg acts for is unknown (set GITHUB_REPOSITORY, or --repo or APPREG_REPOSITORY)", want.UniqueName)
	}
	if have != nil && have.Observed != nil {
		objectID, appID = have.Observed.ObjectID, have.Observed.AppID
	}
	body := applicationModel(want, have, access, appID, c.opts.Repository)
	// Graph refuses to pre-authorize a scope defined in the same write:
	// the scopes go first, the pre-authorization in a second write.
	preAuth := deferPreAuthorization(body, have)
	if have != nil && have.Observed != nil && !have.Observed.Managed {
		body.SetUniqueName(ptr(want.UniqueName))
		_, err := c.sdk.Applications().ByApplicationId(objectID).Patch(ctx, body, nil)
		if err != nil {
			return objectID, appID, deniedHint(wrap(err, "adopting application %s as %q", appID, want.UniqueName), "application "+appID)
		}
		return objectID, appID, c.preAuthorize(ctx, objectID, want.UniqueName, preAuth)
	}
	name := want.UniqueName
	c.mu.Lock()
	justDisabled := c.disabled[objectID]
	c.mu.Unlock()
	retry := func(error) bool { return false }
	if justDisabled {
		retry = disabling
	}
	var created models.Applicationable
	err = c.retryWhile(ctx, "upserting application "+name, retry, func() error {
		var err error
		created, err = c.sdk.ApplicationsWithUniqueName(&name).Patch(ctx, body, &applicationswithuniquename.ApplicationsWithUniqueNameRequestBuilderPatchRequestConfiguration{Headers: createIfMissing()})
		return err
	})
	if err != nil {
		return "", "", deniedHint(wrap(err, "upserting application %q", name), "application "+name)
	}
	c.forget(appID)
	if created != nil {
		objectID, appID = deref(created.GetId()), deref(created.GetAppId())
	}
	if objectID == "" {
		// 204: it existed although the plan did not see it (a re-run after
		// a crash, or a concurrent run). Read its ids.
		err := c.retryLag(ctx, "reading application "+name, func() error {
			a, err := c.sdk.ApplicationsWithUniqueName(&name).Get(ctx, nil)
			if err == nil {
				objectID, appID = deref(a.GetId()), deref(a.GetAppId())
			}
			return wrap(err, "reading application %q", name)
		})
		if err != nil {
			return "", "", err
		}
	}
	// Identifier URIs may name the appId, known only now for a new app.
	if want.IdentifierURIs != nil && body.GetIdentifierUris() == nil {
		patch := models.NewApplication()
		uris := make([]string, len(want.IdentifierURIs))
		for i, u := range want.IdentifierURIs {
			uris[i] = strings.ReplaceAll(u, "{appId}", appID)
		}
		patch.SetIdentifierUris(uris)
		err := c.retryLag(ctx, "setting identifier URIs of "+name, func() error {
			_, err := c.sdk.Applications().ByApplicationId(objectID).Patch(ctx, patch, nil)
			return wrap(err, "setting identifier URIs of %q", name)
		})
		if err != nil {
			return objectID, appID, err
		}
	}
	return objectID, appID, c.preAuthorize(ctx, objectID, name, preAuth)
}

// DisableFirst disables, in a PATCH of its own, the enabled scopes and app
// roles named in values ("scope read", "appRole Orders.Write") as observed
// in have: Graph refuses to change or remove them while enabled.
func (c *Client) DisableFirst(ctx context.Context, have *appreg.Registration, values []string) error {
	if len(values) == 0 {
		return nil
	}
	patch := models.NewApplication()
	if have.API != nil {
		scopes := slices.Clone(have.API.Scopes)
		for i := range scopes {
			if slices.Contains(values, "scope "+scopes[i].Value) {
				scopes[i].Enabled = ptr(false)
			}
		}
		api := apiModel(&appreg.API{Scopes: scopes}, have.API)
		patch.SetApi(api)
	}
	roles := slices.Clone(have.AppRoles)
	for i := range roles {
		if slices.Contains(values, "appRole "+roles[i].Value) {
			roles[i].Enabled = ptr(false)
		}
	}
	patch.SetAppRoles(roleModels(roles))
	_, err := c.sdk.Applications().ByApplicationId(have.Observed.ObjectID).Patch(ctx, patch, nil)
	if err == nil {
		c.mu.Lock()
		c.disabled[have.Observed.ObjectID] = true
		c.mu.Unlock()
	}
	return wrap(err, "disabling %s of %q before changing them", strings.Join(values, ", "), have.UniqueName)
}

// AddOwner adds an owner; one that already is an owner is not an error.
func (c *Client) AddOwner(ctx context.Context, objectID string, o appreg.Owner) error {
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr(strings.TrimSuffix(c.adapter.GetBaseUrl(), "/") + "/directoryObjects/" + o.ID))
	return c.retryLag(ctx, "adding owner", func() error {
		err := c.sdk.Applications().ByApplicationId(objectID).Owners().Ref().Post(ctx, ref, nil)
		if err != nil && strings.Contains(errText(err), "already exist") {
			return nil
		}
		return wrap(err, "adding owner %s to application %s", o.Ref, objectID)
	})
}

// RemoveOwner removes an owner; one that is gone already is not an error.
func (c *Client) RemoveOwner(ctx context.Context, objectID string, o appreg.Owner) error {
	err := c.sdk.Applications().ByApplicationId(objectID).Owners().ByDirectoryObjectId(o.ID).Ref().Delete(ctx, nil)
	if status(err) == 404 {
		return nil
	}
	return wrap(err, "removing owner %s from application %s", o.Ref, objectID)
}

// UpsertFederatedCredential creates or updates a federated identity
// credential by name.
func (c *Client) UpsertFederatedCredential(ctx context.Context, objectID string, f appreg.FederatedCredential) error {
	body := models.NewFederatedIdentityCredential()
	body.SetName(ptr(f.Name))
	body.SetIssuer(ptr(f.Issuer))
	body.SetSubject(ptr(f.Subject))
	body.SetAudiences(nonNil(f.Audiences))
	setIf(f.Description, body.SetDescription)
	name := f.Name
	return c.retryLag(ctx, "upserting federated credential "+name, func() error {
		_, err := c.sdk.Applications().ByApplicationId(objectID).FederatedIdentityCredentialsWithName(&name).Patch(ctx, body,
			&applications.ItemFederatedIdentityCredentialsWithNameRequestBuilderPatchRequestConfiguration{Headers: createIfMissing()})
		return wrap(err, "upserting federated credential %q of application %s", name, objectID)
	})
}

// DeleteFederatedCredential deletes a federated identity credential by name;
// one that is gone already is not an error.
func (c *Client) DeleteFederatedCredential(ctx context.Context, objectID, name string) error {
	err := c.sdk.Applications().ByApplicationId(objectID).FederatedIdentityCredentialsWithName(&name).Delete(ctx, nil)
	if status(err) == 404 {
		return nil
	}
	return wrap(err, "deleting federated credential %q of application %s", name, objectID)
}

// resourceSP returns the service principal id of a resource API.
// resourceSP returns the service principal id of a resource API, from the
// cache the plan's reads filled; one that was missing then (created since,
// in this run) is read again.
func (c *Client) resourceSP(ctx context.Context, resourceAppID string) (string, error) {
	key := strings.ToLower(resourceAppID)
	c.mu.Lock()
	r := c.resources[key]
	c.mu.Unlock()
	if r != nil {
		return r.spID, nil
	}
	c.forget(resourceAppID)
	if _, err := c.Catalogs(ctx, []string{resourceAppID}); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r = c.resources[key]; r == nil {
		return "", fmt.Errorf("resource API %s has no service principal in the tenant", resourceAppID)
	}
	return r.spID, nil
}

// GrantAppRole grants tenant-wide consent to an application permission
// (an app role assignment to the client's service principal). A grant that
// exists already is not an error.
func (c *Client) GrantAppRole(ctx context.Context, clientSPID, resourceAppID, appRoleID string) error {
	resSP, err := c.resourceSP(ctx, resourceAppID)
	if err != nil {
		return err
	}
	a := models.NewAppRoleAssignment()
	a.SetPrincipalId(parseUUID(clientSPID))
	a.SetResourceId(parseUUID(resSP))
	a.SetAppRoleId(parseUUID(appRoleID))
	return c.retryLag(ctx, "granting app role", func() error {
		_, err := c.sdk.ServicePrincipals().ByServicePrincipalId(resSP).AppRoleAssignedTo().Post(ctx, a, nil)
		if err != nil && strings.Contains(errText(err), "already exists") {
			return nil
		}
		return wrap(err, "granting app role %s of %s to service principal %s", appRoleID, resourceAppID, clientSPID)
	})
}

// RevokeAppRole removes tenant-wide consent to an application permission.
func (c *Client) RevokeAppRole(ctx context.Context, clientSPID, resourceAppID, appRoleID string) error {
	resSP, err := c.resourceSP(ctx, resourceAppID)
	if err != nil {
		return err
	}
	resp, err := c.sdk.ServicePrincipals().ByServicePrincipalId(clientSPID).AppRoleAssignments().Get(ctx, nil)
	if err != nil {
		return wrap(err, "listing app role assignments of service principal %s", clientSPID)
	}
	var ids []string
	err = eachItem(ctx, c, "listing app role assignments of service principal "+clientSPID, resp, models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
		func(a models.AppRoleAssignmentable) {
			if strings.EqualFold(uuidString(a.GetResourceId()), resSP) && strings.EqualFold(uuidString(a.GetAppRoleId()), appRoleID) {
				ids = append(ids, deref(a.GetId()))
			}
		})
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := c.sdk.ServicePrincipals().ByServicePrincipalId(resSP).AppRoleAssignedTo().ByAppRoleAssignmentId(id).Delete(ctx, nil)
		if err != nil && status(err) != 404 {
			return wrap(err, "revoking app role %s of %s from service principal %s", appRoleID, resourceAppID, clientSPID)
		}
	}
	return nil
}

// SetDelegatedConsent adds and removes scopes of the tenant-wide
// (AllPrincipals) delegated permission grant of a client on a resource,
// creating or deleting the grant as needed.
func (c *Client) SetDelegatedConsent(ctx context.Context, clientSPID, resourceAppID string, add, remove []string) error {
	resSP, err := c.resourceSP(ctx, resourceAppID)
	if err != nil {
		return err
	}
	filter := fmt.Sprintf("clientId eq '%s' and consentType eq 'AllPrincipals'", clientSPID)
	var grant models.OAuth2PermissionGrantable
	err = c.retryLag(ctx, "reading delegated grants", func() error {
		resp, err := c.sdk.Oauth2PermissionGrants().Get(ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
			QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: &filter},
		})
		if err != nil {
			return wrap(err, "reading delegated permission grants of service principal %s", clientSPID)
		}
		return eachItem(ctx, c, "reading delegated permission grants of service principal "+clientSPID, resp, models.CreateOAuth2PermissionGrantCollectionResponseFromDiscriminatorValue,
			func(g models.OAuth2PermissionGrantable) {
				if strings.EqualFold(deref(g.GetResourceId()), resSP) {
					grant = g
				}
			})
	})
	if err != nil {
		return err
	}
	var scopes []string
	if grant != nil {
		scopes = strings.Fields(deref(grant.GetScope()))
	}
	for _, s := range add {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	scopes = slices.DeleteFunc(scopes, func(s string) bool { return slices.Contains(remove, s) })
	scope := strings.Join(scopes, " ")
	switch {
	case grant == nil && scope == "":
		return nil
	case grant == nil:
		g := models.NewOAuth2PermissionGrant()
		g.SetClientId(ptr(clientSPID))
		g.SetConsentType(ptr("AllPrincipals"))
		g.SetResourceId(ptr(resSP))
		g.SetScope(ptr(scope))
		return c.retryLag(ctx, "granting delegated permissions", func() error {
			_, err := c.sdk.Oauth2PermissionGrants().Post(ctx, g, nil)
			return wrap(err, "granting delegated permissions %q of %s to service principal %s", scope, resourceAppID, clientSPID)
		})
	case scope == "":
		err := c.sdk.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(deref(grant.GetId())).Delete(ctx, nil)
		if status(err) == 404 {
			return nil
		}
		return wrap(err, "revoking delegated permissions of %s from service principal %s", resourceAppID, clientSPID)
	default:
		g := models.NewOAuth2PermissionGrant()
		g.SetScope(ptr(scope))
		_, err := c.sdk.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(deref(grant.GetId())).Patch(ctx, g, nil)
		return wrap(err, "updating delegated permissions of %s for service principal %s to %q", resourceAppID, clientSPID, scope)
	}
}

// DeleteApplication soft-deletes an application (restorable for 30 days).
// One that is gone already is not an error.
func (c *Client) DeleteApplication(ctx context.Context, objectID string) error {
	err := c.sdk.Applications().ByApplicationId(objectID).Delete(ctx, nil)
	if status(err) == 404 {
		return nil
	}
	return wrap(err, "deleting application %s", objectID)
}

// errText returns Graph's error message of err, or "".
func errText(err error) string {
	if err == nil {
		return ""
	}
	return errMessage(wrap(err, ""))
}
