package alb

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// fetchKey fetches and parses the key for kid. A status that says the
// endpoint has no such key is ErrKeyNotFound; every other failure is
// ErrKeysUnavailable wrapping a *jwks.FetchError.
func (s *keyStore) fetchKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	u := s.base + "/" + url.PathEscape(kid)
	fail := func(status int, err error) error {
		fe := &jwks.FetchError{URL: u, StatusCode: status, Err: err}
		return &keyError{msg: "alb: keys unavailable: fetch " + clip(u) + ": " + err.Error(), kind: jwks.ErrKeysUnavailable, cause: fe}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fail(0, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %s: %w", FetchTimeout, context.DeadlineExceeded)
		} else if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fail(0, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		// The endpoint answers 403 or 404 for a key it does not have.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, &keyError{msg: fmt.Sprintf("alb: key %s not found: status %d", quote(kid), resp.StatusCode), kind: jwks.ErrKeyNotFound}
	default:
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, fail(resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode))
	}
	if resp.ContentLength > MaxKeySize {
		return nil, fail(resp.StatusCode, fmt.Errorf("response of %d bytes exceeds the %d-byte limit", resp.ContentLength, MaxKeySize))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxKeySize+1))
	if err != nil {
		return nil, fail(resp.StatusCode, err)
	}
	if len(body) > MaxKeySize {
		return nil, fail(resp.StatusCode, fmt.Errorf("response exceeds the %d-byte limit", MaxKeySize))
	}
	key, err := parseKey(body)
	if err != nil {
		return nil, fail(resp.StatusCode, err)
	}
	return key, nil
}

// parseKey reads one PEM "PUBLIC KEY" block holding a P-256 key, with
// nothing but white space around it.
func parseKey(doc []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(doc)
	if block == nil || block.Type != "PUBLIC KEY" || len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: not a PEM PUBLIC KEY", jws.ErrInvalidKey)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the PEM block", jws.ErrInvalidKey)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", jws.ErrInvalidKey, err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an ECDSA key", jws.ErrInvalidKey, pub)
	}
	if err := jws.CheckKey(jws.ES256, key); err != nil {
		return nil, err
	}
	return key, nil
}
