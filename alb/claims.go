package alb

import (
	"encoding/json"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

// Claims are the claims of a verified x-amzn-oidc-data token: the ALB's
// header members and the user claims the identity provider's userinfo
// endpoint returned. A Claims value must not be modified.
//
// There is no HasScope or InGroup: the token carries userinfo, not the
// access token's scopes or groups, so httpauth's Scope and Group
// requirements cannot be used with it (httpauth refuses them at setup).
// Verify the x-amzn-oidc-accesstoken header with an oidc or cognitojwt
// verifier for those, or use httpauth.Check with Get.
type Claims struct {
	Subject  string // payload "sub": the user at the identity provider
	Email    string // payload "email"; empty when absent
	Username string // payload "username"; empty when absent

	Issuer    string    // header "iss": the identity provider's issuer
	ExpiresAt time.Time // header "exp"
	Signer    string    // header "signer": the ARN of the ALB that signed
	ClientID  string    // header "client": the ALB's client id at the identity provider
	KeyID     string    // header "kid": the ALB key that verified the token

	token *jws.Token
}

// Get returns the payload claim named exactly name, such as "name",
// "email_verified" or "custom:tenant", and whether it is present.
func (c *Claims) Get(name string) (jws.Value, bool) { return c.token.Claims.Get(name) }

// Raw returns a copy of the payload JSON (the userinfo claims).
func (c *Claims) Raw() []byte { return c.token.Claims.Raw() }

// Decode unmarshals the payload JSON into v with encoding/json. Note that
// encoding/json matches struct field names case-insensitively.
func (c *Claims) Decode(v any) error { return json.Unmarshal(c.token.Claims.Raw(), v) }
