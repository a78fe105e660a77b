package cli

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// TestServeRefusesHugeRegistrationFiles: a pull request whose registration
// files are 50 MB each (a tarball of a few kilobytes) gets a plan comment
// naming the files that are too big; they are never parsed.
func TestServeRefusesHugeRegistrationFiles(t *testing.T) {
	t.Parallel()
	s := newServeEnv(t, "", true)
	files := repoTree(t)
	pad := bytes.Repeat([]byte("#"), 50<<20)
	for _, name := range []string{"registrations/huge-one.yaml", "registrations/huge-two.yaml"} {
		files[name] = append([]byte("apiVersion: appreg/v1\nname: huge\ndisplayName: Huge\n"), pad...)
	}
	s.github.SetTree(serveRepo, serveHead, files)
	// Invalid files are reported on the pull request, not retried: the job
	// is done (in sync mode, 202).
	if code := s.deliver("pull_request.opened.json", "pull_request", "d-huge"); code != http.StatusAccepted {
		t.Fatalf("answered %d\n%s", code, s.logs)
	}
	comments := s.github.Comments(serveRepo, 2)
	if len(comments) != 1 {
		t.Fatalf("comments: %d", len(comments))
	}
	for _, want := range []string{"huge-one.yaml is 50.0 MiB, more than the 1 MiB a file may have", "huge-two.yaml is 50.0 MiB"} {
		if !strings.Contains(comments[0].Body, want) {
			t.Errorf("the comment does not say %q:\n%s", want, comments[0].Body)
		}
	}
}
