package cognitojwt_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cognitojwt/cognitojwt"
)

// TestHydrateReportsOneFailureOnce: a pool's two issuer forms share one
// key set, so one failed fetch is one error, not one per issuer form.
func TestHydrateReportsOneFailureOnce(t *testing.T) {
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	v, err := cognitojwt.New(cognitojwt.Config{UserPoolID: "us-east-1_AbCdEfGhI", TokenUse: cognitojwt.AccessToken,
		ClientIDs: []string{"c"}, JWKSURL: srv.URL + "/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	err = v.Hydrate(context.Background())
	if !errors.Is(err, cognitojwt.ErrKeysUnavailable) {
		t.Fatalf("Hydrate: %v", err)
	}
	if n := strings.Count(err.Error(), "\n"); n != 0 || fetches.Load() != 1 {
		t.Errorf("%d fetches, error of %d lines:\n%v", fetches.Load(), n+1, err)
	}
}
