// Package jwks turns JSON Web Keys (RFC 7517) into validated public keys
// and keeps a remote JWK Set cached and current through key rotation,
// floods of made-up key ids, and issuer outages.
//
// Three layers:
//
//   - [ParseKey] and [NewKey] build a [Key]: an RSA (2048 to 8192 bits),
//     EC (P-256, P-384, P-521, point on the curve) or Ed25519 public key,
//     validated once, with the algorithms it may verify fixed from its
//     kty, crv and alg. Private members, symmetric keys, encryption keys
//     and non-canonical encodings are refused.
//   - [ParseSet] and [NewSet] build an immutable [Set]: bad entries are
//     skipped and reported, never fatal to the rest, and a kid that would
//     let the token choose between keys is dropped. [Set.Lookup] binds
//     the token's alg to the key: an RS256 token never verifies against
//     an EC key, nor against a JWK that says "alg": "PS256".
//   - [NewRemote] returns a [Remote] that fetches a JWKS URL (https only,
//     bounded in time and size), serves lookups from an atomic snapshot
//     (one atomic load, no lock, no allocation on a hit), shares one fetch
//     among all concurrent misses, refetches for an unknown kid at most
//     once per [Options.MinRefetchInterval], refreshes after the TTL or
//     Cache-Control max-age (with If-None-Match), backs off with jitter
//     after failures, and keeps serving cached keys for
//     [Options.StaleIfError] when the issuer is down. When nothing usable
//     is cached, lookups fail with [ErrKeysUnavailable] (answer 503), not
//     [ErrKeyNotFound] (answer 401).
//
// Nothing here logs. [Options.OnEvent] reports every fetch, key change,
// skipped key and suppressed refetch for logs and metrics. A Remote needs
// no Close: it runs a goroutine only while a fetch is in flight.
//
// The defaults and the reasons for them are in docs/KEYS.md.
package jwks
