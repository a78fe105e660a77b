package apply

import (
	"github.com/appreg/appreg/internal/apply/applytest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

func reg(name string) *appreg.Registration {
	return &appreg.Registration{Name: name, UniqueName: "contoso-" + name, DisplayName: name}
}

func create(name string) plan.Change {
	return plan.Change{Key: name, UniqueName: "contoso-" + name, Action: plan.Create, After: reg(name),
		UpdateApplication: true, UpdateServicePrincipal: true}
}

func TestDependenciesApplyFirstAndResolveAppIDs(t *testing.T) {
	t.Parallel()
	shop := create("shop")
	shop.Access = []appreg.ResourceAccess{{Registration: "orders", Items: []appreg.AccessItem{{ID: "r1", Type: "Role"}}}}
	shop.Grants = []plan.Grant{{Registration: "orders", API: "orders", Kind: "application", Value: "Orders.Read", ID: "r1"}}
	p := &plan.Plan{Changes: []plan.Change{shop, create("orders")}} // plan order is by name: shop first
	w := &applytest.Tenant{}
	res := Run(t.Context(), w, p, Options{})
	for _, o := range res.Outcomes {
		if o.Status != plan.Applied {
			t.Fatalf("outcome %+v", o)
		}
	}
	if w.Index("upsert contoso-orders") > w.Index("upsert contoso-shop") {
		t.Errorf("orders must be created before shop, which requests its permissions: %v", w.Calls())
	}
	for _, want := range []string{"upsert contoso-shop access=[app-orders]", "grant sp-app-shop app-orders r1"} {
		if !slices.Contains(w.Calls(), want) {
			t.Errorf("calls %v lack %q", w.Calls(), want)
		}
	}
}

func TestFailureStopsOnlyItsRegistrationAndDependents(t *testing.T) {
	t.Parallel()
	shop := create("shop")
	shop.Access = []appreg.ResourceAccess{{Registration: "orders"}}
	p := &plan.Plan{Changes: []plan.Change{create("billing"), create("orders"), shop}}
	w := &applytest.Tenant{Fail: map[string]bool{"sp app-orders": true}}
	res := Run(t.Context(), w, p, Options{})
	got := map[string]plan.Status{}
	for _, o := range res.Outcomes {
		got[o.Key] = o.Status
	}
	want := map[string]plan.Status{"billing": plan.Applied, "orders": plan.Failed, "shop": plan.Skipped}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	orders := res.Outcomes[1]
	if !strings.Contains(orders.Error, "injected failure") || len(orders.Steps) != 1 {
		t.Errorf("the failed outcome must say what failed and what was done before: %+v", orders)
	}
	if !res.Failed() {
		t.Error("Result.Failed() = false")
	}
}

func TestStepOrderWithinARegistration(t *testing.T) {
	t.Parallel()
	have := reg("web")
	have.Observed = &appreg.Observed{ObjectID: "obj-web", AppID: "app-web", ServicePrincipalID: "sp-web", Managed: true}
	c := plan.Change{Key: "web", UniqueName: "contoso-web", Action: plan.Update, Before: have, After: reg("web"),
		DisableFirst: []string{"scope read"}, UpdateApplication: true,
		AddOwners:       []appreg.Owner{{Ref: "bob", ID: "bob-id"}},
		RemoveOwners:    []appreg.Owner{{Ref: "alice", ID: "alice-id"}},
		UpsertFederated: []appreg.FederatedCredential{{Name: "main"}},
		RemoveFederated: []string{"old"},
		Grants:          []plan.Grant{{ResourceAppID: "graph", Kind: "delegated", Value: "User.Read"}, {ResourceAppID: "graph", Kind: "application", Value: "User.Read.All", ID: "role-1"}},
		Revokes:         []plan.Grant{{ResourceAppID: "graph", Kind: "delegated", Value: "Mail.Read"}},
	}
	w := &applytest.Tenant{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	want := []string{
		"disable contoso-web scope read",
		"upsert contoso-web access=[]",
		"owner+ obj-web bob-id",
		"owner- obj-web alice-id",
		"fic obj-web main",
		"fic- obj-web old",
		"grant sp-web graph role-1",
		"delegated sp-web graph +[User.Read] -[Mail.Read]",
	}
	if diff := cmp.Diff(want, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if res.Outcomes[0].Status != plan.Applied || res.Outcomes[0].AppID != "app-web" {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	have := reg("old")
	have.Observed = &appreg.Observed{ObjectID: "obj-old", AppID: "app-old", Managed: true, Owned: true}
	w := &applytest.Tenant{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{{Key: "old", Action: plan.Delete, Before: have, AppID: "app-old"}}}, Options{})
	if diff := cmp.Diff([]string{"delete obj-old"}, w.Calls()); diff != "" {
		t.Error(diff)
	}
	if res.Outcomes[0].Status != plan.Applied {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}

func TestConsentWithoutServicePrincipalFails(t *testing.T) {
	t.Parallel()
	c := create("daemon")
	c.UpdateServicePrincipal = false
	c.Grants = []plan.Grant{{ResourceAppID: "graph", Kind: "application", Value: "User.Read.All", ID: "r"}}
	res := Run(t.Context(), &applytest.Tenant{}, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	if res.Outcomes[0].Status != plan.Failed || !strings.Contains(res.Outcomes[0].Error, "no service principal") {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}

// TestSettingsChangeWritesNothing: the change of appreg.yaml a plan shows
// for reviewers has nothing to write to the tenant.
func TestSettingsChangeWritesNothing(t *testing.T) {
	t.Parallel()
	w := &applytest.Tenant{}
	c := plan.Change{Key: plan.SettingsKey, Action: plan.Update, Settings: true}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	if len(w.Calls()) > 0 || len(res.Outcomes) != 1 || res.Outcomes[0].Status != plan.Applied {
		t.Errorf("calls %v, outcomes %+v", w.Calls(), res.Outcomes)
	}
}

// TestDeleteRefusesAnotherRepositorysApplication is the rail under the
// plan's ownership rule: a Delete of an application this repository does
// not own (another repository's, or one managed before owners were
// recorded) writes nothing.
func TestDeleteRefusesAnotherRepositorysApplication(t *testing.T) {
	t.Parallel()
	have := reg("old")
	have.Observed = &appreg.Observed{ObjectID: "obj-old", AppID: "app-old", Managed: true, Repository: "contoso/other"}
	w := &applytest.Tenant{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{{Key: "old", Action: plan.Delete, Before: have, AppID: "app-old"}}}, Options{})
	if len(w.Calls()) != 0 {
		t.Errorf("calls %v, want none", w.Calls())
	}
	if res.Outcomes[0].Status != plan.Failed || !strings.Contains(res.Outcomes[0].Error, "not managed by this repository") {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}
