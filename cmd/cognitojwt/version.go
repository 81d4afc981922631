package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildVersion returns the module version and the VCS revision the binary
// was built from, both read from the build information the Go toolchain
// embeds: "v1.2.3" for `go install …@v1.2.3`, "(devel)" plus the commit for
// a build from a checkout (with "+dirty" when it had local changes), and
// an empty revision when neither is known (go run, or -buildvcs=false).
func buildVersion() (version, revision string) {
	version = "(devel)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if info.Main.Version != "" {
		version = info.Main.Version
	}
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" && modified {
		revision += "+dirty"
	}
	return version, revision
}

// cmdVersion prints the module version, the VCS revision, the Go version
// and the platform.
func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", "Print the module version, the VCS revision it was built from, the Go version and the platform.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("version takes no arguments")
	}
	version, revision := buildVersion()
	if revision == "" {
		revision = "unknown-revision"
	}
	_, err := fmt.Fprintf(stdout, "cognitojwt %s %s %s %s/%s\n", version, revision, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
