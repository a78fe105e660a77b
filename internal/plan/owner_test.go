package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
)

// TestOwnership: a repository deletes only the applications it owns and
// takes any other by adoption, however their names match its prefix.
func TestOwnership(t *testing.T) {
	t.Parallel()
	tenant := func() *appreg.Set {
		mine := observed("orders", nil)
		theirs := observed("eu-payments", nil) // contoso-eu-payments: "contoso-" + "eu-payments"
		theirs.Observed.Owned, theirs.Observed.Repository = false, "contoso/eu"
		legacy := observed("legacy", nil) // managed before owners were recorded
		legacy.Observed.Owned = false
		return set(legacy, mine, theirs)
	}
	del := appreg.Settings{NamePrefix: "contoso-", Deletion: appreg.Deletion{Allow: true, MaxPerRun: 10}}
	tests := []struct {
		name    string
		desired *appreg.Set
		want    []string // key action
		reason  string   // in the claim's reason
	}{
		{name: "no files: only its own app is deleted", desired: set(), want: []string{"orders delete"}},
		{name: "declaring another repository's app claims it", desired: set(desired("orders", nil), desired("eu-payments", nil)),
			want: []string{"eu-payments adopt", "orders update"}, reason: "from repository contoso/eu"},
		{name: "declaring an app managed before owners were recorded claims it", desired: set(desired("orders", nil), desired("legacy", nil)),
			want: []string{"legacy adopt", "orders update"}, reason: "before owners were recorded"},
		{name: "adopting another repository's app by appId claims it", desired: set(desired("orders", nil), desired("eu-payments", func(r *appreg.Registration) {
			r.Adopt = &appreg.Adopt{AppID: "app-eu-payments"}
		})), want: []string{"eu-payments adopt", "orders update"}, reason: "from repository contoso/eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range tt.desired.Registrations {
				r.DisplayName = "changed " + r.Name // every declared app has a change to show
			}
			p := Compute(Input{Settings: del, Desired: tt.desired, Observed: tenant(), Catalogs: graphCatalogs()})
			var got []string
			for _, c := range p.Changes {
				got = append(got, c.Key+" "+string(c.Action))
				if c.Action == Adopt && !strings.Contains(c.Reason, tt.reason) {
					t.Errorf("%s: reason %q, want it to say %q", c.Key, c.Reason, tt.reason)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNameIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, unique, name string
		ok                   bool
	}{
		{"contoso-", "contoso-eu-payments", "eu-payments", true},
		{"contoso-eu-", "contoso-eu-payments", "payments", true},
		{"contoso-", "contoso-", "", false},
		{"contoso-", "contoso-ab", "", false}, // names have 3 characters at least
		{"contoso-", "contoso-Payments", "", false},
		{"contoso-", "fabrikam-payments", "", false},
		{"", "payments", "payments", true},
	}
	for _, tt := range tests {
		name, ok := appreg.NameIn(tt.prefix, tt.unique)
		if name != tt.name || ok != tt.ok {
			t.Errorf("NameIn(%q, %q) = %q, %v; want %q, %v", tt.prefix, tt.unique, name, ok, tt.name, tt.ok)
		}
	}
}
