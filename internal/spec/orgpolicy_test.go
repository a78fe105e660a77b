package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
)

func TestLoadOrgPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       *appreg.OrgPolicy
		err        string
	}{
		{"pins", "apiVersion: appreg/v1\nreviewers: {security: {teams: [contoso/security], required: 2}}\nrequire: {privileged-permission: security}\nrepositories: {Contoso/Payments: {namePrefix: payments-}}\n",
			&appreg.OrgPolicy{
				Reviewers: map[string]appreg.ReviewerGroup{"security": {Teams: []string{"contoso/security"}, Required: 2}},
				Require:   map[appreg.Category]string{appreg.CategoryPrivilegedPermission: "security"},
				Prefixes:  map[string]string{"contoso/payments": "payments-"},
			}, ""},
		{"unknown key", "apiVersion: appreg/v1\nrequires: {}\n", nil, "field requires not found"},
		{"unknown category", "apiVersion: appreg/v1\nreviewers: {s: {users: [a]}}\nrequire: {everything: s}\n", nil, `unknown category "everything"`},
		{"unknown group", "apiVersion: appreg/v1\nrequire: {deletion: s}\n", nil, `reviewer group "s", which reviewers does not define`},
		{"no version", "reviewers: {}\n", nil, "apiVersion"},
		{"bad repository", "apiVersion: appreg/v1\nrepositories: {payments: {namePrefix: p-}}\n", nil, `repository "payments" is not owner/name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "org.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadOrgPolicy(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}
