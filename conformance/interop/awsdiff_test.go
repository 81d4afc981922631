//go:build unix

package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// differencesFile lists the kinds of case where cognitojwt and
// aws-jwt-verify deliberately disagree: "stricter" (cognitojwt refuses
// what aws-jwt-verify accepts) and "laxer" (the reverse), each kind with
// the row of docs/SECURITY.md that says why, and "pending" kinds whose
// verdict is changing on another branch, with a note.
const differencesFile = "differences.json"

// The sections of docs/SECURITY.md whose tables' first columns name the
// rows of differencesFile.
const (
	stricterHeading = "## Where cognitojwt is stricter than aws-jwt-verify (and why)"
	laxerHeading    = "## Where cognitojwt accepts what aws-jwt-verify refuses (and why)"
)

type differences struct {
	Stricter map[string]string `json:"stricter"`
	Laxer    map[string]string `json:"laxer"`
	Pending  map[string]string `json:"pending"`
}

type awsVerdict struct {
	Name  string `json:"name"`
	Valid bool   `json:"valid"`
	Error string `json:"error"`
}

// TestAgainstAWSJWTVerify presents several hundred generated tokens to
// aws-jwt-verify (through js/aws-jwt-verify.mjs) and to cognitojwt with the
// same keys, configuration and clock, and requires the same verdict,
// except for the kinds listed in differences.json: in a "stricter" kind
// cognitojwt must refuse every case, in a "laxer" kind aws-jwt-verify
// must refuse every case, and each listed kind must still differ at least
// once (a listed difference that no longer differs is stale).
func TestAgainstAWSJWTVerify(t *testing.T) {
	_, node := nodeModules(t, "aws-jwt-verify")
	diffs := loadDifferences(t)

	keys := newDiffKeys(t)
	cases := diffCases(t, keys)
	if len(cases) < 300 {
		t.Fatalf("only %d cases", len(cases))
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "cases.json"), filepath.Join(dir, "verdicts.json")
	data, err := json.Marshal(map[string]any{"now": diffNow, "jwks": json.RawMessage(keys.jwks), "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("js", "aws-jwt-verify.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, in, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, msg)
	}
	var verdicts []awsVerdict
	if data, err = os.ReadFile(out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &verdicts); err != nil {
		t.Fatal(err)
	}
	if len(verdicts) != len(cases) {
		t.Fatalf("%d verdicts for %d cases", len(verdicts), len(cases))
	}

	set, _, err := jwks.ParseSet(keys.jwks, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Unix(diffNow, 0) }
	type tally struct{ cases, bothAccept, bothRefuse, documented int }
	kinds := map[string]*tally{}
	for i, c := range cases {
		theirs := verdicts[i]
		if theirs.Name != c.Name {
			t.Fatalf("verdict %d is for %q, not %q", i, theirs.Name, c.Name)
		}
		cfg := cognitojwt.Config{
			UserPoolID: c.Config.UserPoolID,
			TokenUse:   cognitojwt.TokenUse(c.Config.TokenUse),
			ClientIDs:  c.Config.ClientID,
			Groups:     c.Config.Groups,
			Scopes:     c.Config.Scope,
			Keys:       oidc.StaticKeys{Set: set},
			Leeway:     -1, // aws-jwt-verify's graceSeconds: 0
			CacheSize:  -1,
			Now:        now,
		}
		v, err := cognitojwt.New(cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		_, ourErr := v.Verify(context.Background(), c.Token)
		ours := ourErr == nil
		k := kinds[c.Kind]
		if k == nil {
			k = &tally{}
			kinds[c.Kind] = k
		}
		k.cases++
		stricter, isStricter := diffs.Stricter[c.Kind]
		laxer, isLaxer := diffs.Laxer[c.Kind]
		_, isPending := diffs.Pending[c.Kind]
		switch {
		case ours == theirs.Valid && ours:
			k.bothAccept++
		case ours == theirs.Valid:
			k.bothRefuse++
		case isStricter && !ours, isLaxer && ours:
			k.documented++
		case isPending:
			k.documented++
			t.Logf("pending %s: cognitojwt %s, aws-jwt-verify %s", c.Name, verdict(ourErr == nil, fmt.Sprint(ourErr)), verdict(theirs.Valid, theirs.Error))
		case ours:
			t.Errorf("NEW DISAGREEMENT %s: cognitojwt accepts, aws-jwt-verify refuses (%s); if deliberate, map kind %q to a row of docs/SECURITY.md in %s\n\ttoken: %s", c.Name, theirs.Error, c.Kind, differencesFile, clipToken(c.Token))
		default:
			t.Errorf("NEW DISAGREEMENT %s: cognitojwt refuses (%v), aws-jwt-verify accepts; if deliberate, map kind %q to a row of docs/SECURITY.md in %s\n\ttoken: %s", c.Name, ourErr, c.Kind, differencesFile, clipToken(c.Token))
		}
		if isStricter && ours {
			t.Errorf("%s: cognitojwt accepts a token of kind %q, documented as refused (row %q)", c.Name, c.Kind, stricter)
		}
		if isLaxer && theirs.Valid && !ours {
			t.Errorf("%s: cognitojwt refuses a token of kind %q, documented as accepted (row %q): %v", c.Name, c.Kind, laxer, ourErr)
		}
	}
	for _, m := range []map[string]string{diffs.Stricter, diffs.Laxer} {
		for kind, row := range m {
			if k := kinds[kind]; k == nil || k.documented == 0 {
				t.Errorf("%s lists kind %q (row %q), but no case of it differs: remove it", differencesFile, kind, row)
			}
		}
	}
	if k := kinds["valid"]; k == nil || k.bothAccept != k.cases {
		t.Errorf("not every valid case was accepted by both: %+v", k)
	}
	var names []string
	for kind := range kinds {
		names = append(names, kind)
	}
	sort.Strings(names)
	for _, kind := range names {
		k := kinds[kind]
		t.Logf("%-22s %3d cases: both accept %3d, both refuse %3d, documented difference %3d", kind, k.cases, k.bothAccept, k.bothRefuse, k.documented)
	}
}

func verdict(valid bool, err string) string {
	if valid {
		return "accepts"
	}
	return "refuses (" + err + ")"
}

// loadDifferences reads differences.json and checks that every row it
// names is in its table of docs/SECURITY.md.
func loadDifferences(t *testing.T) *differences {
	t.Helper()
	data, err := os.ReadFile(differencesFile)
	if err != nil {
		t.Fatal(err)
	}
	var d differences
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", differencesFile, err)
	}
	for _, sec := range []struct {
		heading string
		kinds   map[string]string
	}{{stricterHeading, d.Stricter}, {laxerHeading, d.Laxer}} {
		rows := securityRows(t, sec.heading)
		for kind, row := range sec.kinds {
			if !rows[row] {
				t.Errorf("%s: kind %q names row %q, which is not in the table under %q of docs/SECURITY.md", differencesFile, kind, row, sec.heading)
			}
		}
	}
	for kind, note := range d.Pending {
		if note == "" {
			t.Errorf("%s: pending kind %q has no note", differencesFile, kind)
		}
	}
	return &d
}

// securityRows returns the first-column cells of the table under heading
// in docs/SECURITY.md.
func securityRows(t *testing.T, heading string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]bool{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == heading
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			if len(cells) < 3 {
				continue
			}
			cell := strings.Trim(strings.TrimSpace(cells[1]), "`*")
			if cell == "" || strings.Trim(cell, "-: ") == "" {
				continue // the separator row
			}
			rows[cell] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("docs/SECURITY.md has no table under %q", heading)
	}
	return rows
}

func clipToken(s string) string {
	if len(s) > 400 {
		return fmt.Sprintf("%s… (%d bytes)", s[:400], len(s))
	}
	return s
}
