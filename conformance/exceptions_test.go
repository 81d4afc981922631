package conformance

// This file is the exception table: every Wycheproof case whose outcome
// here differs from the upstream label, with the reason. TestWycheproof
// fails when
//   - a case disagrees with its label and is not listed here;
//   - a listed case agrees with its label again (the entry is stale);
//   - a listed case's outcome is not the one recorded here, or its reason
//     no longer holds (each reason kind is checked mechanically, see
//     checkReason in wycheproof_test.go);
//   - a listed file/tcId does not exist.
// EXCEPTIONS.md is generated from these tables (go test -run
// TestExceptionsDoc -update) and checked to be current.

type outcome string

const (
	accepted outcome = "accepted"
	rejected outcome = "rejected"
)

// reasonKind names why a case deviates; each kind has a mechanical check.
type reasonKind string

const (
	// notJWT: a valid JWS whose payload is not a JSON object. jws.Parse is
	// a JWT parser and refuses it (ErrMalformed). Check: the error wraps
	// ErrMalformed, the payload is not a JSON object, and the signature
	// verifies through jwks.ParseKey + Key.Fits + jws.VerifySignature on
	// the harness-split signing input.
	notJWT reasonKind = "not-jwt"

	// notJWTKeyAlg: notJWT, and besides the group JWK's "alg" does not
	// bind the key to the header's alg, so jwks refuses the key for it.
	// Check: ErrMalformed from Parse, payload not an object, the jwks path
	// refuses (ParseKey or Fits), and the same key decoded without jwks
	// verifies the signature (so only the alg binding refuses it).
	notJWTKeyAlg reasonKind = "not-jwt+key-alg"

	// outOfScopeHMAC: an HMAC (HS256/384/512) case. This library verifies
	// asymmetric signatures only and refuses every HS* token. Check: the
	// token's alg is HS* and our outcome is a refusal.
	outOfScopeHMAC reasonKind = "out-of-scope:hmac"

	// outOfScopePSS: an RSA-PSS group whose hash, MGF1 hash and salt
	// length match no PS* algorithm (RFC 7518 §3.5 fixes all three). Check:
	// the group's parameters match no JWS algorithm and, where one has the
	// same hash, it refuses the case. None in the current files.
	outOfScopePSS reasonKind = "out-of-scope:pss-params"

	// keyPolicy: a valid signature refused because the key fails this
	// library's key policy (jws.CheckKey). Check: the error wraps
	// jws.ErrInvalidKey. None today; listed so that one would be counted
	// separately, never silently.
	keyPolicy reasonKind = "key-policy"
)

type exception struct {
	file    string
	tcID    int
	outcome outcome
	kind    reasonKind
	reason  string
}

const (
	fileJWS = "json_web_signature_test.json"
	fileJWK = "json_web_key_test.json"
)

const (
	reasonNotJWT = "payload is not a JSON object (JWT claims set): jws.Parse refuses it with ErrMalformed; " +
		"the signature itself verifies through jwks.ParseKey + Key.Fits + jws.VerifySignature"
	reasonPS256Key = "header alg PS384 but the group JWK has alg PS256: jwks binds the key to PS256 and refuses it for PS384 " +
		"(the JWK alg must equal the header alg); also payload is not a JSON object"
	reasonES521Key = "JWK alg \"ES521\" is not a registered JWS algorithm (the name is ES512): jwks refuses the key; " +
		"also payload is not a JSON object"
	reasonHMAC    = "HMAC token: an asymmetric-only verifier refuses every HS* alg (ErrSymmetricAlgorithm); out of scope"
	reasonHMAC372 = "HMAC token (and the segment contains '?', not base64url: refused as malformed either way); out of scope"
)

func exceptionList(file string, kind reasonKind, out outcome, reason string, ids ...int) []exception {
	es := make([]exception, len(ids))
	for i, id := range ids {
		es[i] = exception{file: file, tcID: id, outcome: out, kind: kind, reason: reason}
	}
	return es
}

// exceptions is the whole table, one row per (file, tcId).
var exceptions = concat(
	// json_web_signature_test.json: every valid asymmetric token has a
	// payload that is not a JSON object ("foo", "", 20 zero bytes, "a",
	// "Test", 0xe0..0xff, "123400", RFC 7520's plain-text quote).
	exceptionList(fileJWS, notJWT, rejected, reasonNotJWT,
		18,                      // es256 acceptsValid
		33,                      // rs256 acceptsValid
		259, 260, 261, 262, 263, // rs256 payload variants
		264, 265, 266, 267, // rs384
		268, 269, 270, 271, // rs512
		272, 273, 274, 275, // ps256
		287, 288, // ps256 saltIsAll0 / saltIsAll1
		320, 321, 322, 323, // ps384
		325, 326, 327, 328, // ps512
		345, // RFC 7520 Figure 13 (RS256)
		349, // Figure 13 with key_ops ["verify"]
		378, // SpecialCaseEs256 valid
	),
	exceptionList(fileJWS, notJWTKeyAlg, rejected, reasonPS256Key, 346, 350),
	exceptionList(fileJWS, notJWTKeyAlg, rejected, reasonES521Key, 347, 351),
	exceptionList(fileJWS, outOfScopeHMAC, rejected, reasonHMAC,
		1, 348, 352, 357, 358, 359, 376, 377),
	exceptionList(fileJWS, outOfScopeHMAC, rejected, reasonHMAC372, 372, 373),

	// json_web_key_test.json: the valid HMAC key sets.
	exceptionList(fileJWK, outOfScopeHMAC, rejected, reasonHMAC, 2, 13, 14, 15),
)

func concat(lists ...[]exception) []exception {
	var all []exception
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// acceptableCase pins the outcome of each case labelled "acceptable", so
// that a change (a new Go release, a jws change) is noticed and
// EXCEPTIONS.md updated. Either outcome would conform.
type acceptableCase struct {
	file    string
	tcID    int
	outcome outcome
	reason  string
}

const reasonMissingNull = "MissingNull: DigestInfo without the NULL AlgorithmIdentifier parameters. " +
	"RFC 8017 §9.2 note 1 lets verifiers accept it; crypto/rsa compares the whole encoded message " +
	"with the NULL form, so it is refused"

var acceptables = func() []acceptableCase {
	var l []acceptableCase
	for _, f := range []string{
		"rsa_signature_2048_sha256_test.json", "rsa_signature_2048_sha384_test.json", "rsa_signature_2048_sha512_test.json",
		"rsa_signature_3072_sha256_test.json", "rsa_signature_3072_sha384_test.json", "rsa_signature_3072_sha512_test.json",
		"rsa_signature_4096_sha256_test.json", "rsa_signature_4096_sha384_test.json", "rsa_signature_4096_sha512_test.json",
		"rsa_signature_8192_sha256_test.json", "rsa_signature_8192_sha384_test.json", "rsa_signature_8192_sha512_test.json",
	} {
		l = append(l, acceptableCase{file: f, tcID: 8, outcome: rejected, reason: reasonMissingNull})
	}
	return l
}()
