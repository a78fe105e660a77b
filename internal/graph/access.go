package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/appreg/appreg/internal/appreg"
)

// Who may use an application and what groups its service principal is in:
// app role assignments to users and groups (appRoleAssignedTo,
// https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto)
// and group membership (group-post-members, group-delete-members,
// serviceprincipal-list-memberof).

// defaultAccess is the app role id of an assignment that grants access
// without a specific role.
const defaultAccess = "00000000-0000-0000-0000-000000000000"

// ReadAccess reads, in $batch, the users and groups assigned to the
// service principals of the registrations whose files manage assignments
// (their names in assignments) and the groups of those whose files manage
// memberOf, into r.ServicePrincipal.Assignments and MemberOf. Assignments'
// roles are named from the application's app roles.
//
// Requests: one $batch item per service principal and list, 20 to a $batch,
// plus one per further page of 100.
func (c *Client) ReadAccess(ctx context.Context, apps []*appreg.Registration, assignments, memberOf map[string]bool) error {
	var steps []step
	var more []func(context.Context) error
	for _, r := range apps {
		r := r
		spID := r.Observed.ServicePrincipalID
		if spID == "" || r.ServicePrincipal == nil {
			continue
		}
		if assignments[r.Name] {
			r.ServicePrincipal.Assignments = []appreg.Assignment{}
			info, err := c.sdk.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignedTo().ToGetRequestInformation(ctx, nil)
			if err != nil {
				return err
			}
			what := "reading users and groups assigned to " + label(r)
			steps = append(steps, step{what: what, info: info, ctor: models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
				done: func(v serialization.Parsable, err error) error {
					if err != nil {
						return err
					}
					more = append(more, func(ctx context.Context) error {
						return accessPages(ctx, c, what, v, models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
							func(a models.AppRoleAssignmentable) { addAssignment(r, a) })
					})
					return nil
				}})
		}
		if memberOf[r.Name] {
			r.ServicePrincipal.MemberOf = []appreg.GroupMembership{}
			info, err := c.sdk.ServicePrincipals().ByServicePrincipalId(spID).MemberOf().ToGetRequestInformation(ctx, nil)
			if err != nil {
				return err
			}
			what := "reading the groups of " + label(r)
			steps = append(steps, step{what: what, info: info, ctor: models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue,
				done: func(v serialization.Parsable, err error) error {
					if err != nil {
						return err
					}
					more = append(more, func(ctx context.Context) error {
						return accessPages(ctx, c, what, v, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue,
							func(o models.DirectoryObjectable) {
								if g, ok := o.(models.Groupable); ok {
									r.ServicePrincipal.MemberOf = append(r.ServicePrincipal.MemberOf,
										appreg.GroupMembership{Ref: deref(g.GetId()), ID: deref(g.GetId()), Name: deref(g.GetDisplayName())})
								}
							})
					})
					return nil
				}})
		}
	}
	if err := c.batch(ctx, steps); err != nil {
		return err
	}
	for _, fn := range more {
		if err := fn(ctx); err != nil {
			return err
		}
	}
	return nil
}

// addAssignment records an assignment of r's service principal to a user
// or group; those to service principals are consent, read elsewhere.
func addAssignment(r *appreg.Registration, a models.AppRoleAssignmentable) {
	var kind appreg.PrincipalKind
	switch deref(a.GetPrincipalType()) {
	case "User":
		kind = appreg.PrincipalUser
	case "Group":
		kind = appreg.PrincipalGroup
	default:
		return
	}
	roleID := uuidString(a.GetAppRoleId())
	role := ""
	if roleID != defaultAccess {
		role = roleID
		for _, ar := range r.AppRoles {
			if strings.EqualFold(ar.ID, roleID) {
				role = ar.Value
			}
		}
	}
	id := uuidString(a.GetPrincipalId())
	r.ServicePrincipal.Assignments = append(r.ServicePrincipal.Assignments, appreg.Assignment{
		Kind: kind, Ref: id, PrincipalID: id, Name: deref(a.GetPrincipalDisplayName()), Role: role, ID: deref(a.GetId()),
	})
}

// accessPages calls fn for every item of a collection whose first page is
// page, following @odata.nextLink.
func accessPages[T any](ctx context.Context, c *Client, what string, page serialization.Parsable, ctor serialization.ParsableFactory, fn func(T)) error {
	it, err := msgraphgocore.NewPageIterator[T](page, c.adapter, ctor)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := it.Iterate(ctx, func(v T) bool { fn(v); return true }); err != nil {
		return wrap(err, "%s", what)
	}
	return nil
}

// Principal is a user or group resolved from a reference.
type Principal struct {
	ID   string
	Name string // user principal name, or group display name
}

// ResolvePrincipals resolves user references (user principal names or
// object ids) and group references (display names or object ids), in
// $batch, keyed by kind and lower-case reference ("user|alice@contoso.com",
// "group|data science"). A reference that matches nothing, or a group name
// that matches several groups, is left out and reported in problems, keyed
// the same way.
func (c *Client) ResolvePrincipals(ctx context.Context, userRefs, groupRefs []string) (found map[string]Principal, problems map[string]string, err error) {
	found, problems = map[string]Principal{}, map[string]string{}
	var steps []step
	seen := map[string]bool{}
	for _, ref := range userRefs {
		key := "user|" + strings.ToLower(ref)
		if seen[key] {
			continue
		}
		seen[key] = true
		info, err := c.sdk.Users().ByUserId(ref).ToGetRequestInformation(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "userPrincipalName"}},
		})
		if err != nil {
			return nil, nil, err
		}
		steps = append(steps, step{what: "reading user " + ref, info: info, ctor: models.CreateUserFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if status(err) == 404 {
					problems[key] = "no user " + ref + " in the tenant"
					return nil
				}
				if err != nil {
					return err
				}
				u := v.(models.Userable)
				found[key] = Principal{ID: deref(u.GetId()), Name: deref(u.GetUserPrincipalName())}
				return nil
			}})
	}
	for _, ref := range groupRefs {
		key := "group|" + strings.ToLower(ref)
		if seen[key] {
			continue
		}
		seen[key] = true
		st, err := c.groupStep(ctx, ref, key, found, problems)
		if err != nil {
			return nil, nil, err
		}
		steps = append(steps, st)
	}
	if err := c.batch(ctx, steps); err != nil {
		return nil, nil, err
	}
	return found, problems, nil
}

// groupStep is the $batch read resolving one group reference: by id, or by
// display name, which must match exactly one group.
func (c *Client) groupStep(ctx context.Context, ref, key string, found map[string]Principal, problems map[string]string) (step, error) {
	if appreg.IsGUID(ref) {
		info, err := c.sdk.Groups().ByGroupId(ref).ToGetRequestInformation(ctx, &groups.GroupItemRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}},
		})
		return step{what: "reading group " + ref, info: info, ctor: models.CreateGroupFromDiscriminatorValue,
			done: func(v serialization.Parsable, err error) error {
				if status(err) == 404 {
					problems[key] = "no group with object id " + ref + " in the tenant"
					return nil
				}
				if err != nil {
					return err
				}
				g := v.(models.Groupable)
				found[key] = Principal{ID: deref(g.GetId()), Name: deref(g.GetDisplayName())}
				return nil
			}}, err
	}
	filter := "displayName eq '" + strings.ReplaceAll(ref, "'", "''") + "'"
	top := int32(2)
	info, err := c.sdk.Groups().ToGetRequestInformation(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Filter: &filter, Select: []string{"id", "displayName"}, Top: &top},
	})
	return step{what: "finding group " + ref, info: info, ctor: models.CreateGroupCollectionResponseFromDiscriminatorValue,
		done: func(v serialization.Parsable, err error) error {
			if err != nil {
				return err
			}
			gs := v.(models.GroupCollectionResponseable).GetValue()
			switch len(gs) {
			case 0:
				problems[key] = fmt.Sprintf("no group named %q in the tenant", ref)
			case 1:
				found[key] = Principal{ID: deref(gs[0].GetId()), Name: deref(gs[0].GetDisplayName())}
			default:
				problems[key] = fmt.Sprintf("several groups are named %q: name the group by its object id", ref)
			}
			return nil
		}}, err
}

// AssignPrincipal assigns an app role (or default access, "") of the
// service principal spID to a user or group; an assignment that exists
// already is not an error.
func (c *Client) AssignPrincipal(ctx context.Context, spID, principalID, appRoleID string) error {
	if appRoleID == "" {
		appRoleID = defaultAccess
	}
	a := models.NewAppRoleAssignment()
	a.SetPrincipalId(parseUUID(principalID))
	a.SetResourceId(parseUUID(spID))
	a.SetAppRoleId(parseUUID(appRoleID))
	return c.retryLag(ctx, "assigning a principal", func() error {
		_, err := c.sdk.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignedTo().Post(ctx, a, nil)
		if err != nil && strings.Contains(errText(err), "already exists") {
			return nil
		}
		return wrap(err, "assigning app role %s of service principal %s to %s", appRoleID, spID, principalID)
	})
}

// Unassign removes an app role assignment of the service principal spID;
// one that is gone already is not an error.
func (c *Client) Unassign(ctx context.Context, spID, assignmentID string) error {
	err := c.sdk.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignedTo().ByAppRoleAssignmentId(assignmentID).Delete(ctx, nil)
	if status(err) == 404 {
		return nil
	}
	return wrap(err, "removing app role assignment %s of service principal %s", assignmentID, spID)
}

// AddMember adds a directory object to a group; one that is a member
// already is not an error. A service principal just created may not have
// replicated yet: that is retried.
func (c *Client) AddMember(ctx context.Context, groupID, memberID string) error {
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr(strings.TrimSuffix(c.adapter.GetBaseUrl(), "/") + "/directoryObjects/" + memberID))
	return c.retryLag(ctx, "adding a group member", func() error {
		err := c.sdk.Groups().ByGroupId(groupID).Members().Ref().Post(ctx, ref, nil)
		if err != nil && strings.Contains(errText(err), "already exist") {
			return nil
		}
		return wrap(err, "adding %s to group %s", memberID, groupID)
	})
}

// RemoveMember removes a directory object from a group; one that is not a
// member is not an error.
func (c *Client) RemoveMember(ctx context.Context, groupID, memberID string) error {
	err := c.sdk.Groups().ByGroupId(groupID).Members().ByDirectoryObjectId(memberID).Ref().Delete(ctx, nil)
	if status(err) == 404 {
		return nil
	}
	return wrap(err, "removing %s from group %s", memberID, groupID)
}
