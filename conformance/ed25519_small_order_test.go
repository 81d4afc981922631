package conformance

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// smallOrderFile holds Ed25519 public keys that no verifier may trust.
const smallOrderFile = "testdata/ed25519/small_order_keys.json"

type smallOrderKeys struct {
	Keys []struct {
		X         string `json:"x"`
		Order     int    `json:"order"`
		Canonical bool   `json:"canonical"`
	} `json:"keys"`
}

// edForgery is R = B (the base point), S = 1: under a key A of order n it
// verifies every message whose challenge k is 0 mod n, as [S]B − [k]A = B.
func edForgery() []byte {
	sig, _ := hex.DecodeString("5866666666666666666666666666666666666666666666666666666666666666")
	sig = append(sig, make([]byte, 32)...)
	sig[32] = 1
	return sig
}

func okpJWK(x []byte) []byte {
	return []byte(`{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"k","x":"` + base64.RawURLEncoding.EncodeToString(x) + `"}`)
}

// TestEd25519SmallOrderKeys: every key of the file is refused by
// jwks.ParseKey, jwks.ParseSet (skipped) and jws.CheckKey, and a token
// forged for it, which crypto/ed25519 itself verifies, is refused by
// Token.Verify. The control: a genuine key parses and its token verifies,
// and the forgery does not verify under it.
func TestEd25519SmallOrderKeys(t *testing.T) {
	data, err := os.ReadFile(smallOrderFile)
	if err != nil {
		t.Fatal(err)
	}
	var f smallOrderKeys
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Keys) != 14 {
		t.Fatalf("%d keys in %s, want 14", len(f.Keys), smallOrderFile)
	}
	sig := edForgery()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"k"}`))
	for _, k := range f.Keys {
		t.Run(k.X, func(t *testing.T) {
			x, err := hex.DecodeString(k.X)
			if err != nil || len(x) != 32 {
				t.Fatalf("bad vector: %v", err)
			}
			if _, err := jwks.ParseKey(okpJWK(x)); !errors.Is(err, jwks.ErrInvalidKey) {
				t.Errorf("jwks.ParseKey = %v, want ErrInvalidKey", err)
			}
			set, skipped, err := jwks.ParseSet([]byte(`{"keys":[`+string(okpJWK(x))+`]}`), nil)
			if err != nil || set.Len() != 0 || len(skipped) != 1 || !errors.Is(skipped[0].Err, jwks.ErrInvalidKey) {
				t.Errorf("jwks.ParseSet kept the key (%v, %v)", err, skipped)
			}
			if err := jws.CheckKey(jws.EdDSA, ed25519.PublicKey(x)); !errors.Is(err, jws.ErrInvalidKey) {
				t.Errorf("jws.CheckKey = %v, want ErrInvalidKey", err)
			}
			// A token the forgery signs, found within a bounded search
			// (one message in eight at worst).
			var token string
			for i := 0; i < 256 && token == ""; i++ {
				payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","exp":4102444800,"jti":"` + strconv.Itoa(i) + `"}`))
				if ed25519.Verify(ed25519.PublicKey(x), []byte(header+"."+payload), sig) {
					token = header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
				}
			}
			if token == "" {
				t.Fatal("crypto/ed25519 verified no forgery: the vector is not a small-order key")
			}
			tok, err := jws.Parse(token)
			if err != nil {
				t.Fatal(err)
			}
			if err := tok.Verify(ed25519.PublicKey(x)); !errors.Is(err, jws.ErrInvalidKey) {
				t.Errorf("forged token: Verify = %v, want ErrInvalidKey", err)
			}
		})
	}

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwks.ParseKey(okpJWK(pub)); err != nil {
		t.Fatalf("control key refused: %v", err)
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u","exp":4102444800}`))
	in := header + "." + payload
	tok, err := jws.Parse(in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(in))))
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(pub); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	forged, _ := jws.Parse(in + "." + base64.RawURLEncoding.EncodeToString(sig))
	if err := forged.Verify(pub); !errors.Is(err, jws.ErrInvalidSignature) {
		t.Fatalf("forgery under the control key: %v", err)
	}
}
