package conformance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// runSignatureFile runs the RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (P1363)
// and Ed25519 files: msg is the signing input, sig the JWS signature, and
// jws.VerifySignature must return nil exactly for the valid cases.
func runSignatureFile(fc *fileCtx, kind runnerKind, f *vectorFile) {
	for gi := range f.TestGroups {
		g := &f.TestGroups[gi]
		key, keyErr := parseDER(g.PublicKeyDer)
		var alg, nearest jws.Algorithm
		var scope string
		if keyErr == nil {
			alg, nearest, scope = sigAlgorithm(kind, g, key)
		} else {
			fc.fail("group %d: publicKeyDer does not parse: %v", gi, keyErr)
		}
		if keyErr == nil && scope == "" && len(g.jwk()) > 0 {
			if err := jwkCrossCheck(g.jwk(), key, alg); err != nil {
				fc.fail("group %d (%s): %v", gi, alg, err)
			}
		}
		for _, tc := range g.Tests {
			fc.judge(tc, verifyCase(kind, key, keyErr, alg, nearest, scope, tc))
		}
	}
}

func verifyCase(kind runnerKind, key crypto.PublicKey, keyErr error, alg, nearest jws.Algorithm, scope string, tc testCase) observation {
	obs := observation{outcome: rejected}
	msg, err1 := unhex(tc.Msg)
	sig, err2 := unhex(tc.Sig)
	if keyErr != nil || err1 != nil || err2 != nil {
		obs.err = errors.Join(keyErr, err1, err2)
		obs.problems = append(obs.problems, fmt.Sprintf("harness cannot decode the case: %v", obs.err))
		return obs
	}

	if scope != "" {
		// No JWS algorithm has these parameters. Where one has the same
		// hash, it must refuse the case all the same.
		obs.outOfScope = true
		obs.err = fmt.Errorf("out of scope: %s", scope)
		if nearest != "" {
			err := safely(func() error { return jws.VerifySignature(nearest, key, msg, sig) })
			if err == nil {
				obs.outcome = accepted
			} else if isPanic(err) {
				obs.problems = append(obs.problems, err.Error())
			}
			if p := preparedDiffers(nearest, key, msg, sig, err); p != "" {
				obs.problems = append(obs.problems, p)
			}
		}
		obs.checkReason = func(k reasonKind) error {
			if k == outOfScopePSS && kind == runPSS {
				return nil
			}
			return fmt.Errorf("group is out of scope (%s), not %s", scope, k)
		}
		return obs
	}

	err := safely(func() error { return jws.VerifySignature(alg, key, msg, sig) })
	obs.err = err
	if err == nil {
		obs.outcome = accepted
	}
	if p := preparedDiffers(alg, key, msg, sig, err); p != "" {
		obs.problems = append(obs.problems, p)
	}
	switch {
	case err == nil:
	case isPanic(err):
		obs.problems = append(obs.problems, err.Error())
	case !errors.Is(err, jws.ErrInvalidSignature) && !errors.Is(err, jws.ErrInvalidKey):
		obs.problems = append(obs.problems, fmt.Sprintf("error wraps neither ErrInvalidSignature nor ErrInvalidKey: %v", err))
	}
	obs.checkReason = func(k reasonKind) error {
		if k == keyPolicy && errors.Is(err, jws.ErrInvalidKey) {
			return nil
		}
		return fmt.Errorf("outcome %v is not a %s refusal", err, k)
	}
	return obs
}

// preparedDiffers runs the case again through a jws.Key, the form jwks
// gives the verifier (for RSA, its own Montgomery arithmetic instead of
// crypto/rsa), and describes any difference from rawErr, the answer for the
// unprepared key. Every case is judged on the unprepared answer, so an
// equal answer means the prepared path passes every vector too.
func preparedDiffers(alg jws.Algorithm, key crypto.PublicKey, msg, sig []byte, rawErr error) string {
	k, err := jws.NewKey(key)
	if err != nil {
		if rawErr != nil && errors.Is(rawErr, jws.ErrInvalidKey) {
			return ""
		}
		return fmt.Sprintf("jws.NewKey refuses a key that verifies unprepared (%v): %v", rawErr, err)
	}
	err = safely(func() error { return jws.VerifySignature(alg, k, msg, sig) })
	if (err == nil) != (rawErr == nil) || isPanic(err) {
		return fmt.Sprintf("prepared key says %v, unprepared %v", err, rawErr)
	}
	return ""
}

func parseDER(h string) (crypto.PublicKey, error) {
	der, err := unhex(h)
	if err != nil {
		return nil, err
	}
	return x509.ParsePKIXPublicKey(der)
}

// sigAlgorithm maps a group's parameters to the JWS algorithm. When none
// fits, scope says why, and nearest is the JWS algorithm with the same
// hash and key type (which must refuse the case), if any.
func sigAlgorithm(kind runnerKind, g *testGroup, key crypto.PublicKey) (alg, nearest jws.Algorithm, scope string) {
	type shaAlgs struct {
		rs, ps, es jws.Algorithm
		size       int
		curve      elliptic.Curve
	}
	bySha := map[string]shaAlgs{
		"SHA-256": {jws.RS256, jws.PS256, jws.ES256, 32, elliptic.P256()},
		"SHA-384": {jws.RS384, jws.PS384, jws.ES384, 48, elliptic.P384()},
		"SHA-512": {jws.RS512, jws.PS512, jws.ES512, 64, elliptic.P521()},
	}
	s, shaOK := bySha[g.Sha]
	switch kind {
	case runPKCS1:
		if !shaOK {
			return "", "", "hash " + g.Sha + " has no RS* algorithm"
		}
		return s.rs, "", ""
	case runPSS:
		if !shaOK {
			return "", "", "hash " + g.Sha + " has no PS* algorithm"
		}
		if g.Mgf != "MGF1" || g.MgfSha != g.Sha || g.SLen == nil || *g.SLen != s.size {
			sLen := -1
			if g.SLen != nil {
				sLen = *g.SLen
			}
			return "", s.ps, fmt.Sprintf("PSS %s, %s-%s, salt %d: %s needs MGF1-%s and a %d-byte salt", g.Sha, g.Mgf, g.MgfSha, sLen, s.ps, g.Sha, s.size)
		}
		return s.ps, "", ""
	case runECDSA:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return "", "", fmt.Sprintf("ECDSA group with a %T key", key)
		}
		if !shaOK || k.Curve != s.curve {
			return "", "", fmt.Sprintf("ECDSA on %s with %s has no ES* algorithm", k.Curve.Params().Name, g.Sha)
		}
		return s.es, "", ""
	case runEdDSA:
		if _, ok := key.(ed25519.PublicKey); !ok {
			return "", "", fmt.Sprintf("EdDSA group with a %T key", key)
		}
		return jws.EdDSA, "", ""
	}
	return "", "", "unknown runner"
}

// jwkCrossCheck decodes the group's public JWK with jwks.ParseKey and
// checks that it is the same key as publicKeyDer and that jwks binds it to
// the algorithm the group is run with.
func jwkCrossCheck(raw json.RawMessage, der crypto.PublicKey, alg jws.Algorithm) error {
	var k *jwks.Key
	err := safely(func() (err error) { k, err = jwks.ParseKey(raw); return err })
	if err != nil {
		return fmt.Errorf("jwks.ParseKey refuses the group's public JWK (jws.CheckKey(%s) on the same key from DER: %v): %v",
			alg, jws.CheckKey(alg, der), err)
	}
	if !sameKey(k.Public, der) {
		return fmt.Errorf("jwks.ParseKey decodes the JWK to a key other than publicKeyDer")
	}
	if err := safely(func() error { return k.Fits(alg) }); err != nil {
		return fmt.Errorf("jwks key (kty %s, crv %q, alg %q) does not fit %s: %v", k.KeyType, k.Curve, k.Algorithm, alg, err)
	}
	return nil
}
