// Package redistest runs a real redis-server (Debian's redis-server
// package) on a free loopback port for one test, and stops it when the
// test ends.
//
// A test that needs Redis fails under CI=true when no server can start;
// elsewhere it is skipped with the command that installs one.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	// Addr is host:port; URL redis://[:password@]host:port.
	Addr, URL string

	bin      string
	args     []string
	password string
	cmd      *exec.Cmd
	exited   chan struct{}
}

type config struct {
	appendOnly bool
	password   string
}

// Option configures a Server.
type Option func(*config)

// AppendOnly makes the server log every write to an append-only file,
// synced at each write (appendfsync always), in the test's temporary
// folder: a server killed and restarted keeps what it acknowledged.
func AppendOnly() Option { return func(c *config) { c.appendOnly = true } }

// Password makes the server require a password (requirepass).
func Password(p string) Option { return func(c *config) { c.password = p } }

// Start starts a redis-server for t and stops it when t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(t, "redis-server is not installed")
	}
	var last error
	for range 5 {
		port, err := freePort()
		if err != nil {
			unavailable(t, err.Error())
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), bin: bin, password: c.password}
		s.URL = "redis://" + s.Addr
		if c.password != "" {
			s.URL = "redis://:" + c.password + "@" + s.Addr
		}
		s.args = []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir(),
			"--daemonize", "no", "--loglevel", "warning"}
		if c.appendOnly {
			s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
		} else {
			s.args = append(s.args, "--appendonly", "no")
		}
		if c.password != "" {
			s.args = append(s.args, "--requirepass", c.password)
		}
		if last = s.start(); last == nil {
			t.Cleanup(s.Kill)
			return s
		}
	}
	unavailable(t, last.Error())
	return nil
}

// unavailable fails the test under CI and skips it elsewhere.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Redis for this test: %s (CI installs it: apt-get install -y redis-server)", why)
	}
	t.Skipf("no Redis for this test: %s; install it to run the test (Debian/Ubuntu: apt-get install -y redis-server)", why)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, s.args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("redis-server %s exited: %s", strings.Join(s.args, " "), out.String())
		default:
		}
		if s.answers() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("redis-server on %s did not answer within 10s: %s", s.Addr, out.String())
}

// answers reports whether the server answers PING (NOAUTH is an answer).
func (s *Server) answers() bool {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && (strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-"))
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// Restart starts the server again on its port, with its files.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Int runs a command whose answer is an integer (XLEN, LLEN, DBSIZE…)
// and returns it: the tests of packages that may not import a Redis
// client inspect the server with it.
func (s *Server) Int(t testing.TB, args ...string) int64 {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	cmd := func(args []string) {
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if s.password != "" {
		cmd([]string{"AUTH", s.password})
	}
	cmd(args)
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	if s.password != "" {
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			t.Fatalf("AUTH: %q %v", line, err)
		}
	}
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, ":")), 10, 64)
	if !strings.HasPrefix(line, ":") || err != nil {
		t.Fatalf("%s answered %q, not an integer", strings.Join(args, " "), strings.TrimSpace(line))
	}
	return n
}
