package jws_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log"

	"github.com/cognitojwt/cognitojwt/jws"
)

// sign makes a compact RS256 token, as an issuer would.
func sign(priv *rsa.PrivateKey, header, claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	input := enc([]byte(header)) + "." + enc([]byte(claims))
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
	if err != nil {
		log.Fatal(err)
	}
	return input + "." + enc(sig)
}

// A verifier that keeps a key for many tokens prepares it once: for RSA,
// the modulus's constants are then computed once instead of on every
// verification. The answer is the same as with the key itself.
func ExampleNewKey() {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	key, err := jws.NewKey(&priv.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := jws.Parse(sign(priv, `{"alg":"RS256","kid":"k1"}`, `{"sub":"alice","exp":4102444800}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("prepared:", tok.Verify(key))
	fmt.Println("as is:", tok.Verify(&priv.PublicKey))

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := jws.NewKey(&other.PublicKey)
	fmt.Println("another key:", tok.Verify(otherKey))
	// Output:
	// prepared: <nil>
	// as is: <nil>
	// another key: jws: invalid signature
}

// NewKey refuses a key that no algorithm may use.
func ExampleNewKey_refused() {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		log.Fatal(err)
	}
	_, err = jws.NewKey(&weak.PublicKey)
	fmt.Println(err)
	// Output:
	// jws: invalid key: RSA modulus of 1024 bits is outside 2048..8192
}
