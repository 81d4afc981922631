package cognitotest_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/jwks"
)

// TestRotation walks a rotation: old tokens verify while the old key is
// published, new tokens are signed by the new key, and old tokens stop
// verifying once the old key is removed.
func TestRotation(t *testing.T) {
	iss := newIssuer(t, rsaKey(t, 0))
	a := iss.KeyIDs()[0]
	oldAccess, oldID, oldM2M := iss.AccessToken(), iss.IDToken(), iss.M2MToken()

	k, err := iss.RotateTo(rsaKey(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	b := k.ID
	if got := iss.KeyIDs(); !slices.Equal(got, []string{a, b}) {
		t.Fatalf("KeyIDs after rotation = %q, want [old new]", got)
	}
	if sk, ok := iss.SigningKey(); !ok || sk.ID != b {
		t.Fatalf("signing key %q, want the new one", sk.ID)
	}
	set := fetchSet(t, iss)
	if set.Len() != 2 {
		t.Fatalf("%d keys served during rotation, want 2", set.Len())
	}
	for _, old := range []string{oldAccess, oldID, oldM2M} {
		if tok := mustVerify(t, set, old); tok.Header.KeyID != a {
			t.Errorf("old token has kid %q", tok.Header.KeyID)
		}
	}
	if tok := mustVerify(t, set, iss.AccessToken()); tok.Header.KeyID != b {
		t.Errorf("new token has kid %q, want %q", tok.Header.KeyID, b)
	}

	if err := iss.RemoveKey(a); err != nil {
		t.Fatal(err)
	}
	set = fetchSet(t, iss)
	if set.Len() != 1 || set.Keys()[0].KeyID != b {
		t.Fatalf("after RemoveKey the set holds %d keys", set.Len())
	}
	if _, err := verify(t, set, oldAccess); !errors.Is(err, jwks.ErrKeyNotFound) {
		t.Errorf("old token after removal: %v, want ErrKeyNotFound", err)
	}
	mustVerify(t, set, iss.IDToken())

	// An old key can come back; a published one cannot be added twice.
	if _, err := iss.RotateTo(rsaKey(t, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.RotateTo(rsaKey(t, 1)); err == nil {
		t.Error("RotateTo accepted a published key")
	}
	if got := iss.KeyIDs(); !slices.Equal(got, []string{b, a}) {
		t.Errorf("KeyIDs = %q", got)
	}
}

func TestRemoveKeyRefuses(t *testing.T) {
	iss := newIssuer(t, rsaKey(t, 0), rsaKey(t, 1))
	ids := iss.KeyIDs()
	tests := []struct{ name, kid string }{
		{"signing key", ids[1]},
		{"unknown", "nope"},
		{"empty", ""},
	}
	for _, tt := range tests {
		if err := iss.RemoveKey(tt.kid); err == nil {
			t.Errorf("%s: RemoveKey accepted it", tt.name)
		}
	}
	if got := iss.KeyIDs(); !slices.Equal(got, ids) {
		t.Errorf("keys changed: %q", got)
	}
}

func TestRotateGenerates(t *testing.T) {
	iss := newIssuer(t)
	k, err := iss.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if len(iss.Keys()) != 2 || iss.Keys()[1].ID != k.ID {
		t.Fatalf("keys %q, want the generated one last", iss.KeyIDs())
	}
	mustVerify(t, fetchSet(t, iss), iss.AccessToken())
	if _, err := cognitotest.NewKey(k.Signer); err != nil {
		t.Fatal(err)
	}
}
