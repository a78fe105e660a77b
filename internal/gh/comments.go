package gh

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v62/github"
)

// MaxCommentLength is the longest issue or pull request comment body GitHub
// accepts, in characters. Longer bodies get 422 "Body is too long (maximum
// is 65536 characters)".
const MaxCommentLength = 65536

// StickyOverhead is the most characters UpsertStickyComment adds to a part
// for marker: the marker line, with a " part i/n" suffix of up to three-digit
// numbers, and a newline. Callers that split text into parts keep each part
// within MaxCommentLength - StickyOverhead(marker).
func StickyOverhead(marker string) int {
	return utf8.RuneCountInString(marker) + len(" part 999/999") + 1
}

// CreateComment adds a comment to issue or pull request number of repo and
// returns its id.
//
// See https://docs.github.com/rest/issues/comments#create-an-issue-comment.
func (c *Client) CreateComment(ctx context.Context, repo string, number int, body string) (int64, error) {
	id, err := c.createComment(ctx, repo, number, body)
	if err != nil {
		return 0, fmt.Errorf("creating comment on %s#%d: %w", repo, number, err)
	}
	return id, nil
}

func (c *Client) createComment(ctx context.Context, repo string, number int, body string) (int64, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return 0, err
	}
	var created *github.IssueComment
	err = c.call(ctx, func() (r *github.Response, err error) {
		created, r, err = c.gh.Issues.CreateComment(ctx, owner, name, number, &github.IssueComment{Body: &body})
		return r, err
	})
	if err != nil {
		return 0, err
	}
	return created.GetID(), nil
}

// EditComment replaces the body of comment id in repo.
//
// See https://docs.github.com/rest/issues/comments#update-an-issue-comment.
func (c *Client) EditComment(ctx context.Context, repo string, id int64, body string) error {
	if err := c.editComment(ctx, repo, id, body); err != nil {
		return fmt.Errorf("editing comment %d in %s: %w", id, repo, err)
	}
	return nil
}

func (c *Client) editComment(ctx context.Context, repo string, id int64, body string) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	return c.call(ctx, func() (*github.Response, error) {
		_, r, err := c.gh.Issues.EditComment(ctx, owner, name, id, &github.IssueComment{Body: &body})
		return r, err
	})
}

// DeleteComment deletes comment id in repo.
//
// See https://docs.github.com/rest/issues/comments#delete-an-issue-comment.
func (c *Client) DeleteComment(ctx context.Context, repo string, id int64) error {
	if err := c.deleteComment(ctx, repo, id); err != nil {
		return fmt.Errorf("deleting comment %d in %s: %w", id, repo, err)
	}
	return nil
}

func (c *Client) deleteComment(ctx context.Context, repo string, id int64) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	return c.call(ctx, func() (*github.Response, error) {
		return c.gh.Issues.DeleteComment(ctx, owner, name, id)
	})
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID     int64
	Author string
	Body   string
}

// ListComments returns every comment on issue or pull request number of
// repo, oldest first, following the Link header across pages.
//
// See https://docs.github.com/rest/issues/comments#list-issue-comments.
func (c *Client) ListComments(ctx context.Context, repo string, number int) ([]Comment, error) {
	cs, err := c.listComments(ctx, repo, number)
	if err != nil {
		return nil, fmt.Errorf("listing comments on %s#%d: %w", repo, number, err)
	}
	return cs, nil
}

func (c *Client) listComments(ctx context.Context, repo string, number int) ([]Comment, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	var out []Comment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for {
		var page []*github.IssueComment
		var resp *github.Response
		err := c.call(ctx, func() (r *github.Response, err error) {
			page, resp, err = c.gh.Issues.ListComments(ctx, owner, name, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, ic := range page {
			out = append(out, Comment{ID: ic.GetID(), Author: ic.GetUser().GetLogin(), Body: ic.GetBody()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// markerRE matches a hidden HTML comment marker such as "<!-- appreg:plan -->".
var markerRE = regexp.MustCompile(`^<!--\s*(\S(?:.*\S)?)\s*-->$`)

// UpsertStickyComment keeps exactly one comment per part on issue or pull
// request number of repo, found by marker, a hidden HTML comment such as
// "<!-- appreg:plan -->". Each comment's body is its marker line followed by
// the part; with more than one part the marker names it, as in
// "<!-- appreg:plan part 2/3 -->". Existing marked comments are edited in
// place (or left alone when unchanged), missing parts are created and
// surplus marked comments, such as the parts of a longer earlier plan, are
// deleted. With no parts every marked comment is deleted. It returns the ids
// of the parts' comments in order.
//
// Only comments whose body starts with the marker count, so a quotation of a
// marked comment is never taken for it. Each body, marker included, must be
// at most MaxCommentLength characters (see StickyOverhead); this is checked
// before anything is written.
//
// See https://docs.github.com/rest/issues/comments.
func (c *Client) UpsertStickyComment(ctx context.Context, repo string, number int, marker string, parts []string) ([]int64, error) {
	ids, err := c.upsertSticky(ctx, repo, number, marker, parts)
	if err != nil {
		return nil, fmt.Errorf("updating sticky comment %s on %s#%d: %w", strings.TrimSpace(marker), repo, number, err)
	}
	return ids, nil
}

func (c *Client) upsertSticky(ctx context.Context, repo string, number int, marker string, parts []string) ([]int64, error) {
	m := markerRE.FindStringSubmatch(strings.TrimSpace(marker))
	if m == nil {
		return nil, fmt.Errorf("marker %q is not an html comment like <!-- appreg:plan -->", marker)
	}
	key := m[1]
	n := len(parts)
	bodies := make([]string, n)
	for i, p := range parts {
		head := "<!-- " + key + " -->"
		if n > 1 {
			head = fmt.Sprintf("<!-- %s part %d/%d -->", key, i+1, n)
		}
		bodies[i] = head + "\n" + p
		if l := utf8.RuneCountInString(bodies[i]); l > MaxCommentLength {
			return nil, fmt.Errorf("part %d of %d is %d characters with its marker, over github's limit of %d", i+1, n, l, MaxCommentLength)
		}
	}

	self, err := c.Self(ctx)
	if err != nil {
		return nil, fmt.Errorf("telling appreg's own comments apart: %w", err)
	}
	existing, err := c.listComments(ctx, repo, number)
	if err != nil {
		return nil, err
	}
	// Only appreg's own comments are its sticky comment: a marker in
	// anyone else's comment is text.
	existing = slices.DeleteFunc(existing, func(ec Comment) bool { return !strings.EqualFold(ec.Author, self) })
	// slot[i] is the oldest comment carrying part i+1; the rest are surplus.
	slot := make([]int64, n)
	old := map[int64]string{}
	var surplus []int64
	partRE := regexp.MustCompile(`^<!--\s*` + regexp.QuoteMeta(key) + `(?:\s+part\s+(\d+)/(\d+))?\s*-->`)
	for _, ec := range existing {
		pm := partRE.FindStringSubmatch(strings.TrimLeft(ec.Body, " \t\r\n"))
		if pm == nil {
			continue
		}
		i := 1
		if pm[1] != "" {
			i, _ = strconv.Atoi(pm[1])
		}
		if i >= 1 && i <= n && slot[i-1] == 0 {
			slot[i-1] = ec.ID
			old[ec.ID] = ec.Body
			continue
		}
		surplus = append(surplus, ec.ID)
	}

	ids := make([]int64, n)
	for i, body := range bodies {
		if id := slot[i]; id != 0 {
			ids[i] = id
			if normalizeNewlines(old[id]) == normalizeNewlines(body) {
				continue
			}
			if err := c.editComment(ctx, repo, id, body); err != nil {
				return nil, fmt.Errorf("editing part %d/%d (comment %d): %w", i+1, n, id, err)
			}
			continue
		}
		id, err := c.createComment(ctx, repo, number, body)
		if err != nil {
			return nil, fmt.Errorf("creating part %d/%d: %w", i+1, n, err)
		}
		ids[i] = id
	}
	for _, id := range surplus {
		if err := c.deleteComment(ctx, repo, id); err != nil && !IsNotFound(err) {
			return nil, fmt.Errorf("deleting surplus comment %d: %w", id, err)
		}
	}
	return ids, nil
}

// normalizeNewlines makes bodies edited in the browser (CRLF) comparable.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
