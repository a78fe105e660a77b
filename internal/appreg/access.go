package appreg

import "strings"

// Who may use an application and what it may touch: the service principal's
// app role assignments to users and groups (appRoleAssignedTo), the groups
// it is a member of, and its Azure RBAC role assignments. In each list of
// ServicePrincipal, nil means unmanaged and an empty list means "none".

// PrincipalKind says what kind of directory object an assignment names.
type PrincipalKind string

const (
	PrincipalUser  PrincipalKind = "user"
	PrincipalGroup PrincipalKind = "group"
)

// Assignment gives a user or group an app role of this application, or
// default access when Role is empty (appRoleAssignedTo). Ref is the
// reference as written (a user principal name, a group display name, or an
// object id); PrincipalID is the resolved object id and Name the principal's
// display name (user principal name for users, display name for groups).
type Assignment struct {
	Kind        PrincipalKind `json:"kind"`
	Ref         string        `json:"ref"`
	Role        string        `json:"role,omitempty"`
	PrincipalID string        `json:"principalId,omitempty"`
	Name        string        `json:"name,omitempty"`
	// ID is the observed app role assignment's id.
	ID     string `json:"-"`
	Source Pos    `json:"-"`
}

// Key identifies an assignment by principal and role once resolved.
func (a Assignment) Key() string { return strings.ToLower(a.PrincipalID) + "|" + a.Role }

// Label names the assignment for people: "group Data Science (Orders.Read)".
func (a Assignment) Label() string {
	name := a.Name
	if name == "" {
		name = a.Ref
	}
	role := a.Role
	if role == "" {
		role = "default access"
	}
	return string(a.Kind) + " " + name + " (" + role + ")"
}

// GroupMembership is a security group the service principal is a member
// of. Ref is as written (display name or object id); ID and Name are the
// resolved object id and display name.
type GroupMembership struct {
	Ref    string `json:"ref"`
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	Source Pos    `json:"-"`
}

// Label is the group's display name, or the reference as written.
func (g GroupMembership) Label() string {
	if g.Name != "" {
		return g.Name
	}
	return g.Ref
}

// AzureRole is an Azure RBAC role assignment of the service principal. Role
// is as written (a role name or role definition id); RoleID is the role
// definition's GUID and RoleName its name once resolved. Scope is the
// assignment's scope ("/subscriptions/{s}/resourceGroups/{rg}").
type AzureRole struct {
	Role     string `json:"role"`
	Scope    string `json:"scope"`
	RoleID   string `json:"roleId,omitempty"`
	RoleName string `json:"roleName,omitempty"`
	// ID is the observed role assignment's resource id.
	ID     string `json:"-"`
	Source Pos    `json:"-"`
}

// Key identifies a role assignment by role definition and scope, case
// insensitively.
func (r AzureRole) Key() string {
	return strings.ToLower(r.RoleID) + "|" + strings.ToLower(strings.TrimSuffix(r.Scope, "/"))
}

// Label names the role assignment for people: "Contributor on /subscriptions/…".
func (r AzureRole) Label() string {
	name := r.RoleName
	if name == "" {
		name = r.Role
	}
	return name + " on " + r.Scope
}

// ScopeWithin reports whether scope lies within (or is) outer, comparing
// Azure resource ids case-insensitively segment by segment. A management
// group contains only itself here: which subscriptions sit under it is not
// known without asking Azure.
func ScopeWithin(scope, outer string) bool {
	s := strings.ToLower(strings.TrimSuffix(scope, "/"))
	o := strings.ToLower(strings.TrimSuffix(outer, "/"))
	return s == o || strings.HasPrefix(s, o+"/")
}

// ScopeLevel says what an Azure scope is: "managementGroup", "subscription",
// "resourceGroup", "resource", or "" when it is none of them.
func ScopeLevel(scope string) string {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	switch {
	case len(parts) == 4 && strings.EqualFold(parts[0], "providers") && strings.EqualFold(parts[1], "Microsoft.Management") &&
		strings.EqualFold(parts[2], "managementGroups") && parts[3] != "":
		return "managementGroup"
	case len(parts) == 2 && strings.EqualFold(parts[0], "subscriptions") && IsGUID(parts[1]):
		return "subscription"
	case len(parts) == 4 && strings.EqualFold(parts[0], "subscriptions") && IsGUID(parts[1]) && strings.EqualFold(parts[2], "resourceGroups") && parts[3] != "":
		return "resourceGroup"
	case len(parts) >= 8 && len(parts)%2 == 0 && strings.EqualFold(parts[0], "subscriptions") && IsGUID(parts[1]) &&
		strings.EqualFold(parts[2], "resourceGroups") && strings.EqualFold(parts[4], "providers"):
		return "resource"
	}
	return ""
}

// Azure is appreg.yaml's `azure:` section: the scopes (subscriptions or
// management groups) within which appreg reads and writes Azure role
// assignments. appreg never touches an assignment outside them.
type Azure struct {
	Scopes []string `json:"scopes,omitempty"`
}

// DefaultPrivilegedAzureRoles are the roles that need the azure-role
// approval wherever they are assigned when policy.privilegedAzureRoles is
// not set: those that can grant access to others. Any role at subscription
// or management group scope needs it too.
var DefaultPrivilegedAzureRoles = []string{"Owner", "User Access Administrator", "Role Based Access Control Administrator"}
