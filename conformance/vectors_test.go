package conformance

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// vectorDir is the only place the tests read vectors from: the copies in
// this module, never the shared working folder.
const vectorDir = "testdata/wycheproof"

// vectorFile is the common shape of a Wycheproof test-vector file
// (testvectors_v1). Fields a file does not use stay zero.
type vectorFile struct {
	Algorithm     string                     `json:"algorithm"`
	Schema        string                     `json:"schema"`
	NumberOfTests int                        `json:"numberOfTests"`
	Notes         map[string]json.RawMessage `json:"notes"`
	TestGroups    []testGroup                `json:"testGroups"`
}

type testGroup struct {
	Type    string `json:"type"`
	Comment string `json:"comment"`

	// Signature files.
	Sha          string          `json:"sha"`
	Mgf          string          `json:"mgf"`
	MgfSha       string          `json:"mgfSha"`
	SLen         *int            `json:"sLen"`
	KeySize      int             `json:"keySize"`
	PublicKeyDer string          `json:"publicKeyDer"`
	PublicKeyJwk json.RawMessage `json:"publicKeyJwk"` // ECDSA, EdDSA, PSS
	KeyJwk       json.RawMessage `json:"keyJwk"`       // RSA PKCS#1

	// json_web_signature (one JWK) and json_web_key (a JWK Set) files.
	Public  json.RawMessage `json:"public"`
	Private json.RawMessage `json:"private"`

	Tests []testCase `json:"tests"`
}

// jwk returns the group's public JWK for signature files, or nil.
func (g *testGroup) jwk() json.RawMessage {
	if len(g.PublicKeyJwk) > 0 {
		return g.PublicKeyJwk
	}
	return g.KeyJwk
}

type testCase struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Msg     string   `json:"msg"`
	Sig     string   `json:"sig"`
	JWS     string   `json:"jws"`
	Result  string   `json:"result"`
}

func loadVectorFile(name string) (*vectorFile, error) {
	data, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var f vectorFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &f, nil
}

func unhex(s string) ([]byte, error) { return hex.DecodeString(s) }

// b64 decodes unpadded base64url strictly, as RFC 7515 requires.
var b64 = base64.RawURLEncoding.Strict()

// compact is a compact JWS split by the harness, independently of
// jws.Parse: exactly three segments, each strict unpadded base64url, a
// header that is a JSON object with a string "alg". The payload may be
// anything, which is what lets the harness check the signature of the
// Wycheproof tokens whose payload is not a JWT claims set.
type compact struct {
	alg, kid     string
	header       map[string]json.RawMessage
	payload, sig []byte
	signingInput []byte
}

var errHarnessSplit = errors.New("harness: not a compact JWS")

func splitCompact(tok string) (*compact, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d segments", errHarnessSplit, len(parts))
	}
	// Go's decoder skips CR and LF; a compact JWS has none.
	if strings.ContainsAny(tok, "\r\n=") {
		return nil, fmt.Errorf("%w: CR, LF or padding", errHarnessSplit)
	}
	var dec [3][]byte
	for i, p := range parts {
		b, err := b64.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("%w: segment %d: %v", errHarnessSplit, i, err)
		}
		dec[i] = b
	}
	c := &compact{payload: dec[1], sig: dec[2], signingInput: []byte(parts[0] + "." + parts[1])}
	if err := json.Unmarshal(dec[0], &c.header); err != nil || c.header == nil {
		return nil, fmt.Errorf("%w: header is not a JSON object", errHarnessSplit)
	}
	if err := json.Unmarshal(c.header["alg"], &c.alg); err != nil {
		return nil, fmt.Errorf("%w: no string alg", errHarnessSplit)
	}
	if raw, ok := c.header["kid"]; ok {
		if err := json.Unmarshal(raw, &c.kid); err != nil {
			return nil, fmt.Errorf("%w: kid is not a string", errHarnessSplit)
		}
	}
	return c, nil
}

// payloadIsJSONObject reports whether a compact token's payload segment
// decodes to a JSON object, decided without package jws.
func payloadIsJSONObject(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	p, err := b64.DecodeString(parts[1])
	if err != nil {
		return false
	}
	p = bytes.TrimLeft(p, " \t\r\n")
	return len(p) > 0 && p[0] == '{' && json.Valid(p)
}

// rawJWK decodes a public JWK without package jwks, for a cross-check. It
// handles exactly what the vectors use (RSA n/e, EC P-256/384/521 x/y,
// OKP Ed25519 x) and validates nothing else: policy is jwks's job.
func rawJWK(data []byte) (crypto.PublicKey, error) {
	var k struct {
		Kty, Crv, N, E, X, Y string
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	num := func(s string) (*big.Int, error) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		return new(big.Int).SetBytes(b), nil
	}
	switch k.Kty {
	case "RSA":
		n, err := num(k.N)
		if err != nil {
			return nil, err
		}
		e, err := num(k.E)
		if err != nil {
			return nil, err
		}
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, errors.New("rawJWK: exponent too large")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		var c elliptic.Curve
		switch k.Crv {
		case "P-256":
			c = elliptic.P256()
		case "P-384":
			c = elliptic.P384()
		case "P-521":
			c = elliptic.P521()
		default:
			return nil, fmt.Errorf("rawJWK: curve %q", k.Crv)
		}
		x, err := num(k.X)
		if err != nil {
			return nil, err
		}
		y, err := num(k.Y)
		if err != nil {
			return nil, err
		}
		return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("rawJWK: curve %q", k.Crv)
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("rawJWK: Ed25519 key length")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("rawJWK: kty %q", k.Kty)
}

// sameKey reports whether two public keys are equal.
func sameKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// jwkSet splits a JWK Set's "keys" array into its members, or returns the
// value as a one-element list when it is a single JWK.
func jwkSet(data []byte) ([]json.RawMessage, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, err
	}
	if set.Keys != nil {
		return set.Keys, nil
	}
	return []json.RawMessage{data}, nil
}

// jwkField returns a string member of a JWK, or "".
func jwkField(data []byte, name string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[name], &s) != nil {
		return ""
	}
	return s
}
