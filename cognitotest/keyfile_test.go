package cognitotest_test

import (
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// TestKeysSurviveRestart saves an issuer's keys, starts another from them,
// and checks that it publishes the same ids and that tokens of the first
// verify against the second.
func TestKeysSurviveRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	first := newIssuer(t, rsaKey(t, 0), ecKey(t, elliptic.P256()), rsaKey(t, 1))
	token := first.AccessToken()
	if err := first.SaveKeys(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	if !slices.Equal(names, []string{"key-001.pem", "key-002.pem", "key-003.pem"}) {
		t.Fatalf("files %q", names)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v (%v), want 0700", info.Mode().Perm(), err)
	}

	signers, err := cognitotest.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	second := newIssuer(t, signers...)
	if !slices.Equal(second.KeyIDs(), first.KeyIDs()) {
		t.Fatalf("restarted ids %q, want %q", second.KeyIDs(), first.KeyIDs())
	}
	mustVerify(t, fetchSet(t, second), token)

	// Saving fewer keys removes the extra files, and only ours.
	other := filepath.Join(dir, "README")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cognitotest.SaveKeys(dir, []crypto.Signer{rsaKey(t, 1)}); err != nil {
		t.Fatal(err)
	}
	signers, err = cognitotest.LoadKeys(dir)
	if err != nil || len(signers) != 1 {
		t.Fatalf("LoadKeys after saving one key: %d keys, %v", len(signers), err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("SaveKeys removed a file that is not its own: %v", err)
	}
}

func TestLoadKeysFormats(t *testing.T) {
	rsaDER := x509.MarshalPKCS1PrivateKey(rsaKey(t, 2))
	ecDER, err := x509.MarshalECPrivateKey(ecKey(t, elliptic.P384()))
	if err != nil {
		t.Fatal(err)
	}
	p224DER, err := x509.MarshalECPrivateKey(ecKey(t, elliptic.P224()))
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(edKey(t))
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	tests := []struct {
		name  string
		files map[string][]byte
		n     int   // keys loaded when ok
		want  error // nil: any error; fs.ErrNotExist where it must be that
		ok    bool
	}{
		{"PKCS #1, SEC 1 and PKCS #8", map[string][]byte{
			"key-001.pem": block("RSA PRIVATE KEY", rsaDER),
			"key-002.pem": block("EC PRIVATE KEY", ecDER),
			"key-003.pem": block("PRIVATE KEY", pkcs8),
			"notes.txt":   []byte("ignored"),
			"key-1.pem":   []byte("ignored: not our name"),
		}, 3, nil, true},
		{"empty dir", map[string][]byte{}, 0, fs.ErrNotExist, false},
		{"only other files", map[string][]byte{"id_rsa": block("RSA PRIVATE KEY", rsaDER)}, 0, fs.ErrNotExist, false},
		{"not PEM", map[string][]byte{"key-001.pem": []byte("hello")}, 0, nil, false},
		{"certificate", map[string][]byte{"key-001.pem": block("CERTIFICATE", rsaDER)}, 0, nil, false},
		{"two blocks", map[string][]byte{"key-001.pem": append(block("RSA PRIVATE KEY", rsaDER), block("RSA PRIVATE KEY", rsaDER)...)}, 0, nil, false},
		{"garbage DER", map[string][]byte{"key-001.pem": block("PRIVATE KEY", []byte{1, 2, 3})}, 0, nil, false},
		{"P-224", map[string][]byte{"key-001.pem": block("EC PRIVATE KEY", p224DER)}, 0, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			signers, err := cognitotest.LoadKeys(dir)
			if tt.ok {
				if err != nil || len(signers) != tt.n {
					t.Fatalf("%d keys, %v; want %d", len(signers), err, tt.n)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded %d keys", len(signers))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if tt.want == nil && errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("error %v wraps fs.ErrNotExist: a command would overwrite the keys", err)
			}
		})
	}
	if _, err := cognitotest.LoadKeys(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: %v, want fs.ErrNotExist", err)
	}
}

func TestSaveKeysRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := cognitotest.SaveKeys(dir, nil); err == nil {
		t.Error("saved no keys")
	}
	if err := cognitotest.SaveKeys(dir, []crypto.Signer{otherSigner{}}); err == nil {
		t.Error("saved an unknown key type")
	}
	if err := cognitotest.NewUnstartedIssuer().SaveKeys(dir); err == nil {
		t.Error("saved the keys of an issuer that has none")
	}
}
