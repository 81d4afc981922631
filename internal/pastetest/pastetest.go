// Package pastetest runs lines that a tool prints for pasting through the
// shells people paste into (bash, zsh with default options, fish), so that
// what works in one works in all. It is a test helper.
package pastetest

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Shell is one way of running pasted lines.
type Shell struct {
	Name string   // for test names: "bash", "zsh -f", ...
	Argv []string // reads the lines on stdin
	// Interactive shells echo prompts and, in zsh without
	// interactive_comments (its default), answer a comment line with
	// "command not found: #": harmless, the next line runs.
	Interactive bool
}

// Shells returns the shells to paste into: bash, zsh -f (non-interactive
// and interactive) and fish without its config. A missing shell skips its
// cases, or fails the test when CI is set (CI installs them).
func Shells(t *testing.T) []Shell {
	all := []Shell{
		{Name: "bash", Argv: []string{"bash", "--norc", "--noprofile", "-s"}},
		{Name: "zsh -f", Argv: []string{"zsh", "-f", "-s"}},
		{Name: "zsh -f -i", Argv: []string{"zsh", "-f", "-i"}, Interactive: true},
		{Name: "fish", Argv: []string{"fish", "--no-config"}},
	}
	var out []Shell
	for _, s := range all {
		if _, err := exec.LookPath(s.Argv[0]); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (.ci/install.d/20-shells.sh installs it)", s.Argv[0])
			}
			t.Logf("%s not installed: skipping it", s.Argv[0])
			continue
		}
		out = append(out, s)
	}
	return out
}

// Run feeds script to the shell on stdin and returns what it wrote.
func Run(t *testing.T, s Shell, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Argv[0], s.Argv[1:]...)
	cmd.Stdin = strings.NewReader(script + "\n")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil && !s.Interactive { // there the last comment line "fails"
		t.Errorf("%s: %v\n%s", s.Name, err, out)
	}
	return string(out)
}

// Syntax checks script without running it: bash -n, zsh -n, fish -n.
func Syntax(t *testing.T, script string) {
	t.Helper()
	for _, argv := range [][]string{{"bash", "-n"}, {"zsh", "-f", "-n"}, {"fish", "--no-config", "-n"}} {
		if _, err := exec.LookPath(argv[0]); err != nil {
			continue // Shells reports it
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(script + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s\n--- script:\n%s", strings.Join(argv, " "), err, out, script)
		}
	}
}

var (
	promised = regexp.MustCompile(`^# (\d{3})\b`)
	// Not anchored to a line: an interactive shell's prompt can precede
	// curl's first line.
	status = regexp.MustCompile(`\bHTTP/(?:1\.[01]|2) (\d{3}) `)
)

// Promised returns, for each "curl -i" line of script, the status the
// comment line just above it promises ("# 401 …"), or 0 when it promises
// none.
func Promised(script string) []int {
	var out []int
	want := 0
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if m := promised.FindStringSubmatch(l); m != nil {
			want, _ = strconv.Atoi(m[1])
			continue
		}
		if strings.HasPrefix(l, "curl -i ") {
			out = append(out, want)
		}
		if !strings.HasPrefix(l, "#") {
			want = 0
		}
	}
	return out
}

// Statuses returns the HTTP status codes in curl -i output, in order.
func Statuses(out string) []int {
	var got []int
	for _, m := range status.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		got = append(got, n)
	}
	return got
}

// plainComment is what a comment line may hold: interactive zsh runs it
// as the command "#" with these words as arguments, which must not glob
// or expand.
var plainComment = regexp.MustCompile(`^# [A-Za-z0-9 ,.:/_=-]*$`)

// Check runs script in every shell and fails unless each "curl -i" line
// ran and answered the status its comment promised.
func Check(t *testing.T, script string) {
	t.Helper()
	Syntax(t, script)
	Comments(t, script)
	want := Promised(script)
	for _, s := range Shells(t) {
		t.Run(strings.ReplaceAll(s.Name, " ", "_"), func(t *testing.T) {
			out := Run(t, s, script)
			got := Statuses(out)
			if len(got) != len(want) {
				t.Fatalf("%s: %d curl -i answers, want %d\n%s", s.Name, len(got), len(want), out)
			}
			for i := range want {
				if want[i] != 0 && got[i] != want[i] {
					t.Errorf("%s: curl -i #%d answered %d, its comment promises %d\n%s", s.Name, i+1, got[i], want[i], out)
				}
			}
			if strings.Contains(out, "no matches found") || strings.Contains(out, "No matches for wildcard") {
				t.Errorf("%s: a word was globbed\n%s", s.Name, out)
			}
		})
	}
}

// Comments fails for a comment that is not on its own line, or holds a
// character interactive zsh would expand.
func Comments(t *testing.T, script string) {
	t.Helper()
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "#") && !plainComment.MatchString(l):
			t.Errorf("comment with a character zsh expands when pasted: %q", l)
		case !strings.HasPrefix(l, "#") && strings.Contains(l, " #"):
			t.Errorf("trailing comment (zsh passes it to the command): %q", l)
		}
	}
}
