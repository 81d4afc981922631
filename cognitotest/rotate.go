package cognitotest

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Rotate generates a new 2048-bit RSA key, publishes it and makes it the
// signing key. The keys published before stay in the key set, as they do
// on Cognito during a rotation, so tokens they signed keep verifying until
// [Issuer.RemoveKey] drops them. It returns the new key.
func (i *Issuer) Rotate() (Key, error) {
	s, err := GenerateKey()
	if err != nil {
		return Key{}, fmt.Errorf("cognitotest: generating key: %w", err)
	}
	return i.RotateTo(s)
}

// RotateTo is [Issuer.Rotate] with a key of your own (see NewKey for the
// types accepted). It refuses a key that is already published.
func (i *Issuer) RotateTo(s crypto.Signer) (Key, error) {
	k, err := NewKey(s)
	if err != nil {
		return Key{}, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.setup(); err != nil {
		return Key{}, err
	}
	if slices.ContainsFunc(i.keys, func(o Key) bool { return o.ID == k.ID }) {
		return Key{}, fmt.Errorf("cognitotest: key %s is already published", k.ID)
	}
	if err := i.setKeys(append(slices.Clone(i.keys), k)); err != nil {
		return Key{}, err
	}
	return k, nil
}

// RemoveKey stops publishing the key with id kid; tokens it signed stop
// verifying once a verifier refreshes its keys. It refuses the signing key
// (rotate first) and an id that is not published.
func (i *Issuer) RemoveKey(kid string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.setup(); err != nil {
		return err
	}
	at := slices.IndexFunc(i.keys, func(k Key) bool { return k.ID == kid })
	switch {
	case at < 0:
		return fmt.Errorf("cognitotest: key %q is not published", kid)
	case at == len(i.keys)-1:
		return fmt.Errorf("cognitotest: key %q is the signing key: rotate before removing it", kid)
	}
	return i.setKeys(slices.Delete(slices.Clone(i.keys), at, at+1))
}

// Keys returns the published keys in key-set order; the last one signs.
// It returns nil before the issuer is set up.
func (i *Issuer) Keys() []Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.keys)
}

// KeyIDs returns the ids of the published keys in key-set order; the last
// one signs. It returns nil before the issuer is set up.
func (i *Issuer) KeyIDs() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	var ids []string
	for _, k := range i.keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// SigningKey returns the key new tokens are signed with, and false before
// the issuer is set up.
func (i *Issuer) SigningKey() (Key, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(i.keys) == 0 {
		return Key{}, false
	}
	return i.keys[len(i.keys)-1], true
}

// SetJWKSStatus makes the key set endpoint answer with HTTP status code
// and a short text body instead of the keys, to exercise a verifier's
// outage paths (503, 500, 404, 429…). 0 or 200 restores normal service. It
// panics on a code outside 100–599, as http.ResponseWriter.WriteHeader
// does. Requests are counted by JWKSRequests either way.
func (i *Issuer) SetJWKSStatus(code int) {
	if code != 0 && (code < 100 || code > 599) {
		panic(fmt.Sprintf("cognitotest: invalid HTTP status %d", code))
	}
	if code == 200 {
		code = 0
	}
	i.mu.Lock()
	i.status = code
	i.mu.Unlock()
}

// SetJWKSBody makes the key set endpoint answer 200 with body, byte for
// byte, instead of the keys, to exercise a verifier's handling of a
// malformed or hostile key set. Nil restores normal service; a status set
// with SetJWKSStatus takes precedence.
func (i *Issuer) SetJWKSBody(body []byte) {
	i.mu.Lock()
	i.body = slices.Clone(body)
	i.mu.Unlock()
}

// JWKSRequests returns the number of requests the key set endpoint has
// received, failed ones included: a test's view of how often a verifier
// fetches.
func (i *Issuer) JWKSRequests() int {
	return int(i.jwksRequests.Load())
}

// setKeys replaces the published keys and rebuilds the key set document.
// It must be called with i.mu held.
func (i *Issuer) setKeys(keys []Key) error {
	if len(keys) == 0 {
		return errors.New("cognitotest: no keys")
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, len(keys))}
	for n, k := range keys {
		set.Keys[n] = k.jwk()
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("cognitotest: encoding key set: %w", err)
	}
	i.keys, i.doc = keys, doc
	return nil
}
