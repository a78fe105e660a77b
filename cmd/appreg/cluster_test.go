package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appreg/appreg/internal/emulator"
	"github.com/appreg/appreg/internal/gh/ghtest"
	"github.com/appreg/appreg/internal/store/redistest"
)

// cluster is appreg serve replicas (the built binary, each its own
// process) sharing one redis-server, one Entra emulator and one fake
// GitHub, all on loopback.
type cluster struct {
	t        testing.TB
	bin      string
	redis    *redistest.Server
	emu      *emulator.Server
	github   *ghtest.Server
	env      []string
	args     []string
	replicas []*replica
	tree     map[string][]byte
}

const clusterSecret = "chaos-webhook-secret"

// replica is one appreg serve process.
type replica struct {
	n      int
	addr   string
	logs   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// buildAppreg builds this command into a temporary folder, with the race
// detector when the test has it (so that the build reuses the test's
// compiled packages).
func buildAppreg(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "appreg")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newCluster starts the fakes and n replicas with the extra serve args.
func newCluster(t testing.TB, n int, args ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, redis: redistest.Start(t), bin: buildAppreg(t), args: args}
	emu, err := emulator.Start(emulator.Options{
		TenantID: "8d3d5a53-6c2c-4a6c-9b0e-4f5a2b1c9d7e",
		Users:    []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"},
		Groups:   []string{"Data Science", "Power BI automation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	c.emu = emu
	c.github = ghtest.New()
	t.Cleanup(c.github.Close)
	dir := t.TempDir()
	ca, key := filepath.Join(dir, "emulator-ca.pem"), filepath.Join(dir, "app.pem")
	if err := os.WriteFile(ca, emu.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, c.github.AddAppKey(42), 0o600); err != nil {
		t.Fatal(err)
	}
	op := emu.Operator()
	c.env = append(os.Environ(),
		"APPREG_WEBHOOK_SECRET="+clusterSecret, "APPREG_APP_ID=42", "APPREG_APP_PRIVATE_KEY_FILE="+key,
		"GITHUB_API_URL="+c.github.URL(), "AZURE_TENANT_ID="+op.TenantID, "AZURE_CLIENT_ID="+op.ClientID,
		"AZURE_CLIENT_SECRET="+op.ClientSecret, "AZURE_AUTHORITY_HOST="+emu.AuthorityHost(),
		"APPREG_GRAPH_URL="+emu.GraphURL(), "APPREG_ARM_URL="+emu.URL(), "SSL_CERT_FILE="+ca, "APPREG_LAG_BACKOFF=5ms",
		"APPREG_STORE="+c.redis.URL)
	c.tree = repoFiles(t)
	for i := range n {
		r := &replica{n: i, addr: freeAddr(t), logs: filepath.Join(dir, fmt.Sprintf("replica-%d.log", i))}
		c.replicas = append(c.replicas, r)
		c.start(r)
	}
	for _, r := range c.replicas {
		c.waitReady(r)
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.signal(syscall.SIGKILL)
		}
		if t.Failed() {
			for _, r := range c.replicas {
				b, _ := os.ReadFile(r.logs)
				t.Logf("replica %d's log (last 8 KiB):\n%s", r.n, b[max(0, len(b)-8<<10):])
			}
		}
	})
	return c
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// repoFiles reads the repository's own appreg.yaml and registrations/.
func repoFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	paths, _ := filepath.Glob("../../registrations/*.yaml")
	for _, p := range append(paths, "../../appreg.yaml") {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		if name != "appreg.yaml" {
			name = "registrations/" + name
		}
		files[name] = b
	}
	return files
}

// start starts (or restarts) a replica on its address, appending to its
// log.
func (c *cluster) start(r *replica) {
	c.t.Helper()
	logs, err := os.OpenFile(r.logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	args := append([]string{"serve", "--listen", r.addr}, c.args...)
	r.cmd = exec.Command(c.bin, args...)
	r.cmd.Env, r.cmd.Stdout, r.cmd.Stderr = c.env, logs, logs
	if err := r.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	r.exited = make(chan struct{})
	go func() { r.cmd.Wait(); logs.Close(); close(r.exited) }()
}

func (c *cluster) waitReady(r *replica) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + r.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-r.exited:
			b, _ := os.ReadFile(r.logs)
			c.t.Fatalf("replica %d exited: %s", r.n, b)
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.t.Fatalf("replica %d not ready within a minute", r.n)
}

// signal sends sig to the replica's process and, for SIGKILL, waits for it
// to exit.
func (r *replica) signal(sig syscall.Signal) {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-r.exited
	}
}

// stop sends SIGTERM and waits for the replica to exit, returning its
// exit error.
func (r *replica) stop(timeout time.Duration) error {
	r.signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		if !r.cmd.ProcessState.Success() {
			return fmt.Errorf("replica %d: %s", r.n, r.cmd.ProcessState)
		}
		return nil
	case <-time.After(timeout):
		r.signal(syscall.SIGKILL)
		return fmt.Errorf("replica %d did not stop within %s", r.n, timeout)
	}
}

// delivery is one webhook delivery the test sends.
type delivery struct {
	id, repo, sha, event string
	k                    int // the repository's k-th event, from 0
	body                 []byte
}

// commit is a commit id for repo's k-th head (-1: its base).
func commit(repo string, k int) string {
	h := sha1.Sum([]byte(fmt.Sprintf("%s@%d", repo, k)))
	return hex.EncodeToString(h[:])
}

// pullRequestEvents returns repo's pull request #1 opened and pushed to
// n-1 times, each a real-format pull_request delivery with its own head
// commit, and seeds the fake GitHub with the repository's trees.
func (c *cluster) pullRequestEvents(repo string, n int) []delivery {
	c.t.Helper()
	base := commit(repo, -1)
	c.github.SetTree(repo, base, c.tree)
	var out []delivery
	for k := range n {
		file, action := "pull_request.synchronize.json", "synchronize"
		if k == 0 {
			file, action = "pull_request.opened.json", "opened"
		}
		sha := commit(repo, k)
		c.github.SetTree(repo, sha, c.tree)
		out = append(out, delivery{id: fmt.Sprintf("%s-%d-%08x", strings.ReplaceAll(repo, "/", "-"), k, time.Now().UnixNano()&0xffffffff),
			repo: repo, sha: sha, event: "pull_request", k: k, body: c.payload(file, repo, action, sha, base)})
	}
	return out
}

// payload rewrites the real payload events/file for repo, pull request #1
// at head sha over base.
func (c *cluster) payload(file, repo, action, sha, base string) []byte {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/events", file))
	if err != nil {
		c.t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		c.t.Fatal(err)
	}
	owner, name, _ := strings.Cut(repo, "/")
	setRepo := func(r map[string]any) {
		r["full_name"], r["name"] = repo, name
		r["owner"].(map[string]any)["login"] = owner
	}
	p["action"], p["number"] = action, 1
	p["installation"] = map[string]any{"id": 1}
	setRepo(p["repository"].(map[string]any))
	pr := p["pull_request"].(map[string]any)
	pr["number"] = 1
	head, baseRef := pr["head"].(map[string]any), pr["base"].(map[string]any)
	head["sha"], baseRef["sha"] = sha, base
	setRepo(head["repo"].(map[string]any))
	setRepo(baseRef["repo"].(map[string]any))
	out, err := json.Marshal(p)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// send posts d, signed, to replica r and returns the status (0: no
// answer) and body.
func (c *cluster) send(r *replica, d delivery) (int, string) {
	m := hmac.New(sha256.New, []byte(clusterSecret))
	m.Write(d.body)
	req, err := http.NewRequest(http.MethodPost, "http://"+r.addr+"/webhook", bytes.NewReader(d.body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", d.event)
	req.Header.Set("X-GitHub-Delivery", d.id)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// metric returns the value of a metric line (name with its labels) on
// replica r, or -1.
func (c *cluster) metric(r *replica, name string) float64 {
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// runs is what the fake GitHub saw of the jobs: per repository, each run's
// head commit with the positions, in GitHub's request log, of its first
// request (the tarball of its head) and of its last one on that commit.
type run struct {
	sha        string
	start, end int
}

func (c *cluster) runs() map[string][]run {
	out := map[string][]run{}
	open := map[string]int{} // repo/sha -> index in out[repo] of its latest run
	for i, r := range c.github.Requests() {
		parts := strings.Split(strings.TrimPrefix(strings.SplitN(r.Path, "?", 2)[0], "/"), "/")
		if len(parts) != 5 || parts[0] != "repos" {
			continue
		}
		repo, kind, sha := parts[1]+"/"+parts[2], parts[3], parts[4]
		switch {
		case kind == "tarball" && r.Method == http.MethodGet:
			if sha == commit(repo, -1) {
				continue // the base's policy, read by a run already open
			}
			out[repo] = append(out[repo], run{sha: sha, start: i, end: i})
			open[repo+"/"+sha] = len(out[repo]) - 1
		case kind == "statuses" && r.Method == http.MethodPost:
			if j, ok := open[repo+"/"+sha]; ok {
				out[repo][j].end = i
			}
		}
	}
	return out
}
