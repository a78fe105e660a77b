package advice_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/advice"
	"github.com/appreg/appreg/internal/appreg"
)

// BenchmarkCheck judges 10,000 registrations against a tenant that has
// them all, half of them with something to advise.
func BenchmarkCheck(b *testing.B) {
	const n = 10000
	desired, observed := &appreg.Set{}, &appreg.Set{}
	for i := range n {
		name := fmt.Sprintf("app-%05d", i)
		src := appreg.Pos{File: "registrations/" + name + ".yaml", Line: 2, Column: 7}
		r := &appreg.Registration{Name: name, Source: src,
			Permissions: []appreg.Permission{{API: "microsoft-graph", Application: []string{"User.Read.All"}, Delegated: []string{"User.Read"}, AdminConsent: ptr(i%2 == 0), Source: src}},
			Credentials: &appreg.Credentials{Secrets: []appreg.Secret{{Name: "ci", Lifetime: time.Duration(90+i%200) * 24 * time.Hour,
				Deliver: []appreg.Delivery{{Kind: appreg.DeliverRepo, Repo: "contoso/" + name, Secret: "AZURE_CLIENT_SECRET"}}, Source: src}}},
			ServicePrincipal: &appreg.ServicePrincipal{AzureRoles: []appreg.AzureRole{{Role: "Contributor", Scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"}}},
		}
		desired.Registrations = append(desired.Registrations, r)
		observed.Registrations = append(observed.Registrations, &appreg.Registration{Name: name,
			Observed: &appreg.Observed{AppID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i)}, Web: &appreg.Web{}})
	}
	in := advice.Input{Desired: desired, Observed: observed}
	b.ReportAllocs()
	for b.Loop() {
		if len(advice.Check(in)) == 0 {
			b.Fatal("no advice")
		}
	}
}
