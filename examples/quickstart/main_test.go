package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestReadmeQuickStart keeps the README's quick start and this program
// identical, and runs the program, so the README never shows code that
// does not work.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "package main\n")
	if !ok {
		t.Fatal("main.go has no package clause")
	}
	block := "```go\npackage main\n" + body + "```"
	if !strings.Contains(string(readme), block) {
		t.Fatalf("README.md does not contain main.go verbatim (from its package clause on) in a ```go block")
	}

	out := captureStdout(t, main)
	if got := strings.TrimSpace(out); got != "alice [aws.cognito.signin.user.admin]" {
		t.Fatalf("quick start printed %q", got)
	}
}

func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.String()
	}()
	f()
	os.Stdout = old
	w.Close()
	return <-done
}
