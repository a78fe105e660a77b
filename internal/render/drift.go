package render

import "github.com/appreg/appreg/internal/plan"

// DriftMarkdown renders what a scheduled plan found as the body of appreg's
// drift issue: the registrations whose tenant state differs from the files,
// field by field, and what appreg refuses to touch. Only the changes and
// refusals are shown (not secrets nor advice, which move with the clock),
// so that the same drift renders the same body and the issue is not edited
// for nothing. It fits one issue body; a longer plan is cut with a note.
func DriftMarkdown(p *plan.Plan, o Options) string {
	drift := &plan.Plan{Changes: p.Changes, Refused: p.Refused, Fingerprint: p.Fingerprint}
	intro := "The tenant differs from the registration files on the default branch: someone changed these applications outside appreg, " +
		"or a change was never applied. Applying the files reverts the tenant to them; to keep a change, write it into the file.\n\n"
	parts := document(append([]block{{head: intro}}, planBlocks(drift)...), o, "appreg drift", exec("plan-footer", p.Fingerprint), commentBudget)
	if len(parts) == 1 {
		return parts[0]
	}
	return parts[0] + "\n_The drift is too large for one issue: " + plural(len(parts)-1, "part is", "parts are") +
		" left out. `appreg plan` shows all of it._\n"
}
