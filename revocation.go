package cognitojwt

import (
	"context"

	"github.com/cognitojwt/cognitojwt/revocation"
)

// revoked asks Config.Revocation about a token that passed every Cognito
// rule. Package oidc returns its errors as they are, not as a Check
// failure.
func (p *pool) revoked(ctx context.Context, c *Claims) error {
	if p.cfg.Revocation == nil {
		return nil
	}
	return p.cfg.Revocation.Check(ctx, revocation.Token{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		Username:  c.Username,
		JTI:       c.JTI,
		OriginJTI: c.OriginJTI,
		IssuedAt:  c.IssuedAt,
	})
}
