// Package jws parses compact JSON Web Signatures (RFC 7515) strictly and
// verifies their signatures with an allow-listed set of asymmetric algorithms.
//
// It is the lowest layer of cognitojwt and imports nothing else of the
// project. It answers two questions only: "is this a well-formed token whose
// header and registered claims mean exactly one thing?" ([Parse]) and "did
// this key sign these bytes with this algorithm?" ([VerifySignature]). Which
// key to use, and whether the claims are acceptable (issuer, audience,
// expiry), are decided by the packages above it.
//
// Strictness is the point. A token is refused, with an error that wraps
// [ErrMalformed], when it is larger than the size limit, has other than
// exactly three segments, uses any character outside the unpadded base64url
// alphabet (padding, whitespace and CR/LF included), has non-canonical
// trailing bits, or when its header or claims are not a single JSON object of
// valid UTF-8 with unique member names. Member names are matched exactly, so
// {"alg":"RS256","ALG":"none"} is one RS256 header with an unknown member,
// never "none". The algorithm "none" and every HMAC algorithm are refused
// before any key is consulted ([ErrAlgNone], [ErrSymmetricAlgorithm]).
package jws
