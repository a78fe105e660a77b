package spec

import (
	"testing"
)

// TestExamples checks that the repository's own appreg.yaml and
// registrations/ are valid.
func TestExamples(t *testing.T) {
	t.Parallel()
	res, diags := Load("../../appreg.yaml")
	for _, d := range diags {
		t.Error(d)
	}
	want := []string{"deploy-identity", "inventory-sync", "jupyterhub", "orders-api"}
	var got []string
	for _, r := range res.Desired.Registrations {
		got = append(got, r.Name)
		if r.UniqueName != "contoso-"+r.Name {
			t.Errorf("%s: UniqueName = %q", r.Name, r.UniqueName)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("registrations = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("registrations = %v, want %v", got, want)
		}
	}
}
