package apply

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/apply/applytest"
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

func accessChange() plan.Change {
	have := reg("hub")
	have.Observed = &appreg.Observed{ObjectID: "obj-hub", AppID: "app-hub", ServicePrincipalID: "sp-hub", Managed: true}
	after := reg("hub")
	after.AppRoles = []appreg.AppRole{{Value: "Hub.Admin", ID: "ROLE-ADMIN"}}
	return plan.Change{Key: "hub", UniqueName: "contoso-hub", Action: plan.Update, Before: have, After: after,
		Grants:            []plan.Grant{{ResourceAppID: "graph", Kind: "application", Value: "User.Read.All", ID: "role-1"}},
		AddAssignments:    []appreg.Assignment{{Kind: appreg.PrincipalGroup, PrincipalID: "g-ds"}, {Kind: appreg.PrincipalUser, PrincipalID: "u-carol", Role: "Hub.Admin"}},
		RemoveAssignments: []appreg.Assignment{{Kind: appreg.PrincipalUser, PrincipalID: "u-bob", ID: "as-bob"}},
		AddMemberOf:       []appreg.GroupMembership{{ID: "g-pbi"}},
		RemoveMemberOf:    []appreg.GroupMembership{{ID: "g-old"}},
		AddAzureRoles:     []appreg.AzureRole{{RoleID: "contributor", Scope: "/subscriptions/s/resourceGroups/rg"}},
		RemoveAzureRoles:  []appreg.AzureRole{{ID: "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x"}},
	}
}

// Access is written after consent, and every addition before any removal,
// so that nobody loses access the files keep while the apply runs.
func TestAccessStepsAfterConsentAdditionsFirst(t *testing.T) {
	t.Parallel()
	w := &applytest.Tenant{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{accessChange()}}, Options{})
	want := []string{
		"grant sp-hub graph role-1",
		"assign sp-hub g-ds ",
		"assign sp-hub u-carol role-admin",
		"member+ g-pbi sp-hub",
		"azure+ sp-hub contributor /subscriptions/s/resourceGroups/rg",
		"unassign sp-hub as-bob",
		"member- g-old sp-hub",
		"azure- /subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x",
	}
	if diff := cmp.Diff(want, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if res.Outcomes[0].Status != plan.Applied {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}

// graphOnly writes Graph but has no Azure Resource Manager client.
type graphOnly struct {
	Writer
	AccessWriter
}

func TestAccessWithoutAzureClientFailsTheRegistration(t *testing.T) {
	t.Parallel()
	tenant := &applytest.Tenant{}
	res := Run(t.Context(), graphOnly{tenant, tenant}, &plan.Plan{Changes: []plan.Change{accessChange()}}, Options{})
	if o := res.Outcomes[0]; o.Status != plan.Failed || !strings.Contains(o.Error, "no Azure Resource Manager client") {
		t.Errorf("outcome %+v", o)
	}
}

func TestAssignmentOfAnUnknownAppRoleFails(t *testing.T) {
	t.Parallel()
	c := accessChange()
	c.AddAssignments = []appreg.Assignment{{Kind: appreg.PrincipalUser, PrincipalID: "u", Role: "Hub.Missing"}}
	res := Run(t.Context(), &applytest.Tenant{}, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	if o := res.Outcomes[0]; o.Status != plan.Failed || !strings.Contains(o.Error, `app role "Hub.Missing" is not defined`) {
		t.Errorf("outcome %+v", o)
	}
}
