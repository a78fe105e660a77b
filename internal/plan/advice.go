package plan

import (
	"fmt"
	"strings"

	"github.com/appreg/appreg/internal/diag"
)

// Advice is one piece of advice about a registration: a classic mistake
// that no schema catches (the advice package finds them). It travels with
// the plan so that renderers can show it per registration without knowing
// how it was found.
//
// ID is stable (AR001…) and names a section of docs/advice.md. Message is
// one line saying what is wrong and what to do. Silenced advice is kept,
// with SilencedBy naming the `advice.ignore` that silenced it, so that the
// plan can show that it was silenced.
type Advice struct {
	ID         string        `json:"id"`
	Key        string        `json:"key"`
	Severity   diag.Severity `json:"severity"`
	Message    string        `json:"message"`
	File       string        `json:"file,omitempty"`
	Line       int           `json:"line,omitempty"`
	Column     int           `json:"column,omitempty"`
	Silenced   bool          `json:"silenced,omitempty"`
	SilencedBy string        `json:"silencedBy,omitempty"`
}

// Diagnostic is the advice as a diagnostic whose summary starts with the
// id, e.g. "AR003: …", and whose detail points at the documentation.
func (a Advice) Diagnostic() diag.Diagnostic {
	return diag.Diagnostic{
		Severity: a.Severity, Summary: a.ID + ": " + a.Message,
		Detail: fmt.Sprintf("see docs/advice.md#%s; silence it with advice: {ignore: [%s]}", strings.ToLower(a.ID), a.ID),
		File:   a.File, Line: a.Line, Column: a.Column,
	}
}

// AdviceFor returns the advice about registration key, in plan order.
func (p *Plan) AdviceFor(key string) []Advice {
	var out []Advice
	for _, a := range p.Advice {
		if a.Key == key {
			out = append(out, a)
		}
	}
	return out
}
