package cognitotest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"github.com/cognitojwt/cognitojwt/jws"
)

// Key is one signing key of an [Issuer]: the private key, and the key id and
// algorithm under which its public half is published.
type Key struct {
	// ID is the key's "kid": the standard base64 (with "+", "/" and "=")
	// of the SHA-256 of the public key's PKIX DER encoding, 44 characters,
	// the form Cognito's key ids have.
	ID string

	// Algorithm is what the key signs with: RS256 for RSA keys (Cognito's
	// only algorithm), ES256, ES384 or ES512 for EC keys by curve, and
	// EdDSA for Ed25519 keys.
	Algorithm jws.Algorithm

	// Signer is the private key.
	Signer crypto.Signer
}

// Public returns the key's public half.
func (k Key) Public() crypto.PublicKey { return k.Signer.Public() }

// GenerateKey returns a new 2048-bit RSA key, the size Cognito uses. It
// takes a fraction of a second (more under the race detector): generate
// one per test binary and pass it to [NewIssuer] or [Issuer.Signers] when
// many issuers are started.
func GenerateKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// NewKey returns the Key an issuer publishes for s: its kid and algorithm.
// It refuses a nil signer and key types other than RSA, ECDSA on P-256,
// P-384 or P-521, and Ed25519. It does not refuse RSA keys under 2048 bits,
// which verifiers refuse, so that tests can publish one on purpose.
func NewKey(s crypto.Signer) (Key, error) {
	if s == nil {
		return Key{}, errors.New("cognitotest: nil signing key")
	}
	pub := s.Public()
	var alg jws.Algorithm
	switch p := pub.(type) {
	case *rsa.PublicKey:
		alg = jws.RS256
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			alg = jws.ES256
		case elliptic.P384():
			alg = jws.ES384
		case elliptic.P521():
			alg = jws.ES512
		default:
			return Key{}, errors.New("cognitotest: unsupported EC curve: want P-256, P-384 or P-521")
		}
	case ed25519.PublicKey:
		alg = jws.EdDSA
	default:
		return Key{}, fmt.Errorf("cognitotest: unsupported key type %T: want RSA, ECDSA or Ed25519", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return Key{}, fmt.Errorf("cognitotest: encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return Key{ID: base64.StdEncoding.EncodeToString(sum[:]), Algorithm: alg, Signer: s}, nil
}

// sign signs input with k in the JWS form of k.Algorithm: PKCS #1 v1.5 for
// RS256, raw r‖s of the curve's size for ES*, plain Ed25519 for EdDSA.
func (k Key) sign(input []byte) ([]byte, error) {
	var (
		h      crypto.Hash
		digest []byte
	)
	switch k.Algorithm {
	case jws.RS256, jws.ES256:
		d := sha256.Sum256(input)
		h, digest = crypto.SHA256, d[:]
	case jws.ES384:
		d := sha512.Sum384(input)
		h, digest = crypto.SHA384, d[:]
	case jws.ES512:
		d := sha512.Sum512(input)
		h, digest = crypto.SHA512, d[:]
	case jws.EdDSA:
		return k.Signer.Sign(rand.Reader, input, crypto.Hash(0))
	default:
		return nil, fmt.Errorf("cognitotest: cannot sign with %s", k.Algorithm)
	}
	sig, err := k.Signer.Sign(rand.Reader, digest, h)
	if err != nil || k.Algorithm == jws.RS256 {
		return sig, err
	}
	// crypto.Signer gives ECDSA signatures in ASN.1; JWS wants r‖s, each
	// left-padded to the curve's byte size (RFC 7518 §3.4).
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 {
		return nil, errors.New("cognitotest: ECDSA signer returned a malformed signature")
	}
	size := (k.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// jwk is one entry of the served key set. The members are in alphabetical
// order, which is the order Cognito writes them in.
type jwk struct {
	Alg string `json:"alg"`
	Crv string `json:"crv,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n,omitempty"`
	Use string `json:"use"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

func (k Key) jwk() jwk {
	b64 := base64.RawURLEncoding
	out := jwk{Alg: string(k.Algorithm), Kid: k.ID, Use: "sig"}
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		out.Kty = "RSA"
		out.N = b64.EncodeToString(p.N.Bytes())
		out.E = b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		out.Kty, out.Crv = "EC", p.Curve.Params().Name
		// NewKey checked the curve; Bytes is 0x04 ‖ X ‖ Y, each of the
		// curve's size.
		if point, err := p.Bytes(); err == nil {
			size := (len(point) - 1) / 2
			out.X = b64.EncodeToString(point[1 : 1+size])
			out.Y = b64.EncodeToString(point[1+size:])
		}
	case ed25519.PublicKey:
		out.Kty, out.Crv = "OKP", "Ed25519"
		out.X = b64.EncodeToString(p)
	}
	return out
}
