package render

import (
	"bufio"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
)

// adviceItem is one piece of advice as the templates show it.
type adviceItem struct {
	plan.Advice
	Position string
}

// adviceGroup is the advice about one registration.
type adviceGroup struct {
	Key   string
	Items []adviceItem
}

// adviceGroups groups a plan's advice by registration, in order of first
// appearance (the advice package sorts it by file position).
func adviceGroups(as []plan.Advice) []adviceGroup {
	var out []adviceGroup
	index := map[string]int{}
	for _, a := range as {
		i, ok := index[a.Key]
		if !ok {
			i = len(out)
			index[a.Key] = i
			out = append(out, adviceGroup{Key: a.Key})
		}
		pos := diag.Diagnostic{File: a.File, Line: a.Line, Column: a.Column}.Position()
		out[i].Items = append(out[i].Items, adviceItem{Advice: a, Position: pos})
	}
	return out
}

// adviceBlock is the plan comment's Advice section: per registration, each
// piece of advice with its id and position, silenced advice marked so.
func adviceBlock(as []plan.Advice) []block {
	if len(as) == 0 {
		return nil
	}
	b := block{head: exec("advice-head", false), reopen: exec("advice-head", true)}
	for _, g := range adviceGroups(as) {
		b.rows = append(b.rows, exec("advice-registration", g))
	}
	return []block{b}
}

// writeAdviceText writes the Advice section of a plan for a terminal.
func writeAdviceText(w *bufio.Writer, c painter, as []plan.Advice) {
	if len(as) == 0 {
		return
	}
	w.WriteString(c.paint(bold, "Advice:") + "\n")
	for _, g := range adviceGroups(as) {
		w.WriteString("  " + c.paint(bold, terminal(g.Key)) + "\n")
		for _, a := range g.Items {
			line := a.ID
			if a.Severity == diag.Error && !a.Silenced {
				line += " (error)"
			}
			if a.Position != "" {
				line += " " + a.Position
			}
			line += ": " + a.Message
			switch {
			case a.Silenced:
				w.WriteString("    " + c.paint(dim, terminal(line+" (silenced by "+a.SilencedBy+")")) + "\n")
			case a.Severity == diag.Error:
				w.WriteString("    " + c.paint(red, terminal(line)) + "\n")
			default:
				w.WriteString("    " + c.paint(yellow, terminal(line)) + "\n")
			}
		}
	}
	w.WriteString("\n")
}
