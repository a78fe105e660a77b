package render

import (
	"bufio"
	"io"
	"strings"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
)

// ANSI SGR sequences used in terminal output.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
)

// painter applies colour only when enabled.
type painter bool

func (p painter) paint(style, s string) string {
	if !p || s == "" {
		return s
	}
	return style + s + reset
}

func actionStyle(a plan.Action) string {
	switch a {
	case plan.Create:
		return green
	case plan.Update:
		return yellow
	case plan.Adopt:
		return cyan
	case plan.Delete:
		return red
	}
	return ""
}

func symbolStyle(symbol string) string {
	switch symbol {
	case "+":
		return green
	case "-":
		return red
	}
	return yellow
}

// PlanText writes a plan for a terminal, Terraform style: one block per
// registration ("+ create payments-api (not in the tenant yet)") with its
// risk, privileged parts and indented field diffs, then the refusals and
// diagnostics, and a closing summary line.
func PlanText(w io.Writer, p *plan.Plan, o Options) error {
	bw := bufio.NewWriter(w)
	c := painter(o.Color)
	if o.Title != "" {
		bw.WriteString(c.paint(bold, terminal(o.Title)) + "\n\n")
	}
	for _, ch := range p.Changes {
		writeChangeText(bw, c, ch)
		bw.WriteString("\n")
	}
	writeAdviceText(bw, c, p.Advice)
	writeSecretsText(bw, c, p.Secrets)
	if len(p.Refused) > 0 {
		writeRefusedText(bw, c, p.Refused)
	}
	if len(p.Diagnostics) > 0 {
		bw.WriteString(c.paint(bold, "Diagnostics:") + "\n")
		for _, d := range p.Diagnostics {
			style := yellow
			if d.Severity == diag.Error {
				style = red
			}
			bw.WriteString("  " + c.paint(style, terminal(d.String())) + "\n")
		}
		bw.WriteString("\n")
	}
	if len(p.Unchanged) > 0 && p.HasChanges() {
		bw.WriteString(c.paint(dim, plural(len(p.Unchanged), "registration", "registrations")+" unchanged.") + "\n")
	}
	summary := planSummary(p)
	if noChanges(p) {
		summary = c.paint(green+bold, summary)
	} else {
		summary = c.paint(bold, summary)
	}
	bw.WriteString(summary + "\n")
	return bw.Flush()
}

func writeChangeText(w *bufio.Writer, c painter, ch plan.Change) {
	w.WriteString(c.paint(actionStyle(ch.Action)+bold, ch.Action.Symbol()+" "+string(ch.Action)+" "+terminal(ch.Key)))
	w.WriteString(" " + c.paint(dim, "("+terminal(ch.Reason)+")") + "\n")
	meta := "risk " + ch.Risk.String()
	if len(ch.Categories) > 0 {
		names := make([]string, len(ch.Categories))
		for i, cat := range ch.Categories {
			names[i] = string(cat)
		}
		meta += ": " + strings.Join(names, ", ")
	}
	riskStyle := dim
	if ch.Risk == plan.RiskHigh {
		riskStyle = red
	}
	w.WriteString("  " + c.paint(riskStyle, meta) + "\n")
	if len(ch.Privileged) > 0 {
		w.WriteString("  " + c.paint(red, "⚠ privileged: "+terminal(strings.Join(ch.Privileged, ", "))) + "\n")
	}
	if len(ch.Grants) > 0 {
		grants := make([]string, len(ch.Grants))
		for i, g := range ch.Grants {
			grants[i] = g.String()
		}
		w.WriteString("  " + c.paint(red, "⚠ admin consent: "+terminal(strings.Join(grants, ", "))) + "\n")
	}
	for _, f := range ch.Fields {
		f = masked(f)
		sym := fieldSymbol(f)
		var line string
		switch sym {
		case "+":
			line = terminal(f.Path) + ": " + terminal(f.After)
		case "-":
			line = terminal(f.Path) + ": " + terminal(f.Before)
		default:
			line = terminal(f.Path) + ": " + terminal(f.Before) + " → " + terminal(f.After)
		}
		w.WriteString("  " + c.paint(symbolStyle(sym), sym) + " " + line + "\n")
	}
	if ch.Hint != "" {
		w.WriteString("  " + c.paint(dim, "hint: "+terminal(ch.Hint)) + "\n")
	}
}

func writeRefusedText(w *bufio.Writer, c painter, refused []plan.Refusal) {
	w.WriteString(c.paint(bold, "Refused (not applied):") + "\n")
	for _, r := range refused {
		line := "✗ " + string(r.Action) + " " + terminal(r.Key)
		if r.AppID != "" {
			line += " (appId " + terminal(r.AppID) + ")"
		}
		w.WriteString("  " + c.paint(red, line) + ": " + terminal(r.Reason) + "\n")
		if r.Hint != "" {
			w.WriteString("    " + c.paint(dim, "hint: "+terminal(r.Hint)) + "\n")
		}
	}
	w.WriteString("\n")
}

// ResultText writes the result of an apply for a terminal: a warning when
// the applied plan is not the reviewed one, one line per registration with
// its status and the steps taken below it, refusals, and a summary line.
func ResultText(w io.Writer, r *plan.Result, o Options) error {
	bw := bufio.NewWriter(w)
	c := painter(o.Color)
	if o.Title != "" {
		bw.WriteString(c.paint(bold, terminal(o.Title)) + "\n\n")
	}
	if fingerprintMismatch(r) {
		bw.WriteString(c.paint(yellow+bold, "Warning: the applied plan differs from the reviewed one.") + "\n")
		bw.WriteString(c.paint(yellow, "  applied "+terminal(short(r.Fingerprint, 12))+", reviewed "+terminal(short(r.Expected, 12))+
			": the tenant or the registration files changed after review.") + "\n\n")
	}
	for _, oc := range r.Outcomes {
		style, mark := green, "✓"
		switch oc.Status {
		case plan.Failed:
			style, mark = red, "✗"
		case plan.Skipped:
			style, mark = dim, "–"
		}
		line := mark + " " + string(oc.Status) + " " + string(oc.Action) + " " + terminal(oc.Key)
		bw.WriteString(c.paint(style+bold, line))
		if oc.AppID != "" {
			bw.WriteString(" " + c.paint(dim, "(appId "+terminal(oc.AppID)+")"))
		}
		bw.WriteString("\n")
		for _, s := range oc.Steps {
			bw.WriteString("    " + terminal(s) + "\n")
		}
		if oc.Error != "" {
			bw.WriteString("    " + c.paint(red, "error: "+terminal(oc.Error)) + "\n")
		}
	}
	if len(r.Outcomes) > 0 {
		bw.WriteString("\n")
	}
	writeSecretOutcomesText(bw, c, r.Secrets)
	if len(r.Refused) > 0 {
		writeRefusedText(bw, c, r.Refused)
	}
	style := bold
	if r.Failed() {
		style = red + bold
	}
	bw.WriteString(c.paint(style, resultSummary(r)) + "\n")
	return bw.Flush()
}
