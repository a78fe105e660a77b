package workflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/appreg/appreg/internal/plan"
	"github.com/appreg/appreg/internal/render"
)

// DriftMarker marks appreg's drift issue: the one open issue appreg's own
// identity opened with this first line.
const DriftMarker = "<!-- appreg:drift -->"

// DriftTitle is the title of the drift issue.
const DriftTitle = "appreg: the tenant differs from the registration files"

// DriftIssues keeps the drift issue. FindIssue returns the open issue whose
// body starts with marker and that appreg's own identity opened (found is
// false when there is none); issues anyone else opened never count.
type DriftIssues interface {
	FindIssue(ctx context.Context, repo, marker string) (number int, body string, found bool, err error)
	CreateIssue(ctx context.Context, repo, title, body string) (int, error)
	EditIssue(ctx context.Context, repo string, number int, body string) error
	CreateComment(ctx context.Context, repo string, number int, body string) (int64, error)
	CloseIssue(ctx context.Context, repo string, number int) error
}

// DriftAction is what ReportDrift did to the drift issue.
type DriftAction string

const (
	DriftOpened    DriftAction = "opened"
	DriftUpdated   DriftAction = "updated"
	DriftUnchanged DriftAction = "unchanged"
	DriftClosed    DriftAction = "closed"
	DriftNone      DriftAction = "none" // no drift and no issue
)

// DriftReport is the outcome of ReportDrift.
type DriftReport struct {
	Action DriftAction
	// Issue is the drift issue's number, 0 when there is none.
	Issue int
}

// ReportDrift keeps one GitHub issue in repo in step with p, the plan of a
// scheduled run on the default branch: opened when the tenant differs from
// the files (p has changes or refusals), its body replaced when the drift
// changed, left alone when it did not, and closed with a comment when the
// drift is gone. commit names the files' commit in the closing comment.
func ReportDrift(ctx context.Context, is DriftIssues, repo, commit string, p *plan.Plan) (DriftReport, error) {
	number, body, found, err := is.FindIssue(ctx, repo, DriftMarker)
	if err != nil {
		return DriftReport{}, fmt.Errorf("finding the drift issue: %w", err)
	}
	drifted := len(p.Changes) > 0 || len(p.Refused) > 0
	switch {
	case !drifted && !found:
		return DriftReport{Action: DriftNone}, nil
	case !drifted:
		msg := "The tenant matches the registration files again"
		if commit != "" {
			msg += " (as of " + commit + ")"
		}
		if _, err := is.CreateComment(ctx, repo, number, msg+": closing."); err != nil {
			return DriftReport{}, fmt.Errorf("commenting on the drift issue: %w", err)
		}
		if err := is.CloseIssue(ctx, repo, number); err != nil {
			return DriftReport{}, fmt.Errorf("closing the drift issue: %w", err)
		}
		return DriftReport{Action: DriftClosed, Issue: number}, nil
	}
	want := DriftMarker + "\n" + render.DriftMarkdown(p, render.Options{Repo: repo})
	switch {
	case !found:
		n, err := is.CreateIssue(ctx, repo, DriftTitle, want)
		if err != nil {
			return DriftReport{}, fmt.Errorf("opening the drift issue: %w", err)
		}
		return DriftReport{Action: DriftOpened, Issue: n}, nil
	case normalizeNewlines(body) == want:
		return DriftReport{Action: DriftUnchanged, Issue: number}, nil
	}
	if err := is.EditIssue(ctx, repo, number, want); err != nil {
		return DriftReport{}, fmt.Errorf("updating the drift issue: %w", err)
	}
	return DriftReport{Action: DriftUpdated, Issue: number}, nil
}

// normalizeNewlines undoes the CRLF GitHub may store for bodies edited in
// its web editor.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// reportDrift keeps the drift issue of a scheduled plan and says what it
// did in the log and the outputs (drift-issue: its number).
func (r *run) reportDrift(ctx context.Context, p *plan.Plan) error {
	if r.d.Issues == nil {
		r.warn("The drift issue is not kept: the run has no GitHub client for issues.")
		return nil
	}
	rep, err := ReportDrift(ctx, r.d.Issues, r.ev.Repo, r.ev.SHA, p)
	if err != nil {
		return fmt.Errorf("keeping the drift issue (the token needs issues: write): %w", err)
	}
	switch rep.Action {
	case DriftNone:
		r.info("Drift: none; no drift issue is open.")
	case DriftClosed:
		r.info("Drift: gone; closed issue #%d.", rep.Issue)
	default:
		r.info("Drift: %s issue #%d.", rep.Action, rep.Issue)
	}
	if rep.Issue != 0 {
		r.output("drift-issue", strconv.Itoa(rep.Issue))
	}
	return nil
}
