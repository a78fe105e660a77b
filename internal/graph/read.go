package graph

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/sync/errgroup"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
)

// expandOwnersCap is how many owners $expand=owners returns at most.
const expandOwnersCap = 20

var markerFilter = fmt.Sprintf("tags/any(t:t eq '%s')", appreg.MarkerTag)

// ReadManaged reads every application carrying appreg's marker whose
// uniqueName is prefix + a registration name (appreg.NameIn), plus the applications named by adopt
// (appIds), with their service principals, owners, federated credentials
// and password credential metadata. Tenant-wide consent is read only for
// the applications whose consent the files manage: consent holds their
// names (or, for adopted ones, appIds). Permission ids are translated to
// names through each resource API's catalog. Applications owned by other
// repositories are read too, so that the plan can show a file that claims
// one as an adoption; only those tagged with the client's Repository are
// Owned.
//
// Requests: the application list (owners expanded, so Graph pages it at 100), the list
// of managed service principals, then $batch for federated credentials and
// consent; a few more only for apps with over 20 owners, service principals
// appreg has not tagged yet, and resource APIs not seen before.
func (c *Client) ReadManaged(ctx context.Context, prefix string, adopt []string, consent map[string]bool) (*appreg.Set, error) {
	// One token first, so that the concurrent requests below share it
	// rather than each asking the authority.
	if _, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}}); err != nil {
		return nil, fmt.Errorf("getting a Graph token: %w", err)
	}
	// The managed service principals are listed while the applications
	// are, and each page of applications has its federated credentials read
	// while the next page is listed.
	var sps map[string]models.ServicePrincipalable
	var spErr error
	spDone := make(chan struct{})
	go func() {
		defer close(spDone)
		sps, spErr = c.listManagedServicePrincipals(ctx)
	}()
	var pending errgroup.Group
	apps, err := c.listApplications(ctx, prefix, func(page []*appreg.Registration) error {
		fu := &followUps{}
		steps, err := c.appSteps(ctx, page, fu)
		if err != nil {
			return err
		}
		pending.Go(func() error { return c.batchFollowing(ctx, steps, fu) })
		return nil
	})
	<-spDone
	if err != nil {
		pending.Wait()
		return nil, err
	}
	if spErr != nil {
		pending.Wait()
		return nil, spErr
	}
	adopted, err := c.readAdopted(ctx, adopt, apps)
	if err == nil {
		var steps []step
		fu := &followUps{}
		if steps, err = c.appSteps(ctx, adopted, fu); err == nil {
			pending.Go(func() error { return c.batchFollowing(ctx, steps, fu) })
		}
	}
	if werr := pending.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	apps = append(apps, adopted...)
	for _, r := range apps {
		r.Observed.Owned = r.Observed.Managed && c.opts.Repository != "" && r.Observed.Repository == strings.ToLower(c.opts.Repository)
	}
	if err := c.readServicePrincipals(ctx, apps, sps); err != nil {
		return nil, err
	}
	if err := c.readConsent(ctx, apps, consent); err != nil {
		return nil, err
	}
	if err := c.namePermissions(ctx, apps); err != nil {
		return nil, err
	}
	sort.Slice(apps, func(i, j int) bool {
		if apps[i].Name != apps[j].Name {
			return apps[i].Name < apps[j].Name
		}
		return apps[i].Observed.AppID < apps[j].Observed.AppID
	})
	return &appreg.Set{Registrations: apps}, nil
}

// pageSize is how many applications are handed on at a time while the list
// is still being read: Graph's page size with $expand.
const pageSize = 100

// listApplications lists the managed applications with the prefix, handing
// every pageSize of them to page as they arrive.
func (c *Client) listApplications(ctx context.Context, prefix string, page func([]*appreg.Registration) error) ([]*appreg.Registration, error) {
	top := int32(pageSize) // Graph's largest page with $expand
	resp, err := c.sdk.Applications().Get(ctx, &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{
			Filter: &markerFilter, Select: appSelect, Top: &top, Expand: []string{"owners"},
		},
	})
	if err != nil {
		return nil, wrap(err, "listing managed applications")
	}
	it, err := msgraphgocore.NewPageIterator[models.Applicationable](resp, c.adapter, models.CreateApplicationCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, fmt.Errorf("listing managed applications: %w", err)
	}
	var out []*appreg.Registration
	handed := 0
	var pageErr error
	err = it.Iterate(ctx, func(a models.Applicationable) bool {
		if _, ok := appreg.NameIn(prefix, deref(a.GetUniqueName())); ok {
			r := observedApplication(a, prefix)
			if len(a.GetOwners()) >= expandOwnersCap {
				r.Owners = nil // read in full with its sub-resources
			}
			out = append(out, r)
		}
		if len(out)-handed >= pageSize {
			pageErr = page(out[handed:])
			handed = len(out)
		}
		return pageErr == nil
	})
	if err != nil {
		return nil, wrap(err, "listing managed applications")
	}
	if pageErr != nil {
		return nil, pageErr
	}
	if handed < len(out) {
		if err := page(out[handed:]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readAdopted reads the applications named by `adopt` that are not among
// apps (the managed ones) yet.
func (c *Client) readAdopted(ctx context.Context, adopt []string, apps []*appreg.Registration) ([]*appreg.Registration, error) {
	var steps []step
	var adopted []*appreg.Registration
	for _, appID := range adopt {
		if slices.ContainsFunc(apps, func(r *appreg.Registration) bool { return strings.EqualFold(r.Observed.AppID, appID) }) {
			continue
		}
		id := appID
		info, err := c.sdk.ApplicationsWithAppId(&id).ToGetRequestInformation(ctx, &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{Select: appSelect, Expand: []string{"owners"}},
		})
		if err != nil {
			return nil, err
		}
		steps = append(steps, step{what: "reading application " + id + " to adopt", info: info, ctor: models.CreateApplicationFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if err != nil {
					if status(err) == 404 {
						return nil // the plan reports the missing app
					}
					return err
				}
				r := observedApplication(v.(models.Applicationable), "\x00") // never a prefix match: matched by appId
				r.Name = ""
				if len(v.(models.Applicationable).GetOwners()) >= expandOwnersCap {
					r.Owners = nil
				}
				adopted = append(adopted, r)
				return nil
			}})
	}
	if err := c.batch(ctx, steps); err != nil {
		return nil, err
	}
	return adopted, nil
}

// listManagedServicePrincipals lists the service principals carrying
// appreg's marker, by lower-case appId.
func (c *Client) listManagedServicePrincipals(ctx context.Context) (map[string]models.ServicePrincipalable, error) {
	top := int32(999)
	resp, err := c.sdk.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: &markerFilter, Select: spSelect, Top: &top},
	})
	if err != nil {
		return nil, wrap(err, "listing managed service principals")
	}
	it, err := msgraphgocore.NewPageIterator[models.ServicePrincipalable](resp, c.adapter, models.CreateServicePrincipalCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return nil, fmt.Errorf("listing managed service principals: %w", err)
	}
	out := map[string]models.ServicePrincipalable{}
	if err := it.Iterate(ctx, func(sp models.ServicePrincipalable) bool {
		out[strings.ToLower(deref(sp.GetAppId()))] = sp
		return true
	}); err != nil {
		return nil, wrap(err, "listing managed service principals")
	}
	return out, nil
}

// readServicePrincipals attaches each application's service principal from
// the managed ones listed; those appreg has not tagged yet (adopted apps, or
// made by hand) are read one by one.
func (c *Client) readServicePrincipals(ctx context.Context, apps []*appreg.Registration, managed map[string]models.ServicePrincipalable) error {
	var steps []step
	for _, r := range apps {
		if sp := managed[strings.ToLower(r.Observed.AppID)]; sp != nil {
			setServicePrincipal(r, sp)
			continue
		}
		r := r
		appID := r.Observed.AppID
		info, err := c.sdk.ServicePrincipalsWithAppId(&appID).ToGetRequestInformation(ctx, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: spSelect},
		})
		if err != nil {
			return err
		}
		steps = append(steps, step{what: "reading the service principal of " + label(r), info: info, ctor: models.CreateServicePrincipalFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if status(err) == 404 {
					return nil // no service principal
				}
				if err != nil {
					return err
				}
				setServicePrincipal(r, v.(models.ServicePrincipalable))
				return nil
			}})
	}
	return c.batch(ctx, steps)
}

func setServicePrincipal(r *appreg.Registration, sp models.ServicePrincipalable) {
	r.Observed.ServicePrincipalID = deref(sp.GetId())
	r.ServicePrincipal = &appreg.ServicePrincipal{
		AssignmentRequired: ptr(deref(sp.GetAppRoleAssignmentRequired())),
		Tags:               slices.DeleteFunc(nonNil(sp.GetTags()), systemSPTag),
		NotificationEmails: nonNil(sp.GetNotificationEmailAddresses()),
	}
}

func label(r *appreg.Registration) string {
	if r.UniqueName != "" {
		return r.UniqueName
	}
	return r.Observed.AppID
}

// consent collects what is granted to one client service principal, keyed by
// the resource's service principal id.
type consent struct {
	roles  map[string][]string // resource SP id -> app role ids
	scopes map[string][]string // resource SP id -> scope values
}

// appSteps are the $batch reads of each application's federated
// credentials, and of its owners when $expand returned the maximum of 20.
func (c *Client) appSteps(ctx context.Context, apps []*appreg.Registration, fu *followUps) ([]step, error) {
	var steps []step
	for _, r := range apps {
		r := r
		id := r.Observed.ObjectID
		info, err := c.sdk.Applications().ByApplicationId(id).FederatedIdentityCredentials().ToGetRequestInformation(ctx, nil)
		if err != nil {
			return nil, err
		}
		steps = append(steps, step{what: "reading federated credentials of " + label(r), info: info, ctor: models.CreateFederatedIdentityCredentialCollectionResponseFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if err != nil {
					return err
				}
				fu.add(func(ctx context.Context) error {
					return eachItem(ctx, c, "reading federated credentials of "+label(r), v, models.CreateFederatedIdentityCredentialCollectionResponseFromDiscriminatorValue,
						func(f models.FederatedIdentityCredentialable) {
							fc := appreg.FederatedCredential{Name: deref(f.GetName()), Issuer: deref(f.GetIssuer()), Subject: deref(f.GetSubject()),
								Audiences: nonNil(f.GetAudiences())}
							if d := f.GetDescription(); d != nil && *d != "" {
								fc.Description = d
							}
							r.Credentials.Federated = append(r.Credentials.Federated, fc)
						})
				})
				return nil
			}})
		if r.Owners == nil {
			info, err := c.sdk.Applications().ByApplicationId(id).Owners().ToGetRequestInformation(ctx, nil)
			if err != nil {
				return nil, err
			}
			r.Owners = []appreg.Owner{}
			steps = append(steps, step{what: "reading owners of " + label(r), info: info, ctor: models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue,
				done: func(v serialization.Parsable, err error) error {
					if err != nil {
						return err
					}
					fu.add(func(ctx context.Context) error {
						return eachItem(ctx, c, "reading owners of "+label(r), v, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue,
							func(o models.DirectoryObjectable) { r.Owners = append(r.Owners, owner(o)) })
					})
					return nil
				}})
		}
	}
	return steps, nil
}

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
	// Attach consent to the permissions, by resource appId.
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

// ResolveOwners fills in the directory object id of each owner: users by
// user principal name or object id, service principals by sp:<appId>. Owners
// that do not exist are returned as an error naming them all.
func (c *Client) ResolveOwners(ctx context.Context, owners []appreg.Owner) ([]appreg.Owner, error) {
	out := slices.Clone(owners)
	var steps []step
	var missing []string
	for i := range out {
		o := &out[i]
		if o.ID != "" {
			continue
		}
		var (
			info *abstractions.RequestInformation
			ctor serialization.ParsableFactory
			err  error
		)
		if o.Kind == appreg.OwnerServicePrincipal {
			appID := strings.TrimPrefix(o.Ref, "sp:")
			ctor = models.CreateServicePrincipalFromDiscriminatorValue
			info, err = c.sdk.ServicePrincipalsWithAppId(&appID).ToGetRequestInformation(ctx, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
				QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{Select: []string{"id", "appId"}},
			})
		} else {
			ctor = models.CreateUserFromDiscriminatorValue
			info, err = c.sdk.Users().ByUserId(o.Ref).ToGetRequestInformation(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "userPrincipalName"}},
			})
		}
		if err != nil {
			return nil, err
		}
		steps = append(steps, step{what: "looking up owner " + o.Ref, info: info, ctor: ctor,
			done: func(v serialization.Parsable, err error) error {
				if status(err) == 404 {
					missing = append(missing, o.Ref)
					return nil
				}
				if err != nil {
					return err
				}
				o.ID = deref(v.(models.DirectoryObjectable).GetId())
				return nil
			}})
	}
	if err := c.batch(ctx, steps); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return out, &MissingOwnersError{Refs: missing}
	}
	return out, nil
}

// MissingOwnersError lists owners that do not exist in the tenant.
type MissingOwnersError struct{ Refs []string }

// MissingRefs returns the owner references that were not found.
func (e *MissingOwnersError) MissingRefs() []string { return e.Refs }

func (e *MissingOwnersError) Error() string {
	return "owners not found in the tenant: " + strings.Join(e.Refs, ", ")
}
