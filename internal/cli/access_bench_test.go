package cli

import (
	"fmt"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

const (
	benchSub  = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	benchRepo = "contoso/bench"
)

// accessBench seeds n applied registrations whose service principals have
// a group assigned, a group membership and Contributor on a resource group
// of their own, and returns the files that declare them (withAccess) or
// leave those lists unmanaged.
func accessBench(b *testing.B, srv *emulator.Server, n int, withAccess bool) *spec.Result {
	b.Helper()
	if _, err := srv.CreateGroup("Readers"); err != nil {
		b.Fatal(err)
	}
	var spIDs []string
	set := &appreg.Set{}
	for i := range n {
		name := fmt.Sprintf("app-%05d", i)
		app, err := srv.CreateApplication(map[string]any{"uniqueName": "bench-" + name, "displayName": name,
			"tags": []any{appreg.MarkerTag, appreg.RepoTag(benchRepo)}})
		if err != nil {
			b.Fatal(err)
		}
		sp, err := srv.CreateServicePrincipal(app["appId"].(string))
		if err != nil {
			b.Fatal(err)
		}
		spID := sp["id"].(string)
		spIDs = append(spIDs, spID)
		rg := fmt.Sprintf("%s/resourceGroups/rg-%05d", benchSub, i)
		if err := srv.Assign(spID, "Readers"); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.AssignAzureRole(spID, "Contributor", rg); err != nil {
			b.Fatal(err)
		}
		r := &appreg.Registration{Name: name, UniqueName: "bench-" + name, DisplayName: name,
			Source: appreg.Pos{File: "registrations/" + name + ".yaml", Line: 1, Column: 1}, ServicePrincipal: &appreg.ServicePrincipal{}}
		if withAccess {
			r.ServicePrincipal.Assignments = []appreg.Assignment{{Kind: appreg.PrincipalGroup, Ref: "Readers"}}
			r.ServicePrincipal.MemberOf = []appreg.GroupMembership{{Ref: "Members"}}
			r.ServicePrincipal.AzureRoles = []appreg.AzureRole{{Role: "Contributor", Scope: rg}}
		}
		set.Registrations = append(set.Registrations, r)
	}
	if _, err := srv.CreateGroup("Members", spIDs...); err != nil {
		b.Fatal(err)
	}
	return &spec.Result{Desired: set, Settings: appreg.Settings{NamePrefix: "bench-", Deletion: appreg.Deletion{MaxPerRun: 3},
		Azure: appreg.Azure{Scopes: []string{benchSub}}}}
}

// BenchmarkPlanAccess plans n registrations that match the tenant, with
// and without assignments, memberOf and azureRoles managed, against the
// emulator with 50 ms latency per request, and reports the requests (Graph,
// token and Azure Resource Manager).
func BenchmarkPlanAccess(b *testing.B) {
	for _, n := range []int{100, 1000} {
		for _, withAccess := range []bool{false, true} {
			b.Run(fmt.Sprintf("registrations=%d/access=%v", n, withAccess), func(b *testing.B) {
				srv, err := emulator.Start(emulator.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer srv.Close()
				loaded := accessBench(b, srv, n, withAccess)
				op := srv.Operator()
				cred, err := azidentity.NewClientSecretCredential(op.TenantID, op.ClientID, op.ClientSecret, &azidentity.ClientSecretCredentialOptions{
					ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()}, Transport: srv.Client()},
					DisableInstanceDiscovery: true,
				})
				if err != nil {
					b.Fatal(err)
				}
				env := map[string]string{"APPREG_ARM_URL": srv.URL()}
				getenv := func(k string) string { return env[k] }
				g, err := newGraph(graphConfig{url: srv.GraphURL(), credential: cred, transport: srv.Client().Transport, repository: benchRepo}, getenv)
				if err != nil {
					b.Fatal(err)
				}
				t := withAzure(g, srv.GraphURL(), cred, srv.Client().Transport, getenv)
				srv.SetFaults(emulator.Faults{Latency: 50 * time.Millisecond})
				var requests, arm int
				b.ResetTimer()
				for range b.N {
					srv.ResetStats()
					p, err := workflow.Plan(b.Context(), t, loaded)
					if err != nil {
						b.Fatal(err)
					}
					if p.HasChanges() || p.Diagnostics.HasErrors() {
						b.Fatalf("the seeded tenant should match: %d changes, diagnostics %v", len(p.Changes), p.Diagnostics)
					}
					requests, arm = srv.TotalRequests(), 0
					for k, v := range srv.Stats() {
						if len(k) > 4 && (k[4:] == "{scope}/providers/Microsoft.Authorization/roleAssignments" || k[4:] == "{scope}/providers/Microsoft.Authorization/roleDefinitions") {
							arm += v
						}
					}
				}
				b.ReportMetric(float64(requests), "requests/op")
				b.ReportMetric(float64(arm), "arm-requests/op")
			})
		}
	}
}
