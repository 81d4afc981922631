package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestVersionFormat(t *testing.T) {
	code, out, _ := runCmd(t, "", "version")
	// cognitojwt <module version> <revision> <go version> <os/arch>
	if code != 0 || !regexp.MustCompile(`^cognitojwt \S+ \S+ go\S+ \w+/\w+\n$`).MatchString(out) {
		t.Errorf("exit %d %q", code, out)
	}
	if code, _, _ := runCmd(t, "", "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d", code)
	}
}

// TestVersionStampsRevision builds the command from a clone of this
// repository, as go install and the Dockerfile do, and checks that
// "version" names the commit it was built from. It needs git and a
// minute, so it runs with COGNITOJWT_LONG=1 (CI sets it).
func TestVersionStampsRevision(t *testing.T) {
	if os.Getenv("COGNITOJWT_LONG") == "" {
		t.Skip("a long test: set COGNITOJWT_LONG=1 to run it (CI does)")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "src")
	if out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+strings.TrimSpace(string(top)), dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "cognitojwt")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/cognitojwt")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), " "+strings.TrimSpace(string(head))+" ") {
		t.Errorf("version %q does not name HEAD %s", out, head)
	}
}
