package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/gh/ghtest"
)

// TestChaos runs three appreg serve processes on one Redis, one Entra
// emulator and one fake GitHub; sends 300 signed real-format pull_request
// deliveries for 30 repositories (ten pushes to each one's pull request),
// each to a random replica, a fifth of them twice; SIGKILLs one replica
// mid-run and restarts it. Then, from the fake GitHub's own request log:
// every delivery ran, and only once unless the kill cut its run; no two
// runs of one repository overlapped; each repository's ran in the order
// delivered; each pull request's comment shows its last head commit; and
// nothing is left queued or parked.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos test builds appreg and runs three servers")
	}
	t.Parallel()
	const repos, per, maxConcurrent = 30, 10, 4
	c := newCluster(t, 3, "--lease", "5s", "--max-concurrent", fmt.Sprint(maxConcurrent), "--retry-backoff", "100ms")
	var all [][]delivery
	var twice []string
	for i := range repos {
		ds := c.pullRequestEvents(fmt.Sprintf("contoso/chaos-%02d", i), per)
		all = append(all, ds)
		for _, d := range ds {
			twice = append(twice, d.id)
		}
	}
	rand.Shuffle(len(twice), func(i, j int) { twice[i], twice[j] = twice[j], twice[i] })
	again := map[string]bool{}
	for _, id := range twice[:repos*per/5] {
		again[id] = true
	}

	var accepted atomic.Int64
	var killedAt atomic.Int64 // the fake GitHub's request count at the kill
	killedAt.Store(-1)
	victim := c.replicas[1]
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for accepted.Load() < repos*per/3 {
			time.Sleep(5 * time.Millisecond)
		}
		killedAt.Store(int64(len(c.github.Requests())))
		victim.signal(syscall.SIGKILL)
		time.Sleep(time.Second)
		c.start(victim)
		c.waitReady(victim)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, repos*per)
	for _, ds := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, d := range ds {
				// GitHub moves the pull request's head, then delivers.
				c.github.AddPullRequest(d.repo, ghtest.PullRequest{Number: 1, HeadSHA: d.sha, Author: "Codertocat", Title: "Update app registrations"})
				if err := c.deliver(d, false); err != nil {
					errs <- err
					return
				}
				accepted.Add(1)
				if again[d.id] {
					if err := c.deliver(d, true); err != nil {
						t.Error(err) // the checks below still run
					}
				}
				time.Sleep(time.Duration(rand.N(20)) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	<-killed
	close(errs)
	lost := false
	for err := range errs {
		t.Error(err)
		lost = true
	}
	if lost {
		return
	}
	c.waitDone(all, 4*time.Minute)
	for _, r := range c.replicas {
		if err := r.stop(time.Minute); err != nil {
			t.Errorf("stopping replica %d: %v", r.n, err)
		}
	}
	c.checkRuns(all, int(killedAt.Load()), maxConcurrent)
	for _, ds := range all {
		last := ds[len(ds)-1]
		comments := c.github.Comments(last.repo, 1)
		var bodies []string
		for _, cm := range comments {
			bodies = append(bodies, cm.Body)
		}
		body := strings.Join(bodies, "\n")
		if !strings.Contains(body, last.sha[:7]) || strings.Contains(body, ds[len(ds)-2].sha[:7]) {
			t.Errorf("%s: the pull request's comments do not show (only) its last head commit %.7s:\n%.600s", last.repo, last.sha, body)
		}
		if !strings.Contains(body, "<!-- appreg:plan -->") || !strings.Contains(body, "#### Approval") {
			t.Errorf("%s: the pull request's comment is not a plan:\n%.600s", last.repo, body)
		}
	}
	for _, key := range []string{"appreg:jobs", "appreg:dead"} {
		if n := c.redis.Int(t, "XLEN", key); n != 0 {
			t.Errorf("%s holds %d entries after every run, want 0", key, n)
		}
	}
}

// deliver sends d to random replicas until one answers it: 202 (queued)
// for a first delivery, or "duplicate delivery" for a second one (or for a
// first one whose answer the kill cut after it was queued). A replica that
// does not answer, or answers 503, is what GitHub's redelivery (or a load
// balancer's retry) goes around.
func (c *cluster) deliver(d delivery, duplicate bool) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		r := c.replicas[rand.N(len(c.replicas))]
		status, body := c.send(r, d)
		switch {
		case status == 202 && duplicate:
			return fmt.Errorf("%s sent twice: replica %d queued it again (%s)", d.id, r.n, body)
		case status == 202:
			return nil
		case status == 200 && strings.Contains(body, "duplicate"):
			return nil
		case status == 0 || status == 503:
			time.Sleep(50 * time.Millisecond)
		default:
			return fmt.Errorf("%s: replica %d answered %d %s", d.id, r.n, status, body)
		}
	}
	return fmt.Errorf("%s: no replica took it within a minute", d.id)
}

// waitDone waits until every delivery's head commit has a run that set a
// status and the queue is empty, for at most timeout, or until nothing
// moved for 30 seconds with the queue empty; then it reports what did not
// run (and the checks that follow say more).
func (c *cluster) waitDone(all [][]delivery, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	last, since := -1, time.Now()
	for {
		runs := c.runs()
		missing := 0
		for _, ds := range all {
			for _, d := range ds {
				if !slices.ContainsFunc(runs[d.repo], func(r run) bool { return r.sha == d.sha && r.end > r.start }) {
					missing++
				}
			}
		}
		queued := c.redis.Int(c.t, "XLEN", "appreg:jobs")
		if missing == 0 && queued == 0 {
			return
		}
		if missing != last {
			last, since = missing, time.Now()
		}
		if time.Now().After(deadline) || (queued == 0 && time.Since(since) > 30*time.Second) {
			c.t.Errorf("%d deliveries have not run (lost) and %d jobs are queued", missing, queued)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRuns checks the fake GitHub's log: each delivery ran once (twice
// only when the kill, at request killedAt, cut its first run: at most one
// job per slot of the killed replica), one repository's runs never
// overlapped, and they ran in the order delivered.
func (c *cluster) checkRuns(all [][]delivery, killedAt, slots int) {
	c.t.Helper()
	runs := c.runs()
	rerun := 0
	for _, ds := range all {
		repo := ds[0].repo
		rs := runs[repo]
		var order []string
		for i, r := range rs {
			if i > 0 && rs[i-1].end > r.start {
				c.t.Errorf("%s: the run of %.7s (requests %d-%d) overlapped the run of %.7s (requests %d-%d)",
					repo, r.sha, r.start, r.end, rs[i-1].sha, rs[i-1].start, rs[i-1].end)
			}
			if i > 0 && rs[i-1].sha == r.sha {
				if !(rs[i-1].start < killedAt && killedAt <= r.start) {
					c.t.Errorf("%s: %.7s ran twice (requests %d and %d), and not because of the kill (request %d)",
						repo, r.sha, rs[i-1].start, r.start, killedAt)
				}
				rerun++
				continue
			}
			order = append(order, r.sha)
		}
		var want []string
		for _, d := range ds {
			want = append(want, d.sha)
		}
		if !slices.Equal(want, order) {
			c.t.Errorf("%s: ran %s, want every delivery once, in the order delivered %s", repo, short(order), short(want))
		}
	}
	if rerun > slots {
		c.t.Errorf("%d runs were repeated; the killed replica ran at most %d", rerun, slots)
	}
	c.t.Logf("%d runs cut by the kill ran again", rerun)
}

func short(shas []string) string {
	var out []string
	for _, s := range shas {
		out = append(out, s[:7])
	}
	return "[" + strings.Join(out, " ") + "]"
}
