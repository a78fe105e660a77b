package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/catalog"
	"github.com/appreg/appreg/internal/diag"
)

// accessReader reads, in Microsoft Graph, who is assigned to service
// principals and the groups they are in, and resolves users and groups by
// name. The Graph adapter has it; a Reader without it cannot plan files
// that manage assignments or memberOf.
type accessReader interface {
	ReadAccess(ctx context.Context, apps []*appreg.Registration, assignments, memberOf map[string]bool) error
	ResolvePrincipals(ctx context.Context, userRefs, groupRefs []string) (found map[string]appreg.Principal, problems map[string]string, err error)
}

// azureReader reads Azure role definitions and role assignments within
// scopes. The tenant a shell builds has it when appreg.yaml names
// azure.scopes.
type azureReader interface {
	RoleDefinitions(ctx context.Context, scopes []string) ([]appreg.AzureRoleDefinition, error)
	RoleAssignments(ctx context.Context, scopes []string) (map[string][]appreg.AzureRole, error)
}

// managedAccess lists the registrations whose files manage assignments,
// memberOf and azureRoles, by name and (for adopted ones) lower-case appId.
type managedAccess struct {
	assignments, memberOf, azureRoles map[string]bool
}

func accessOf(desired *appreg.Set) managedAccess {
	m := managedAccess{assignments: map[string]bool{}, memberOf: map[string]bool{}, azureRoles: map[string]bool{}}
	for _, r := range desired.Registrations {
		sp := r.ServicePrincipal
		if sp == nil {
			continue
		}
		keys := []string{r.Name}
		if r.Adopt != nil {
			keys = append(keys, strings.ToLower(r.Adopt.AppID))
		}
		for _, k := range keys {
			m.assignments[k] = m.assignments[k] || sp.Assignments != nil
			m.memberOf[k] = m.memberOf[k] || sp.MemberOf != nil
			m.azureRoles[k] = m.azureRoles[k] || sp.AzureRoles != nil
		}
	}
	return m
}

func (m managedAccess) any(of map[string]bool) bool {
	for _, v := range of {
		if v {
			return true
		}
	}
	return false
}

// resolveAccess reads the observed access of the registrations whose files
// manage it into observed, and returns a copy of desired whose users,
// groups and Azure roles carry ids. What cannot be resolved is a
// diagnostic at the line that names it.
func resolveAccess(ctx context.Context, g Reader, settings appreg.Settings, in, observed *appreg.Set) (*appreg.Set, diag.Diagnostics, error) {
	m := accessOf(in)
	if !m.any(m.assignments) && !m.any(m.memberOf) && !m.any(m.azureRoles) {
		return in, nil, nil
	}
	desired := &appreg.Set{}
	for _, r := range in.Registrations {
		cp := *r
		if sp := r.ServicePrincipal; sp != nil {
			spc := *sp
			spc.Assignments = slices.Clone(sp.Assignments)
			spc.MemberOf = slices.Clone(sp.MemberOf)
			spc.AzureRoles = slices.Clone(sp.AzureRoles)
			cp.ServicePrincipal = &spc
		}
		desired.Registrations = append(desired.Registrations, &cp)
	}
	var diags diag.Diagnostics
	if m.any(m.assignments) || m.any(m.memberOf) {
		ar, ok := g.(accessReader)
		if !ok {
			return nil, nil, errors.New("the files manage assignments or memberOf, which this reader cannot read")
		}
		if err := ar.ReadAccess(ctx, observed.Registrations, m.assignments, m.memberOf); err != nil {
			return nil, nil, fmt.Errorf("reading assignments and group membership: %w", err)
		}
		d, err := resolvePrincipals(ctx, ar, desired, observed)
		if err != nil {
			return nil, nil, err
		}
		diags = append(diags, d...)
	}
	if m.any(m.azureRoles) {
		az, ok := g.(azureReader)
		if !ok {
			return nil, nil, errors.New("the files manage azureRoles, but no Azure Resource Manager client is configured")
		}
		d, err := resolveAzure(ctx, az, settings.Azure.Scopes, m, desired, observed)
		if err != nil {
			return nil, nil, err
		}
		diags = append(diags, d...)
	}
	return desired, diags, nil
}

func errorAt(pos, fallback appreg.Pos, summary, detail string) diag.Diagnostic {
	if pos.File == "" {
		pos = fallback
	}
	return diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, File: pos.File, Line: pos.Line, Column: pos.Column}
}

// resolvePrincipals sets the object ids and names of the users and groups
// the desired registrations name, and checks that assigned roles exist.
func resolvePrincipals(ctx context.Context, ar accessReader, desired, observed *appreg.Set) (diag.Diagnostics, error) {
	var users, groups []string
	for _, r := range desired.Registrations {
		if sp := r.ServicePrincipal; sp != nil {
			for _, a := range sp.Assignments {
				if a.Kind == appreg.PrincipalUser {
					users = append(users, a.Ref)
				} else {
					groups = append(groups, a.Ref)
				}
			}
			for _, g := range sp.MemberOf {
				groups = append(groups, g.Ref)
			}
		}
	}
	if len(users)+len(groups) == 0 {
		return nil, nil
	}
	found, problems, err := ar.ResolvePrincipals(ctx, users, groups)
	if err != nil {
		return nil, fmt.Errorf("resolving users and groups: %w", err)
	}
	var diags diag.Diagnostics
	for _, r := range desired.Registrations {
		sp := r.ServicePrincipal
		if sp == nil {
			continue
		}
		have := observed.Get(r.Name)
		for i := range sp.Assignments {
			a := &sp.Assignments[i]
			key := string(a.Kind) + "|" + strings.ToLower(a.Ref)
			p, ok := found[key]
			if !ok {
				diags = append(diags, errorAt(a.Source, r.Source, fmt.Sprintf("assignment of %s %q: %s", a.Kind, a.Ref, problems[key]),
					"check the name in the Entra admin center; groups are named by display name or object id, users by sign-in name or object id"))
				continue
			}
			a.PrincipalID, a.Name = p.ID, p.Name
			if a.Role != "" && r.AppRoles == nil && have != nil && !hasUserRole(have, a.Role) {
				diags = append(diags, errorAt(a.Source, r.Source, fmt.Sprintf("assignment role %q is not an app role of this application that users and groups can hold", a.Role),
					"add it under appRoles with allowedMemberTypes: [User], or leave role out for default access"))
			}
		}
		for i := range sp.MemberOf {
			g := &sp.MemberOf[i]
			key := "group|" + strings.ToLower(g.Ref)
			p, ok := found[key]
			if !ok {
				diags = append(diags, errorAt(g.Source, r.Source, fmt.Sprintf("memberOf group %q: %s", g.Ref, problems[key]),
					"check the group's display name in the Entra admin center, or name it by object id"))
				continue
			}
			g.ID, g.Name = p.ID, p.Name
		}
	}
	return diags, nil
}

func hasUserRole(r *appreg.Registration, role string) bool {
	for _, ar := range r.AppRoles {
		if ar.Value == role {
			for _, t := range ar.AllowedMemberTypes {
				if t == appreg.MemberUser {
					return true
				}
			}
		}
	}
	return false
}

// resolveAzure resolves the desired roles' names through the role
// definitions of the managed scopes, and attaches to each observed
// registration whose file manages azureRoles the role assignments its
// service principal holds within them. Requests: two paged lists per
// managed scope.
func resolveAzure(ctx context.Context, az azureReader, scopes []string, m managedAccess, desired, observed *appreg.Set) (diag.Diagnostics, error) {
	defs, err := az.RoleDefinitions(ctx, scopes)
	if err != nil {
		return nil, fmt.Errorf("reading Azure role definitions: %w", err)
	}
	byID := map[string]appreg.AzureRoleDefinition{}
	byName := map[string][]appreg.AzureRoleDefinition{}
	var names []string
	for _, d := range defs {
		byID[strings.ToLower(d.ID)] = d
		byName[strings.ToLower(d.Name)] = append(byName[strings.ToLower(d.Name)], d)
		names = append(names, d.Name)
	}
	var diags diag.Diagnostics
	for _, r := range desired.Registrations {
		if r.ServicePrincipal == nil {
			continue
		}
		for i := range r.ServicePrincipal.AzureRoles {
			ar := &r.ServicePrincipal.AzureRoles[i]
			guid := strings.ToLower(ar.Role[strings.LastIndex(ar.Role, "/")+1:])
			switch d, byGUID := byID[guid]; {
			case byGUID:
				ar.RoleID, ar.RoleName = d.ID, d.Name
			case len(byName[strings.ToLower(ar.Role)]) == 1:
				d := byName[strings.ToLower(ar.Role)][0]
				ar.RoleID, ar.RoleName = d.ID, d.Name
			case len(byName[strings.ToLower(ar.Role)]) > 1:
				diags = append(diags, errorAt(ar.Source, r.Source, fmt.Sprintf("azure role %q names several role definitions", ar.Role),
					"name the role by its role definition id"))
			default:
				detail := "use a built-in role name such as Contributor or Reader, a custom role's name, or a role definition id"
				if s := catalog.Nearest(ar.Role, names); s != "" {
					detail = fmt.Sprintf("did you mean %q? ", s) + detail
				}
				diags = append(diags, errorAt(ar.Source, r.Source, fmt.Sprintf("azure role %q is not a role assignable in %s", ar.Role, strings.Join(scopes, ", ")), detail))
			}
		}
	}
	err = attachAzure(ctx, az, scopes, byID, observed, func(r *appreg.Registration) bool {
		return m.azureRoles[r.Name] || m.azureRoles[strings.ToLower(r.Observed.AppID)]
	})
	return diags, err
}

// attachAzure reads the role assignments within scopes and gives each
// observed registration that manages sets the ones its service principal
// holds, named through byID.
func attachAzure(ctx context.Context, az azureReader, scopes []string, byID map[string]appreg.AzureRoleDefinition, observed *appreg.Set, manages func(*appreg.Registration) bool) error {
	held, err := az.RoleAssignments(ctx, scopes)
	if err != nil {
		return fmt.Errorf("reading Azure role assignments: %w", err)
	}
	for _, r := range observed.Registrations {
		spID := r.Observed.ServicePrincipalID
		if spID == "" || !manages(r) {
			continue
		}
		if r.ServicePrincipal == nil {
			r.ServicePrincipal = &appreg.ServicePrincipal{}
		}
		r.ServicePrincipal.AzureRoles = []appreg.AzureRole{}
		for _, a := range held[strings.ToLower(spID)] {
			if d, ok := byID[strings.ToLower(a.RoleID)]; ok {
				a.Role, a.RoleName = d.Name, d.Name
			}
			r.ServicePrincipal.AzureRoles = append(r.ServicePrincipal.AzureRoles, a)
		}
	}
	return nil
}

// importAccess reads who may use the applications being imported and what
// they may touch, when the tenant can tell: users (named by user principal
// name) and groups (by display name when it is unique, else object id)
// assigned, the groups their service principals are in, and their Azure
// roles within appreg.yaml's azure.scopes.
func importAccess(ctx context.Context, g any, scopes, appIDs []string, observed *appreg.Set) error {
	all := map[string]bool{}
	for _, id := range appIDs {
		all[strings.ToLower(id)] = true
	}
	if ar, ok := g.(accessReader); ok {
		if err := ar.ReadAccess(ctx, observed.Registrations, all, all); err != nil {
			return fmt.Errorf("reading assignments and group membership: %w", err)
		}
		if err := nameForFiles(ctx, ar, observed); err != nil {
			return err
		}
	}
	if az, ok := g.(azureReader); ok && len(scopes) > 0 {
		defs, err := az.RoleDefinitions(ctx, scopes)
		if err != nil {
			return fmt.Errorf("reading Azure role definitions: %w", err)
		}
		byID := map[string]appreg.AzureRoleDefinition{}
		for _, d := range defs {
			byID[strings.ToLower(d.ID)] = d
		}
		return attachAzure(ctx, az, scopes, byID, observed, func(r *appreg.Registration) bool { return all[strings.ToLower(r.Observed.AppID)] })
	}
	return nil
}

// nameForFiles replaces the object ids of assigned users by their user
// principal names and those of groups by their display names where the
// name finds the same group again.
func nameForFiles(ctx context.Context, ar accessReader, observed *appreg.Set) error {
	var users, groups []string
	for _, r := range observed.Registrations {
		if sp := r.ServicePrincipal; sp != nil {
			for _, a := range sp.Assignments {
				if a.Kind == appreg.PrincipalUser {
					users = append(users, a.PrincipalID)
				} else if a.Name != "" {
					groups = append(groups, a.Name)
				}
			}
			for _, g := range sp.MemberOf {
				if g.Name != "" {
					groups = append(groups, g.Name)
				}
			}
		}
	}
	if len(users)+len(groups) == 0 {
		return nil
	}
	found, _, err := ar.ResolvePrincipals(ctx, users, groups)
	if err != nil {
		return fmt.Errorf("naming users and groups: %w", err)
	}
	unique := func(name, id string) string {
		if p, ok := found["group|"+strings.ToLower(name)]; ok && strings.EqualFold(p.ID, id) {
			return name
		}
		return id
	}
	for _, r := range observed.Registrations {
		sp := r.ServicePrincipal
		if sp == nil {
			continue
		}
		for i := range sp.Assignments {
			a := &sp.Assignments[i]
			if a.Kind == appreg.PrincipalUser {
				if p, ok := found["user|"+strings.ToLower(a.PrincipalID)]; ok && p.Name != "" {
					a.Name = p.Name
				} else {
					a.Name = a.PrincipalID
				}
				continue
			}
			a.Name = unique(a.Name, a.PrincipalID)
		}
		for i := range sp.MemberOf {
			sp.MemberOf[i].Name = unique(sp.MemberOf[i].Name, sp.MemberOf[i].ID)
		}
	}
	return nil
}
