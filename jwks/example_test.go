package jwks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// publish serves a JWKS holding one new ES256 key on a loopback server,
// the way an issuer (or a test double of Cognito) would.
func publish(kid string) (*httptest.Server, *jwks.Key) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	key, err := jwks.NewKey(kid, jws.ES256, &priv.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	set, _ := jwks.NewSet(key)
	body, err := json.Marshal(set)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=3600")
		_, _ = w.Write(body)
	}))
	return srv, key
}

// A Remote fetches the issuer's keys once, then serves lookups from memory.
func ExampleNewRemote() {
	srv, _ := publish("Mbs+3yfBrUbQ/Y2bKbpx2A==") // Cognito kids are standard base64
	defer srv.Close()

	// httptest serves plain http on 127.0.0.1, which is allowed because it
	// is loopback; any other host must be https.
	keys, err := jwks.NewRemote(srv.URL+"/.well-known/jwks.json", jwks.Options{
		OnEvent: func(e jwks.Event) {
			if e.Kind == jwks.FetchSucceeded {
				fmt.Println(e.Kind, "keys:", e.Keys, "ttl:", e.TTL)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := keys.Hydrate(ctx); err != nil { // at start-up, so the first request pays nothing
		log.Fatal(err)
	}

	// The kid and alg come from the token's header.
	key, err := keys.Key(ctx, "Mbs+3yfBrUbQ/Y2bKbpx2A==", jws.ES256)
	fmt.Println(key.KeyType, key.Curve, err)

	// An RS256 token cannot borrow an EC key.
	_, err = keys.Key(ctx, "Mbs+3yfBrUbQ/Y2bKbpx2A==", jws.RS256)
	fmt.Println(errors.Is(err, jwks.ErrInvalidKey))
	// Output:
	// fetch_succeeded keys: 1 ttl: 1h0m0s
	// EC P-256 <nil>
	// true
}

// HTTP layers map the two lookup failures to different answers: an
// unknown key is the token's fault (401), unavailable keys are ours (503).
func ExampleRemote_Key_errors() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	keys, err := jwks.NewRemote(srv.URL, jwks.Options{})
	if err != nil {
		log.Fatal(err)
	}
	_, err = keys.Key(context.Background(), "some-kid", jws.RS256)
	switch {
	case errors.Is(err, jwks.ErrKeysUnavailable):
		fmt.Println(http.StatusServiceUnavailable)
	case errors.Is(err, jwks.ErrKeyNotFound), errors.Is(err, jwks.ErrInvalidKey):
		fmt.Println(http.StatusUnauthorized)
	}
	var fe *jwks.FetchError
	if errors.As(err, &fe) {
		fmt.Println("issuer answered", fe.StatusCode)
	}
	// Output:
	// 503
	// issuer answered 503
}

// ParseSet keeps every good key and reports the rest.
func ExampleParseSet() {
	doc := []byte(`{"keys":[
		{"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
		{"kty":"OKP","crv":"Ed25519","kid":"ed","alg":"EdDSA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
		{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}
	]}`)
	set, skipped, err := jwks.ParseSet(doc, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("usable:", set.Len())
	for _, s := range skipped {
		fmt.Printf("skipped %d (%s): %v\n", s.Index, s.KeyID, s.Err)
	}
	key, err := set.Lookup("ed", jws.EdDSA)
	fmt.Println(key.KeyID, err)
	// Output:
	// usable: 1
	// skipped 0 (hmac): jwks: invalid key: private key member "k" present
	// skipped 2 (small): jwks: invalid key: RSA modulus of 17 bits is outside 2048..8192
	// ed <nil>
}

// Fits is the algorithm binding: a key verifies only the algorithms of its
// type and curve, and only its own "alg" when the JWK names one.
func ExampleKey_Fits() {
	key, err := jwks.ParseKey([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		log.Fatal(err)
	}
	for _, alg := range []jws.Algorithm{jws.EdDSA, jws.ES256, "HS256"} {
		fmt.Printf("%s: %v\n", alg, key.Fits(alg))
	}
	// Output:
	// EdDSA: <nil>
	// ES256: jwks: invalid key: key "" is OKP Ed25519, token alg is ES256
	// HS256: jwks: unsupported algorithm "HS256"
}

// Verifier is what to verify a token with: the key prepared once when it
// was imported (for RSA, with its Montgomery constants), so each
// verification is faster than with Public and allocates nothing.
func ExampleKey_Verifier() {
	key, err := jwks.ParseKey([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		log.Fatal(err)
	}
	prepared, ok := key.Verifier().(*jws.Key)
	fmt.Println(ok, prepared.Public() != nil)
	// A Key written as a literal has nothing prepared: Verifier is Public.
	literal := &jwks.Key{Public: key.Public}
	_, ok = literal.Verifier().(*jws.Key)
	fmt.Println(ok)
	// Output:
	// true true
	// false
}
