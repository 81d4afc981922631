package conformance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

// vectorFiles is the table TestWycheproof runs: every JSON file in
// testdata/wycheproof, with the runner that interprets it.
// TestVectorFilesCovered fails if a file is added without a row here.
var vectorFiles = []struct {
	name   string
	runner runnerKind
}{
	{"rsa_signature_2048_sha256_test.json", runPKCS1},
	{"rsa_signature_2048_sha384_test.json", runPKCS1},
	{"rsa_signature_2048_sha512_test.json", runPKCS1},
	{"rsa_signature_3072_sha256_test.json", runPKCS1},
	{"rsa_signature_3072_sha384_test.json", runPKCS1},
	{"rsa_signature_3072_sha512_test.json", runPKCS1},
	{"rsa_signature_4096_sha256_test.json", runPKCS1},
	{"rsa_signature_4096_sha384_test.json", runPKCS1},
	{"rsa_signature_4096_sha512_test.json", runPKCS1},
	{"rsa_signature_8192_sha256_test.json", runPKCS1},
	{"rsa_signature_8192_sha384_test.json", runPKCS1},
	{"rsa_signature_8192_sha512_test.json", runPKCS1},
	{"rsa_pss_2048_sha256_mgf1_32_test.json", runPSS},
	{"rsa_pss_2048_sha384_mgf1_48_test.json", runPSS},
	{"rsa_pss_3072_sha256_mgf1_32_test.json", runPSS},
	{"rsa_pss_4096_sha256_mgf1_32_test.json", runPSS},
	{"rsa_pss_4096_sha384_mgf1_48_test.json", runPSS},
	{"rsa_pss_4096_sha512_mgf1_64_test.json", runPSS},
	{"ecdsa_secp256r1_sha256_p1363_test.json", runECDSA},
	{"ecdsa_secp384r1_sha384_p1363_test.json", runECDSA},
	{"ecdsa_secp521r1_sha512_p1363_test.json", runECDSA},
	{"ed25519_test.json", runEdDSA},
	{fileJWS, runJWS},
	{fileJWK, runJWK},
}

type runnerKind string

const (
	runPKCS1 runnerKind = "rsassa_pkcs1_verify_schema_v1.json"
	runPSS   runnerKind = "rsassa_pss_verify_schema_v1.json"
	runECDSA runnerKind = "ecdsa_p1363_verify_schema_v1.json"
	runEdDSA runnerKind = "eddsa_verify_schema_v1.json"
	runJWS   runnerKind = "json_web_signature_schema_v1.json"
	runJWK   runnerKind = "json_web_key_schema_v1.json"
)

// counts are per file; the totals feed the summary line.
type counts struct {
	tests, valid, invalid, acceptable int

	passed, failed int

	agree         int // outcome equals the upstream label
	exceptions    int // deviations excused by the exception table
	outOfScope    int // cases in groups with no JWS equivalent (HMAC, exotic PSS)
	policyRefused int // valid cases refused by the key policy (listed exceptions)
	falseAccepts  int // invalid cases that verified: must stay 0

	acceptableAccepted, acceptableRejected int
}

func (c *counts) add(o counts) {
	c.tests += o.tests
	c.valid += o.valid
	c.invalid += o.invalid
	c.acceptable += o.acceptable
	c.passed += o.passed
	c.failed += o.failed
	c.agree += o.agree
	c.exceptions += o.exceptions
	c.outOfScope += o.outOfScope
	c.policyRefused += o.policyRefused
	c.falseAccepts += o.falseAccepts
	c.acceptableAccepted += o.acceptableAccepted
	c.acceptableRejected += o.acceptableRejected
}

var summary struct {
	sync.Mutex
	ran   bool
	total counts
}

func TestMain(m *testing.M) {
	code := m.Run()
	summary.Lock()
	if summary.ran {
		// Printed to stdout so that it shows without -v.
		fmt.Printf("wycheproof: %d passed, %d failed\n", summary.total.passed, summary.total.failed)
	}
	summary.Unlock()
	os.Exit(code)
}

// observation is what one case produced.
type observation struct {
	outcome    outcome
	err        error    // the library path's error; nil when accepted
	problems   []string // harness consistency failures, each fails the case
	outOfScope bool
	note       string // added to a failure message
	// checkReason verifies that an exception's stated reason holds for
	// this case. Nil means no reason kind can apply.
	checkReason func(reasonKind) error
}

// fileCtx judges the cases of one file.
type fileCtx struct {
	t     *testing.T
	name  string
	c     counts
	exc   map[int]*excUse
	acc   map[int]*accUse
	seen  map[int]bool
	start time.Time
}

type excUse struct {
	exception
	used bool
}

type accUse struct {
	acceptableCase
	used bool
}

func newFileCtx(t *testing.T, name string) *fileCtx {
	fc := &fileCtx{t: t, name: name, exc: map[int]*excUse{}, acc: map[int]*accUse{}, seen: map[int]bool{}, start: time.Now()}
	for _, e := range exceptions {
		if e.file == name {
			if fc.exc[e.tcID] != nil {
				t.Errorf("exception table lists %s tcId %d twice", name, e.tcID)
			}
			fc.exc[e.tcID] = &excUse{exception: e}
		}
	}
	for _, a := range acceptables {
		if a.file == name {
			if fc.acc[a.tcID] != nil {
				t.Errorf("acceptables lists %s tcId %d twice", name, a.tcID)
			}
			fc.acc[a.tcID] = &accUse{acceptableCase: a}
		}
	}
	return fc
}

// fail records a problem that is not one case (a group or file check).
func (fc *fileCtx) fail(format string, args ...any) {
	fc.t.Helper()
	fc.c.failed++
	fc.t.Errorf(format, args...)
}

func (fc *fileCtx) judge(tc testCase, obs observation) {
	fc.t.Helper()
	c := &fc.c
	c.tests++
	problems := obs.problems
	if fc.seen[tc.TcID] {
		problems = append(problems, "duplicate tcId in file")
	}
	fc.seen[tc.TcID] = true

	ex := fc.exc[tc.TcID]
	if ex != nil {
		ex.used = true
	}
	ac := fc.acc[tc.TcID]
	if ac != nil {
		ac.used = true
	}
	if obs.outOfScope {
		c.outOfScope++
		if obs.outcome == accepted {
			problems = append(problems, "an out-of-scope case (no JWS algorithm) was accepted")
		}
	}

	switch tc.Result {
	case "acceptable":
		c.acceptable++
		if obs.outcome == accepted {
			c.acceptableAccepted++
		} else {
			c.acceptableRejected++
		}
		switch {
		case ex != nil:
			problems = append(problems, "an acceptable case must not be in the exception table (record it in acceptables)")
		case ac == nil:
			problems = append(problems, fmt.Sprintf("acceptable case, outcome %s (%v), is not recorded in acceptables", obs.outcome, obs.err))
		case ac.outcome != obs.outcome:
			problems = append(problems, fmt.Sprintf("acceptable case is now %s (%v), recorded as %s: update acceptables and EXCEPTIONS.md", obs.outcome, obs.err, ac.outcome))
		}
	case "valid", "invalid":
		if tc.Result == "valid" {
			c.valid++
		} else {
			c.invalid++
		}
		if ac != nil {
			problems = append(problems, "recorded in acceptables but labelled "+tc.Result)
		}
		want := rejected
		if tc.Result == "valid" {
			want = accepted
		}
		if obs.outcome == want {
			c.agree++
			if ex != nil {
				problems = append(problems, fmt.Sprintf("stale exception (%s): the case now agrees with its label (%s); remove it from the table and EXCEPTIONS.md", ex.kind, obs.outcome))
			}
			break
		}
		switch {
		case tc.Result == "invalid":
			// No exception can excuse a false accept: no mislabelled
			// invalid case verifies here (tcId 367/370 of
			// json_web_signature are HMAC and refused).
			c.falseAccepts++
			problems = append(problems, "FALSE ACCEPT: an invalid case verified")
		case ex == nil && errors.Is(obs.err, jws.ErrInvalidKey):
			problems = append(problems, fmt.Sprintf("valid case refused by the key policy and not in the exception table (kind %s): %v", keyPolicy, obs.err))
		case ex == nil:
			problems = append(problems, fmt.Sprintf("valid case rejected and not in the exception table: %v", obs.err))
		case ex.outcome != obs.outcome:
			problems = append(problems, fmt.Sprintf("exception says %s, outcome is %s (%v)", ex.outcome, obs.outcome, obs.err))
		case obs.checkReason == nil:
			problems = append(problems, fmt.Sprintf("exception kind %s cannot apply to this file", ex.kind))
		default:
			if err := obs.checkReason(ex.kind); err != nil {
				problems = append(problems, fmt.Sprintf("exception reason %s no longer holds: %v (outcome %v)", ex.kind, err, obs.err))
			} else {
				c.exceptions++
				if ex.kind == keyPolicy {
					c.policyRefused++
				}
			}
		}
	default:
		problems = append(problems, "unknown result label "+tc.Result)
	}

	if len(problems) == 0 {
		c.passed++
		return
	}
	c.failed++
	if obs.note != "" {
		problems = append(problems, "note: "+obs.note)
	}
	fc.t.Errorf("tcId %d (%s; %q; flags %v): %s", tc.TcID, tc.Result, tc.Comment, tc.Flags, strings.Join(problems, "; "))
}

// finish checks the file-level guards and adds the counts to the summary.
func (fc *fileCtx) finish(f *vectorFile) {
	fc.t.Helper()
	if fc.c.tests != f.NumberOfTests {
		fc.fail("ran %d cases, file says numberOfTests = %d", fc.c.tests, f.NumberOfTests)
	}
	for _, id := range sortedKeys(fc.exc) {
		if !fc.exc[id].used {
			fc.fail("exception table lists %s tcId %d, which is not in the file", fc.name, id)
		}
	}
	for _, id := range sortedKeys(fc.acc) {
		if !fc.acc[id].used {
			fc.fail("acceptables lists %s tcId %d, which is not in the file", fc.name, id)
		}
	}
	c := fc.c
	fc.t.Logf("%s: %d tests (valid %d, invalid %d, acceptable %d): %d passed, %d failed; agree with label %d, exceptions %d, out of scope %d, valid refused by key policy %d, acceptable accepted/rejected %d/%d, false accepts %d [%v]",
		fc.name, c.tests, c.valid, c.invalid, c.acceptable, c.passed, c.failed, c.agree, c.exceptions, c.outOfScope,
		c.policyRefused, c.acceptableAccepted, c.acceptableRejected, c.falseAccepts, time.Since(fc.start).Round(time.Millisecond))
	summary.Lock()
	summary.ran = true
	summary.total.add(c)
	summary.Unlock()
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func TestWycheproof(t *testing.T) {
	summary.Lock()
	summary.ran, summary.total = true, counts{}
	summary.Unlock()
	failOuter := func(format string, args ...any) {
		t.Helper()
		summary.Lock()
		summary.total.failed++
		summary.Unlock()
		t.Errorf(format, args...)
	}
	known := map[string]bool{}
	for _, vf := range vectorFiles {
		known[vf.name] = true
	}
	for _, e := range exceptions {
		if !known[e.file] {
			failOuter("exception table names unknown file %s", e.file)
		}
	}
	for _, a := range acceptables {
		if !known[a.file] {
			failOuter("acceptables names unknown file %s", a.file)
		}
	}

	for _, vf := range vectorFiles {
		t.Run(strings.TrimSuffix(vf.name, "_test.json"), func(t *testing.T) {
			f, err := loadVectorFile(vf.name)
			if err != nil {
				failOuter("%v", err)
				return
			}
			fc := newFileCtx(t, vf.name)
			if f.Schema != string(vf.runner) {
				fc.fail("%s has schema %q, the table says %q", vf.name, f.Schema, vf.runner)
				fc.finish(f)
				return
			}
			switch vf.runner {
			case runPKCS1, runPSS, runECDSA, runEdDSA:
				runSignatureFile(fc, vf.runner, f)
			case runJWS:
				runJWSFile(fc, f)
			case runJWK:
				runJWKFile(fc, f)
			}
			fc.finish(f)
		})
	}
	summary.Lock()
	tot := summary.total
	summary.Unlock()
	t.Logf("total: %d tests (valid %d, invalid %d, acceptable %d): %d passed, %d failed; exceptions %d, out of scope %d, valid refused by key policy %d, false accepts %d",
		tot.tests, tot.valid, tot.invalid, tot.acceptable, tot.passed, tot.failed, tot.exceptions, tot.outOfScope, tot.policyRefused, tot.falseAccepts)
	if tot.falseAccepts != 0 {
		t.Errorf("%d false accepts (each is listed above)", tot.falseAccepts)
	}
}

// TestVectorFilesCovered fails when testdata holds a JSON file that the
// table does not run, or the table names a file that is missing.
func TestVectorFilesCovered(t *testing.T) {
	onDisk, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range onDisk {
		names = append(names, filepath.Base(p))
	}
	var inTable []string
	for _, vf := range vectorFiles {
		inTable = append(inTable, vf.name)
	}
	slices.Sort(names)
	slices.Sort(inTable)
	if !slices.Equal(names, inTable) {
		t.Errorf("testdata JSON files %v\n table %v", names, inTable)
	}
}

// TestVectorsUnmodified checks the copies against SHA256SUMS, so that an
// edit to a vector (or a silently added or removed file) fails.
func TestVectorsUnmodified(t *testing.T) {
	f, err := os.Open(filepath.Join(vectorDir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad SHA256SUMS line %q", sc.Text())
		}
		listed[name] = true
		data, err := os.ReadFile(filepath.Join(vectorDir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s differs from the upstream copy recorded in SHA256SUMS", name)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, vf := range vectorFiles {
		if !listed[vf.name] {
			t.Errorf("%s is not in SHA256SUMS", vf.name)
		}
	}
	if !listed["LICENSE"] {
		t.Error("LICENSE is not in SHA256SUMS")
	}
}

// safely runs f and turns a panic into an error: nothing on the verify
// path may panic on any input (DESIGN.md), and one that does should fail
// its case, not kill the run.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return f()
}

type panicError struct{ v any }

func (p *panicError) Error() string { return fmt.Sprintf("PANIC: %v", p.v) }

func isPanic(err error) bool {
	var p *panicError
	return errors.As(err, &p)
}
