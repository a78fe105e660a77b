package spec

import (
	"testing"
	"testing/fstest"
)

// TestExamples checks that the repository's own appreg.yaml and
// registrations/ are valid.
func TestExamples(t *testing.T) {
	t.Parallel()
	res, diags := Load("../../appreg.yaml")
	for _, d := range diags {
		t.Error(d)
	}
	want := []string{"deploy-identity", "inventory-sync", "jupyterhub", "orders-api", "powerbi-automation"}
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
	if got := res.Files["jupyterhub"]; got != "../../registrations/jupyterhub.yaml" {
		t.Errorf("Files[jupyterhub] = %q, want the path as the user gave it", got)
	}
	if s := res.Settings; s.TenantID != "8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e" || s.Registrations != "registrations" ||
		s.Deletion.MaxPerRun != 3 || !s.Policy.Redirects.AllowHTTPLocalhost || s.Policy.Require["admin-consent"] != "identity-admins" {
		t.Errorf("settings = %+v", s)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("registrations = %v, want %v", got, want)
		}
	}
}

// TestLoadFSSubdirectory checks that file names in diagnostics and Files
// are joined with the settings file's folder.
func TestLoadFSSubdirectory(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"infra/appreg.yaml":                  {Data: []byte(defaultConfig + "registrations: apps\n")},
		"infra/apps/payments-api.yaml":       {Data: []byte(header)},
		"infra/apps/broken-api.yaml":         {Data: []byte(header)},
		"infra/apps/README.md":               {Data: []byte("not a registration")},
		"infra/apps/nested/ignored-api.yaml": {Data: []byte("not: valid")},
	}
	res, diags := LoadFS(fsys, "infra/appreg.yaml")
	want := "infra/apps/broken-api.yaml:2:7: error: name \"payments-api\" does not match the file name \"broken-api.yaml\" (rename the file to payments-api.yaml, or set name: broken-api)"
	if len(diags) != 2 || diags[0].String() != want {
		t.Errorf("diagnostics = %v, want first %s", diags, want)
	}
	if got := res.Files["payments-api"]; got != "infra/apps/broken-api.yaml" && got != "infra/apps/payments-api.yaml" {
		t.Errorf("Files = %v", res.Files)
	}
}
