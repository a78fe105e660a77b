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
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/sync/errgroup"

	"github.com/appreg/appreg/internal/appreg"
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
