//go:build unix

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the cognitojwt command, built on first use by
// cognitojwtBin and removed by TestMain.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	var err error
	if binDir, err = os.MkdirTemp("", "cognitojwt-interop-"); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	defer closeIDPs()
	return m.Run()
}

// cognitojwtBin returns the cognitojwt command, built once per test binary
// with "go build -o DIR/cognitojwt ./cmd/cognitojwt" in the root module
// (two levels up: conformance/interop).
func cognitojwtBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			binError = err
			return
		}
		binPath = filepath.Join(binDir, "cognitojwt")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", binPath, "./cmd/cognitojwt")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binError = fmt.Errorf("go build -o %s ./cmd/cognitojwt: %v\n%s", binPath, err, out)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// nodeModules returns the absolute path of node_modules with the package
// pkg installed, and the node binary. It skips the test when either is
// missing and CI is unset, and fails it when CI is set: .ci/run installs
// both.
func nodeModules(t *testing.T, pkg string) (dir, node string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "" {
			t.Skipf("%s (run: cd conformance/interop && npm ci --ignore-scripts); this test fails instead of skipping when CI is set", what)
		}
		t.Fatalf("%s, and CI is set: .ci/install.d/50-interop-npm.sh installs it", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	dir, err = filepath.Abs("node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, pkg, "package.json")); err != nil {
		missing("npm package " + pkg + " is not installed in conformance/interop/node_modules")
	}
	return dir, node
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a program a test started in its own process group.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	err  error // after done
}

// start runs cmd in a process group of its own with its output collected,
// and registers a cleanup that stops the whole group (SIGTERM, then
// SIGKILL after 5 s) and waits for it.
func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Loopback only: no proxy may stand between a test and its servers.
	cmd.Env = append(cmd.Environ(), "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=", "NO_PROXY=*")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop ends the process group and waits for the process.
func (p *process) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	if t.Failed() {
		t.Logf("%s output:\n%s", filepath.Base(p.cmd.Path), p.logs.String())
	}
}

// waitHTTP polls url until it answers with want, and fails the test when
// the process exits first or 60 s pass.
func (p *process) waitHTTP(t *testing.T, url string, want int) {
	t.Helper()
	if err := p.ready(url, want); err != nil {
		t.Fatal(err)
	}
}

// errExited reports a process that ended before it served.
var errExited = errors.New("exited before serving")

// ready polls url until it answers with want; it returns an error
// wrapping errExited when the process ends first.
func (p *process) ready(url string, want int) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s %w %s (%v):\n%s", filepath.Base(p.cmd.Path), errExited, url, p.err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not answer %s: %v\n%s", filepath.Base(p.cmd.Path), url, err, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startServer starts the command mk builds (with ports picked a moment
// ago, which another program may take first) and waits until readyURL
// answers 200; it tries three times with fresh ports when the process
// exits before serving.
func startServer(t *testing.T, mk func() (cmd *exec.Cmd, readyURL string)) *process {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		cmd, url := mk()
		p := start(t, cmd)
		if err = p.ready(url, http.StatusOK); err == nil {
			return p
		}
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatal(err)
	return nil
}

// syncBuffer is a bytes.Buffer safe for a process's writes and the
// test's reads; it keeps the last 1 MiB or so.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		rest := s.b.Bytes()[s.b.Len()/2:]
		s.b = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCommand runs the cognitojwt command with args and returns its
// stdout, stderr and exit code.
func runCommand(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cognitojwtBin(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=")
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("cognitojwt %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}
