package workflow

import (
	"github.com/appreg/appreg/internal/advice"
	"github.com/appreg/appreg/internal/appreg"
	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/plan"
)

// attachAdvice puts the advice about the desired registrations, judged
// against the tenant, into the plan. Advice appreg.yaml raises to an error
// (advice.errors) is also a diagnostic error of the plan, so that nothing is
// applied until it is fixed or silenced.
func attachAdvice(p *plan.Plan, s appreg.Settings, desired, observed *appreg.Set) {
	p.Advice = advice.Check(advice.Input{Settings: s, Desired: desired, Observed: observed})
	for _, a := range p.Advice {
		if a.Severity == diag.Error && !a.Silenced {
			p.Diagnostics = append(p.Diagnostics, a.Diagnostic())
		}
	}
	p.Diagnostics.Sort()
}

// adviceWarnings are the plan's advice that is neither silenced nor an
// error (errors are among the plan's diagnostics already), for annotations.
func adviceWarnings(p *plan.Plan) diag.Diagnostics {
	var out diag.Diagnostics
	for _, a := range p.Advice {
		if !a.Silenced && a.Severity != diag.Error {
			out = append(out, a.Diagnostic())
		}
	}
	return out
}
