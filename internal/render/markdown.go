package render

import (
	"embed"
	"slices"
	"strings"
	"text/template"

	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/plan"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("render").Funcs(template.FuncMap{
	"cell":      cell,
	"code":      code,
	"prose":     prose,
	"proseCell": proseCell,
	"plural":    plural,
	"short":     func(s string) string { return short(s, 12) },
	"version":   func() string { return FormatVersion },
	"risk":      riskLabel,
	"status":    statusLabel,
	"steps":     stepsCell,
	"md":        escapeMarkdown,
	"fence":     fence,
	"categories": func(cs []appreg.Category) string {
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = string(c)
		}
		return proseCell(strings.Join(names, ", "))
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// exec renders one named template. The templates and their data are fixed
// by this package, so a failure is a bug, not an input problem.
func exec(name string, data any) string {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		panic("render: template " + name + ": " + err.Error())
	}
	return b.String()
}

// openDetailsUpTo is the number of changes up to which every registration's
// details are expanded; bigger plans start collapsed.
const openDetailsUpTo = 5

// unchangedPerRow is how many unchanged registrations share one line.
const unchangedPerRow = 20

// PlanMarkdown renders a plan as pull request comment bodies. The first part
// starts with the summary line and table, then the privileged changes a
// reviewer must not miss, then one collapsible section per registration
// with its field diff table, the refusals and the diagnostics. Every part is
// at most 65,000 bytes, leaving room under MaxCommentSize for a marker the
// caller adds; when there are several, each title says "part i of n".
func PlanMarkdown(p *plan.Plan, o Options) []string {
	return document(planBlocks(p), o, "appreg plan", exec("plan-footer", p.Fingerprint), commentBudget)
}

// StepSummary renders a plan for a GitHub Actions job summary. It is the
// markdown of PlanMarkdown in one piece; a plan too large for the 1 MiB a
// summary may hold is cut, with a note saying so.
func StepSummary(p *plan.Plan, o Options) string {
	parts := document(planBlocks(p), o, "appreg plan", exec("plan-footer", p.Fingerprint), stepSummaryBudget)
	if len(parts) == 1 {
		return parts[0]
	}
	return parts[0] + "\n_The plan is too large for a job summary: " + plural(len(parts)-1, "part is", "parts are") +
		" left out. The pull request comment and the JSON plan have all of it._\n"
}

// ResultMarkdown renders the result of an apply as comment bodies: a warning
// when the applied plan is not the reviewed one, a table of registrations
// with status, appId and the steps taken, the errors, and the refusals.
func ResultMarkdown(r *plan.Result, o Options) []string {
	var blocks []block
	if fingerprintMismatch(r) {
		blocks = append(blocks, block{head: exec("mismatch", r)})
	}
	blocks = append(blocks, block{head: exec("result-summary", resultSummary(r))})
	if len(r.Outcomes) > 0 {
		head := exec("outcome-head", nil)
		b := block{head: head, reopen: head, tail: "\n"}
		for _, oc := range r.Outcomes {
			b.rows = append(b.rows, exec("outcome-row", oc))
		}
		blocks = append(blocks, b)
	}
	var errs []string
	for _, oc := range r.Outcomes {
		if oc.Error != "" && oc.Status != plan.Skipped {
			errs = append(errs, exec("error-row", oc))
		}
	}
	if len(errs) > 0 {
		head := exec("errors-head", nil)
		blocks = append(blocks, block{head: head, reopen: head, rows: errs, tail: "\n"})
	}
	blocks = append(blocks, secretOutcomesBlock(r.Secrets)...)
	blocks = append(blocks, refusedBlock(r.Refused)...)
	return document(blocks, o, "appreg apply", exec("result-footer", r), commentBudget)
}

// planBlocks lays a plan out as blocks for the splitter.
func planBlocks(p *plan.Plan) []block {
	blocks := []block{{head: exec("summary", map[string]any{"NoChanges": noChanges(p), "Line": planSummary(p)})}}
	if len(p.Changes) > 0 {
		head := exec("table-head", nil)
		b := block{head: head, reopen: head, tail: "\n"}
		for _, c := range p.Changes {
			b.rows = append(b.rows, exec("table-row", c))
		}
		blocks = append(blocks, b)
	}
	var privileged []string
	for _, c := range p.Changes {
		for _, n := range notices(c) {
			privileged = append(privileged, exec("privileged-row", n))
		}
	}
	if len(privileged) > 0 {
		blocks = append(blocks, block{head: exec("privileged-head", false), reopen: exec("privileged-head", true), rows: privileged, tail: "\n"})
	}
	for _, c := range p.Changes {
		open := len(p.Changes) <= openDetailsUpTo
		b := block{
			head:   exec("change-head", map[string]any{"C": c, "Open": open, "Continued": false}),
			reopen: exec("change-head", map[string]any{"C": c, "Open": open, "Continued": true}),
			tail:   exec("change-tail", c),
			cut:    exec("change-cut", nil),
			keep:   true,
		}
		for _, f := range c.Fields {
			b.rows = append(b.rows, exec("field-row", masked(f)))
		}
		blocks = append(blocks, b)
	}
	blocks = append(blocks, adviceBlock(p.Advice)...)
	blocks = append(blocks, secretsBlock(p.Secrets)...)
	blocks = append(blocks, refusedBlock(p.Refused)...)
	if len(p.Diagnostics) > 0 {
		head := exec("diagnostics-head", nil)
		b := block{head: head, reopen: head, tail: "\n"}
		for _, d := range p.Diagnostics {
			b.rows = append(b.rows, exec("diagnostic-row", d))
		}
		blocks = append(blocks, b)
	}
	if len(p.Unchanged) > 0 {
		head := exec("unchanged-head", len(p.Unchanged))
		b := block{head: head, reopen: head, tail: exec("unchanged-tail", nil)}
		for names := range slices.Chunk(p.Unchanged, unchangedPerRow) {
			b.rows = append(b.rows, exec("unchanged-row", names))
		}
		blocks = append(blocks, b)
	}
	return blocks
}

func refusedBlock(refused []plan.Refusal) []block {
	if len(refused) == 0 {
		return nil
	}
	head := exec("refused-head", nil)
	b := block{head: head, reopen: head, tail: "\n"}
	for _, r := range refused {
		b.rows = append(b.rows, exec("refused-row", r))
	}
	return []block{b}
}

// document splits blocks into parts and gives each its title and footer.
func document(blocks []block, o Options, title, footer string, limit int) []string {
	t := titleData{Title: title, Context: contextLine(o)}
	if o.Title != "" {
		t.Title = o.Title
	}
	widest := t
	widest.Part, widest.Of = 999999, 999999
	bodies := split(blocks, limit-len(exec("title", widest))-len(footer))
	parts := make([]string, len(bodies))
	for i, body := range bodies {
		t.Part, t.Of = i+1, len(bodies)
		parts[i] = exec("title", t) + body + footer
	}
	return parts
}

type titleData struct {
	Title, Context string
	Part, Of       int
}

// contextLine is "owner/repo@sha" (which GitHub links to the commit), or
// whichever of the two is known.
func contextLine(o Options) string {
	commit := o.Commit
	if len(commit) == 40 {
		commit = short(commit, 7)
	}
	switch {
	case o.Repo != "" && commit != "":
		return o.Repo + "@" + commit
	case o.Repo != "":
		return o.Repo
	}
	return commit
}

func riskLabel(r plan.Risk) string {
	switch r {
	case plan.RiskHigh:
		return "🔴 high"
	case plan.RiskMedium:
		return "🟡 medium"
	}
	return "🟢 low"
}

func statusLabel(s plan.Status) string {
	switch s {
	case plan.Applied:
		return "✅ applied"
	case plan.Failed:
		return "❌ failed"
	case plan.Skipped:
		return "⏭️ skipped"
	}
	return proseCell(string(s))
}

// stepsCell lists the steps of an outcome in one table cell.
func stepsCell(steps []string) string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = proseCell(s)
	}
	return truncate(strings.Join(out, "<br>"), maxCell)
}
