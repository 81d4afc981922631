// Package revocation says which verified tokens have been revoked before
// they expired, so that a verifier that checks tokens locally can still
// refuse a token its issuer revoked (Cognito's RevokeToken, GlobalSignOut,
// AdminUserGlobalSignOut, a disabled or deleted user).
//
// A revocation is an [Entry]: one token (by "jti"), every token of one
// sign-in (by "origin_jti", what RevokeToken of a refresh token
// invalidates), or every token of one user issued at or before a time (by
// "sub", or by Cognito "username", since admin events name the user). An
// entry lives until no token it could match can still be valid: the
// issuer's maximum token lifetime after it was made.
//
// The verifiers (packages cognitojwt and oidc) call a [Checker] after the
// signature and every rule passed and before the user's Check, on every
// call, cache hits included. A refusal wraps [ErrRevoked] (a 401
// invalid_token); a store that cannot answer wraps [ErrUnavailable] (a 503
// with Retry-After, never a 401 and never a pass).
//
// [Memory] is the store of a single instance and of tests. A fleet shares
// revocations through Redis with the nested module
// github.com/cognitojwt/cognitojwt/revocation/redis, which answers from a
// local Memory kept in step with Redis.
package revocation
