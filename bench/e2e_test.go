package bench

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestE2ESmoke runs e2e.sh for one short round (oauth2-proxy left out: it
// takes minutes to build), so that the end-to-end comparison keeps
// working; its figures mean nothing. The full run is ./e2e.sh. It needs
// wrk and taskset: without them it skips, unless CI is set, when it fails.
func TestE2ESmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, tool := range []string{"wrk", "taskset", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing (CI is set): .ci/install.d/wrk.sh installs it", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
	cmd := exec.Command("./e2e.sh")
	cmd.Env = append(os.Environ(), "ROUNDS=1", "DURATION=1s", "TOKENS=40", "CACHE=10", "OAUTH2_PROXY=none", "OUT="+t.TempDir()+"/e2e.txt")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("e2e.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"bare ", "gateway ", "httpauth ", "noauth ", "httpauth-id ", "go-jwt-middleware ", "noauth-id ", "distinct"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("e2e.sh output has no %q row:\n%s", want, out)
		}
	}
	t.Logf("%s", out)
}
