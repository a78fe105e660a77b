package workflow_test

import (
	"github.com/appreg/appreg/internal/apply/applytest"
	"github.com/appreg/appreg/internal/workflow"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/spec"
)

func load(t *testing.T, files map[string]string) *spec.Result {
	t.Helper()
	fsys := fstest.MapFS{"appreg.yaml": {Data: []byte("apiVersion: appreg/v1\ntenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e\nnamePrefix: contoso-\n")}}
	for name, body := range files {
		fsys["registrations/"+name+".yaml"] = &fstest.MapFile{Data: []byte("apiVersion: appreg/v1\nname: " + name + "\ndisplayName: " + name + "\n" + body)}
	}
	loaded, diags := spec.LoadFS(fsys, "appreg.yaml")
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return loaded
}

func TestUnknownOwnerIsADiagnosticAndLeavesTheRegistrationOut(t *testing.T) {
	t.Parallel()
	r := &applytest.Tenant{Users: map[string]string{"alice@contoso.com": "alice-id"}}
	loaded := load(t, map[string]string{
		"good": "owners: [alice@contoso.com]\n",
		"bad":  "owners: [alice@contoso.com, nobody@contoso.com]\n",
	})
	p, err := workflow.Plan(t.Context(), r, loaded)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range p.Changes {
		keys = append(keys, c.Key)
		if c.Key == "good" && !slices.ContainsFunc(c.AddOwners, func(o appreg.Owner) bool { return o.ID == "alice-id" }) {
			t.Errorf("alice was not resolved: %+v", c.AddOwners)
		}
	}
	if diff := cmp.Diff([]string{"good"}, keys); diff != "" {
		t.Errorf("planned (-want +got):\n%s", diff)
	}
	if len(p.Diagnostics) != 1 || !strings.Contains(p.Diagnostics[0].String(), `registrations/bad.yaml:4:29: error: owner "nobody@contoso.com" does not exist in the tenant`) {
		t.Errorf("diagnostics: %v", p.Diagnostics)
	}
}

func TestConsentIsReadOnlyWhereManaged(t *testing.T) {
	t.Parallel()
	r := &applytest.Tenant{}
	loaded := load(t, map[string]string{
		"daemon": "permissions:\n  - api: microsoft-graph\n    application: [User.Read.All]\n    adminConsent: true\n",
		"web":    "permissions:\n  - api: microsoft-graph\n    delegated: [User.Read]\n",
		"legacy": "adopt: {appId: 6A7E1C3B-0D7F-4B8E-9A51-2F0C9E4D1A20}\npermissions:\n  - api: microsoft-graph\n    application: [Mail.Read]\n    adminConsent: false\n",
	})
	if _, err := workflow.Plan(t.Context(), r, loaded); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"daemon": true, "legacy": true, "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20": true}
	adopt, consent := r.ReadArgs()
	if diff := cmp.Diff(want, consent); diff != "" {
		t.Errorf("consent read for (-want +got):\n%s", diff)
	}
	if len(adopt) != 1 || !strings.EqualFold(adopt[0], "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20") {
		t.Errorf("adopt = %v", adopt)
	}
}
