package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchAWSJWTVerify measures aws-jwt-verify's verifySync (Node) on the
// fixture's token, in this run beside the Go libraries: node/bench.mjs
// times b.N calls (at least 3,000) after a warm-up and a check that it
// accepts the token and refuses a bad signature, and its figure replaces
// the benchmark's ns/op (which would otherwise count Node's start-up).
// It also reports Node's own floor (crypto.verify of the same signature)
// as node-floor-ns/op. Skipped without node or node/node_modules
// (cd node && npm ci).
func benchAWSJWTVerify(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node is missing")
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "aws-jwt-verify")); err != nil {
		b.Skip("aws-jwt-verify is not installed: cd node && npm ci")
	}
	fixture := filepath.Join(b.TempDir(), "fixture.json")
	if err := writeNodeFixture(fixture); err != nil {
		b.Fatal(err)
	}
	n := max(b.N, 3000)
	out, err := exec.Command(node, filepath.Join("node", "bench.mjs"), fixture, fmt.Sprint(n)).Output()
	if err != nil {
		b.Fatalf("node: %v %s", err, out)
	}
	var res struct{ VerifySync, Floor float64 }
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatalf("node printed %q: %v", out, err)
	}
	b.ReportMetric(res.VerifySync, "ns/op")
	b.ReportMetric(res.Floor, "node-floor-ns/op")
}

// writeNodeFixture writes what node/bench.mjs needs: the token, the
// issuer, the client and the issuer's JWKS.
func writeNodeFixture(path string) error {
	resp, err := http.Get(fix.iss.JWKSURL())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	jwks, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(map[string]any{
		"token": fix.token, "issuer": fix.iss.IssuerURL(), "jwksUri": fix.iss.JWKSURL(),
		"clientId": fix.iss.ClientID, "jwks": json.RawMessage(jwks),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, doc, 0o600)
}
