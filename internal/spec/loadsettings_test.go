package spec

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSettings(t *testing.T) {
	t.Parallel()
	s, diags := LoadSettings("../../appreg.yaml")
	if diags.HasErrors() || s.NamePrefix != "contoso-" || s.Registrations != "registrations" {
		t.Errorf("settings %+v, diagnostics %v", s, diags)
	}
	missing := filepath.Join(t.TempDir(), "appreg.yaml")
	s, diags = LoadSettings(missing)
	if !diags.HasErrors() || !strings.Contains(diags[0].String(), "does not exist") || s.Registrations != "registrations" {
		t.Errorf("missing file: settings %+v, diagnostics %v", s, diags)
	}
}
