package bench

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	golangjwt "github.com/golang-jwt/jwt/v5"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/cognitojwt/cognitojwt/jws"
)

// BenchmarkVerifyAccessToken is a whole verification of the fixture's
// Cognito access token by each peer, keys already fetched and cached:
// parse, key lookup, RSA-2048 signature, iss, exp/iat/nbf, token_use and
// client_id (by hand where the library has no such rule; see peers_test.go).
//
// lib=cognitojwt has the verified-token cache off (CacheSize -1): it
// verifies the signature on every call, as the peers do, and is the fair
// comparison. lib=cognitojwt-cached is the default configuration, where
// the repeated token hits the verified-token cache (the signature is
// skipped, every claim rule still runs); no peer has such a cache.
//
// lib=aws-jwt-verify-sync is aws-jwt-verify's verifySync in Node (see
// benchAWSJWTVerify), when node and its node_modules are there.
//
// lib=floor is the signature alone, what every verifier must pay:
// sha256 of the signing input and crypto/rsa.VerifyPKCS1v15 with the
// parsed public key, the token split and decoded before the timer starts.
func BenchmarkVerifyAccessToken(b *testing.B) {
	b.Run("lib="+nameFloor, benchFloor)
	b.Run("lib="+nameAWSJWTVerify, benchAWSJWTVerify)
	for _, p := range fix.peers {
		b.Run("lib="+p.name, func(b *testing.B) {
			ctx := context.Background()
			token := fix.token
			b.ReportAllocs()
			for b.Loop() {
				if err := p.verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyIDToken is BenchmarkVerifyAccessToken for the ID-token
// peers, on the fixture's ID token: cognitojwt with TokenUse IDToken
// (cache off, and cached) and go-jwt-middleware's validator, which needs
// an aud and so cannot verify access tokens (internal/jwtmw says why).
// lib=floor is the signature of the ID token alone.
func BenchmarkVerifyIDToken(b *testing.B) {
	b.Run("lib="+nameFloor, func(b *testing.B) {
		in, sig := signingInput(b, fix.idToken)
		pub := &fix.key.PublicKey
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(in)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, p := range fix.idPeers {
		b.Run("lib="+p.name, func(b *testing.B) {
			ctx := context.Background()
			token := fix.idToken
			b.ReportAllocs()
			for b.Loop() {
				if err := p.verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyParallel is BenchmarkVerifyAccessToken from GOMAXPROCS
// goroutines sharing one verifier, as an HTTP server does.
func BenchmarkVerifyParallel(b *testing.B) {
	b.Run("lib="+nameFloor, func(b *testing.B) {
		in, sig := floorInput(b)
		pub := &fix.key.PublicKey
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				sum := sha256.Sum256(in)
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	for _, p := range fix.peers {
		b.Run("lib="+p.name, func(b *testing.B) {
			token := fix.token
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := p.verify(ctx, token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func benchFloor(b *testing.B) {
	in, sig := floorInput(b)
	pub := &fix.key.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(in)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// floorInput is the fixture token's signing input and decoded signature.
func floorInput(b *testing.B) (in, sig []byte) { return signingInput(b, fix.token) }

// signingInput is a token's signing input and decoded signature.
func signingInput(b *testing.B, token string) (in, sig []byte) {
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	return []byte(token[:i]), sig
}

// BenchmarkParseOnly decodes the token without verifying it, with each
// library's own parse-without-verify API, and reads token_use; for
// cognitojwt that is jws.Parse (package jws of this module). go-oidc is
// absent: it exposes no such API (its InsecureSkipSignatureCheck still runs
// the verifier's claim checks; go-jose's UnsafePayloadWithoutVerification
// is go-jose, not go-oidc).
func BenchmarkParseOnly(b *testing.B) {
	token := fix.token
	b.Run("lib="+nameCacheOff, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tok, err := jws.Parse(token)
			if err != nil {
				b.Fatal(err)
			}
			v, _ := tok.Claims.Get("token_use")
			if s, _ := v.AsString(); s != "access" {
				b.Fatal("token_use", s)
			}
		}
	})
	b.Run("lib="+nameGolangJWT, func(b *testing.B) {
		// jwt.Parser.ParseUnverified into the claims struct a user declares.
		parser := golangjwt.NewParser()
		b.ReportAllocs()
		for b.Loop() {
			var c cognitoClaims
			if _, _, err := parser.ParseUnverified(token, &c); err != nil {
				b.Fatal(err)
			}
			if c.TokenUse != "access" {
				b.Fatal("token_use", c.TokenUse)
			}
		}
	})
	b.Run("lib="+nameJWX, func(b *testing.B) {
		// jwt.ParseInsecure takes []byte: the conversion of the string a
		// server holds is part of the cost a user pays.
		b.ReportAllocs()
		for b.Loop() {
			tok, err := jwxjwt.ParseInsecure([]byte(token))
			if err != nil {
				b.Fatal(err)
			}
			var s string
			if err := tok.Get("token_use", &s); err != nil || s != "access" {
				b.Fatal("token_use", s, err)
			}
		}
	})
}
