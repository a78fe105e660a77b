// Package render turns a plan.Plan or a plan.Result into what people and
// machines read: terminal text (optionally coloured), markdown for pull
// request comments and step summaries (split under GitHub's comment limit),
// and versioned JSON.
//
// Renderers read only the plan or result they are given; they never call an
// API, and every renderer masks field values whose path names a secret or a
// password, even though such values never enter a plan.
package render

import (
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
)

// MaxCommentSize is the largest body GitHub accepts for an issue or pull
// request comment. PlanMarkdown and ResultMarkdown keep every part below
// it with headroom (see commentBudget) for the marker text callers add.
const MaxCommentSize = 65536

// commentBudget is the size, in bytes, that each markdown part stays within:
// MaxCommentSize less room for the hidden marker a caller prepends to find
// its sticky comment again. Bytes are at least as many as characters, so the
// limit holds however GitHub counts.
const commentBudget = 65000

// stepSummaryBudget is the size a GitHub step summary stays within (the
// runner rejects summaries over 1 MiB).
const stepSummaryBudget = 1<<20 - 1024

// FormatVersion is the version of the JSON documents PlanJSON and ResultJSON
// write. The minor version grows when keys are added; the major version when
// keys change meaning or disappear.
const FormatVersion = "1.0"

// Options are the presentation settings of a rendering.
type Options struct {
	// Color enables ANSI colours in text output, for terminals.
	Color bool
	// Repo ("owner/name") and Commit are optional context shown in markdown
	// headers.
	Repo, Commit string
	// Title replaces the default heading ("appreg plan", "appreg apply").
	Title string
}

// sensitiveMask replaces a value that must never be shown.
const sensitiveMask = "(sensitive value)"

// sensitive reports whether a field path names a secret value. Plans carry
// credential metadata only, so this is a second line of defence.
func sensitive(path string) bool {
	p := strings.ToLower(path)
	return strings.Contains(p, "secrettext") || strings.Contains(p, "password")
}

// masked returns the field diff as it may be shown: values of sensitive
// paths are replaced, keeping whether a side is empty.
func masked(f plan.FieldDiff) plan.FieldDiff {
	if !sensitive(f.Path) {
		return f
	}
	if f.Before != "" {
		f.Before = sensitiveMask
	}
	if f.After != "" {
		f.After = sensitiveMask
	}
	return f
}

// fieldSymbol is the marker of one field diff: + added, - removed, ~ changed.
func fieldSymbol(f plan.FieldDiff) string {
	switch {
	case f.Before == "":
		return "+"
	case f.After == "":
		return "-"
	}
	return "~"
}

// counts tallies the changes of a plan by action.
type counts struct {
	Create, Update, Adopt, Delete, Refused, Unchanged, Errors int
}

func countPlan(p *plan.Plan) counts {
	var c counts
	for _, ch := range p.Changes {
		switch ch.Action {
		case plan.Create:
			c.Create++
		case plan.Update:
			c.Update++
		case plan.Adopt:
			c.Adopt++
		case plan.Delete:
			c.Delete++
		}
	}
	c.Refused = len(p.Refused)
	c.Unchanged = len(p.Unchanged)
	for _, d := range p.Diagnostics {
		if d.Severity == diag.Error {
			c.Errors++
		}
	}
	return c
}

// noChanges reports whether the plan deserves the "No changes." line:
// nothing to do, nothing refused and nothing left out because of errors.
func noChanges(p *plan.Plan) bool {
	c := countPlan(p)
	return !p.HasChanges() && c.Refused == 0 && c.Errors == 0
}

// planSummary is the closing line of a plan, e.g. "Plan: 1 to create, 2 to
// update, 0 to adopt, 0 to delete; 1 refused."
func planSummary(p *plan.Plan) string {
	if noChanges(p) {
		return "No changes. The tenant matches the registration files."
	}
	c := countPlan(p)
	var b strings.Builder
	b.WriteString("Plan: ")
	b.WriteString(itoa(c.Create) + " to create, ")
	b.WriteString(itoa(c.Update) + " to update, ")
	b.WriteString(itoa(c.Adopt) + " to adopt, ")
	b.WriteString(itoa(c.Delete) + " to delete")
	if n := secretsToCreate(p); n > 0 {
		b.WriteString(", " + plural(n, "client secret", "client secrets") + " to create")
	}
	b.WriteString("; " + itoa(c.Refused) + " refused")
	if c.Errors > 0 {
		b.WriteString("; " + plural(c.Errors, "error", "errors") + " left registrations out")
	}
	b.WriteString(".")
	return b.String()
}

// resultCounts tallies the outcomes of an apply by status.
type resultCounts struct {
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Refused int `json:"refused"`
}

func countResult(r *plan.Result) resultCounts {
	var c resultCounts
	for _, o := range r.Outcomes {
		switch o.Status {
		case plan.Applied:
			c.Applied++
		case plan.Failed:
			c.Failed++
		case plan.Skipped:
			c.Skipped++
		}
	}
	c.Refused = len(r.Refused)
	return c
}

// resultSummary is the closing line of an apply.
func resultSummary(r *plan.Result) string {
	c := countResult(r)
	if len(r.Outcomes) == 0 && c.Refused == 0 && len(r.Secrets) == 0 {
		return "Apply: nothing to do. The tenant matched the registration files."
	}
	s := "Apply: " + itoa(c.Applied) + " applied, " + itoa(c.Failed) + " failed, " +
		itoa(c.Skipped) + " skipped; " + itoa(c.Refused) + " refused"
	if len(r.Secrets) > 0 {
		// A secret that was not created or delivered is a failure of the
		// apply as much as a change that failed.
		failed := 0
		for _, o := range r.Secrets {
			if o.Error != "" {
				failed++
			}
		}
		s += "; " + plural(len(r.Secrets)-failed, "secret", "secrets") + " created, " + itoa(failed) + " failed"
	}
	return s + "."
}

// fingerprintMismatch reports whether the applied plan is not the one a
// reviewer saw.
func fingerprintMismatch(r *plan.Result) bool {
	return r.Expected != "" && r.Expected != r.Fingerprint
}

// short abbreviates a fingerprint or commit to n characters.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}

func itoa(n int) string { return strconv.Itoa(n) }
