package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// readConsent reads, in $batch, what is consented to the service principals
// of the applications whose consent the files manage.
func (c *Client) readConsent(ctx context.Context, apps []*appreg.Registration, managedConsent map[string]bool) error {
	consents := map[*appreg.Registration]*consent{}
	var steps []step
	fu := &followUps{}
	for _, r := range apps {
		r := r
		spID := r.Observed.ServicePrincipalID
		if spID == "" || !managedConsent[r.Name] && !managedConsent[strings.ToLower(r.Observed.AppID)] {
			continue
		}
		cs := &consent{roles: map[string][]string{}, scopes: map[string][]string{}}
		consents[r] = cs
		// Consent is read where it can exist: app role assignments when the
		// app requests application permissions, delegated grants when it
		// requests delegated ones.
		var roles, scopes bool
		for _, p := range r.Permissions {
			roles = roles || len(p.Application) > 0
			scopes = scopes || len(p.Delegated) > 0
		}
		if roles {
			info, err := c.sdk.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignments().ToGetRequestInformation(ctx, nil)
			if err != nil {
				return err
			}
			steps = append(steps, step{what: "reading app role assignments of " + label(r), info: info, ctor: models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
				done: func(v serialization.Parsable, err error) error {
					if err != nil {
						return err
					}
					fu.add(func(ctx context.Context) error {
						return eachItem(ctx, c, "reading app role assignments of "+label(r), v, models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
							func(a models.AppRoleAssignmentable) {
								res := uuidString(a.GetResourceId())
								cs.roles[res] = append(cs.roles[res], uuidString(a.GetAppRoleId()))
							})
					})
					return nil
				}})
		}
		if scopes {
			filter := fmt.Sprintf("clientId eq '%s' and consentType eq 'AllPrincipals'", spID)
			info, err := c.sdk.Oauth2PermissionGrants().ToGetRequestInformation(ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
				QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: &filter},
			})
			if err != nil {
				return err
			}
			steps = append(steps, step{what: "reading delegated permission grants of " + label(r), info: info, ctor: models.CreateOAuth2PermissionGrantCollectionResponseFromDiscriminatorValue,
				done: func(v serialization.Parsable, err error) error {
					if err != nil {
						return err
					}
					fu.add(func(ctx context.Context) error {
						return eachItem(ctx, c, "reading delegated permission grants of "+label(r), v, models.CreateOAuth2PermissionGrantCollectionResponseFromDiscriminatorValue,
							func(g models.OAuth2PermissionGrantable) {
								res := deref(g.GetResourceId())
								cs.scopes[res] = append(cs.scopes[res], strings.Fields(deref(g.GetScope()))...)
							})
					})
					return nil
				}})
		}
	}
	if err := c.batchFollowing(ctx, steps, fu); err != nil {
		return err
	}
	return c.attachConsent(ctx, consents)
}

// attachConsent adds the consent read to the permissions, by resource
// appId.
func (c *Client) attachConsent(ctx context.Context, consents map[*appreg.Registration]*consent) error {
	var spIDs []string
	for _, cs := range consents {
		for id := range cs.roles {
			spIDs = append(spIDs, id)
		}
		for id := range cs.scopes {
			spIDs = append(spIDs, id)
		}
	}
	if err := c.resourcesBySPID(ctx, spIDs); err != nil {
		return err
	}
	for r, cs := range consents {
		for spID, roleIDs := range cs.roles {
			p := permissionFor(r, c.appIDOfSP(spID))
			p.ConsentedApplication = append(p.ConsentedApplication, roleIDs...) // named below
		}
		for spID, values := range cs.scopes {
			p := permissionFor(r, c.appIDOfSP(spID))
			p.ConsentedDelegated = append(p.ConsentedDelegated, values...)
		}
	}
	return nil
}

// permissionFor returns r's permission entry for a resource, adding an
// empty one for consent on a resource the app does not request.
func permissionFor(r *appreg.Registration, resourceAppID string) *appreg.Permission {
	for i := range r.Permissions {
		if strings.EqualFold(r.Permissions[i].ResourceAppID, resourceAppID) {
			return &r.Permissions[i]
		}
	}
	r.Permissions = append(r.Permissions, appreg.Permission{API: resourceAppID, ResourceAppID: resourceAppID, Delegated: []string{}, Application: []string{}})
	return &r.Permissions[len(r.Permissions)-1]
}

// namePermissions replaces permission ids with names from each resource
// API's catalog; ids a catalog does not know stay as they are.
func (c *Client) namePermissions(ctx context.Context, apps []*appreg.Registration) error {
	var ids []string
	for _, r := range apps {
		for _, p := range r.Permissions {
			ids = append(ids, p.ResourceAppID)
		}
	}
	cats, err := c.Catalogs(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range apps {
		for i := range r.Permissions {
			p := &r.Permissions[i]
			cat := cats[strings.ToLower(p.ResourceAppID)]
			if cat == nil {
				continue
			}
			p.API = p.ResourceAppID
			name := func(kind catalog.Kind, ids []string) []string {
				out := make([]string, 0, len(ids))
				for _, id := range ids {
					if e, ok := cat.ByID(kind, id); ok {
						id = e.Value
					}
					out = append(out, id)
				}
				return out
			}
			p.Delegated = name(catalog.Delegated, p.Delegated)
			p.Application = name(catalog.Application, p.Application)
			p.ConsentedApplication = name(catalog.Application, p.ConsentedApplication)
		}
	}
	return nil
}

// Catalogs returns the permission catalogs of resource APIs by appId (lower
// case), reading each resource's service principal once per Client. A
// resource with no service principal in the tenant has no entry.
func (c *Client) Catalogs(ctx context.Context, appIDs []string) (map[string]*catalog.Catalog, error) {
	var steps []step
	seen := map[string]bool{}
	for _, appID := range appIDs {
		key := strings.ToLower(appID)
		c.mu.Lock()
		_, cached := c.resources[key]
		c.mu.Unlock()
		if cached || seen[key] || !appreg.IsGUID(appID) {
			continue
		}
		seen[key] = true
		id := appID
		info, err := c.sdk.ServicePrincipalsWithAppId(&id).ToGetRequestInformation(ctx, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: []string{"id", "appId", "appRoles", "oauth2PermissionScopes"}},
		})
		if err != nil {
			return nil, err
		}
		steps = append(steps, step{what: "reading the permissions of API " + id, info: info, ctor: models.CreateServicePrincipalFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if status(err) == 404 {
					c.remember(key, nil)
					return nil
				}
				if err != nil {
					return err
				}
				c.remember(key, v.(models.ServicePrincipalable))
				return nil
			}})
	}
	if err := c.batch(ctx, steps); err != nil {
		return nil, err
	}
	out := map[string]*catalog.Catalog{}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, appID := range appIDs {
		if r := c.resources[strings.ToLower(appID)]; r != nil {
			out[strings.ToLower(appID)] = r.catalog
		}
	}
	return out, nil
}

// resourcesBySPID makes sure the resources with the given service principal
// ids are known.
func (c *Client) resourcesBySPID(ctx context.Context, spIDs []string) error {
	var steps []step
	seen := map[string]bool{}
	for _, id := range spIDs {
		if seen[id] || c.appIDOfSP(id) != "" {
			continue
		}
		seen[id] = true
		info, err := c.sdk.ServicePrincipals().ByServicePrincipalId(id).ToGetRequestInformation(ctx, &serviceprincipals.ServicePrincipalItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalItemRequestBuilderGetQueryParameters{Select: []string{"id", "appId", "appRoles", "oauth2PermissionScopes"}},
		})
		if err != nil {
			return err
		}
		steps = append(steps, step{what: "reading resource service principal " + id, info: info, ctor: models.CreateServicePrincipalFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if err != nil {
					return err
				}
				sp := v.(models.ServicePrincipalable)
				c.remember(strings.ToLower(deref(sp.GetAppId())), sp)
				return nil
			}})
	}
	return c.batch(ctx, steps)
}

func (c *Client) remember(key string, sp models.ServicePrincipalable) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sp == nil {
		c.resources[key] = nil
		return
	}
	var scopes, roles []catalog.Permission
	for _, s := range sp.GetOauth2PermissionScopes() {
		scopes = append(scopes, catalog.Permission{ID: uuidString(s.GetId()), Value: deref(s.GetValue()), Enabled: deref(s.GetIsEnabled()),
			AdminConsentDisplayName: deref(s.GetAdminConsentDisplayName())})
	}
	for _, r := range sp.GetAppRoles() {
		if slices.Contains(r.GetAllowedMemberTypes(), appreg.MemberApplication) {
			roles = append(roles, catalog.Permission{ID: uuidString(r.GetId()), Value: deref(r.GetValue()), Enabled: deref(r.GetIsEnabled()),
				AdminConsentDisplayName: deref(r.GetDisplayName())})
		}
	}
	c.resources[key] = &resource{spID: deref(sp.GetId()), catalog: catalog.New(scopes, roles)}
}

// forget drops a cached resource, after appreg changed its scopes or roles.
func (c *Client) forget(appID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.resources, strings.ToLower(appID))
}

func (c *Client) appIDOfSP(spID string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for appID, r := range c.resources {
		if r != nil && strings.EqualFold(r.spID, spID) {
			return appID
		}
	}
	return ""
}
