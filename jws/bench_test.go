package jws

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// The baseline is what a hand-rolled verifier does with the standard
// library: split, base64-decode, json.Unmarshal into a struct.
type baselineHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type baselineClaims struct {
	Sub      string   `json:"sub"`
	Groups   []string `json:"cognito:groups"`
	Iss      string   `json:"iss"`
	Version  int      `json:"version"`
	ClientID string   `json:"client_id"`
	Origin   string   `json:"origin_jti"`
	EventID  string   `json:"event_id"`
	TokenUse string   `json:"token_use"`
	Scope    string   `json:"scope"`
	AuthTime int64    `json:"auth_time"`
	Exp      int64    `json:"exp"`
	Iat      int64    `json:"iat"`
	Jti      string   `json:"jti"`
	Username string   `json:"username"`
}

func benchToken(b *testing.B) string {
	k := keys(b)
	return makeToken(b, RS256, k.rsa2048, cognitoHeader, cognitoAccessClaims)
}

// BenchmarkParse parses a Cognito access token (about 1 KB, RS256) and reads
// every claim the Cognito rules need, as the verifier does.
func BenchmarkParse(b *testing.B) {
	token := benchToken(b)
	b.SetBytes(int64(len(token)))
	b.ReportAllocs()
	for b.Loop() {
		tok, err := Parse(token)
		if err != nil {
			b.Fatal(err)
		}
		v, _ := tok.Claims.Get("token_use")
		if s, _ := v.AsString(); s != "access" {
			b.Fatal("token_use")
		}
	}
}

// BenchmarkParseBaseline is the same work with base64.RawURLEncoding and
// encoding/json.Unmarshal into structs.
func BenchmarkParseBaseline(b *testing.B) {
	token := benchToken(b)
	b.SetBytes(int64(len(token)))
	b.ReportAllocs()
	for b.Loop() {
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			b.Fatal("segments")
		}
		hb, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			b.Fatal(err)
		}
		cb, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
			b.Fatal(err)
		}
		var h baselineHeader
		var c baselineClaims
		if err := json.Unmarshal(hb, &h); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(cb, &c); err != nil {
			b.Fatal(err)
		}
		if c.TokenUse != "access" {
			b.Fatal("token_use")
		}
	}
}

// BenchmarkVerifyRS256 is VerifySignature on a parsed token.
func BenchmarkVerifyRS256(b *testing.B) {
	tok, err := Parse(benchToken(b))
	if err != nil {
		b.Fatal(err)
	}
	pub := &keys(b).rsa2048.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		if err := tok.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyRS256Prepared is BenchmarkVerifyRS256 with the key
// prepared by NewKey, as jwks hands it to the verifier.
func BenchmarkVerifyRS256Prepared(b *testing.B) {
	tok, err := Parse(benchToken(b))
	if err != nil {
		b.Fatal(err)
	}
	pub, err := NewKey(&keys(b).rsa2048.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := tok.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyRS256Baseline calls crypto/rsa directly on the same bytes.
func BenchmarkVerifyRS256Baseline(b *testing.B) {
	tok, err := Parse(benchToken(b))
	if err != nil {
		b.Fatal(err)
	}
	pub := &keys(b).rsa2048.PublicKey
	in, sig := tok.SigningInput(), tok.Signature
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(in)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	k := keys(b)
	for _, alg := range []Algorithm{PS256, ES256, ES384, ES512, EdDSA} {
		key := k.signer(alg)
		tok, err := Parse(makeToken(b, alg, key, `{"alg":"`+string(alg)+`"}`, cognitoAccessClaims))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tok.Verify(key.Public()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
