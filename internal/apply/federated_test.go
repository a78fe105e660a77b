package apply

import (
	"fmt"
	"github.com/appreg/appreg/internal/apply/applytest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

const ghIssuer = "https://token.actions.githubusercontent.com"

func fic(name, subject string) appreg.FederatedCredential {
	return appreg.FederatedCredential{Name: name, Issuer: ghIssuer, Subject: subject, Audiences: []string{"api://AzureADTokenExchange"}}
}

// ficChange is an update of app "web" that has the observed credentials and
// writes and removes the given ones.
func ficChange(observed []appreg.FederatedCredential, upsert []appreg.FederatedCredential, remove []string) plan.Change {
	have := reg("web")
	have.Observed = &appreg.Observed{ObjectID: "obj-web", AppID: "app-web", ServicePrincipalID: "sp-web", Managed: true}
	have.Credentials = &appreg.Credentials{Federated: observed}
	return plan.Change{Key: "web", UniqueName: "contoso-web", Action: plan.Update, Before: have, After: reg("web"),
		UpsertFederated: upsert, RemoveFederated: remove}
}

// Graph keeps issuer and subject unique per application
// (federatedidentitycredential-update: "The combination of the values of
// issuer and subject must be unique on the app"), so a rename that keeps
// them deletes the old credential before writing the new one.
func TestRenamedFederatedCredentialIsDeletedFirst(t *testing.T) {
	t.Parallel()
	c := ficChange([]appreg.FederatedCredential{fic("deploy-main", "repo:o/r:ref:refs/heads/main"), fic("pr", "repo:o/r:pull_request"), fic("old", "repo:o/r:environment:old")},
		[]appreg.FederatedCredential{fic("deploy-staging", "repo:o/r:ref:refs/heads/main"), fic("new", "repo:o/r:environment:new")},
		[]string{"deploy-main", "old"})
	w := &applytest.Tenant{}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	want := []string{
		"fic- obj-web deploy-main", // its issuer and subject are taken over
		"fic obj-web deploy-staging",
		"fic obj-web new",
		"fic- obj-web old", // removed after the writes: no clash, no cap
	}
	if diff := cmp.Diff(want, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if res.Outcomes[0].Status != plan.Applied {
		t.Errorf("outcome %+v", res.Outcomes[0])
	}
}

// A failed write after such a delete writes the deleted credential back: the
// application keeps the credential it had.
func TestFailedWriteAfterDeleteRestoresTheCredential(t *testing.T) {
	t.Parallel()
	c := ficChange([]appreg.FederatedCredential{fic("deploy-main", "repo:o/r:ref:refs/heads/main")},
		[]appreg.FederatedCredential{fic("deploy-staging", "repo:o/r:ref:refs/heads/main")}, []string{"deploy-main"})
	w := &applytest.Tenant{Fail: map[string]bool{"fic obj-web deploy-staging": true}}
	res := Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	want := []string{"fic- obj-web deploy-main", "fic obj-web deploy-staging", "fic obj-web deploy-main"}
	if diff := cmp.Diff(want, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	o := res.Outcomes[0]
	if o.Status != plan.Failed || !strings.Contains(o.Error, "injected failure") || !strings.Contains(strings.Join(o.Steps, "\n"), "restored federated credential deploy-main") {
		t.Errorf("outcome %+v", o)
	}
}

// An application at Graph's cap of 20 credentials that replaces one makes
// room first.
func TestReplacingAtTheCapDeletesFirst(t *testing.T) {
	t.Parallel()
	var observed []appreg.FederatedCredential
	for i := range 20 { // Graph's cap per application
		observed = append(observed, fic(fmt.Sprintf("c%02d", i), fmt.Sprintf("repo:o/r:environment:e%02d", i)))
	}
	c := ficChange(observed, []appreg.FederatedCredential{fic("c20", "repo:o/r:environment:e20")}, []string{"c00"})
	w := &applytest.Tenant{}
	Run(t.Context(), w, &plan.Plan{Changes: []plan.Change{c}}, Options{})
	if diff := cmp.Diff([]string{"fic- obj-web c00", "fic obj-web c20"}, w.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
