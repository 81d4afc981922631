//go:build !goexperiment.jsonv2

package conformance

import "testing"

// TestDifferential stands in for differential_test.go, which needs the
// standard library's encoding/json/v2 (GOEXPERIMENT=jsonv2, Go 1.25+).
func TestDifferential(t *testing.T) {
	t.Skip("differential test against encoding/json/v2 needs GOEXPERIMENT=jsonv2: GOEXPERIMENT=jsonv2 go test -run Differential ./...")
}
