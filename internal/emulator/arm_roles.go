package emulator

import (
	"path"
	"strings"
)

// roleDefinition is an Azure role: its id (a GUID), name, type and the
// control-plane actions it allows.
type roleDefinition struct {
	id, name, description, roleType string
	actions, notActions             []string
	assignableScopes                []string
}

// builtInRoles are Azure built-in roles with the ids and actions Microsoft
// publishes (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles,
// the General, Privileged and Compute categories). Data actions are left out:
// the emulator authorizes control-plane calls only.
var builtInRoles = []roleDefinition{
	{
		id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner",
		description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
		actions:     []string{"*"},
	},
	{
		id: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor",
		description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
		actions:     []string{"*"},
		notActions: []string{
			"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action",
			"Microsoft.Blueprint/blueprintAssignments/write", "Microsoft.Blueprint/blueprintAssignments/delete",
			"Microsoft.Compute/galleries/share/action", "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
		},
	},
	{
		id: "acdd72a7-3d0f-4296-a4b2-ba0d0ac7bd1d", name: "Reader",
		description: "View all resources, but does not allow you to make any changes.",
		actions:     []string{"*/read"},
	},
	{
		id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", name: "User Access Administrator",
		description: "Lets you manage user access to Azure resources.",
		actions:     []string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"},
	},
	{
		id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168", name: "Role Based Access Control Administrator",
		description: "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
		actions: []string{
			"Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
			"*/read", "Microsoft.Support/*",
		},
	},
	{
		id: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c", name: "Virtual Machine Contributor",
		description: "Lets you manage virtual machines, but not access to them, and not the virtual network or storage account they're connected to.",
		actions: []string{
			"Microsoft.Authorization/*/read", "Microsoft.Compute/availabilitySets/*", "Microsoft.Compute/locations/*",
			"Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachineScaleSets/*", "Microsoft.Compute/cloudServices/*",
			"Microsoft.Compute/disks/write", "Microsoft.Compute/disks/read", "Microsoft.Compute/disks/delete",
			"Microsoft.DevTestLab/schedules/*", "Microsoft.Insights/alertRules/*", "Microsoft.Network/locations/*",
			"Microsoft.Network/networkInterfaces/*", "Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
		},
	},
	{
		id: "fb879df8-f326-4884-b1cf-06f3ad86be52", name: "Virtual Machine User Login",
		description: "View Virtual Machines in the portal and login as a regular user.",
		actions: []string{
			"Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/virtualNetworks/read",
			"Microsoft.Network/loadBalancers/read", "Microsoft.Network/networkInterfaces/read",
			"Microsoft.Compute/virtualMachines/*/read",
		},
	},
}

// allows reports whether role allows action: some action pattern matches it
// and no notAction pattern does. Patterns are case-insensitive and "*"
// matches any run of characters, slashes included ("*/read",
// "Microsoft.Authorization/*/Write"), as Azure RBAC evaluates them
// (https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions).
func (d *roleDefinition) allows(action string) bool {
	return matchesAny(d.actions, action) && !matchesAny(d.notActions, action)
}

func matchesAny(patterns []string, action string) bool {
	for _, p := range patterns {
		if wildcardMatch(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against a pattern whose only special character
// is "*" (any run, "/" included).
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// armScope is a parsed Azure scope: "/", a management group, a
// subscription, a resource group or a resource below one.
type armScope struct {
	mg, sub, rg string
	rest        string // "/providers/Microsoft.Compute/virtualMachines/vm1" below a resource group or subscription
}

// String renders the scope the way ARM returns it.
func (sc armScope) String() string {
	switch {
	case sc.mg != "":
		return "/providers/Microsoft.Management/managementGroups/" + sc.mg
	case sc.sub == "":
		return "/"
	}
	out := "/subscriptions/" + sc.sub
	if sc.rg != "" {
		out += "/resourceGroups/" + sc.rg
	}
	return out + sc.rest
}

// key is the scope's case-insensitive identity.
func (sc armScope) key() string { return strings.ToLower(sc.String()) }

// parseScope parses a scope ("/subscriptions/{s}/resourceGroups/{rg}").
// Subscription ids must be GUIDs (ARM answers InvalidSubscriptionId
// otherwise).
func parseScope(p string) (armScope, *armError) {
	p = "/" + strings.Trim(path.Clean("/"+p), "/")
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if p == "/" {
		return armScope{}, nil
	}
	switch {
	case len(segs) == 4 && strings.EqualFold(segs[0], "providers") && strings.EqualFold(segs[1], "Microsoft.Management") &&
		strings.EqualFold(segs[2], "managementGroups") && segs[3] != "":
		return armScope{mg: segs[3]}, nil
	case len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions"):
		if !guidPattern.MatchString(segs[1]) || len(segs[1]) != 36 {
			return armScope{}, &armError{400, "InvalidSubscriptionId", "The provided subscription identifier '" + segs[1] + "' is malformed or invalid."}
		}
		sc := armScope{sub: strings.ToLower(segs[1])}
		rest := segs[2:]
		if len(rest) >= 2 && strings.EqualFold(rest[0], "resourceGroups") {
			sc.rg, rest = rest[1], rest[2:]
		} else if len(rest) == 1 {
			return armScope{}, errInvalidScope(p)
		}
		if len(rest) > 0 {
			if !strings.EqualFold(rest[0], "providers") || len(rest) < 4 || len(rest)%2 != 0 {
				return armScope{}, errInvalidScope(p)
			}
			sc.rest = "/" + strings.Join(rest, "/")
		}
		return sc, nil
	}
	return armScope{}, errInvalidScope(p)
}

func errInvalidScope(p string) *armError {
	return &armError{400, "InvalidRoleAssignmentScope", "The scope '" + p + "' is not valid."}
}

// encloses reports whether scope outer contains inner (equal, an ancestor
// by path, the root "/", or the tenant root management group, whose id is
// the tenant id and under which every subscription sits in the emulator).
func (s *Server) encloses(outer, inner armScope) bool {
	switch {
	case outer.mg == "" && outer.sub == "":
		return true
	case outer.mg != "":
		if strings.EqualFold(outer.mg, s.tenantID) {
			return true
		}
		return inner.mg != "" && strings.EqualFold(inner.mg, outer.mg)
	case inner.sub == "":
		return false
	}
	o, i := outer.key(), inner.key()
	return o == i || strings.HasPrefix(i, o+"/")
}
