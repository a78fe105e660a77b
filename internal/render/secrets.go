package render

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/rotate"
)

// secretRow is one declared client secret as people read it. Values never
// exist here: only key ids, dates and targets.
type secretRow struct {
	Name       string // registration/secret
	Action     string // "create on apply", "rotate (appreg rotate)", "keep"
	Reason     string
	KeyID      string
	ValidUntil string
	RotateOn   string
	Targets    string
	Notes      string
}

func secretRows(ds []rotate.Decision) []secretRow {
	rows := make([]secretRow, 0, len(ds))
	for _, d := range ds {
		r := secretRow{Name: d.Registration + "/" + d.Secret, Reason: d.Reason}
		switch d.Action {
		case rotate.Create:
			r.Action = "create on apply"
		case rotate.Rotate:
			r.Action = "rotate (appreg rotate)"
		default:
			r.Action = "keep"
		}
		if d.Current != nil {
			r.KeyID = d.Current.KeyID
			r.ValidUntil = d.Current.End.UTC().Format(time.DateOnly)
		}
		if !d.RotateOn.IsZero() {
			r.RotateOn = d.RotateOn.UTC().Format(time.DateOnly)
		}
		targets := make([]string, len(d.Targets))
		for i, t := range d.Targets {
			targets[i] = t.String()
		}
		r.Targets = strings.Join(targets, "; ")
		var notes []string
		if n := len(d.Remove); n > 0 {
			notes = append(notes, plural(n, "old credential", "old credentials")+" to remove")
		}
		if n := len(d.Pending); n > 0 {
			notes = append(notes, plural(n, "previous credential", "previous credentials")+" inside the overlap")
		}
		if d.Unmanaged > 0 {
			notes = append(notes, plural(d.Unmanaged, "credential", "credentials")+" not created by appreg (left alone)")
		}
		r.Notes = strings.Join(notes, "; ")
		rows = append(rows, r)
	}
	return rows
}

func writeSecretsText(w *bufio.Writer, c painter, ds []rotate.Decision) {
	if len(ds) == 0 {
		return
	}
	w.WriteString(c.paint(bold, "Client secrets:") + "\n")
	for _, r := range secretRows(ds) {
		style, mark := dim, "="
		switch r.Action {
		case "create on apply":
			style, mark = green, "+"
		case "rotate (appreg rotate)":
			style, mark = yellow, "~"
		}
		w.WriteString("  " + c.paint(style, mark+" "+terminal(r.Name)+": "+r.Action) + " " + c.paint(dim, "("+terminal(r.Reason)+")") + "\n")
		if r.KeyID != "" {
			w.WriteString("      current key " + terminal(r.KeyID) + ", valid until " + r.ValidUntil + "\n")
		}
		if r.Targets != "" {
			w.WriteString("      targets: " + terminal(r.Targets) + "\n")
		}
		if r.Notes != "" {
			w.WriteString("      " + c.paint(dim, terminal(r.Notes)) + "\n")
		}
	}
	w.WriteString("\n")
}

func secretsBlock(ds []rotate.Decision) []block {
	if len(ds) == 0 {
		return nil
	}
	head := exec("secrets-head", nil)
	b := block{head: head, reopen: head, tail: "\n"}
	for _, r := range secretRows(ds) {
		b.rows = append(b.rows, exec("secret-row", r))
	}
	return []block{b}
}

func writeSecretOutcomesText(w *bufio.Writer, c painter, outs []rotate.Outcome) {
	if len(outs) == 0 {
		return
	}
	w.WriteString(c.paint(bold, "Client secrets:") + "\n")
	for _, o := range outs {
		style, mark := green, "✓"
		if o.Error != "" {
			style, mark = red, "✗"
		}
		w.WriteString("  " + c.paint(style, mark+" "+terminal(o.Registration+"/"+o.Secret)+": "+string(o.Action)) + " " + c.paint(dim, "("+terminal(o.Reason)+")") + "\n")
		for _, line := range secretOutcomeLines(o) {
			w.WriteString("      " + terminal(line) + "\n")
		}
		if o.Error != "" {
			w.WriteString("      " + c.paint(red, "error: "+terminal(o.Error)) + "\n")
		}
	}
	w.WriteString("\n")
}

// secretOutcomeLines describes what a rotation did, one fact a line.
func secretOutcomeLines(o rotate.Outcome) []string {
	var lines []string
	if o.NewKeyID != "" {
		lines = append(lines, "created key "+o.NewKeyID+", valid until "+o.ValidUntil)
	}
	if o.Verified {
		lines = append(lines, "verified: obtained a token with it")
	}
	for _, t := range o.Delivered {
		lines = append(lines, "delivered to "+t)
	}
	for _, k := range o.Removed {
		lines = append(lines, "removed key "+k)
	}
	return append(lines, o.Notes...)
}

func secretOutcomesBlock(outs []rotate.Outcome) []block {
	if len(outs) == 0 {
		return nil
	}
	head := exec("secret-outcomes-head", nil)
	b := block{head: head, reopen: head, tail: "\n"}
	for _, o := range outs {
		b.rows = append(b.rows, exec("secret-outcome-row", map[string]any{"O": o, "Lines": secretOutcomeLines(o)}))
	}
	return []block{b}
}

// secretsToCreate counts the secrets an apply would create.
func secretsToCreate(p *plan.Plan) int { return len(p.SecretsToCreate()) }

// RotationText writes what `appreg rotate` decided (a dry run: no outcomes)
// or did, with a closing summary line.
func RotationText(w io.Writer, decisions []rotate.Decision, outcomes []rotate.Outcome, o Options) error {
	bw := bufio.NewWriter(w)
	c := painter(o.Color)
	if len(outcomes) == 0 {
		writeSecretsText(bw, c, decisions)
	} else {
		writeSecretOutcomesText(bw, c, outcomes)
	}
	bw.WriteString(c.paint(bold, rotationSummary(decisions, outcomes)) + "\n")
	return bw.Flush()
}

// RotationMarkdown renders a rotation as comment or step summary bodies.
func RotationMarkdown(decisions []rotate.Decision, outcomes []rotate.Outcome, o Options) []string {
	blocks := []block{{head: "**" + rotationSummary(decisions, outcomes) + "**\n\n"}}
	if len(outcomes) == 0 {
		blocks = append(blocks, secretsBlock(decisions)...)
	} else {
		blocks = append(blocks, secretOutcomesBlock(outcomes)...)
	}
	return document(blocks, o, "appreg rotate", "", commentBudget)
}

// rotationDocument is the JSON form of a rotation.
type rotationDocument struct {
	FormatVersion string            `json:"format_version"`
	Decisions     []rotate.Decision `json:"decisions"`
	Outcomes      []rotate.Outcome  `json:"outcomes"`
	Summary       string            `json:"summary"`
}

// RotationJSON writes a rotation as a versioned JSON document.
func RotationJSON(w io.Writer, decisions []rotate.Decision, outcomes []rotate.Outcome) error {
	return encode(w, rotationDocument{FormatVersion, orEmpty(decisions), orEmpty(outcomes), rotationSummary(decisions, outcomes)})
}

// rotationSummary is e.g. "Rotate: 1 rotated, 0 created, 2 kept; 1 old
// credential removed; 0 failed." or, for a dry run, "1 secret due for
// rotation, 0 to create, 2 kept."
func rotationSummary(decisions []rotate.Decision, outcomes []rotate.Outcome) string {
	if len(outcomes) == 0 {
		var due, create, keep int
		for _, d := range decisions {
			switch d.Action {
			case rotate.Rotate:
				due++
			case rotate.Create:
				create++
			default:
				keep++
			}
		}
		return plural(due, "secret", "secrets") + " due for rotation, " + itoa(create) + " to create, " + itoa(keep) + " kept."
	}
	var rotated, created, kept, removed, failed int
	for _, o := range outcomes {
		removed += len(o.Removed)
		switch {
		case o.Error != "":
			failed++
		case o.NewKeyID != "" && o.Action == rotate.Create:
			created++
		case o.NewKeyID != "":
			rotated++
		default:
			kept++
		}
	}
	return "Rotate: " + itoa(rotated) + " rotated, " + itoa(created) + " created, " + itoa(kept) + " kept; " +
		plural(removed, "old credential", "old credentials") + " removed; " + itoa(failed) + " failed."
}
