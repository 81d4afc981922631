package grpcauth_test

import (
	"context"
	"strings"
	"testing"

	grpcauth "github.com/cognitojwt/cognitojwt/contrib/grpc"
)

type nopVerifier struct{}

func (nopVerifier) Verify(context.Context, string) (*struct{}, error) { return &struct{}{}, nil }

// FuzzMethodsKey: New never panics on a Methods key, and accepts only
// "/service/" and "/service/method".
func FuzzMethodsKey(f *testing.F) {
	for _, s := range []string{"/pkg.Svc/", "/pkg.Svc/M", "pkg.Svc/", "/", "//", "/a/b/c", "/a /", "/a/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		_, err := grpcauth.New(nopVerifier{}, &grpcauth.Options[*struct{}]{Methods: map[string]grpcauth.Policy{key: {}}})
		if err != nil {
			return
		}
		svc, method, ok := strings.Cut(strings.TrimPrefix(key, "/"), "/")
		if key[0] != '/' || !ok || svc == "" || strings.Contains(method, "/") || strings.ContainsAny(key, " \t\r\n") {
			t.Errorf("accepted key %q", key)
		}
	})
}
