package action

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appreg/appreg/internal/diag"
	"github.com/appreg/appreg/internal/workflow"
	"github.com/appreg/appreg/internal/workflow/workflowtest"
)

// heads is where the default branch of contoso/apps is: at the pushed
// commit of pushPayload.
var heads = map[string]string{"contoso/apps main": "pushedsha"}

// testRepo writes a minimal valid configuration into a temporary directory
// and makes it the working directory.
func testRepo(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "appreg.yaml", "apiVersion: appreg/v1\ntenantId: 8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e\nnamePrefix: contoso-\nregistrations: registrations\n")
	write(t, "registrations/reports.yaml", "apiVersion: appreg/v1\nname: reports\ndisplayName: Reports\n")
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// payload writes an event payload and returns its path.
func payload(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "event.json")
	write(t, path, string(data))
	return path
}

func pullPayload(action string, fork, merged bool) map[string]any {
	head := "contoso/apps"
	if fork {
		head = "someone/apps"
	}
	return map[string]any{
		"action": action,
		"pull_request": map[string]any{
			"number": 7, "merged": merged,
			"head": map[string]any{"sha": "headsha", "ref": "feature", "repo": map[string]any{"full_name": head}},
			"base": map[string]any{"ref": "main", "repo": map[string]any{"full_name": "contoso/apps"}},
		},
		"repository": map[string]any{"full_name": "contoso/apps", "default_branch": "main"},
	}
}

func pushPayload(ref string, deleted bool) map[string]any {
	return map[string]any{
		"ref": ref, "after": "pushedsha", "deleted": deleted,
		"repository": map[string]any{"full_name": "contoso/apps", "default_branch": "main"},
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

// runAction parses env and runs with fakes; graphErr is what building the
// Graph client returns. It reports whether Graph was asked for.
func runAction(t *testing.T, e env, gh *workflowtest.GitHub, graphErr error) (stdout string, graphCalled bool, err error) {
	t.Helper()
	if e["GITHUB_REPOSITORY"] == "" {
		e["GITHUB_REPOSITORY"] = "contoso/apps"
	}
	o, err := Parse(e.get)
	if err != nil {
		return "", false, err
	}
	var out strings.Builder
	err = Run(t.Context(), o, Deps{Deps: workflow.Deps{
		Graph: func(context.Context) (workflow.Graph, error) {
			graphCalled = true
			return nil, graphErr
		},
		Comments: gh, Statuses: gh, PullRequests: gh, Branches: gh}, Stdout: &out,
	})
	return out.String(), graphCalled, err
}

func TestRouteNothingToDo(t *testing.T) {
	tests := []struct {
		name  string
		event string
		body  map[string]any
		want  string
	}{
		{"closed unmerged", "pull_request", pullPayload("closed", false, false), "closed without merging"},
		{"closed merged", "pull_request", pullPayload("closed", false, true), "was merged: the push to main applies it"},
		{"labeled", "pull_request", pullPayload("labeled", false, false), `Nothing to do for pull_request "labeled"`},
		{"push to another branch", "push", pushPayload("refs/heads/feature", false), "not to the default branch main"},
		{"tag push", "push", pushPayload("refs/tags/v1", false), "not to the default branch main"},
		{"branch deleted", "push", pushPayload("refs/heads/main", true), "was deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testRepo(t)
			gh := &workflowtest.GitHub{}
			out, graphCalled, err := runAction(t, env{"GITHUB_EVENT_NAME": tt.event, "GITHUB_EVENT_PATH": payload(t, tt.body)}, gh, errors.New("unused"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output %q does not say %q", out, tt.want)
			}
			if graphCalled || len(gh.Sticky)+len(gh.Created)+len(gh.Statuses) > 0 {
				t.Errorf("a run with nothing to do touched Graph (%v) or GitHub (%+v)", graphCalled, gh)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want string
	}{
		{"unknown command", env{"INPUT_COMMAND": "destroy"}, `input command is "destroy"`},
		{"no payload", env{"GITHUB_EVENT_NAME": "push"}, "GITHUB_EVENT_PATH is not set"},
		{"unreadable payload", env{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "reading the event payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.env.get)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestForkNeverBuildsGraph(t *testing.T) {
	testRepo(t)
	gh := &workflowtest.GitHub{}
	_, graphCalled, err := runAction(t, env{
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("opened", true, false)),
		"INPUT_CLIENT-SECRET": "s3cret-value",
	}, gh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if graphCalled {
		t.Error("a fork pull request built the Graph client")
	}
	if len(gh.Sticky) != 1 || !strings.Contains(gh.Sticky[0], "Not planned: this pull request comes from a fork") {
		t.Errorf("sticky comments = %q, want one fork notice", gh.Sticky)
	}
	if len(gh.Statuses) != 0 {
		t.Errorf("statuses = %+v, want none on a fork pull request", gh.Statuses)
	}
}

func TestForkCommentFailureIsAWarning(t *testing.T) {
	testRepo(t)
	gh := &workflowtest.GitHub{StickyErr: errors.New("403 Resource not accessible by integration")}
	out, _, err := runAction(t, env{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("opened", true, false))}, gh, nil)
	if err != nil {
		t.Fatalf("a read-only token on a fork pull request failed the step: %v", err)
	}
	if !strings.Contains(out, "::warning title=appreg::Could not comment") {
		t.Errorf("no warning in %q", out)
	}
}

func TestPlanGraphFailureIsReported(t *testing.T) {
	testRepo(t)
	gh := &workflowtest.GitHub{}
	secret := "s3cret-value"
	_, _, err := runAction(t, env{
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("synchronize", false, false)),
		"INPUT_CLIENT-SECRET": secret,
	}, gh, errors.New("token endpoint said no to "+secret))
	if err == nil || !strings.Contains(err.Error(), "planning: connecting to Microsoft Graph: token endpoint said no") {
		t.Fatalf("err = %v, want the Graph failure", err)
	}
	if len(gh.Sticky) != 1 || !strings.Contains(gh.Sticky[0], "The plan failed") {
		t.Fatalf("sticky = %q, want the failure", gh.Sticky)
	}
	if strings.Contains(gh.Sticky[0], secret) {
		t.Errorf("the comment shows the client secret: %q", gh.Sticky[0])
	}
	got := []string{}
	for _, s := range gh.Statuses {
		got = append(got, s.State+" "+s.Context)
	}
	if diff := cmp.Diff([]string{"pending appreg/plan", "error appreg/plan", "error appreg/approval"}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestInvalidFilesOnPullRequest(t *testing.T) {
	testRepo(t)
	write(t, "registrations/bad.yaml", "apiVersion: appreg/v1\nname: bad\ndisplayName: Bad\nweb: {redirectUris: [http://example.com/cb]}\n")
	gh := &workflowtest.GitHub{}
	out, graphCalled, err := runAction(t, env{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("opened", false, false))}, gh, nil)
	if err == nil || !strings.Contains(err.Error(), "the registration files have 1 error") {
		t.Fatalf("err = %v", err)
	}
	if graphCalled {
		t.Error("invalid files were planned against the tenant")
	}
	if !strings.Contains(out, "::error file=registrations/bad.yaml,line=4,") {
		t.Errorf("no annotation in %q", out)
	}
	// The comment and statuses are the workflow's (its tests check them);
	// the shell adds the annotations.
	if len(gh.Sticky) != 1 || len(gh.Statuses) != 3 {
		t.Errorf("sticky = %q, statuses = %+v", gh.Sticky, gh.Statuses)
	}
}

func TestApplyLookupFailureStillApplies(t *testing.T) {
	testRepo(t)
	gh := &workflowtest.GitHub{Heads: heads, LookupErr: errors.New("500 from GitHub")}
	out, graphCalled, err := runAction(t, env{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": payload(t, pushPayload("refs/heads/main", false))}, gh, errors.New("graph down"))
	if !graphCalled {
		t.Error("the apply did not go on when the pull request lookup failed")
	}
	if err == nil || !strings.Contains(err.Error(), "applying: connecting to Microsoft Graph: graph down") {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(out, "::warning title=appreg::Could not find the pull request merged as pusheds,") {
		t.Errorf("no warning in %q", out)
	}
}

func TestApplyFailureCommentsOnMergedPullRequest(t *testing.T) {
	testRepo(t)
	gh := &workflowtest.GitHub{Heads: heads, Merged: map[string]int{"pushedsha": 12}}
	_, _, err := runAction(t, env{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": payload(t, pushPayload("refs/heads/main", false))}, gh, errors.New("graph down"))
	if err == nil {
		t.Fatal("no error")
	}
	if len(gh.Created) != 1 || !strings.HasPrefix(gh.Created[0], "contoso/apps#12 <!-- appreg:apply -->\n") || !strings.Contains(gh.Created[0], "graph down") {
		t.Errorf("created = %q, want the failure on #12", gh.Created)
	}
}

func TestFileCommandsWithoutRunnerFiles(t *testing.T) {
	testRepo(t)
	// GITHUB_OUTPUT points into a directory that does not exist: the
	// panic go-githubactions raises becomes a warning.
	out, _, err := runAction(t, env{"INPUT_COMMAND": "validate", "GITHUB_STEP_SUMMARY": "/nonexistent/dir/summary"}, &workflowtest.GitHub{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "::warning title=appreg::Could not write the step summary") {
		t.Errorf("no warning in %q", out)
	}
}

func TestAnnotation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    diag.Diagnostic
		want string
	}{
		{diag.Diagnostic{Summary: "boom"}, "::error title=appreg::boom"},
		{diag.Diagnostic{Severity: diag.Warning, Summary: "50% done\nnext", File: "a,b:c.yaml", Line: 3, Column: 5, Detail: "fix it"},
			"::warning file=a%2Cb%3Ac.yaml,line=3,col=5,title=appreg::50%25 done%0Anext (fix it)"},
	}
	for _, tt := range tests {
		if got := Annotation(tt.d); got != tt.want {
			t.Errorf("Annotation(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestWorkspaceRootsTheRun runs the Action in a workspace that is not the
// working directory (as appreg serve does): the files are read there,
// annotations name them relative to it, and the JSON lands in it.
func TestWorkspaceRootsTheRun(t *testing.T) {
	testRepo(t)
	ws, _ := os.Getwd()
	t.Chdir(t.TempDir()) // somewhere with no appreg.yaml
	write(t, filepath.Join(ws, "registrations/bad.yaml"), "apiVersion: appreg/v1\nname: bad\ndisplayName: Bad\nweb: {redirectUris: [http://example.com/cb]}\n")
	gh := &workflowtest.GitHub{}
	e := env{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": payload(t, pullPayload("opened", false, false)), "GITHUB_WORKSPACE": ws}
	out, _, err := runAction(t, e, gh, nil)
	if err == nil || !strings.Contains(err.Error(), "the registration files have 1 error") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out, "::error file=registrations/bad.yaml,line=4,") {
		t.Errorf("no workspace-relative annotation in %q", out)
	}

	os.Remove(filepath.Join(ws, "registrations/bad.yaml"))
	e["INPUT_COMMAND"] = workflow.CommandValidate
	if _, _, err := runAction(t, e, gh, nil); err != nil {
		t.Fatalf("validate in the workspace: %v", err)
	}
	p := &printer{o: &Options{Workspace: ws, getenv: func(string) string { return "" }}}
	if err := p.writeJSON(".appreg/x.json", "x", func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, ".appreg/x.json")); err != nil {
		t.Errorf("the JSON is not in the workspace: %v", err)
	}
}

func TestTeamsToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  env
		want string
	}{
		{env{"INPUT_GITHUB-TOKEN": "gh"}, "gh"},
		{env{"INPUT_GITHUB-TOKEN": "gh", "INPUT_SECRETS-TOKEN": "sec"}, "sec"},
		{env{"INPUT_GITHUB-TOKEN": "gh", "INPUT_SECRETS-TOKEN": "sec", "INPUT_MEMBERS-TOKEN": "mem"}, "mem"},
	}
	for _, tt := range tests {
		o, err := Parse(tt.env.get)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.TeamsToken(); got != tt.want {
			t.Errorf("TeamsToken with %v = %q, want %q", tt.env, got, tt.want)
		}
		if !slices.Contains(o.secrets(), tt.want) {
			t.Errorf("the teams token %q is not redacted", tt.want)
		}
	}
}
