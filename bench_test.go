package cognitojwt_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// BenchmarkVerify measures a whole Verify of a Cognito access token with
// its keys cached: "signature" with the verified-token cache off (parse,
// key lookup, RSA-2048 signature, every rule), "cached" with a repeated
// token (the cache skips the parse and the signature, never the rules),
// "new" with the cache on and every token new to it (parse, signature,
// rules and insertion).
func BenchmarkVerify(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	token := iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}, Scopes: []string{"openid", "orders/read"}})
	for _, bc := range []struct {
		name  string
		cache int
	}{{"signature", -1}, {"cached", 0}} {
		cfg := configFor(iss, cognitojwt.AccessToken)
		cfg.CacheSize = bc.cache
		cfg.Scopes = []string{"orders/read"}
		v := mustNew(b, cfg)
		if err := v.Hydrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
		if bc.cache == 0 {
			// First sight with the cache on: 64 tokens in turn through a
			// cache of 16, so that every call misses, verifies and
			// inserts (what an API sees from many users).
			cfg.CacheSize = 16
			small := mustNew(b, cfg)
			if err := small.Hydrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			var toks []string
			for i := range 64 {
				toks = append(toks, iss.AccessToken(cognitotest.TokenOptions{Username: fmt.Sprintf("user%d", i), Groups: []string{"admin"}, Scopes: []string{"openid", "orders/read"}}))
			}
			b.Run("new", func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := small.Verify(ctx, toks[i%len(toks)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := v.Verify(ctx, token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
