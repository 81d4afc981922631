package e2e

import (
	"os"
	"testing"
)

// longTest skips a load or soak test unless COGNITOJWT_LONG is set, so
// that a plain "go test ./..." stays under 20 s on 2 cores. CI sets it
// (.ci/install.d/00-env.sh), so these tests still run on every change.
func longTest(t *testing.T) {
	t.Helper()
	if os.Getenv("COGNITOJWT_LONG") == "" {
		t.Skip("a long test: set COGNITOJWT_LONG=1 to run it (CI does)")
	}
}
