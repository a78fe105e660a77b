package plan

import (
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
)

// Who may use an application and what it may touch: users and groups
// assigned to its service principal, the groups the service principal is a
// member of, and its Azure role assignments. Each list the file declares is
// the whole truth: what the tenant has beyond it is removed. The planner
// only ever sees Azure role assignments within appreg.yaml's azure.scopes
// (the workflow reads no others), so one outside them is never removed.

// Sections of the access a change writes.
const (
	// SectionAssignments are app role assignments to users and groups
	// (appRoleAssignedTo).
	SectionAssignments Section = "assignments"
	// SectionMemberOf is the service principal's group membership.
	SectionMemberOf Section = "memberOf"
	// SectionAzureRoles are Azure RBAC role assignments.
	SectionAzureRoles Section = "azureRoles"
)

// access compares the managed access lists of the service principal.
func (p *planner) access(c *Change, d *differ, want, have *appreg.Registration) {
	sp := want.ServicePrincipal
	if sp == nil || sp.Create != nil && !*sp.Create {
		return
	}
	h := have.ServicePrincipal
	if h == nil {
		h = &appreg.ServicePrincipal{}
	}
	if sp.Assignments != nil {
		c.AddAssignments, c.RemoveAssignments = diffList(sp.Assignments, h.Assignments, assignmentKey)
		d.in(SectionAssignments, "", appreg.CategoryAssignmentChange)
		for _, a := range c.AddAssignments {
			d.item = a.Label()
			d.add("servicePrincipal.assignments", KindObject, nil, a.Label(), "", a.Label())
		}
		for _, a := range c.RemoveAssignments {
			d.item = a.Label()
			d.add("servicePrincipal.assignments", KindObject, a.Label(), nil, a.Label(), "")
		}
	}
	if sp.MemberOf != nil {
		c.AddMemberOf, c.RemoveMemberOf = diffList(sp.MemberOf, h.MemberOf, groupKey)
		d.in(SectionMemberOf, "", appreg.CategoryGroupMembership)
		for _, g := range c.AddMemberOf {
			d.item = g.Label()
			d.add("servicePrincipal.memberOf", KindObject, nil, "group "+g.Label(), "", "group "+g.Label())
		}
		for _, g := range c.RemoveMemberOf {
			d.item = g.Label()
			d.add("servicePrincipal.memberOf", KindObject, "group "+g.Label(), nil, "group "+g.Label(), "")
		}
	}
	if sp.AzureRoles != nil {
		c.AddAzureRoles, c.RemoveAzureRoles = diffList(sp.AzureRoles, h.AzureRoles, func(r appreg.AzureRole) string { return r.Key() })
		for _, r := range c.AddAzureRoles {
			label := r.Label()
			if why := p.privilegedAzureRole(r); why != "" {
				label += " (privileged: " + why + ")"
				c.PrivilegedAzureRoles = append(c.PrivilegedAzureRoles, r.Label())
			}
			d.in(SectionAzureRoles, r.Label(), appreg.CategoryAzureRole)
			d.add("servicePrincipal.azureRoles", KindObject, nil, r.Label(), "", label)
		}
		for _, r := range c.RemoveAzureRoles {
			// Removing access is no azure-role change, as removing a
			// permission is no application-permission change.
			d.in(SectionAzureRoles, r.Label(), "")
			d.add("servicePrincipal.azureRoles", KindObject, r.Label(), nil, r.Label(), "")
		}
	}
	d.in(SectionServicePrincipal, "", "")
}

// diffList splits want and have, matched by key, into what to add (from
// want) and what to remove (from have).
func diffList[T any](want, have []T, key func(T) string) (add, remove []T) {
	hk := map[string]bool{}
	for _, x := range have {
		hk[key(x)] = true
	}
	wk := map[string]bool{}
	for _, x := range want {
		wk[key(x)] = true
		if !hk[key(x)] {
			add = append(add, x)
		}
	}
	for _, x := range have {
		if !wk[key(x)] {
			remove = append(remove, x)
		}
	}
	return add, remove
}

func assignmentKey(a appreg.Assignment) string {
	id := a.PrincipalID
	if id == "" {
		id = a.Ref
	}
	return string(a.Kind) + "|" + strings.ToLower(id) + "|" + a.Role
}

func groupKey(g appreg.GroupMembership) string {
	if g.ID != "" {
		return strings.ToLower(g.ID)
	}
	return strings.ToLower(g.Ref)
}

// privilegedAzureRole says why assigning r is privileged, or "": a role
// policy.privilegedAzureRoles names (by default those that can grant access
// to others), or any role at subscription or management group scope.
func (p *planner) privilegedAzureRole(r appreg.AzureRole) string {
	var why []string
	names, listed := p.in.Settings.Policy.PrivilegedAzureRoles, "listed in policy.privilegedAzureRoles"
	if names == nil {
		names, listed = appreg.DefaultPrivilegedAzureRoles, "can grant Azure access to others"
	}
	if slices.ContainsFunc(names, func(n string) bool {
		return strings.EqualFold(n, r.RoleName) || strings.EqualFold(n, r.Role) || strings.EqualFold(n, r.RoleID)
	}) {
		why = append(why, listed)
	}
	switch appreg.ScopeLevel(r.Scope) {
	case "subscription":
		why = append(why, "a whole subscription")
	case "managementGroup":
		why = append(why, "a whole management group")
	}
	return strings.Join(why, "; ")
}
