package cognitotest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// keyFilePattern names the files SaveKeys writes and LoadKeys reads:
// key-001.pem, key-002.pem…, so that name order is key order.
var keyFilePattern = regexp.MustCompile(`^key-[0-9]{3}\.pem$`)

// maxKeyFiles bounds the keys of one directory (three digits of names).
const maxKeyFiles = 999

// SaveKeys writes signers to dir as PKCS #8 PEM files, key-001.pem,
// key-002.pem… in order (the last is the signing key when loaded back),
// readable by the owner only, creating dir (mode 0700) if needed. Other
// key-NNN.pem files in dir are removed, so that LoadKeys reads back
// exactly these keys; other files are left alone. It refuses an empty
// list, more than 999 keys, and keys PKCS #8 cannot hold. The keys are
// written in the clear: use it for test and development keys only.
func SaveKeys(dir string, signers []crypto.Signer) error {
	if len(signers) == 0 {
		return errors.New("cognitotest: no keys to save")
	}
	if len(signers) > maxKeyFiles {
		return fmt.Errorf("cognitotest: %d keys, at most %d can be saved", len(signers), maxKeyFiles)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cognitotest: %w", err)
	}
	keep := make(map[string]bool, len(signers))
	for n, s := range signers {
		der, err := x509.MarshalPKCS8PrivateKey(s)
		if err != nil {
			return fmt.Errorf("cognitotest: key %d: %w", n+1, err)
		}
		name := fmt.Sprintf("key-%03d.pem", n+1)
		keep[name] = true
		data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("cognitotest: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cognitotest: %w", err)
	}
	for _, e := range entries {
		if keyFilePattern.MatchString(e.Name()) && !keep[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("cognitotest: %w", err)
			}
		}
	}
	return nil
}

// SaveKeys writes the issuer's published keys to dir with [SaveKeys], so
// that a restarted issuer given LoadKeys(dir) as its Signers publishes the
// same key ids and signs with the same key. It refuses an issuer that is
// not set up yet.
func (i *Issuer) SaveKeys(dir string) error {
	keys := i.Keys()
	if len(keys) == 0 {
		return errors.New("cognitotest: issuer has no keys yet: call Start or Handler first")
	}
	signers := make([]crypto.Signer, len(keys))
	for n, k := range keys {
		signers[n] = k.Signer
	}
	return SaveKeys(dir, signers)
}

// LoadKeys reads the keys SaveKeys wrote to dir, in file-name order, for
// [Issuer.Signers]. Besides PKCS #8 ("PRIVATE KEY") it reads PKCS #1
// ("RSA PRIVATE KEY") and SEC 1 ("EC PRIVATE KEY") blocks, one per file.
// When dir does not exist or holds no key-NNN.pem file, the error wraps
// fs.ErrNotExist, so that a command can generate keys on first run and
// save them. It refuses a file that is not one PEM private key of a type
// NewKey accepts.
func LoadKeys(dir string) ([]crypto.Signer, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cognitotest: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && keyFilePattern.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("cognitotest: no key-NNN.pem files in %s: %w", dir, fs.ErrNotExist)
	}
	slices.Sort(names)
	signers := make([]crypto.Signer, 0, len(names))
	for _, name := range names {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cognitotest: %w", err)
		}
		s, err := parsePrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("cognitotest: %s: %w", path, err)
		}
		if _, err := NewKey(s); err != nil {
			return nil, fmt.Errorf("cognitotest: %s: %w", path, err)
		}
		signers = append(signers, s)
	}
	return signers, nil
}

func parsePrivateKey(data []byte) (crypto.Signer, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
		return k.(crypto.Signer), nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", key)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so that a crash never leaves half a key behind.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".key-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
