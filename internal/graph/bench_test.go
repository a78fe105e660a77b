package graph_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/spec"
	"github.com/appreg/appreg/internal/workflow"
)

// benchLatency is the latency the emulator adds to every request, a
// realistic round trip to Microsoft Graph.
const benchLatency = 50 * time.Millisecond

// benchRegistration is the desired form of registration i: a service
// principal, two federated credentials and three Microsoft Graph
// permissions.
func benchRegistration(i int) *appreg.Registration {
	name := fmt.Sprintf("app-%05d", i)
	return &appreg.Registration{
		Name: name, UniqueName: "bench-" + name, DisplayName: "Bench " + name,
		Source: appreg.Pos{File: "registrations/" + name + ".yaml", Line: 1, Column: 1},
		Permissions: []appreg.Permission{{
			API: "microsoft-graph", ResourceAppID: appreg.MicrosoftGraphAppID,
			Delegated: []string{"User.Read"}, Application: []string{"User.Read.All", "Group.Read.All"},
		}},
		Credentials: &appreg.Credentials{Federated: []appreg.FederatedCredential{
			{Name: "main", Issuer: appreg.GitHubIssuer, Subject: fmt.Sprintf("repo:contoso/%s:ref:refs/heads/main", name), Audiences: []string{appreg.TokenExchangeAudience}},
			{Name: "prod", Issuer: appreg.GitHubIssuer, Subject: fmt.Sprintf("repo:contoso/%s:environment:prod", name), Audiences: []string{appreg.TokenExchangeAudience}},
		}},
	}
}

func benchLoaded(n int) *spec.Result {
	set := &appreg.Set{}
	for i := range n {
		set.Registrations = append(set.Registrations, benchRegistration(i))
	}
	return &spec.Result{Settings: appreg.Settings{NamePrefix: "bench-", Deletion: appreg.Deletion{MaxPerRun: 3}}, Desired: set}
}

// seedTenant puts n applied registrations into the emulator directly (as
// the tenant would hold them after an apply), fast.
func seedTenant(b *testing.B, srv *emulator.Server, n int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				r := benchRegistration(i)
				app, err := srv.CreateApplication(map[string]any{
					"uniqueName": r.UniqueName, "displayName": r.DisplayName, "tags": []any{appreg.MarkerTag, appreg.RepoTag(testRepo)},
					"requiredResourceAccess": []any{map[string]any{"resourceAppId": appreg.MicrosoftGraphAppID, "resourceAccess": []any{
						map[string]any{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"},
						map[string]any{"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"},
						map[string]any{"id": "5b567255-7703-4780-807c-7be8301ae99b", "type": "Role"},
					}}},
				})
				if err == nil {
					_, err = srv.CreateServicePrincipal(app["appId"].(string))
				}
				if err == nil {
					err = srv.PatchServicePrincipal(app["appId"].(string), map[string]any{"tags": []any{appreg.MarkerTag}})
				}
				for _, f := range r.Credentials.Federated {
					if err == nil {
						_, err = srv.AddFederatedCredential(app["id"].(string), map[string]any{
							"name": f.Name, "issuer": f.Issuer, "subject": f.Subject, "audiences": []any{f.Audiences[0]},
						})
					}
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// peakHeap samples the live heap while f runs and returns the peak above
// what was live before (the emulator's tenant is live throughout).
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	f()
	close(done)
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkPlan plans n registrations that are all in the tenant already,
// against the emulator with 50 ms latency per request. It reports Graph
// requests per plan and the peak heap appreg added.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("registrations=%d", n), func(b *testing.B) {
			srv, c := start(b)
			seedTenant(b, srv, n)
			loaded := benchLoaded(n)
			srv.SetFaults(emulator.Faults{Latency: benchLatency})
			var requests int
			var heap uint64
			b.ResetTimer()
			for range b.N {
				srv.ResetStats()
				heap = max(heap, peakHeap(func() {
					p, err := workflow.Plan(b.Context(), c, loaded)
					if err != nil {
						b.Fatal(err)
					}
					if p.HasChanges() || p.Diagnostics.HasErrors() {
						b.Fatalf("the seeded tenant should match: %d changes, diagnostics %v", len(p.Changes), p.Diagnostics)
					}
				}))
				requests = srv.TotalRequests()
			}
			b.ReportMetric(float64(requests), "graph-requests/op")
			b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkApplyNew applies 100 new registrations to an empty tenant with
// 50 ms latency per request.
func BenchmarkApplyNew(b *testing.B) {
	const n = 100
	loaded := benchLoaded(n)
	var requests int
	for range b.N {
		b.StopTimer()
		srv, c := start(b)
		srv.SetFaults(emulator.Faults{Latency: benchLatency})
		b.StartTimer()
		_, res, err := workflow.Apply(b.Context(), c, loaded, workflow.ApplyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Failed() {
			b.Fatalf("apply failed: %+v", res.Outcomes[0])
		}
		b.StopTimer()
		requests = srv.TotalRequests()
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(requests), "graph-requests/op")
}
