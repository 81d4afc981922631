package cognitojwt_test

import (
	"context"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// BenchmarkVerify measures a whole Verify of a Cognito access token with
// its keys cached: "signature" with the verified-token cache off (parse,
// key lookup, RSA-2048 signature, every rule), "cached" with a repeated
// token (the cache skips the parse and the signature, never the rules).
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
