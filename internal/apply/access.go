package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

// AccessWriter writes, in Microsoft Graph, who may use an application:
// app role assignments to users and groups, and the groups its service
// principal is in. A writer without it cannot apply changes that have such
// steps.
type AccessWriter interface {
	AssignPrincipal(ctx context.Context, spID, principalID, appRoleID string) error
	Unassign(ctx context.Context, spID, assignmentID string) error
	AddMember(ctx context.Context, groupID, memberID string) error
	RemoveMember(ctx context.Context, groupID, memberID string) error
}

// AzureWriter writes Azure role assignments through Azure Resource
// Manager.
type AzureWriter interface {
	AssignAzureRole(ctx context.Context, spID string, r appreg.AzureRole) error
	RemoveAzureRole(ctx context.Context, r appreg.AzureRole) error
}

// hasAccess reports whether c has access steps.
func hasAccess(c plan.Change) bool {
	return len(c.AddAssignments)+len(c.RemoveAssignments)+len(c.AddMemberOf)+len(c.RemoveMemberOf)+
		len(c.AddAzureRoles)+len(c.RemoveAzureRoles) > 0
}

// accessWriters returns the writers c's steps need, or why they are
// missing.
func (r *runner) accessWriters(c plan.Change) (AccessWriter, AzureWriter, error) {
	w, _ := r.w.(AccessWriter)
	az, _ := r.w.(AzureWriter)
	if w == nil && len(c.AddAssignments)+len(c.RemoveAssignments)+len(c.AddMemberOf)+len(c.RemoveMemberOf) > 0 {
		return nil, nil, errors.New("this run cannot write assignments or group membership")
	}
	if az == nil && len(c.AddAzureRoles)+len(c.RemoveAzureRoles) > 0 {
		return nil, nil, errors.New("this run has no Azure Resource Manager client to write Azure roles with")
	}
	return w, az, nil
}

// access applies the access steps of c to the service principal spID:
// additions before removals, so that nobody loses access the files keep.
func (r *runner) access(ctx context.Context, c plan.Change, after *appreg.Registration, spID string, step func(string, ...any)) error {
	if !hasAccess(c) {
		return nil
	}
	w, az, err := r.accessWriters(c)
	if err != nil {
		return err
	}
	if spID == "" {
		return fmt.Errorf("registration %s has no service principal to assign", c.Key)
	}
	for _, a := range c.AddAssignments {
		roleID, err := appRoleID(a.Role, after, c.Before)
		if err != nil {
			return err
		}
		if err := w.AssignPrincipal(ctx, spID, a.PrincipalID, roleID); err != nil {
			return err
		}
		step("assigned %s", a.Label())
	}
	for _, g := range c.AddMemberOf {
		if err := w.AddMember(ctx, g.ID, spID); err != nil {
			return err
		}
		step("joined group %s", g.Label())
	}
	for _, ar := range c.AddAzureRoles {
		if err := az.AssignAzureRole(ctx, spID, ar); err != nil {
			return err
		}
		step("assigned Azure role %s", ar.Label())
	}
	for _, a := range c.RemoveAssignments {
		if err := w.Unassign(ctx, spID, a.ID); err != nil {
			return err
		}
		step("unassigned %s", a.Label())
	}
	for _, g := range c.RemoveMemberOf {
		if err := w.RemoveMember(ctx, g.ID, spID); err != nil {
			return err
		}
		step("left group %s", g.Label())
	}
	for _, ar := range c.RemoveAzureRoles {
		if err := az.RemoveAzureRole(ctx, ar); err != nil {
			return err
		}
		step("removed Azure role %s", ar.Label())
	}
	return nil
}

// appRoleID finds the id of the app role with value role ("" is default
// access) among the roles the apply wrote or the tenant has.
func appRoleID(role string, after, before *appreg.Registration) (string, error) {
	if role == "" {
		return "", nil
	}
	for _, reg := range []*appreg.Registration{after, before} {
		if reg == nil {
			continue
		}
		for _, ar := range reg.AppRoles {
			if ar.Value == role && ar.ID != "" {
				return strings.ToLower(ar.ID), nil
			}
		}
	}
	return "", fmt.Errorf("app role %q is not defined on the application", role)
}
