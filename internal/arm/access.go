package arm

import (
	"context"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
)

// RoleDefinitions lists the roles assignable in each of scopes, built-in
// and custom, without repeats: one paged request per scope.
func (c *Client) RoleDefinitions(ctx context.Context, scopes []string) ([]appreg.AzureRoleDefinition, error) {
	var out []appreg.AzureRoleDefinition
	seen := map[string]bool{}
	for _, sc := range scopes {
		roles, err := c.Roles(ctx, sc)
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, appreg.AzureRoleDefinition{ID: r.ID, Name: r.Name, Custom: r.Custom})
			}
		}
	}
	return out, nil
}

// RoleAssignments lists the role assignments within scopes (at or below
// each; those above are not appreg's to manage), by lower-case principal
// id: one paged request per scope, whatever the number of registrations.
func (c *Client) RoleAssignments(ctx context.Context, scopes []string) (map[string][]appreg.AzureRole, error) {
	out := map[string][]appreg.AzureRole{}
	seen := map[string]bool{}
	for _, sc := range scopes {
		all, err := c.Assignments(ctx, sc)
		if err != nil {
			return nil, err
		}
		for _, a := range all {
			if seen[strings.ToLower(a.ID)] || !within(a.Scope, scopes) {
				continue
			}
			seen[strings.ToLower(a.ID)] = true
			out[a.PrincipalID] = append(out[a.PrincipalID], appreg.AzureRole{Role: a.RoleID, RoleID: a.RoleID, Scope: a.Scope, ID: a.ID})
		}
	}
	return out, nil
}

func within(scope string, scopes []string) bool {
	for _, s := range scopes {
		if appreg.ScopeWithin(scope, s) {
			return true
		}
	}
	return false
}

// AssignAzureRole assigns r to the service principal spID (see Create).
func (c *Client) AssignAzureRole(ctx context.Context, spID string, r appreg.AzureRole) error {
	_, err := c.Create(ctx, Assignment{Scope: r.Scope, RoleID: r.RoleID, PrincipalID: spID})
	return err
}

// RemoveAzureRole deletes the observed role assignment r (see Delete).
func (c *Client) RemoveAzureRole(ctx context.Context, r appreg.AzureRole) error {
	return c.Delete(ctx, r.ID)
}
