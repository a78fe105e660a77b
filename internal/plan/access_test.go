package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
)

const rg = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-orders"

func contributor(scope string) appreg.AzureRole {
	return appreg.AzureRole{Role: "Contributor", RoleName: "Contributor", RoleID: "b24988ac-6180-42a0-ab88-20f7382dd24c", Scope: scope}
}

func TestAccessDiff(t *testing.T) {
	t.Parallel()
	ds := appreg.Assignment{Kind: appreg.PrincipalGroup, Ref: "Data Science", PrincipalID: "g-ds", Name: "Data Science"}
	carol := appreg.Assignment{Kind: appreg.PrincipalUser, Ref: "carol@contoso.com", PrincipalID: "u-carol", Name: "carol@contoso.com", Role: "Hub.Admin"}
	bob := appreg.Assignment{Kind: appreg.PrincipalUser, Ref: "u-bob", PrincipalID: "u-bob", Name: "bob", ID: "as-bob"}
	pbi := appreg.GroupMembership{Ref: "Power BI automation", ID: "g-pbi", Name: "Power BI automation"}
	other := appreg.GroupMembership{Ref: "g-other", ID: "g-other", Name: "Other"}
	owner := appreg.AzureRole{Role: "Owner", RoleName: "Owner", RoleID: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"}
	reader := appreg.AzureRole{Role: "Reader", RoleName: "Reader", RoleID: "acdd72a7-3d0f-4296-a4b2-ba0d0ac7bd1d", Scope: rg, ID: rg + "/providers/Microsoft.Authorization/roleAssignments/x"}
	cases := []struct {
		name       string
		want, have appreg.ServicePrincipal
		policy     appreg.Policy
		check      func(t *testing.T, c Change)
		categories []appreg.Category
		risk       Risk
	}{
		{
			name: "assignments added and removed",
			want: appreg.ServicePrincipal{Assignments: []appreg.Assignment{ds, carol}},
			have: appreg.ServicePrincipal{Assignments: []appreg.Assignment{bob, {Kind: appreg.PrincipalGroup, Ref: "g-ds", PrincipalID: "G-DS", Name: "Data Science"}}},
			check: func(t *testing.T, c Change) {
				if diff := cmp.Diff([]appreg.Assignment{carol}, c.AddAssignments); diff != "" {
					t.Errorf("added (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]appreg.Assignment{bob}, c.RemoveAssignments); diff != "" {
					t.Errorf("removed (-want +got):\n%s", diff)
				}
			},
			categories: []appreg.Category{appreg.CategoryAssignmentChange},
			risk:       RiskMedium,
		},
		{
			name: "memberOf",
			want: appreg.ServicePrincipal{MemberOf: []appreg.GroupMembership{pbi}},
			have: appreg.ServicePrincipal{MemberOf: []appreg.GroupMembership{other}},
			check: func(t *testing.T, c Change) {
				if len(c.AddMemberOf) != 1 || len(c.RemoveMemberOf) != 1 || c.RemoveMemberOf[0].ID != "g-other" {
					t.Errorf("memberOf add %v remove %v", c.AddMemberOf, c.RemoveMemberOf)
				}
			},
			categories: []appreg.Category{appreg.CategoryGroupMembership},
			risk:       RiskMedium,
		},
		{
			name:       "a role on a resource group needs approval but is not privileged",
			want:       appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{contributor(rg)}},
			have:       appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{}},
			categories: []appreg.Category{appreg.CategoryAzureRole},
			risk:       RiskMedium,
		},
		{
			name: "Owner on a subscription is privileged twice over",
			want: appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{owner}},
			check: func(t *testing.T, c Change) {
				if diff := cmp.Diff([]string{owner.Label()}, c.PrivilegedAzureRoles); diff != "" {
					t.Errorf("privileged (-want +got):\n%s", diff)
				}
				if got := c.Fields[0].After; got != owner.Label()+" (privileged: can grant Azure access to others; a whole subscription)" {
					t.Errorf("shown as %q", got)
				}
			},
			categories: []appreg.Category{appreg.CategoryAzureRole},
			risk:       RiskHigh,
		},
		{
			name:       "policy.privilegedAzureRoles replaces the defaults",
			want:       appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{contributor(rg)}},
			policy:     appreg.Policy{PrivilegedAzureRoles: []string{"contributor"}},
			categories: []appreg.Category{appreg.CategoryAzureRole},
			risk:       RiskHigh,
		},
		{
			name: "removing a role is no azure-role change; scopes compare without case",
			want: appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{contributor(rg)}},
			have: appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{contributor("/SUBSCRIPTIONS/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourcegroups/RG-ORDERS/"), reader}},
			check: func(t *testing.T, c Change) {
				if len(c.AddAzureRoles) != 0 || len(c.RemoveAzureRoles) != 1 || c.RemoveAzureRoles[0].ID != reader.ID {
					t.Errorf("azure roles add %v remove %v", c.AddAzureRoles, c.RemoveAzureRoles)
				}
			},
			// Only the catch-all registration-change, which policy.require
			// may gate.
			categories: []appreg.Category{appreg.CategoryRegistrationChange},
			risk:       RiskLow,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, have := tc.want, tc.have
			p := Compute(Input{
				Settings: appreg.Settings{Policy: tc.policy},
				Desired:  set(desired("hub", func(r *appreg.Registration) { r.ServicePrincipal = &want })),
				Observed: set(observed("hub", func(r *appreg.Registration) { r.ServicePrincipal = &have })),
			})
			if len(p.Changes) != 1 {
				t.Fatalf("changes: %+v", p.Changes)
			}
			c := p.Changes[0]
			if diff := cmp.Diff(tc.categories, c.Categories); diff != "" {
				t.Errorf("categories (-want +got):\n%s", diff)
			}
			if c.Risk != tc.risk {
				t.Errorf("risk %s, want %s", c.Risk, tc.risk)
			}
			if c.UpdateApplication || c.UpdateServicePrincipal {
				t.Errorf("access alone writes neither the application nor the service principal: %+v", c)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestAccessUnmanagedListsAreLeftAlone(t *testing.T) {
	t.Parallel()
	have := appreg.ServicePrincipal{
		Assignments: []appreg.Assignment{{Kind: appreg.PrincipalUser, PrincipalID: "u-bob", Name: "bob"}},
		MemberOf:    []appreg.GroupMembership{{ID: "g"}},
		AzureRoles:  []appreg.AzureRole{contributor(rg)},
	}
	p := Compute(Input{
		Desired:  set(desired("hub", func(r *appreg.Registration) { r.ServicePrincipal = &appreg.ServicePrincipal{} })),
		Observed: set(observed("hub", func(r *appreg.Registration) { r.ServicePrincipal = &have })),
	})
	if len(p.Changes) != 0 {
		t.Errorf("absent lists are unmanaged, yet: %+v", p.Changes)
	}
}
