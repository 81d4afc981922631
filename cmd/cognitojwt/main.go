// Command cognitojwt verifies and decodes Amazon Cognito (and any OpenID
// Connect) tokens, runs a local Cognito-compatible issuer for development,
// and runs an auth gateway that verifies tokens in front of any upstream.
//
// Usage:
//
//	cognitojwt verify  [flags] [token|-]   verify a token; print its claims
//	cognitojwt decode  [token|-]           print header and claims, UNVERIFIED
//	cognitojwt issuer  [flags]             serve a local Cognito-compatible issuer
//	cognitojwt issuer mint [flags]         mint a token from that issuer's keys
//	cognitojwt proxy   [flags]             run the auth gateway
//	cognitojwt version                     print the version
//
// Run "cognitojwt <command> --help" for a command's flags; docs/CLI.md
// describes every command. Exit status: 0 success (a valid token), 1 a
// refused token or a failure, 2 a usage or configuration error, 3 keys or
// a store unavailable (an outage: try again later).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
	// exitUnavailable: the answer could not be known (keys or a store
	// unreachable), as distinct from a refused token, so scripts retry
	// instead of treating an outage as a forgery.
	exitUnavailable = 3
)

// usageErr is an error that is the caller's: bad flags or configuration
// (exit 2).
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

// unavailableErr is an outage: keys or a store could not be reached
// (exit 3).
type unavailableErr struct{ err error }

func (e *unavailableErr) Error() string { return e.err.Error() }
func (e *unavailableErr) Unwrap() error { return e.err }

// usageError formats a usage error.
func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

const usage = `cognitojwt verifies Amazon Cognito and OpenID Connect tokens.

Usage:
  cognitojwt verify  [flags] [token|-]   verify a token and print its claims
  cognitojwt decode  [token|-]           print header and claims WITHOUT verifying
  cognitojwt issuer  [flags]             serve a local Cognito-compatible issuer
  cognitojwt issuer mint [flags]         mint a token with that issuer's keys
  cognitojwt proxy   [flags]             run the auth gateway
  cognitojwt revoke  [flags]             revoke tokens in the shared Redis store (exit 3: store unavailable)
  cognitojwt version                     print the version

Run "cognitojwt <command> --help" for a command's flags (all in docs/CLI.md).
Exit status: 0 valid or done, 1 refused (invalid token) or failed,
2 usage or configuration error, 3 keys or store unavailable.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "verify":
		err = cmdVerify(ctx, rest, stdin, stdout, stderr)
	case "decode":
		err = cmdDecode(rest, stdin, stdout, stderr)
	case "issuer":
		err = cmdIssuer(ctx, rest, stdout, stderr)
	case "proxy":
		err = cmdProxy(ctx, rest, stdout, stderr)
	case "revoke": // exit 3 when the store is unavailable: revoke.go maps its own codes
		return cmdRevoke(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		err = cmdVersion(rest, stdout, stderr)
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "cognitojwt: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, new(*usageErr)):
		fmt.Fprintf(stderr, "cognitojwt: %v\n", err)
		return exitUsage
	case errors.As(err, new(*unavailableErr)):
		fmt.Fprintf(stderr, "cognitojwt: %v\n", err)
		return exitUnavailable
	default:
		fmt.Fprintf(stderr, "cognitojwt: %v\n", err)
		return exitInvalid
	}
}
