package conformance

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

var errNoPublicKey = errors.New("group has no public key")

// runJWSFile runs json_web_signature_test.json. Each group holds one JWK
// ("public"; HMAC groups have only a "private" oct key) and compact tokens.
//
// Two paths are run for every token:
//   - the library path, what a user gets: jws.Parse, then the group key
//     from jwks.ParseKey, Key.Fits(header alg) and Token.Verify. Its
//     outcome is compared with the label.
//   - the signature path: the harness splits the token itself, then
//     jwks.ParseKey + Key.Fits + jws.VerifySignature. Every Wycheproof
//     token has a payload that is not a JSON object, which
//     jws.Parse (a JWT parser) refuses before any signature is looked at;
//     this path makes sure each invalid token is refused for its own
//     reason too (modified signature, wrong key use, wrong algorithm...),
//     not only because of its payload.
//
// The same key is also decoded without jwks (rawJWK) and compared.
func runJWSFile(fc *fileCtx, f *vectorFile) {
	for gi := range f.TestGroups {
		g := &f.TestGroups[gi]
		hmacGroup := len(g.Public) == 0 && jwkField(g.Private, "kty") == "oct"
		var key *jwks.Key
		keyErr := errNoPublicKey
		var raw crypto.PublicKey
		rawErr := errNoPublicKey
		if len(g.Public) > 0 {
			keyErr = safely(func() (err error) { key, err = jwks.ParseKey(g.Public); return err })
			raw, rawErr = rawJWK(g.Public)
			if isPanic(keyErr) {
				fc.fail("group %d: jwks.ParseKey: %v", gi, keyErr)
			}
			if key != nil && raw != nil && !sameKey(key.Public, raw) {
				fc.fail("group %d: jwks.ParseKey and the harness decode the JWK to different keys", gi)
			}
		} else if !hmacGroup {
			fc.fail("group %d (%s) has neither a public key nor an HMAC key", gi, g.Comment)
		}
		for _, tc := range g.Tests {
			fc.judge(tc, jwsCase(tc, hmacGroup, key, keyErr, raw, rawErr))
		}
	}
}

func jwsCase(tc testCase, hmacGroup bool, key *jwks.Key, keyErr error, raw crypto.PublicKey, rawErr error) observation {
	obs := observation{outcome: rejected, outOfScope: hmacGroup}
	problem := func(format string, args ...any) { obs.problems = append(obs.problems, fmt.Sprintf(format, args...)) }

	// Library path.
	var tok *jws.Token
	parseErr := safely(func() (err error) { tok, err = jws.Parse(tc.JWS); return err })
	libErr := parseErr
	if parseErr == nil {
		if key == nil {
			libErr = fmt.Errorf("no usable key: %w", keyErr)
		} else {
			libErr = safely(func() error { return key.Fits(tok.Header.Algorithm) })
			if libErr == nil {
				libErr = safely(func() error { return tok.Verify(key.Verifier()) })
			}
		}
	}
	obs.err = libErr
	if libErr == nil {
		obs.outcome = accepted
	}
	if isPanic(libErr) {
		problem("%v", libErr)
	}
	if parseErr != nil && !isPanic(parseErr) && !errors.Is(parseErr, jws.ErrMalformed) && !errors.Is(parseErr, jws.ErrUnsupportedAlgorithm) {
		problem("jws.Parse error wraps neither ErrMalformed nor ErrUnsupportedAlgorithm: %v", parseErr)
	}

	// Signature path.
	sp, splitErr := splitCompact(tc.JWS)
	sigErr := splitErr
	rawVerifyErr := splitErr
	if splitErr == nil {
		alg := jws.Algorithm(sp.alg)
		if key == nil {
			sigErr = fmt.Errorf("no usable key: %w", keyErr)
		} else {
			sigErr = safely(func() error { return key.Fits(alg) })
			if sigErr == nil {
				sigErr = safely(func() error { return jws.VerifySignature(alg, key.Verifier(), sp.signingInput, sp.sig) })
			}
		}
		if raw == nil {
			rawVerifyErr = rawErr
		} else {
			rawVerifyErr = safely(func() error { return jws.VerifySignature(alg, raw, sp.signingInput, sp.sig) })
		}
	}
	if isPanic(sigErr) || isPanic(rawVerifyErr) {
		problem("signature path: %v / %v", sigErr, rawVerifyErr)
	}

	// The two paths must agree where both apply.
	if parseErr == nil {
		if splitErr != nil {
			problem("jws.Parse accepts a token the harness cannot split: %v", splitErr)
		} else {
			if !bytes.Equal(tok.SigningInput(), sp.signingInput) || !bytes.Equal(tok.Signature, sp.sig) ||
				string(tok.Header.Algorithm) != sp.alg || tok.Header.KeyID != sp.kid {
				problem("jws.Parse and the harness disagree on the signing input, signature, alg or kid")
			}
		}
	}
	if obs.outcome == accepted && sigErr != nil {
		problem("library path accepts but the signature path refuses: %v", sigErr)
	}
	if tc.Result == "invalid" && !hmacGroup && sigErr == nil {
		problem("the jwks + VerifySignature path ACCEPTS this invalid token (library path: %v): only the JWT payload rule stops it", libErr)
	}
	if hmacGroup && parseErr == nil {
		problem("jws.Parse accepts an HMAC token")
	}

	obs.checkReason = func(k reasonKind) error {
		switch k {
		case notJWT, notJWTKeyAlg:
			if !errors.Is(parseErr, jws.ErrMalformed) {
				return fmt.Errorf("jws.Parse error is not ErrMalformed: %v", parseErr)
			}
			if payloadIsJSONObject(tc.JWS) {
				return errors.New("the payload is a JSON object")
			}
			if splitErr != nil {
				return fmt.Errorf("harness cannot split the token: %v", splitErr)
			}
			if k == notJWT {
				if sigErr != nil {
					return fmt.Errorf("signature does not verify through jwks + VerifySignature: %v", sigErr)
				}
				return nil
			}
			if sigErr == nil {
				return errors.New("jwks binds the key to the header alg after all")
			}
			if !errors.Is(sigErr, errNoPublicKey) && key != nil {
				if fitsErr := key.Fits(jws.Algorithm(sp.alg)); fitsErr == nil {
					return fmt.Errorf("jwks key fits %s; the refusal is the signature: %v", sp.alg, sigErr)
				}
			}
			if rawVerifyErr != nil {
				return fmt.Errorf("the key decoded without jwks does not verify the signature either: %v", rawVerifyErr)
			}
			return nil
		case outOfScopeHMAC:
			if !hmacGroup {
				return errors.New("not an HMAC group")
			}
			return nil
		}
		return fmt.Errorf("reason kind %s does not apply to %s", k, fileJWS)
	}
	return obs
}

// runJWKFile runs json_web_key_test.json. Each group holds a JWK Set
// ("public", or for HMAC groups only "private") and tokens signed with one
// of its keys. Per the file's notes the key set itself is under test:
// valid means the set is usable and the token verifies with the key its
// kid names; invalid means the set (or the key for this token) must be
// refused or the token must not verify.
//
// The library path is jwks.ParseSet, Set.Lookup(kid, alg) and
// jws.VerifySignature on the signing input (these payloads are "foo" and
// "", not JWT claims sets, so jws.Parse does not apply; see the JWS file
// for that). As a cross-check each entry is also decoded alone with
// jwks.ParseKey and, for the key the token names, without jwks at all.
func runJWKFile(fc *fileCtx, f *vectorFile) {
	for gi := range f.TestGroups {
		g := &f.TestGroups[gi]
		setJSON := g.Public
		if len(setJSON) == 0 {
			setJSON = g.Private
		}
		ks := keySet{}
		ks.setErr = safely(func() (err error) { ks.set, ks.skipped, err = jwks.ParseSet(setJSON, nil); return err })
		if isPanic(ks.setErr) {
			fc.fail("group %d: jwks.ParseSet: %v", gi, ks.setErr)
		}
		members, err := jwkSet(setJSON)
		if err != nil {
			fc.fail("group %d: harness cannot read the key set: %v", gi, err)
		}
		for _, m := range members {
			var k *jwks.Key
			err := safely(func() (err error) { k, err = jwks.ParseKey(m); return err })
			if isPanic(err) {
				fc.fail("group %d: jwks.ParseKey: %v", gi, err)
			}
			raw, rawErr := rawJWK(m)
			if rawErr == nil {
				ks.raw = append(ks.raw, rawKey{kid: jwkField(m, "kid"), key: raw})
			}
			if err != nil {
				ks.refused = append(ks.refused, err)
				continue
			}
			ks.keys = append(ks.keys, k)
			if rawErr == nil && !sameKey(raw, k.Public) {
				fc.fail("group %d: jwks.ParseKey and the harness decode kid %q to different keys", gi, k.KeyID)
			}
		}
		for _, tc := range g.Tests {
			fc.judge(tc, jwkCase(tc, ks))
		}
	}
}

type keySet struct {
	set     *jwks.Set
	skipped []jwks.SkippedKey
	setErr  error

	keys    []*jwks.Key // each entry through jwks.ParseKey
	refused []error
	raw     []rawKey // each entry decoded without jwks
}

type rawKey struct {
	kid string
	key crypto.PublicKey
}

func jwkCase(tc testCase, ks keySet) observation {
	obs := observation{outcome: rejected}
	problem := func(format string, args ...any) { obs.problems = append(obs.problems, fmt.Sprintf(format, args...)) }
	sp, splitErr := splitCompact(tc.JWS)
	hmac := splitErr == nil && strings.HasPrefix(sp.alg, "HS")
	obs.outOfScope = hmac

	// Library path: ParseSet, Lookup, VerifySignature.
	err := splitErr
	if err == nil {
		alg := jws.Algorithm(sp.alg)
		if ks.setErr != nil {
			err = ks.setErr
		} else {
			var k *jwks.Key
			err = safely(func() (err error) { k, err = ks.set.Lookup(sp.kid, alg); return err })
			if err == nil {
				if ferr := k.Fits(alg); ferr != nil {
					problem("Set.Lookup returned a key that does not fit %s: %v", alg, ferr)
				}
				err = safely(func() error { return jws.VerifySignature(alg, k.Public, sp.signingInput, sp.sig) })
				if rk, ok := k.Public.(*rsa.PublicKey); ok && rocaFingerprint(rk.N) {
					obs.note = "the key has the ROCA fingerprint (CVE-2017-15361, factorable): jwks.ParseKey/ParseSet accept it"
				}
			}
		}
	}
	obs.err = err
	if err == nil {
		obs.outcome = accepted
	}
	if isPanic(err) {
		problem("%v", err)
	}

	// Cross-check: the entries one by one through ParseKey.
	perKey := splitErr
	if perKey == nil {
		var match []*jwks.Key
		for _, k := range ks.keys {
			if k.KeyID == sp.kid {
				match = append(match, k)
			}
		}
		switch {
		case len(match) == 0:
			perKey = fmt.Errorf("no usable key with kid %q (refused: %v)", sp.kid, errors.Join(ks.refused...))
		case len(match) > 1:
			perKey = fmt.Errorf("%d keys with kid %q", len(match), sp.kid)
		default:
			alg := jws.Algorithm(sp.alg)
			perKey = safely(func() error { return match[0].Fits(alg) })
			if perKey == nil {
				perKey = safely(func() error { return jws.VerifySignature(alg, match[0].Public, sp.signingInput, sp.sig) })
			}
		}
	}
	if (perKey == nil) != (err == nil) {
		problem("jwks.ParseSet+Lookup (%v) and jwks.ParseKey (%v) disagree", err, perKey)
	}
	if tc.Result == "valid" && !hmac {
		if ks.setErr != nil || len(ks.skipped) > 0 {
			problem("jwks.ParseSet refuses or skips keys of a valid set: %v %v", ks.setErr, ks.skipped)
		}
		// The signature must verify with the key decoded without jwks too.
		if splitErr == nil {
			ok := false
			for _, r := range ks.raw {
				if r.kid == sp.kid && jws.VerifySignature(jws.Algorithm(sp.alg), r.key, sp.signingInput, sp.sig) == nil {
					ok = true
				}
			}
			if !ok {
				problem("no key decoded without jwks verifies this valid token")
			}
		}
	}
	obs.checkReason = func(k reasonKind) error {
		if k == outOfScopeHMAC && hmac {
			return nil
		}
		return fmt.Errorf("reason kind %s does not apply (alg %v)", k, sp)
	}
	return obs
}
