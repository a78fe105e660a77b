package render

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/appreg/appreg/internal/diag"
)

// The messages of a run that did not get as far as a plan or a result
// (invalid files, a failure, a fork) and the Approval section of a plan
// comment. Their words are here, with every other piece of markdown.

// MessageTitle is the heading of a run's message: "### appreg plan ·
// owner/repo@abc1234".
func MessageTitle(name, repo, sha string) string {
	ctx := repo
	if sha != "" {
		if ctx != "" {
			ctx += "@"
		}
		ctx += short(sha, 7)
	}
	return exec("message-title", map[string]string{"Name": name, "Context": ctx})
}

// maxListed is how many diagnostics a message lists; the annotations have
// all of them.
const maxListed = 200

// diagLines renders diagnostics one per line, at most maxListed.
func diagLines(diags diag.Diagnostics) string {
	var lines []string
	for i, d := range diags {
		if i == maxListed {
			lines = append(lines, "… and "+plural(len(diags)-maxListed, "more", "more"))
			break
		}
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// InvalidMarkdown reports registration files with errors; consequence says
// what the run did not do.
func InvalidMarkdown(title string, diags diag.Diagnostics, consequence string) string {
	return exec("invalid", map[string]any{
		"Title": title, "Count": plural(ErrorCount(diags), "error", "errors"), "Consequence": consequence, "Lines": diagLines(diags),
	})
}

// FailureMarkdown reports an error that stopped a run; plan says whether a
// push retries it.
func FailureMarkdown(title, headline, err, runURL string, plan bool) string {
	return exec("failure", map[string]any{
		"Title": title, "Headline": headline, "Error": err, "RunURL": runURL, "Plan": plan,
	})
}

// ParkedMarkdown tells a pull request that appreg serve gave up on one of
// its events (a delivery) after attempts runs failed; err is the last
// error, redacted.
func ParkedMarkdown(title, event, delivery string, attempts int, err string) string {
	return exec("parked", map[string]any{
		"Title": title, "Event": event, "Delivery": code(delivery), "Attempts": plural(attempts, "attempt", "attempts"), "Error": err,
	})
}

// ForkMarkdown answers a pull request from a fork, which is not planned;
// diags are its files' problems, valid the number of registrations.
func ForkMarkdown(title string, diags diag.Diagnostics, valid int) string {
	data := map[string]any{"Title": title, "Valid": plural(valid, "registration is", "registrations are")}
	if diags.HasErrors() {
		data["Count"] = plural(ErrorCount(diags), "error", "errors")
		data["Lines"] = diagLines(diags)
	}
	return exec("fork", data)
}

// ErrorCount counts the errors among diags.
func ErrorCount(diags diag.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == diag.Error {
			n++
		}
	}
	return n
}

// Approval is what the Approval section of a plan comment shows.
type Approval struct {
	// Groups is empty when nothing needs approval.
	Groups []ApprovalGroup
	// Head is the short head commit reviews must approve.
	Head string
	// Unreadable lists the teams whose membership could not be read.
	Unreadable []string
	// Error says why approval was not evaluated.
	Error string
}

// ApprovalGroup is one reviewer group's row: who must approve, which
// changes (registrations and categories), who approved, where it stands.
type ApprovalGroup struct {
	Group      string
	Teams      []string
	Users      []string
	Required   int
	Keys       []string
	Categories []string
	Approvers  []string
	Stale      []string
	BlockedBy  []string
	Missing    int
}

// maxListedKeys is how many registrations an approval row names.
const maxListedKeys = 10

// ApprovalMarkdown renders the Approval section of a plan comment.
func ApprovalMarkdown(a Approval) string {
	type row struct{ Group, Members, Changes, Approvers, Standing, Stale string }
	var rows []row
	for _, g := range a.Groups {
		who := append(append([]string{}, g.Teams...), g.Users...)
		keys, more := g.Keys, ""
		if len(keys) > maxListedKeys {
			more = fmt.Sprintf(" and %d more", len(keys)-maxListedKeys)
			keys = keys[:maxListedKeys]
		}
		r := row{
			Group:     g.Group,
			Members:   fmt.Sprintf("%d of %s", g.Required, strings.Join(who, ", ")),
			Changes:   strings.Join(keys, ", ") + more + " (" + strings.Join(g.Categories, ", ") + ")",
			Approvers: strings.Join(g.Approvers, ", "),
			Stale:     strings.Join(g.Stale, ", "),
		}
		switch {
		case len(g.BlockedBy) > 0:
			r.Standing = "❌ changes requested by " + strings.Join(g.BlockedBy, ", ")
		case g.Missing > 0:
			r.Standing = "⏳ needs " + plural(g.Missing, "more approval", "more approvals")
		default:
			r.Standing = "✅ approved"
		}
		rows = append(rows, r)
	}
	data := map[string]any{"Groups": rows, "Head": a.Head, "Unreadable": a.Unreadable, "Error": a.Error}
	return strings.TrimRight(exec("approval", data), "\n") + "\n"
}

// WithSection appends section to the last part of a comment, or as a part
// of its own when the last part has no room left.
func WithSection(parts []string, section string) []string {
	if len(parts) == 0 {
		return []string{section}
	}
	last := parts[len(parts)-1] + "\n" + section
	// The marker and "part i/n" the comment adds take well under 100.
	if utf8.RuneCountInString(last) > MaxCommentSize-100 {
		return append(parts, section)
	}
	out := append([]string{}, parts[:len(parts)-1]...)
	return append(out, last)
}

// WithHidden adds hidden lines (HTML comments, one a line) to a comment's
// parts: to the last part while it has room, then in parts of their own.
func WithHidden(parts []string, lines []string) []string {
	out := append([]string{}, parts...)
	if len(out) == 0 {
		out = []string{""}
	}
	for _, l := range lines {
		last := out[len(out)-1]
		if utf8.RuneCountInString(last)+len(l)+1 > MaxCommentSize-100 {
			out = append(out, "<sub>approval record of the plan above</sub>\n")
			last = out[len(out)-1]
		}
		if !strings.HasSuffix(last, "\n") {
			last += "\n"
		}
		out[len(out)-1] = last + l + "\n"
	}
	return out
}

// FingerprintLine is the hidden line a plan comment carries so that the
// apply after the merge can tell whether it applies the plan reviewers saw.
func FingerprintLine(fp string) string {
	if fp == "" {
		return ""
	}
	return "\n<!-- appreg:fingerprint " + fp + " -->\n"
}

// maxSummary is what one step's summary may hold: the runner refuses more
// than 1 MiB.
const maxSummary = 1<<20 - 1024

// JoinForSummary joins markdown parts for a step summary, leaving out the
// parts that do not fit and saying so.
func JoinForSummary(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if b.Len()+len(p)+1 > maxSummary-200 {
			fmt.Fprintf(&b, "\n_%s left out: a job summary holds at most 1 MiB. The pull request comments and the JSON result have all of it._\n",
				plural(len(parts)-i, "part is", "parts are"))
			break
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p)
	}
	return b.String()
}
