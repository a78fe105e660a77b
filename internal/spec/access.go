package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/appreg/appreg/internal/appreg"
)

// assignments decodes servicePrincipal.assignments: who may sign in to the
// application or holds one of its app roles.
func (rd *regDecoder) assignments(sp *object, out *appreg.ServicePrincipal) {
	items := sp.objects("assignments")
	if items == nil {
		return
	}
	out.Assignments = []appreg.Assignment{}
	dups := seen{}
	for _, it := range items {
		group, gn, hasGroup := it.str("group")
		user, un, hasUser := it.str("user")
		a := appreg.Assignment{Source: rd.pos(it.node)}
		var n *yaml.Node
		switch {
		case hasGroup == hasUser:
			rd.report(it.node, "an assignment names exactly one of group or user",
				"write - group: Data Science (a group's display name or object id) or - user: alice@contoso.com")
			continue
		case hasGroup:
			a.Kind, a.Ref, n = appreg.PrincipalGroup, strings.TrimSpace(group), gn
			if a.Ref == "" {
				rd.report(gn, "assignment group is empty", "write the group's display name or object id")
				continue
			}
		default:
			a.Kind, a.Ref, n = appreg.PrincipalUser, user, un
			if o, problem := parseOwner(user); problem != "" || o.Kind != appreg.OwnerUser {
				rd.report(un, fmt.Sprintf("assignment user %q is not valid: it is neither a user principal name nor an object id", user),
					"write a user's sign-in name (alice@contoso.com) or object id")
				continue
			}
		}
		if role, rn, ok := it.str("role"); ok {
			if problem := permissionValueProblem(role); problem != "" {
				rd.report(rn, fmt.Sprintf("assignment role %q is not valid: %s", role, problem),
					"write the value of one of this registration's app roles, or leave role out for default access")
				continue
			}
			if !rd.userRole(role) {
				rd.report(rn, fmt.Sprintf("assignment role %q is not an app role users and groups can hold in this registration", role),
					"declare it under appRoles with allowedMemberTypes: [User], or leave role out for default access")
				continue
			}
			a.Role = role
		}
		if !rd.first(dups, string(a.Kind)+"|"+strings.ToLower(a.Ref)+"|"+a.Role, n, fmt.Sprintf("assignment of %s %q", a.Kind, a.Ref)) {
			continue
		}
		out.Assignments = append(out.Assignments, a)
	}
}

// userRole reports whether role may be assigned to users and groups: an
// app role of this registration allowing members of type User, or any
// value when the file leaves appRoles unmanaged (the plan checks the
// tenant's then).
func (rd *regDecoder) userRole(role string) bool {
	if rd.r.AppRoles == nil {
		return true
	}
	for _, r := range rd.r.AppRoles {
		if r.Value == role && slices.Contains(r.AllowedMemberTypes, appreg.MemberUser) {
			return true
		}
	}
	return false
}

// memberOf decodes servicePrincipal.memberOf: the security groups the
// service principal is a member of, by display name or object id.
func (rd *regDecoder) memberOf(sp *object, out *appreg.ServicePrincipal) {
	list, nodes := sp.strings("memberOf")
	if list == nil {
		return
	}
	out.MemberOf = []appreg.GroupMembership{}
	dups := seen{}
	for i, ref := range list {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			rd.report(nodes[i], "a group in servicePrincipal.memberOf is empty", "write the group's display name or object id")
			continue
		}
		if rd.first(dups, strings.ToLower(ref), nodes[i], fmt.Sprintf("group %q", ref)) {
			out.MemberOf = append(out.MemberOf, appreg.GroupMembership{Ref: ref, Source: rd.pos(nodes[i])})
		}
	}
}

// subscriptionPlaceholder in an azureRoles scope stands for the one
// subscription appreg.yaml's azure.scopes names.
const subscriptionPlaceholder = "{subscriptionId}"

// azureRoles decodes servicePrincipal.azureRoles: the Azure RBAC role
// assignments of the service principal. Each scope must lie within one of
// appreg.yaml's azure.scopes.
func (rd *regDecoder) azureRoles(sp *object, out *appreg.ServicePrincipal) {
	items := sp.objects("azureRoles")
	if items == nil {
		return
	}
	out.AzureRoles = []appreg.AzureRole{}
	dups := seen{}
	for _, it := range items {
		role, _, ok := it.required("role", "Contributor")
		if !ok {
			continue
		}
		scope, sn, ok := it.required("scope", "/subscriptions/{subscriptionId}/resourceGroups/rg-orders")
		if !ok {
			continue
		}
		if strings.TrimSpace(role) == "" {
			rd.report(it.at("role"), "azure role is empty", "write a role name such as Contributor, or a role definition id")
			continue
		}
		scope, ok = rd.azureScope(sn, scope)
		if !ok {
			continue
		}
		if !rd.first(dups, strings.ToLower(role)+"|"+strings.ToLower(scope), it.node, fmt.Sprintf("azure role %s on %s", role, scope)) {
			continue
		}
		out.AzureRoles = append(out.AzureRoles, appreg.AzureRole{Role: role, Scope: scope, Source: rd.pos(it.node)})
	}
}

// azureScope expands the subscription placeholder and checks that scope is
// an Azure scope within the managed ones.
func (rd *regDecoder) azureScope(n *yaml.Node, scope string) (string, bool) {
	managed := rd.s.Azure.Scopes
	if strings.Contains(scope, subscriptionPlaceholder) {
		var subs []string
		for _, m := range managed {
			if appreg.ScopeLevel(m) == "subscription" {
				subs = append(subs, m[strings.LastIndex(m, "/")+1:])
			}
		}
		if len(subs) != 1 {
			rd.report(n, fmt.Sprintf("scope %q uses %s, but appreg.yaml's azure.scopes names %d subscriptions", scope, subscriptionPlaceholder, len(subs)),
				"write the subscription id in the scope, or list exactly one subscription under azure.scopes in appreg.yaml")
			return "", false
		}
		scope = strings.ReplaceAll(scope, subscriptionPlaceholder, subs[0])
	}
	scope = "/" + strings.Trim(scope, "/")
	if appreg.ScopeLevel(scope) == "" {
		rd.report(n, fmt.Sprintf("scope %q is not an Azure scope", scope),
			"write /subscriptions/{id}, /subscriptions/{id}/resourceGroups/{name}, a resource id below one, or /providers/Microsoft.Management/managementGroups/{id}")
		return "", false
	}
	if len(managed) == 0 {
		rd.report(n, fmt.Sprintf("scope %q is outside the scopes appreg manages: appreg.yaml names none", scope),
			"add the subscription or management group to appreg.yaml: azure: {scopes: [/subscriptions/{id}]}")
		return "", false
	}
	for _, m := range managed {
		if appreg.ScopeWithin(scope, m) {
			return scope, true
		}
	}
	rd.report(n, fmt.Sprintf("scope %q is outside the scopes appreg manages (%s)", scope, strings.Join(managed, ", ")),
		"assign a role within one of appreg.yaml's azure.scopes, or add the scope's subscription there")
	return "", false
}

// azureSettings decodes appreg.yaml's azure section.
func azureSettings(d *decoder, az *object, out *appreg.Azure) {
	list, nodes := az.strings("scopes")
	dups := seen{}
	for i, sc := range list {
		sc = "/" + strings.Trim(sc, "/")
		if lvl := appreg.ScopeLevel(sc); lvl != "subscription" && lvl != "managementGroup" {
			d.report(nodes[i], fmt.Sprintf("azure scope %q is neither a subscription nor a management group", list[i]),
				"write /subscriptions/{subscription id} or /providers/Microsoft.Management/managementGroups/{id}")
			continue
		}
		if d.first(dups, strings.ToLower(sc), nodes[i], fmt.Sprintf("azure scope %q", sc)) {
			out.Scopes = append(out.Scopes, sc)
		}
	}
}

// assignmentNode writes an assignment by the principal's name when known
// (a user principal name or group display name), else as written.
func assignmentNode(a appreg.Assignment) *yaml.Node {
	ref := a.Ref
	if a.Name != "" {
		ref = a.Name
	}
	return newObj().set(string(a.Kind), scalar(ref)).nonEmpty("role", a.Role).flow()
}

func memberOfNode(gs []appreg.GroupMembership) *yaml.Node {
	if gs == nil {
		return nil
	}
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Label()
	}
	return strList(names)
}

// adoptAccess copies what the tenant says about who may use an existing
// application and what it may touch into the file import writes: the
// lists the tenant has entries in become managed, the empty ones stay
// unmanaged.
func adoptAccess(have, out *appreg.ServicePrincipal) {
	for _, a := range have.Assignments {
		out.Assignments = append(out.Assignments, appreg.Assignment{Kind: a.Kind, Ref: a.Ref, Name: a.Name, Role: a.Role})
	}
	for _, g := range have.MemberOf {
		out.MemberOf = append(out.MemberOf, appreg.GroupMembership{Ref: g.Ref, Name: g.Name})
	}
	for _, r := range have.AzureRoles {
		role := r.RoleName
		if role == "" {
			role = r.RoleID
		}
		out.AzureRoles = append(out.AzureRoles, appreg.AzureRole{Role: role, Scope: r.Scope})
	}
}
