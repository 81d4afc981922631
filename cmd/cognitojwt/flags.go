package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// errHelp is returned after a command printed its help on request.
var errHelp = errors.New("help requested")

// newFlagSet returns a FlagSet that prints its usage (synopsis, what the
// command does, every flag, the exit codes) to w and reports errors
// instead of exiting.
func newFlagSet(name, synopsis, about string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: cognitojwt %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(about))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			fmt.Fprintln(out, "  (none)")
		}
		fs.PrintDefaults()
		fmt.Fprint(out, exitStatusHelp)
	}
	return fs
}

// exitStatusHelp ends every command's help.
const exitStatusHelp = `
Exit status: 0 valid or done, 1 refused (invalid token) or failed,
2 usage or configuration error, 3 keys or store unavailable.
`

// parseFlags parses args, mapping -h to errHelp and other errors to usage
// errors (the flag package has already printed the details).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError("%v", err)
	}
	return nil
}

// listFlag is a repeatable string flag; each use may also hold a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// tokenArg returns the token from the one positional argument, or from
// stdin when there is none or it is "-". Surrounding whitespace and a
// "Bearer " prefix are removed, so a pasted header works.
func tokenArg(fs *flag.FlagSet, stdin io.Reader) (string, error) {
	var raw string
	switch fs.NArg() {
	case 0:
		raw = "-"
	case 1:
		raw = fs.Arg(0)
	default:
		return "", usageError("want one token, got %d arguments", fs.NArg())
	}
	if raw == "-" {
		if f, ok := stdin.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				return "", usageError("no token: pass it as an argument or on stdin")
			}
		}
		line, err := bufio.NewReader(io.LimitReader(stdin, 1<<20)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading stdin: %w", err)
		}
		raw = line
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return "", usageError("empty token")
	}
	return raw, nil
}

// shellQuote returns s as one word that bash, zsh and fish read the same
// way: as is when it holds only characters none of them treat specially,
// else in single quotes (which none of them expands inside).
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	// fish, unlike POSIX shells, reads \' and \\ inside single quotes, so
	// both leave the quotes and are escaped outside them, which all three
	// shells read alike.
	return "'" + strings.NewReplacer(`'`, `'\''`, `\`, `'\\'`).Replace(s) + "'"
}
