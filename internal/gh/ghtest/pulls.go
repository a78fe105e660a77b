package ghtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PullRequest seeds a pull request with AddPullRequest.
type PullRequest struct {
	Number int
	Title  string
	// State is "open" or "closed"; empty means "closed" when Merged, else
	// "open".
	State   string
	HeadSHA string
	HeadRef string
	BaseRef string // default "main"
	Author  string
	Merged  bool
	// MergeCommitSHA is the commit the merge produced; the pull request is
	// then also listed for that commit.
	MergeCommitSHA string
	// Fork puts the head branch in Author's fork.
	Fork bool
	// Files are the paths the pull request changes.
	Files []string
	// Renames maps a new path in Files to its previous path.
	Renames map[string]string
}

// Review seeds a pull request review with AddReview.
type Review struct {
	User string
	// State is APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
	State       string
	CommitID    string
	Body        string
	SubmittedAt time.Time // default now
}

type pull struct {
	PullRequest
	id        int64
	createdAt time.Time
	reviews   []*review
}

type review struct {
	Review
	id int64
}

// AddPullRequest adds (or replaces) pull request pr in repo, creating the
// repository if needed.
func (s *Server) AddPullRequest(repo string, pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.addRepo(repo)
	if pr.BaseRef == "" {
		pr.BaseRef = "main"
	}
	if pr.HeadRef == "" {
		pr.HeadRef = fmt.Sprintf("pr-%d", pr.Number)
	}
	if pr.Author == "" {
		pr.Author = "octocat"
	}
	if pr.State == "" {
		pr.State = "open"
		if pr.Merged {
			pr.State = "closed"
		}
	}
	var reviews []*review
	if old, ok := rp.pulls[pr.Number]; ok {
		reviews = old.reviews
	}
	rp.pulls[pr.Number] = &pull{PullRequest: pr, id: s.id(), createdAt: time.Now().UTC(), reviews: reviews}
}

// PullRequest returns pull request number of repo as it was added.
func (s *Server) PullRequest(repo string, number int) (PullRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[strings.ToLower(repo)]
	if !ok || rp.pulls[number] == nil {
		return PullRequest{}, false
	}
	return rp.pulls[number].PullRequest, true
}

// AddReview adds a review to pull request number of repo, which must have
// been added with AddPullRequest.
func (s *Server) AddReview(repo string, number int, rv Review) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[strings.ToLower(repo)]
	if !ok || rp.pulls[number] == nil {
		panic(fmt.Sprintf("ghtest: AddReview: no pull request %s#%d", repo, number))
	}
	if rv.SubmittedAt.IsZero() {
		rv.SubmittedAt = time.Now().UTC()
	}
	p := rp.pulls[number]
	p.reviews = append(p.reviews, &review{Review: rv, id: s.id()})
}

func pullJSON(root string, rp *repo, p *pull) map[string]any {
	htmlURL := fmt.Sprintf("https://github.com/%s/pull/%d", rp.fullName(), p.Number)
	apiURL := fmt.Sprintf("%s/repos/%s/pulls/%d", root, rp.fullName(), p.Number)
	base := repoJSON(root, rp)
	head := base
	if p.Fork {
		head = repoJSON(root, &repo{id: rp.id + 1_000_000, owner: p.Author, name: rp.name})
		head["fork"] = true
	}
	var mergedAt, closedAt, mergeSHA any
	if p.Merged {
		mergedAt = timestamp(p.createdAt)
	}
	if p.State == "closed" {
		closedAt = timestamp(p.createdAt)
	}
	if p.MergeCommitSHA != "" {
		mergeSHA = p.MergeCommitSHA
	}
	return map[string]any{
		"id":               p.id,
		"node_id":          "PR_" + strconv.FormatInt(p.id, 10),
		"url":              apiURL,
		"html_url":         htmlURL,
		"diff_url":         htmlURL + ".diff",
		"issue_url":        fmt.Sprintf("%s/repos/%s/issues/%d", root, rp.fullName(), p.Number),
		"number":           p.Number,
		"state":            p.State,
		"locked":           false,
		"title":            p.Title,
		"user":             userJSON(root, p.Author),
		"body":             nil,
		"created_at":       timestamp(p.createdAt),
		"updated_at":       timestamp(p.createdAt),
		"closed_at":        closedAt,
		"merged_at":        mergedAt,
		"merge_commit_sha": mergeSHA,
		"draft":            false,
		"head": map[string]any{
			"label": head["owner"].(map[string]any)["login"].(string) + ":" + p.HeadRef,
			"ref":   p.HeadRef, "sha": p.HeadSHA, "user": head["owner"], "repo": head,
		},
		"base": map[string]any{
			"label": rp.owner + ":" + p.BaseRef,
			"ref":   p.BaseRef, "sha": "", "user": base["owner"], "repo": base,
		},
		"author_association": "CONTRIBUTOR",
	}
}

func (s *Server) pullOf(w http.ResponseWriter, r *http.Request) (*repo, *pull, bool) {
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return nil, nil, false
	}
	n, _ := strconv.Atoi(r.PathValue("number"))
	p, ok := rp.pulls[n]
	if !ok {
		notFound(w)
		return nil, nil, false
	}
	return rp, p, true
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, p, ok := s.pullOf(w, r)
	if !ok {
		return
	}
	j := pullJSON(s.apiRoot(r), rp, p)
	// The full pull request object has these; list endpoints do not.
	j["merged"] = p.Merged
	j["mergeable"] = nil
	j["comments"] = 0
	j["commits"] = 1
	j["changed_files"] = len(p.Files)
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) listPullFiles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, p, ok := s.pullOf(w, r)
	if !ok {
		return
	}
	lo, hi := s.paginate(w, r, len(p.Files))
	out := []any{}
	for _, f := range p.Files[lo:hi] {
		fj := map[string]any{
			"sha":          "0000000000000000000000000000000000000000",
			"filename":     f,
			"status":       "modified",
			"additions":    1,
			"deletions":    0,
			"changes":      1,
			"blob_url":     "https://github.com/" + rp.fullName() + "/blob/" + p.HeadSHA + "/" + f,
			"raw_url":      "https://github.com/" + rp.fullName() + "/raw/" + p.HeadSHA + "/" + f,
			"contents_url": s.apiRoot(r) + "/repos/" + rp.fullName() + "/contents/" + f + "?ref=" + p.HeadSHA,
		}
		if prev, ok := p.Renames[f]; ok {
			fj["status"] = "renamed"
			fj["previous_filename"] = prev
		}
		out = append(out, fj)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, p, ok := s.pullOf(w, r)
	if !ok {
		return
	}
	root := s.apiRoot(r)
	lo, hi := s.paginate(w, r, len(p.reviews))
	out := []any{}
	for _, rv := range p.reviews[lo:hi] {
		html := fmt.Sprintf("https://github.com/%s/pull/%d#pullrequestreview-%d", rp.fullName(), p.Number, rv.id)
		prURL := fmt.Sprintf("%s/repos/%s/pulls/%d", root, rp.fullName(), p.Number)
		out = append(out, map[string]any{
			"id":               rv.id,
			"node_id":          "PRR_" + strconv.FormatInt(rv.id, 10),
			"user":             userJSON(root, rv.User),
			"body":             rv.Body,
			"state":            rv.State,
			"html_url":         html,
			"pull_request_url": prURL,
			"_links": map[string]any{
				"html":         map[string]any{"href": html},
				"pull_request": map[string]any{"href": prURL},
			},
			"submitted_at":       timestamp(rv.SubmittedAt),
			"commit_id":          rv.CommitID,
			"author_association": "MEMBER",
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listCommitPulls(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repoOf(r)
	if !ok {
		notFound(w)
		return
	}
	sha := r.PathValue("sha")
	var match []*pull
	for _, p := range rp.pulls {
		if p.HeadSHA == sha || p.MergeCommitSHA == sha {
			match = append(match, p)
		}
	}
	slices.SortFunc(match, func(a, b *pull) int { return b.Number - a.Number })
	lo, hi := s.paginate(w, r, len(match))
	out := []any{}
	for _, p := range match[lo:hi] {
		out = append(out, pullJSON(s.apiRoot(r), rp, p))
	}
	writeJSON(w, http.StatusOK, out)
}
