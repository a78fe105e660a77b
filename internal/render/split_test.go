package render

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

func rows(prefix string, n, size int) []string {
	out := make([]string, n)
	for i := range out {
		r := fmt.Sprintf("%s%d ", prefix, i)
		out[i] = r + strings.Repeat("x", size-len(r)-1) + "\n"
	}
	return out
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		blocks []block
		budget int
		want   []string
	}{
		{
			name:   "everything fits",
			blocks: []block{{head: "H\n"}, {head: "[\n", rows: []string{"a\n", "b\n"}, tail: "]\n"}},
			budget: 100,
			want:   []string{"H\n[\na\nb\n]\n"},
		},
		{
			name:   "a kept block moves to the next part whole",
			blocks: []block{{head: "0123456789\n"}, {head: "[\n", rows: []string{"a\n", "b\n"}, tail: "]\n", keep: true}},
			budget: 14,
			want:   []string{"0123456789\n", "[\na\nb\n]\n"},
		},
		{
			name:   "a block not kept is cut at a row and reopened",
			blocks: []block{{head: "H\n"}, {head: "[\n", reopen: "[…\n", rows: rows("r", 4, 20), tail: "]\n"}},
			budget: 2 + 2 + 40 + maxContinued + 2,
			want: []string{
				"H\n[\n" + rows("r", 4, 20)[0] + rows("r", 4, 20)[1] + continued(2) + "]\n",
				"[…\n" + rows("r", 4, 20)[2] + rows("r", 4, 20)[3] + "]\n",
			},
		},
		{
			name:   "a kept block larger than a part is cut with its own cut tail",
			blocks: []block{{head: "<d>\n", reopen: "<d cont>\n", rows: rows("r", 3, 40), tail: "hint\n</d>\n", cut: "</d>\n", keep: true}},
			budget: 9 + 80 + maxContinued + 10,
			want: []string{
				"<d>\n" + rows("r", 3, 40)[0] + rows("r", 3, 40)[1] + continued(2) + "</d>\n",
				"<d cont>\n" + rows("r", 3, 40)[2] + "hint\n</d>\n",
			},
		},
		{
			name:   "a row larger than a part goes alone",
			blocks: []block{{head: "H\n"}, {rows: []string{strings.Repeat("y", 30) + "\n", "z\n"}}},
			budget: 10,
			want:   []string{"H\n", strings.Repeat("y", 30) + "\n" + continued(3), "z\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, split(tt.blocks, tt.budget)); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
}

// bigPlan has n registrations with fields field diffs each.
func bigPlan(n, fields int) *plan.Plan {
	p := &plan.Plan{Fingerprint: strings.Repeat("ab", 32)}
	for i := range n {
		c := plan.Change{
			Key: fmt.Sprintf("team-%03d-orders-api", i), UniqueName: fmt.Sprintf("contoso-team-%03d-orders-api", i),
			AppID: fmt.Sprintf("6a7e1c3b-0d7f-4b8e-9a51-%012d", i), Action: plan.Update,
			Reason: "the tenant differs from registrations/orders-api.yaml", Risk: plan.RiskMedium,
			Categories: []appreg.Category{appreg.CategoryRedirectURIChange},
		}
		for j := range fields {
			c.Fields = append(c.Fields, plan.FieldDiff{
				Path:   fmt.Sprintf("web.redirectUris[%d]", j),
				Before: fmt.Sprintf("[https://orders-%03d.contoso.com/signin-oidc]", j),
				After:  fmt.Sprintf("[https://orders-%03d.contoso.com/signin-oidc, https://orders-%03d.contoso.com/callback]", j, j),
			})
		}
		p.Changes = append(p.Changes, c)
	}
	return p
}

var partTitle = regexp.MustCompile(`^### appreg plan · contoso/identity@1a2b3c4 · part (\d+) of (\d+)\n`)

// checkParts verifies what every split comment must satisfy: each part
// within the budget, numbered, with its details elements balanced.
func checkParts(t *testing.T, parts []string) {
	t.Helper()
	if len(parts) < 2 {
		t.Fatalf("want several parts, got %d", len(parts))
	}
	for i, part := range parts {
		if len(part) > commentBudget || len(part) > MaxCommentSize {
			t.Errorf("part %d is %d bytes, over %d", i+1, len(part), commentBudget)
		}
		m := partTitle.FindStringSubmatch(part)
		if m == nil || m[1] != fmt.Sprint(i+1) || m[2] != fmt.Sprint(len(parts)) {
			t.Errorf("part %d starts %q, want its number and the total", i+1, part[:min(len(part), 80)])
		}
		if open, closed := strings.Count(part, "<details"), strings.Count(part, "</details>"); open != closed {
			t.Errorf("part %d opens %d details and closes %d", i+1, open, closed)
		}
		if !strings.Contains(part, "<sub>fingerprint <code>abababababab</code>") {
			t.Errorf("part %d has no fingerprint footer", i+1)
		}
	}
}

func TestManyRegistrationsSplitWithoutCuttingOne(t *testing.T) {
	t.Parallel()
	p := bigPlan(400, 20)
	parts := PlanMarkdown(p, prContext)
	checkParts(t, parts)
	all := strings.Join(parts, "")
	for _, c := range p.Changes {
		head := "<b>" + c.Key + "</b> · update"
		if n := strings.Count(all, head); n != 1 {
			t.Errorf("%s: %d details sections, want 1", c.Key, n)
		}
		if n := strings.Count(all, "**"+c.Key+"**"); n != 1 {
			t.Errorf("%s: %d summary table rows, want 1", c.Key, n)
		}
	}
	if strings.Contains(all, "(continued)</summary>") {
		t.Error("a registration that fits in one comment was cut")
	}
	if !strings.HasPrefix(strings.TrimLeft(strings.TrimPrefix(parts[0], partTitle.FindString(parts[0])), "\n"), "**Plan: 0 to create, 400 to update") {
		t.Error("part 1 does not start with the summary")
	}
}

func TestGiantRegistrationSplitsAtRows(t *testing.T) {
	t.Parallel()
	p := bigPlan(1, 2500)
	parts := PlanMarkdown(p, prContext)
	checkParts(t, parts)
	var got []string
	for i, part := range parts {
		if i < len(parts)-1 && !strings.Contains(part, fmt.Sprintf("_(continued in part %d)_", i+2)) {
			t.Errorf("part %d does not say where it continues", i+1)
		}
		if i > 0 && !strings.Contains(part, "<b>team-000-orders-api</b> · update · 🟡 medium (continued)</summary>\n\n| Path | Before | After |\n|---|---|---|\n") {
			t.Errorf("part %d does not reopen the registration with the table header", i+1)
		}
		for line := range strings.Lines(part) {
			if strings.HasPrefix(line, "| `web.") {
				if !strings.HasSuffix(line, " |\n") {
					t.Errorf("part %d has a cut row %q", i+1, line)
				}
				got = append(got, line)
			}
		}
	}
	if len(got) != 2500 {
		t.Fatalf("%d rows across parts, want 2500", len(got))
	}
	for j, line := range got {
		if want := fmt.Sprintf("| `web.redirectUris[%d]` |", j); !strings.HasPrefix(line, want) {
			t.Fatalf("row %d is %q, want it to start %q", j, line, want)
		}
	}
}

func TestStepSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		plan     *plan.Plan
		whole    bool
		sections int
	}{
		{"larger than a comment, one piece", bigPlan(200, 20), true, 200},
		{"larger than 1 MiB, cut with a note", bigPlan(1000, 20), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := StepSummary(tt.plan, prContext)
			if len(s) > 1<<20 {
				t.Errorf("step summary is %d bytes, over 1 MiB", len(s))
			}
			if tt.whole {
				if strings.Contains(s, " of ") && partTitle.MatchString(s) {
					t.Error("a summary that fits is numbered as a part")
				}
				if n := strings.Count(s, "<details open><summary>") + strings.Count(s, "<details><summary><code>"); n != tt.sections {
					t.Errorf("%d registrations shown, want %d", n, tt.sections)
				}
				return
			}
			if !strings.Contains(s, "too large for a job summary") {
				t.Error("a cut step summary does not say so")
			}
		})
	}
}
