package workflow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

// fakeIssues is one repository's issues as DriftIssues sees them; it
// records every call that writes.
type fakeIssues struct {
	issues map[int]*fakeIssue
	next   int
	calls  []string
}

type fakeIssue struct {
	body     string
	open     bool
	comments []string
	ours     bool
}

func (f *fakeIssues) FindIssue(_ context.Context, _, marker string) (int, string, bool, error) {
	for n := 1; n <= f.next; n++ {
		if is := f.issues[n]; is != nil && is.open && is.ours && strings.HasPrefix(is.body, marker+"\n") {
			return n, is.body, true, nil
		}
	}
	return 0, "", false, nil
}

func (f *fakeIssues) CreateIssue(_ context.Context, _, _, body string) (int, error) {
	f.next++
	f.issues[f.next] = &fakeIssue{body: body, open: true, ours: true}
	f.calls = append(f.calls, fmt.Sprintf("create #%d", f.next))
	return f.next, nil
}

func (f *fakeIssues) EditIssue(_ context.Context, _ string, n int, body string) error {
	f.issues[n].body = body
	f.calls = append(f.calls, fmt.Sprintf("edit #%d", n))
	return nil
}

func (f *fakeIssues) CreateComment(_ context.Context, _ string, n int, body string) (int64, error) {
	f.issues[n].comments = append(f.issues[n].comments, body)
	f.calls = append(f.calls, fmt.Sprintf("comment #%d", n))
	return 1, nil
}

func (f *fakeIssues) CloseIssue(_ context.Context, _ string, n int) error {
	f.issues[n].open = false
	f.calls = append(f.calls, fmt.Sprintf("close #%d", n))
	return nil
}

// driftPlan plans one managed application whose display name in the
// tenant is observed.
func driftPlan(observed string) *plan.Plan {
	want := &appreg.Registration{Name: "orders", UniqueName: "contoso-orders", DisplayName: "Orders", Source: appreg.Pos{File: "registrations/orders.yaml", Line: 2, Column: 7}}
	have := &appreg.Registration{Name: "orders", UniqueName: "contoso-orders", DisplayName: observed,
		Observed: &appreg.Observed{AppID: "6a7e1c3b-0d7f-4b8e-9a51-2f0c9e4d1a20", ObjectID: "c1d6b8b0-3a4e-4f0e-8d7a-8b5d5f0f2a11", Managed: true, Owned: true, Repository: "contoso/identity", ServicePrincipalID: "7f3c2a10-2b1e-4c55-9d0e-6a4b3c2d1e11"}}
	return plan.Compute(plan.Input{Settings: appreg.Settings{NamePrefix: "contoso-"},
		Desired: &appreg.Set{Registrations: []*appreg.Registration{want}}, Observed: &appreg.Set{Registrations: []*appreg.Registration{have}}})
}

func TestReportDrift(t *testing.T) {
	t.Parallel()
	f := &fakeIssues{issues: map[int]*fakeIssue{}}
	// Someone else's issue quoting the marker is not appreg's.
	f.next = 1
	f.issues[1] = &fakeIssue{body: DriftMarker + "\nfake", open: true}

	steps := []struct {
		observed string
		want     DriftReport
	}{
		{"Orders", DriftReport{Action: DriftNone}},
		{"Orders (edited)", DriftReport{Action: DriftOpened, Issue: 2}},
		{"Orders (edited)", DriftReport{Action: DriftUnchanged, Issue: 2}},
		{"Orders (edited again)", DriftReport{Action: DriftUpdated, Issue: 2}},
		{"Orders", DriftReport{Action: DriftClosed, Issue: 2}},
		{"Orders", DriftReport{Action: DriftNone}},
		{"Orders (edited)", DriftReport{Action: DriftOpened, Issue: 3}},
	}
	for i, s := range steps {
		got, err := ReportDrift(t.Context(), f, "contoso/identity", "1a2b3c4", driftPlan(s.observed))
		if err != nil {
			t.Fatal(err)
		}
		if got != s.want {
			t.Errorf("step %d (%s): %+v, want %+v", i, s.observed, got, s.want)
		}
	}
	if diff := cmp.Diff([]string{"create #2", "edit #2", "comment #2", "close #2", "create #3"}, f.calls); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if b := f.issues[2].body; !strings.HasPrefix(b, DriftMarker+"\n") || !strings.Contains(b, "Orders (edited again)") {
		t.Errorf("issue body does not show the current drift:\n%s", b)
	}
	if c := f.issues[2].comments; len(c) != 1 || !strings.Contains(c[0], "matches the registration files again (as of 1a2b3c4)") {
		t.Errorf("closing comment = %q", c)
	}
	if !f.issues[1].open || f.issues[1].body != DriftMarker+"\nfake" {
		t.Error("someone else's issue was touched")
	}
}
