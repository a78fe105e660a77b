package gh_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/google/go-cmp/cmp"
)

const (
	repo   = "contoso/payments"
	marker = "<!-- appreg:plan -->"
	token  = "ghp_test"
)

// setup starts a fake GitHub with repo and returns a client for it.
func setup(t *testing.T, opts ...ghtest.Option) (*gh.Client, *ghtest.Server) {
	t.Helper()
	srv := ghtest.New(opts...)
	t.Cleanup(srv.Close)
	srv.AddToken(token)
	srv.AddRepo(repo)
	c, err := gh.New(gh.Options{BaseURL: srv.URL(), Token: token, MaxRetryWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.SetSelf("github-actions[bot]") // the token of a workflow
	return c, srv
}

// TestStickyCommentIsAppregsOwn: a comment by someone else carrying the
// marker is neither edited nor taken for the sticky comment.
func TestStickyCommentIsAppregsOwn(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	forged := srv.AddComment(repo, 12, "mallory", marker+"\n<!-- appreg:fingerprint forged -->")
	if _, err := c.UpsertStickyComment(t.Context(), repo, 12, marker, []string{"plan"}); err != nil {
		t.Fatal(err)
	}
	got := srv.Comments(repo, 12)
	if len(got) != 2 || got[0].ID != forged || !strings.Contains(got[0].Body, "forged") || got[1].User != "github-actions[bot]" {
		t.Errorf("comments = %+v, want mallory's untouched and appreg's own", got)
	}
}

// TestSelf: an installation acts as its app's bot, a user token as its
// user; a workflow's token may not ask.
func TestSelf(t *testing.T) {
	t.Parallel()
	srv := ghtest.New()
	t.Cleanup(srv.Close)
	srv.AddUserToken("ghp_user", "octocat")
	srv.AddToken("ghs_workflow")
	pem := srv.AddAppKey(42)
	for _, tt := range []struct {
		token, want string
	}{{"ghp_user", "octocat"}, {"ghs_workflow", "403"}} {
		c, err := gh.New(gh.Options{BaseURL: srv.URL(), Token: tt.token})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Self(t.Context())
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("Self with %s = %q, want %q", tt.token, got, tt.want)
		}
	}
	c, err := gh.New(gh.Options{BaseURL: srv.URL(), Token: "ghs_workflow"})
	if err != nil {
		t.Fatal(err)
	}
	c.ActsAsIntegration("github-actions[bot]")
	if got, err := c.Self(t.Context()); err != nil || got != "github-actions[bot]" {
		t.Errorf("Self of a workflow's token = %q, %v", got, err)
	}
	c, err = gh.NewInstallation(gh.Options{BaseURL: srv.URL()}, 42, 7, pem)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Self(t.Context()); err != nil || got != "app-42[bot]" {
		t.Errorf("Self of an installation = %q, %v", got, err)
	}
}

// marked returns the comments on repo#number carrying marker.
func marked(srv *ghtest.Server, number int) []ghtest.Comment {
	var out []ghtest.Comment
	for _, c := range srv.Comments(repo, number) {
		if strings.HasPrefix(c.Body, "<!-- appreg:plan") {
			out = append(out, c)
		}
	}
	return out
}

func bodies(cs []ghtest.Comment) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Body)
	}
	return out
}

func count(srv *ghtest.Server, method string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

func TestUpsertStickyComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// seed prepares comments before the upserts.
		seed func(srv *ghtest.Server)
		// runs are the successive parts passed to UpsertStickyComment.
		runs [][]string
		// want are the marked comments' bodies after the last run.
		want []string
		// wantPatches and wantDeletes count the edits and deletions made.
		wantPatches, wantDeletes int
	}{
		{
			name:        "created once then edited in place",
			runs:        [][]string{{"plan 1"}, {"plan 2"}, {"plan 3"}},
			want:        []string{marker + "\nplan 3"},
			wantPatches: 2,
		},
		{
			name: "unchanged body is not edited",
			runs: [][]string{{"same"}, {"same"}},
			want: []string{marker + "\nsame"},
		},
		{
			name: "split into parts and shrunk back",
			runs: [][]string{{"a"}, {"a", "b", "c"}, {"x"}},
			want: []string{marker + "\nx"},
			// run 2 edits part 1 and creates parts 2 and 3; run 3 edits
			// part 1 and deletes parts 2 and 3.
			wantPatches: 2, wantDeletes: 2,
		},
		{
			name: "grown parts are numbered",
			runs: [][]string{{"a"}, {"a", "b"}},
			want: []string{
				"<!-- appreg:plan part 1/2 -->\na",
				"<!-- appreg:plan part 2/2 -->\nb",
			},
			wantPatches: 1,
		},
		{
			name: "marker found past the first 100 comments",
			seed: func(srv *ghtest.Server) {
				for i := range 130 {
					srv.AddComment(repo, 12, "alice", fmt.Sprintf("comment %d", i))
				}
				srv.AddComment(repo, 12, "github-actions[bot]", marker+"\nold plan")
				for i := range 20 {
					srv.AddComment(repo, 12, "bob", fmt.Sprintf("later %d", i))
				}
			},
			runs:        [][]string{{"new plan"}},
			want:        []string{marker + "\nnew plan"},
			wantPatches: 1,
		},
		{
			name: "a quotation of the marker is not the sticky comment",
			seed: func(srv *ghtest.Server) {
				srv.AddComment(repo, 12, "alice", "> "+marker+"\n> old plan\n\nwhy?")
			},
			runs: [][]string{{"plan"}},
			want: []string{marker + "\nplan"},
		},
		{
			name: "duplicate parts left by a race are deleted",
			seed: func(srv *ghtest.Server) {
				srv.AddComment(repo, 12, "github-actions[bot]", marker+"\none")
				srv.AddComment(repo, 12, "github-actions[bot]", marker+"\ntwo")
			},
			runs:        [][]string{{"plan"}},
			want:        []string{marker + "\nplan"},
			wantPatches: 1, wantDeletes: 1,
		},
		{
			name: "no parts deletes the sticky comment",
			runs: [][]string{{"a", "b"}, nil},
			want: nil, wantDeletes: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			if tt.seed != nil {
				tt.seed(srv)
			}
			var firstID int64
			for i, parts := range tt.runs {
				ids, err := c.UpsertStickyComment(t.Context(), repo, 12, marker, parts)
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				if len(ids) != len(parts) {
					t.Fatalf("run %d: got %d ids for %d parts", i+1, len(ids), len(parts))
				}
				if len(ids) > 0 {
					if firstID == 0 {
						firstID = ids[0]
					} else if ids[0] != firstID {
						t.Errorf("run %d: part 1 moved from comment %d to %d", i+1, firstID, ids[0])
					}
				}
				got := marked(srv, 12)
				for j, id := range ids {
					if got[j].ID != id {
						t.Errorf("run %d: part %d is comment %d, want %d", i+1, j+1, got[j].ID, id)
					}
				}
				if len(got) != len(parts) {
					t.Errorf("run %d: %d marked comments for %d parts", i+1, len(got), len(parts))
				}
			}
			if diff := cmp.Diff(tt.want, bodies(marked(srv, 12))); diff != "" {
				t.Errorf("marked comments (-want +got):\n%s", diff)
			}
			if got := count(srv, http.MethodPatch); got != tt.wantPatches {
				t.Errorf("%d edits, want %d", got, tt.wantPatches)
			}
			if got := count(srv, http.MethodDelete); got != tt.wantDeletes {
				t.Errorf("%d deletions, want %d", got, tt.wantDeletes)
			}
		})
	}
}

func TestUpsertStickyCommentPaging(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	for i := range 250 {
		srv.AddComment(repo, 3, "alice", fmt.Sprintf("comment %d", i))
	}
	if _, err := c.UpsertStickyComment(t.Context(), repo, 3, marker, []string{"plan"}); err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet {
			pages = append(pages, r.Path)
		}
	}
	want := []string{
		"/repos/contoso/payments/issues/3/comments?per_page=100",
		"/repos/contoso/payments/issues/3/comments?page=2&per_page=100",
		"/repos/contoso/payments/issues/3/comments?page=3&per_page=100",
	}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("list requests (-want +got):\n%s", diff)
	}
}

func TestUpsertStickyCommentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		marker string
		parts  []string
		want   string
	}{
		{"marker not an html comment", "appreg:plan", []string{"x"}, `marker "appreg:plan" is not an html comment`},
		{"part too long with its marker", marker, []string{"ok", strings.Repeat("x", gh.MaxCommentLength)},
			"part 2 of 2 is 65566 characters with its marker, over github's limit of 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			_, err := c.UpsertStickyComment(t.Context(), repo, 12, tt.marker, tt.parts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests sent, want none before validation passes", n)
			}
		})
	}
}

func TestStickyOverheadFitsLimit(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	part := strings.Repeat("é", gh.MaxCommentLength-gh.StickyOverhead(marker))
	parts := make([]string, 12)
	for i := range parts {
		parts[i] = part
	}
	if _, err := c.UpsertStickyComment(t.Context(), repo, 12, marker, parts); err != nil {
		t.Fatal(err)
	}
	if n := len(marked(srv, 12)); n != 12 {
		t.Errorf("%d comments, want 12", n)
	}
}

func TestCreateCommentTooLong(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	_, err := c.CreateComment(t.Context(), repo, 12, strings.Repeat("x", gh.MaxCommentLength+1))
	want := "creating comment on contoso/payments#12: github answered 422 Unprocessable Entity: " +
		"Validation Failed: Body is too long (maximum is 65536 characters)"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got error\n%v\nwant it to start with\n%s", err, want)
	}
	if got := gh.StatusCode(err); got != http.StatusUnprocessableEntity {
		t.Errorf("StatusCode = %d, want 422", got)
	}
	var ae *gh.APIError
	if !errors.As(err, &ae) || ae.RequestID == "" {
		t.Errorf("want an *APIError with a request id, got %#v", err)
	}
	if n := len(srv.Comments(repo, 12)); n != 0 {
		t.Errorf("%d comments stored, want 0", n)
	}

	id, err := c.CreateComment(t.Context(), repo, 12, strings.Repeat("x", gh.MaxCommentLength))
	if err != nil {
		t.Fatalf("a body of exactly the limit: %v", err)
	}
	if got := srv.Comments(repo, 12); len(got) != 1 || got[0].ID != id {
		t.Errorf("comments = %v, want one with id %d", got, id)
	}
}

func TestCommentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(c *gh.Client, srv *ghtest.Server) error
		want string
	}{
		{"unknown repository", func(c *gh.Client, _ *ghtest.Server) error {
			_, err := c.CreateComment(t.Context(), "contoso/nope", 1, "hi")
			return err
		}, "creating comment on contoso/nope#1: github answered 404 Not Found: Not Found"},
		{"malformed repository", func(c *gh.Client, _ *ghtest.Server) error {
			_, err := c.CreateComment(t.Context(), "contoso", 1, "hi")
			return err
		}, `creating comment on contoso#1: repository "contoso" is not of the form owner/name`},
		{"injected server error", func(c *gh.Client, srv *ghtest.Server) error {
			srv.FailNext(http.MethodPatch, "/issues/comments/", http.StatusBadGateway)
			id, err := c.CreateComment(t.Context(), repo, 1, "hi")
			if err != nil {
				return err
			}
			return c.EditComment(t.Context(), repo, id, "there")
		}, "editing comment 1002 in contoso/payments: github answered 502 Bad Gateway: Bad Gateway"},
		{"deleting a missing comment", func(c *gh.Client, _ *ghtest.Server) error {
			return c.DeleteComment(t.Context(), repo, 99)
		}, "deleting comment 99 in contoso/payments: github answered 404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			err := tt.call(c, srv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got error\n%v\nwant it to start with\n%s", err, tt.want)
			}
		})
	}
}

func TestListComments(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	for i := range 205 {
		srv.AddComment(repo, 4, "alice", fmt.Sprint(i))
	}
	got, err := c.ListComments(t.Context(), repo, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 205 || got[0].Body != "0" || got[204].Body != "204" || got[0].Author != "alice" {
		t.Errorf("got %d comments, first %+v", len(got), got[0])
	}
}

func TestUpsertStickyCommentEditFailureCreatesNothing(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	id := srv.AddComment(repo, 12, "github-actions[bot]", marker+"\nold")
	srv.FailNext(http.MethodPatch, "/issues/comments/", http.StatusInternalServerError)
	_, err := c.UpsertStickyComment(t.Context(), repo, 12, marker, []string{"new"})
	want := fmt.Sprintf("updating sticky comment %s on contoso/payments#12: editing part 1/1 (comment %d): github answered 500", marker, id)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got error\n%v\nwant it to start with\n%s", err, want)
	}
	if got := bodies(srv.Comments(repo, 12)); !cmp.Equal(got, []string{marker + "\nold"}) {
		t.Errorf("comments = %q, want the old one alone", got)
	}
	// The next run succeeds in place.
	ids, err := c.UpsertStickyComment(t.Context(), repo, 12, marker, []string{"new"})
	if err != nil || len(ids) != 1 || ids[0] != id {
		t.Errorf("retry: ids %v, err %v; want [%d]", ids, err, id)
	}
}
