package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

// fakeWriter records calls and fails those named in fail.
type fakeWriter struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]bool // call prefix -> fail
}

func (f *fakeWriter) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	for prefix := range f.fail {
		if strings.HasPrefix(call, prefix) {
			return errors.New("injected failure")
		}
	}
	return nil
}

func (f *fakeWriter) UpsertApplication(_ context.Context, want, _ *appreg.Registration, access []appreg.ResourceAccess) (string, string, error) {
	var res []string
	for _, a := range access {
		res = append(res, a.ResourceAppID)
	}
	err := f.record(fmt.Sprintf("upsert %s access=%v", want.UniqueName, res))
	return "obj-" + want.Name, "app-" + want.Name, err
}

func (f *fakeWriter) DisableFirst(_ context.Context, have *appreg.Registration, values []string) error {
	return f.record("disable " + have.UniqueName + " " + strings.Join(values, ","))
}

func (f *fakeWriter) UpsertServicePrincipal(_ context.Context, appID string, _, _ *appreg.ServicePrincipal) (string, error) {
	return "sp-" + appID, f.record("sp " + appID)
}

func (f *fakeWriter) DeleteApplication(_ context.Context, objectID string) error {
	return f.record("delete " + objectID)
}

func (f *fakeWriter) AddOwner(_ context.Context, objectID string, o appreg.Owner) error {
	return f.record("owner+ " + objectID + " " + o.ID)
}

func (f *fakeWriter) RemoveOwner(_ context.Context, objectID string, o appreg.Owner) error {
	return f.record("owner- " + objectID + " " + o.ID)
}

func (f *fakeWriter) UpsertFederatedCredential(_ context.Context, objectID string, fc appreg.FederatedCredential) error {
	return f.record("fic " + objectID + " " + fc.Name)
}

func (f *fakeWriter) DeleteFederatedCredential(_ context.Context, objectID, name string) error {
	return f.record("fic- " + objectID + " " + name)
}

func (f *fakeWriter) GrantAppRole(_ context.Context, sp, res, role string) error {
	return f.record("grant " + sp + " " + res + " " + role)
}

func (f *fakeWriter) RevokeAppRole(_ context.Context, sp, res, role string) error {
	return f.record("revoke " + sp + " " + res + " " + role)
}

func (f *fakeWriter) SetDelegatedConsent(_ context.Context, sp, res string, add, remove []string) error {
	return f.record(fmt.Sprintf("delegated %s %s +%v -%v", sp, res, add, remove))
}

func (f *fakeWriter) index(prefix string) int {
	return slices.IndexFunc(f.calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

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
	w := &fakeWriter{}
	res := Run(t.Context(), w, p, Options{})
	for _, o := range res.Outcomes {
		if o.Status != plan.Applied {
			t.Fatalf("outcome %+v", o)
		}
	}
	if w.index("upsert contoso-orders") > w.index("upsert contoso-shop") {
		t.Errorf("orders must be created before shop, which requests its permissions: %v", w.calls)
	}
	for _, want := range []string{"upsert contoso-shop access=[app-orders]", "grant sp-app-shop app-orders r1"} {
		if !slices.Contains(w.calls, want) {
			t.Errorf("calls %v lack %q", w.calls, want)
		}
	}
}

func TestFailureStopsOnlyItsRegistrationAndDependents(t *testing.T) {
	t.Parallel()
	shop := create("shop")
	shop.Access = []appreg.ResourceAccess{{Registration: "orders"}}
	p := &plan.Plan{Changes: []plan.Change{create("billing"), create("orders"), shop}}
	w := &fakeWriter{fail: map[string]bool{"sp app-orders": true}}
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
	w := &fakeWriter{}
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
	if diff := cmp.Diff(want, w.calls); diff != "" {
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
	w := &fakeWriter{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{{Key: "old", Action: plan.Delete, Before: have, AppID: "app-old"}}}, Options{})
	if diff := cmp.Diff([]string{"delete obj-old"}, w.calls); diff != "" {
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
	res := Run(t.Context(), &fakeWriter{}, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	if res.Outcomes[0].Status != plan.Failed || !strings.Contains(res.Outcomes[0].Error, "no service principal") {
		t.Errorf("outcome %+v", res.Outcomes[0])
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
	w := &fakeWriter{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{{Key: "old", Action: plan.Delete, Before: have, AppID: "app-old"}}}, Options{})
	if len(w.calls) != 0 {
		t.Errorf("calls %v, want none", w.calls)
	}
	if res.Outcomes[0].Status != plan.Failed || !strings.Contains(res.Outcomes[0].Error, "not managed by this repository") {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}
