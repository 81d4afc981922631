//go:build unix

package interop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// The differential test's fixed world: one pool, two app clients, a clock
// that both verifiers read (aws-jwt-verify through a replaced Date.now).
const (
	diffNow     int64 = 1_800_000_000 // 2027-01-15T08:00:00Z
	diffPool          = "us-east-1_Diff0Pool1"
	diffOther         = "us-east-1_Diff0Pool2"
	diffClient        = "client0a1b2c3d4e5f6g7h8i9j0k"
	diffClient2       = "client1z9y8x7w6v5u4t3s2r1q0p"
)

var (
	diffIssuer       = "https://cognito-idp.us-east-1.amazonaws.com/" + diffPool
	diffGlobalIssuer = "https://issuer-cognito-idp.us-east-1.amazonaws.com/" + diffPool
)

// diffKeys are the pool's published keys and the keys nobody publishes.
type diffKeys struct {
	rsa     *rsa.PrivateKey   // "rsa1": published with alg RS256
	rsaAny  *rsa.PrivateKey   // "rsa2": published without alg
	rsaEnc  *rsa.PrivateKey   // "enc1": published with use "enc"
	rsaWeak *rsa.PrivateKey   // "weak1": a 1024-bit key, published with alg RS256
	ec      *ecdsa.PrivateKey // "ec1": P-256, alg ES256
	ed      ed25519.PrivateKey
	outside *rsa.PrivateKey // published by nobody
	jwks    []byte          // the JWKS document
}

func newDiffKeys(t *testing.T) *diffKeys {
	t.Helper()
	k := &diffKeys{}
	var err error
	for _, p := range []**rsa.PrivateKey{&k.rsa, &k.rsaAny, &k.rsaEnc, &k.outside} {
		if *p, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	if k.rsaWeak, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	rsaJWK := func(kid, alg, use string, key *rsa.PrivateKey) map[string]string {
		m := map[string]string{"kty": "RSA", "kid": kid, "use": use, "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}
		if alg != "" {
			m["alg"] = alg
		}
		return m
	}
	pub := k.ed.Public().(ed25519.PublicKey)
	set := map[string]any{"keys": []map[string]string{
		rsaJWK("rsa1", "RS256", "sig", k.rsa),
		rsaJWK("rsa2", "", "sig", k.rsaAny),
		rsaJWK("enc1", "RS256", "enc", k.rsaEnc),
		rsaJWK("weak1", "RS256", "sig", k.rsaWeak),
		// A Cognito-style kid: standard base64, with + / and =.
		rsaJWK("a+b/c=", "RS256", "sig", k.rsa),
		{"kty": "EC", "kid": "ec1", "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64(k.ec.X.FillBytes(make([]byte, 32))), "y": b64(k.ec.Y.FillBytes(make([]byte, 32)))},
		{"kty": "OKP", "kid": "ed1", "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b64(pub)},
	}}
	if k.jwks, err = json.Marshal(set); err != nil {
		t.Fatal(err)
	}
	return k
}

// diffConfig is one verifier configuration, as both libraries read it.
type diffConfig struct {
	UserPoolID string   `json:"userPoolId"`
	TokenUse   string   `json:"tokenUse"`
	ClientID   []string `json:"clientId"`
	Groups     []string `json:"groups,omitempty"`
	Scope      []string `json:"scope,omitempty"`
}

// diffCase is one token and the configuration it is presented to.
type diffCase struct {
	Name   string     `json:"name"`
	Kind   string     `json:"kind"`
	Token  string     `json:"token"`
	Config diffConfig `json:"config"`
}

// builder makes tokens for the cases.
type builder struct {
	t    *testing.T
	k    *diffKeys
	list []diffCase
	seen map[string]bool
}

func (b *builder) add(kind, name string, cfg diffConfig, token string) {
	full := kind + "/" + name
	if b.seen[full] {
		b.t.Fatalf("duplicate case name %q", full)
	}
	b.seen[full] = true
	b.list = append(b.list, diffCase{Name: full, Kind: kind, Token: token, Config: cfg})
}

// seg is one JSON document to put in a token: raw text, encoded as is.
type seg string

func obj(m map[string]any) seg {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return seg(data)
}

// hdr is the usual header for alg and kid.
func hdr(alg, kid string) seg {
	return obj(map[string]any{"alg": alg, "kid": kid, "typ": "JWT"})
}

func enc(s seg) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signed signs "<h>.<p>" (already encoded) with alg by key.
func (b *builder) signed(alg string, key any, signingInput string) string {
	sig, err := signWith(alg, key, []byte(signingInput))
	if err != nil {
		b.t.Fatal(err)
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// tok encodes and signs a token with the published key for kid.
func (b *builder) tok(alg, kid string, h, p seg) string {
	return b.signed(alg, b.keyFor(kid), enc(h)+"."+enc(p))
}

func (b *builder) keyFor(kid string) any {
	switch kid {
	case "rsa1", "a+b/c=":
		return b.k.rsa
	case "rsa2":
		return b.k.rsaAny
	case "enc1":
		return b.k.rsaEnc
	case "weak1":
		return b.k.rsaWeak
	case "ec1":
		return b.k.ec
	case "ed1":
		return b.k.ed
	}
	return b.k.outside
}

func signWith(alg string, key any, input []byte) ([]byte, error) {
	hashOf := func(h crypto.Hash) []byte { w := h.New(); w.Write(input); return w.Sum(nil) }
	switch alg {
	case "RS256", "RS384", "RS512", "PS256":
		h := map[string]crypto.Hash{"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512, "PS256": crypto.SHA256}[alg]
		k := key.(*rsa.PrivateKey)
		if alg == "PS256" {
			return rsa.SignPSS(rand.Reader, k, h, hashOf(h), nil)
		}
		return rsa.SignPKCS1v15(rand.Reader, k, h, hashOf(h))
	case "ES256", "ES256-DER":
		k := key.(*ecdsa.PrivateKey)
		r, s, err := ecdsa.Sign(rand.Reader, k, hashOf(crypto.SHA256))
		if err != nil {
			return nil, err
		}
		if alg == "ES256-DER" {
			return asn1.Marshal(struct{ R, S *big.Int }{r, s})
		}
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...), nil
	case "EdDSA":
		return ed25519.Sign(key.(ed25519.PrivateKey), input), nil
	case "HS256", "HS512":
		h := sha256.New
		if alg == "HS512" {
			h = sha512.New
		}
		m := hmac.New(h, key.([]byte))
		m.Write(input)
		return m.Sum(nil), nil
	}
	return nil, fmt.Errorf("no signer for %s", alg)
}

// claims returns the claims of a valid access or ID token of diffPool.
func claims(use, iss string) map[string]any {
	c := map[string]any{
		"sub":            "a1b2c3d4-0000-4000-8000-000000000001",
		"iss":            iss,
		"token_use":      use,
		"auth_time":      diffNow - 60,
		"iat":            diffNow - 60,
		"exp":            diffNow + 3600,
		"jti":            "f0e1d2c3-0000-4000-8000-000000000002",
		"origin_jti":     "f0e1d2c3-0000-4000-8000-000000000003",
		"event_id":       "f0e1d2c3-0000-4000-8000-000000000004",
		"cognito:groups": []string{"admins", "readers"},
	}
	if use == "access" {
		c["client_id"] = diffClient
		c["scope"] = "api/read api/write"
		c["username"] = "alice"
		c["version"] = 2
	} else {
		c["aud"] = diffClient
		c["cognito:username"] = "alice"
		c["email"] = "alice@example.com"
		c["email_verified"] = true
	}
	return c
}

func with(c map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(c)+len(kv)/2)
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// variant is one of the four shapes every mutation is tried on.
type variant struct {
	name string
	use  string
	iss  string
	cfg  diffConfig
}

func variants() []variant {
	var vs []variant
	for _, use := range []string{"access", "id"} {
		for _, iss := range []struct{ name, url string }{{"classic", diffIssuer}, {"multi-region", diffGlobalIssuer}} {
			vs = append(vs, variant{use + "," + iss.name, use, iss.url, diffConfig{UserPoolID: diffPool, TokenUse: use, ClientID: []string{diffClient}}})
		}
	}
	return vs
}

// diffCases generates every case.
func diffCases(t *testing.T, k *diffKeys) []diffCase {
	b := &builder{t: t, k: k, seen: map[string]bool{}}
	rs := func(p seg) string { return b.tok("RS256", "rsa1", hdr("RS256", "rsa1"), p) }

	for _, v := range variants() {
		base := claims(v.use, v.iss)
		cfg := v.cfg
		grp := cfg
		grp.Groups = []string{"admins"}
		// Valid tokens, with every way the configuration can be met.
		b.add("valid", v.name+"/plain", cfg, rs(obj(base)))
		b.add("valid", v.name+"/group", grp, rs(obj(base)))
		b.add("valid", v.name+"/second group of two", diffConfig{diffPool, v.use, []string{diffClient2, diffClient}, []string{"nobody", "readers"}, nil}, rs(obj(base)))
		b.add("valid", v.name+"/standard base64 kid", cfg, b.tok("RS256", "a+b/c=", hdr("RS256", "a+b/c="), obj(base)))
		b.add("valid", v.name+"/key without alg", cfg, b.tok("RS256", "rsa2", hdr("RS256", "rsa2"), obj(base)))
		b.add("valid", v.name+"/no typ", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256", "kid": "rsa1"}), obj(base)))
		b.add("valid", v.name+"/exp in a second", cfg, rs(obj(with(base, "exp", diffNow+1))))
		b.add("valid", v.name+"/nbf now", cfg, rs(obj(with(base, "nbf", diffNow))))
		b.add("valid", v.name+"/fractional exp", cfg, rs(obj(with(base, "exp", float64(diffNow)+100.5))))
		b.add("valid", v.name+"/custom claims", cfg, rs(obj(with(base, "custom:tenant", "t-1", "custom:n", 42, "custom:obj", map[string]any{"a": []any{1, "b", nil, true}}))))
		b.add("valid", v.name+"/unicode values", cfg, rs(obj(with(base, "custom:name", "Zoë 🙂 名前", "custom:rtl", "שלום"))))
		b.add("valid", v.name+"/escaped names and values", cfg, rs(seg(strings.Replace(string(obj(base)), `"token_use":"`+v.use+`"`, `"token\u005fuse":"\u00`+fmt.Sprintf("%x", v.use[0])+v.use[1:]+`"`, 1))))
		b.add("valid", v.name+"/whitespace in JSON", cfg, b.tok("RS256", "rsa1", seg(" {\n \"alg\" : \"RS256\" ,\t\"kid\":\"rsa1\"}\r\n"), seg(strings.ReplaceAll(string(obj(base)), ",", " ,\n "))))
		b.add("valid", v.name+"/jku x5u jwk headers ignored", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256", "kid": "rsa1", "jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/x5u"}), obj(base)))
		b.add("valid", v.name+"/proto and constructor claims", cfg, rs(obj(with(base, "__proto__", map[string]any{"admin": true}, "constructor", "x"))))
		b.add("valid", v.name+"/nesting 16", cfg, rs(seg(strings.TrimSuffix(string(obj(base)), "}")+`,"custom:deep":`+strings.Repeat("[", 16)+strings.Repeat("]", 16)+"}")))
		b.add("valid", v.name+"/8 KiB token", cfg, rs(obj(with(base, "custom:blob", strings.Repeat("x", 6000)))))
		b.add("valid", v.name+"/aud also on access token", cfg, rs(obj(with(base, "aud", diffClient))))

		// Time.
		b.add("expired", v.name+"/an hour ago", cfg, rs(obj(with(base, "exp", diffNow-3600))))
		b.add("expired", v.name+"/a second ago", cfg, rs(obj(with(base, "exp", diffNow-1))))
		b.add("expired", v.name+"/zero", cfg, rs(obj(with(base, "exp", 0))))
		b.add("expiry instant", v.name+"/exp equals now", cfg, rs(obj(with(base, "exp", diffNow))))
		b.add("not yet valid", v.name+"/nbf in an hour", cfg, rs(obj(with(base, "nbf", diffNow+3600))))
		b.add("not yet valid", v.name+"/nbf in a second", cfg, rs(obj(with(base, "nbf", diffNow+1))))
		b.add("future iat", v.name+"/iat in an hour", cfg, rs(obj(with(base, "iat", diffNow+3600))))
		b.add("missing exp", v.name+"/no exp", cfg, rs(obj(with(base, "exp", nil))))
		b.add("NumericDate range", v.name+"/exp 1e300", cfg, rs(seg(strings.Replace(string(obj(base)), fmt.Sprintf(`"exp":%d`, diffNow+3600), `"exp":1e300`, 1))))
		b.add("NumericDate range", v.name+"/exp year 10000", cfg, rs(obj(with(base, "exp", int64(253402300800)))))
		b.add("NumericDate range", v.name+"/negative iat", cfg, rs(obj(with(base, "iat", -1))))

		// Issuer.
		for name, iss := range map[string]string{
			"other pool":     "https://cognito-idp.us-east-1.amazonaws.com/" + diffOther,
			"other region":   "https://cognito-idp.eu-west-1.amazonaws.com/" + diffPool,
			"http":           "http://cognito-idp.us-east-1.amazonaws.com/" + diffPool,
			"trailing slash": v.iss + "/",
			"upper case":     strings.ToUpper(v.iss[:8]) + v.iss[8:],
			"pool id case":   strings.Replace(v.iss, "Diff0Pool1", "diff0pool1", 1),
			"suffix":         v.iss + "/x",
			"empty":          "",
		} {
			b.add("wrong issuer", v.name+"/"+name, cfg, rs(obj(with(base, "iss", iss))))
		}
		b.add("wrong issuer", v.name+"/missing", cfg, rs(obj(with(base, "iss", nil))))

		// Client.
		other := diffConfig{diffPool, v.use, []string{diffClient2}, nil, nil}
		b.add("wrong client", v.name+"/other client configured", other, rs(obj(base)))
		field := "client_id"
		if v.use == "id" {
			field = "aud"
		}
		b.add("wrong client", v.name+"/prefix", cfg, rs(obj(with(base, field, diffClient[:10]))))
		b.add("wrong client", v.name+"/missing", cfg, rs(obj(with(base, field, nil))))
		b.add("wrong client", v.name+"/empty", cfg, rs(obj(with(base, field, ""))))
		b.add("wrong client", v.name+"/case", cfg, rs(obj(with(base, field, strings.ToUpper(diffClient)))))

		// Token use.
		opposite := map[string]string{"access": "id", "id": "access"}[v.use]
		b.add("wrong token use", v.name+"/the other kind", diffConfig{diffPool, opposite, []string{diffClient}, nil, nil}, rs(obj(base)))
		b.add("wrong token use", v.name+"/refresh", cfg, rs(obj(with(base, "token_use", "refresh"))))
		b.add("wrong token use", v.name+"/missing", cfg, rs(obj(with(base, "token_use", nil))))
		b.add("wrong token use", v.name+"/upper case", cfg, rs(obj(with(base, "token_use", strings.ToUpper(v.use)))))

		// Groups.
		b.add("wrong group", v.name+"/not a member", diffConfig{diffPool, v.use, []string{diffClient}, []string{"root"}, nil}, rs(obj(base)))
		b.add("wrong group", v.name+"/no groups claim", grp, rs(obj(with(base, "cognito:groups", nil))))
		b.add("wrong group", v.name+"/empty array", grp, rs(obj(with(base, "cognito:groups", []string{}))))
		b.add("wrong group", v.name+"/case", grp, rs(obj(with(base, "cognito:groups", []string{"Admins"}))))

		// Scopes (access tokens only: ID tokens carry none).
		if v.use == "access" {
			sc := func(want ...string) diffConfig {
				c := cfg
				c.Scope = want
				return c
			}
			b.add("valid", v.name+"/scope", sc("api/read"), rs(obj(base)))
			b.add("valid", v.name+"/second scope of two", sc("api/admin", "api/write"), rs(obj(base)))
			b.add("wrong scope", v.name+"/not granted", sc("api/admin"), rs(obj(base)))
			b.add("wrong scope", v.name+"/prefix of a granted one", sc("api/re"), rs(obj(base)))
			b.add("wrong scope", v.name+"/no scope claim", sc("api/read"), rs(obj(with(base, "scope", nil))))
			b.add("wrong scope", v.name+"/comma-separated", sc("api/read"), rs(obj(with(base, "scope", "api/read,api/write"))))
			b.add("scope separators", v.name+"/tab-separated", sc("api/read"), rs(obj(with(base, "scope", "api/read\tapi/write"))))
			b.add("scope separators", v.name+"/newline-separated", sc("api/write"), rs(obj(with(base, "scope", "api/read\napi/write"))))
			b.add("valid", v.name+"/scope after a double space", sc("api/write"), rs(obj(with(base, "scope", "api/read  api/write"))))
		}

		// Algorithms: none, HMAC, and what Cognito does not sign with.
		noneH := obj(map[string]any{"alg": "none", "kid": "rsa1"})
		b.add("alg none", v.name+"/none, empty signature", cfg, enc(noneH)+"."+enc(obj(base))+".")
		b.add("alg none", v.name+"/none, some signature", cfg, enc(noneH)+"."+enc(obj(base))+".AAAA")
		b.add("alg none", v.name+"/None", cfg, enc(obj(map[string]any{"alg": "None", "kid": "rsa1"}))+"."+enc(obj(base))+".AAAA")
		b.add("alg none", v.name+"/no alg", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"kid": "rsa1"}), obj(base)))
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&k.rsa.PublicKey))})
		b.add("key confusion", v.name+"/HS256 keyed with the RSA public key PEM", cfg, b.signed("HS256", pemKey, enc(hdr("HS256", "rsa1"))+"."+enc(obj(base))))
		b.add("key confusion", v.name+"/HS256 keyed with the JWK n", cfg, b.signed("HS256", k.rsa.N.Bytes(), enc(hdr("HS256", "rsa2"))+"."+enc(obj(base))))
		b.add("key confusion", v.name+"/HS512 with a kid-less header", cfg, b.signed("HS512", []byte("secret"), enc(obj(map[string]any{"alg": "HS512"}))+"."+enc(obj(base))))
		b.add("key confusion", v.name+"/ES256 header on an RSA kid", cfg, b.signed("ES256", k.ec, enc(hdr("ES256", "rsa1"))+"."+enc(obj(base))))
		b.add("key confusion", v.name+"/RS256 header on the EC kid", cfg, b.signed("RS256", k.rsa, enc(hdr("RS256", "ec1"))+"."+enc(obj(base))))
		b.add("key confusion", v.name+"/RS384 on a key bound to RS256", cfg, b.tok("RS384", "rsa1", hdr("RS384", "rsa1"), obj(base)))
		b.add("key confusion", v.name+"/key for encryption", cfg, b.tok("RS256", "enc1", hdr("RS256", "enc1"), obj(base)))
		b.add("unsupported algorithm", v.name+"/PS256", cfg, b.tok("PS256", "rsa2", hdr("PS256", "rsa2"), obj(base)))
		b.add("default algorithms", v.name+"/ES256", cfg, b.tok("ES256", "ec1", hdr("ES256", "ec1"), obj(base)))
		b.add("default algorithms", v.name+"/EdDSA", cfg, b.tok("EdDSA", "ed1", hdr("EdDSA", "ed1"), obj(base)))
		b.add("default algorithms", v.name+"/RS384 on a key without alg", cfg, b.tok("RS384", "rsa2", hdr("RS384", "rsa2"), obj(base)))
		b.add("default algorithms", v.name+"/RS512 on a key without alg", cfg, b.tok("RS512", "rsa2", hdr("RS512", "rsa2"), obj(base)))
		b.add("RSA key size", v.name+"/1024-bit key", cfg, b.tok("RS256", "weak1", hdr("RS256", "weak1"), obj(base)))

		// Keys and signatures.
		good := rs(obj(base))
		parts := strings.Split(good, ".")
		sig := must(base64.RawURLEncoding.DecodeString(parts[2]))
		flip := append([]byte(nil), sig...)
		flip[len(flip)-1] ^= 1
		b.add("bad signature", v.name+"/last bit flipped", cfg, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(flip))
		b.add("bad signature", v.name+"/truncated", cfg, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig[:len(sig)-1]))
		b.add("bad signature", v.name+"/signed by an unpublished key", cfg, b.signed("RS256", k.outside, parts[0]+"."+parts[1]))
		b.add("bad signature", v.name+"/another token's signature", cfg, parts[0]+"."+enc(obj(with(base, "username", "mallory", "cognito:username", "mallory")))+"."+parts[2])
		b.add("bad signature", v.name+"/ES256 in DER", cfg, b.signed("ES256-DER", k.ec, enc(hdr("ES256", "ec1"))+"."+parts[1]))
		b.add("bad signature", v.name+"/zero signature", cfg, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(make([]byte, 256)))
		b.add("unknown key", v.name+"/kid not published", cfg, b.tok("RS256", "nope", hdr("RS256", "nope"), obj(base)))
		b.add("unknown key", v.name+"/no kid", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256"}), obj(base)))
		b.add("unknown key", v.name+"/empty kid", cfg, b.tok("RS256", "rsa1", hdr("RS256", ""), obj(base)))

		// Encodings.
		b.add("malformed", v.name+"/two segments", cfg, parts[0]+"."+parts[1])
		b.add("malformed", v.name+"/four segments", cfg, good+".AAAA")
		b.add("malformed", v.name+"/empty payload", cfg, parts[0]+".."+parts[2])
		b.add("malformed", v.name+"/space inside", cfg, parts[0]+" ."+parts[1]+"."+parts[2])
		b.add("malformed", v.name+"/trailing newline", cfg, good+"\n")
		b.add("malformed", v.name+"/standard base64 alphabet", cfg, b.signed("RS256", k.rsa, parts[0]+"."+stdAlphabet(base)))
		b.add("malformed", v.name+"/payload not JSON", cfg, b.signed("RS256", k.rsa, parts[0]+"."+enc("not json")))
		b.add("malformed", v.name+"/payload an array", cfg, b.signed("RS256", k.rsa, parts[0]+"."+enc("[1,2]")))
		b.add("malformed", v.name+"/payload null", cfg, b.signed("RS256", k.rsa, parts[0]+"."+enc("null")))
		b.add("malformed", v.name+"/trailing data after JSON", cfg, b.signed("RS256", k.rsa, parts[0]+"."+enc(obj(base)+"x")))
		b.add("malformed", v.name+"/byte order mark", cfg, b.signed("RS256", k.rsa, parts[0]+"."+enc("\ufeff"+obj(base))))
		b.add("malformed", v.name+"/header not JSON", cfg, b.signed("RS256", k.rsa, enc("{alg:RS256}")+"."+parts[1]))
		b.add("padding", v.name+"/padded payload", cfg, b.signed("RS256", k.rsa, parts[0]+"."+base64.URLEncoding.EncodeToString([]byte(unaligned(base)))))
		b.add("padding", v.name+"/padded header", cfg, b.signed("RS256", k.rsa, base64.URLEncoding.EncodeToString([]byte(unalignedHeader()))+"."+parts[1]))
		b.add("non-canonical base64", v.name+"/payload with stray low bits", cfg, b.signed("RS256", k.rsa, parts[0]+"."+nonCanonical(unaligned(base))))
		b.add("invalid UTF-8", v.name+"/in a claim value", cfg, rs(seg(strings.TrimSuffix(string(obj(base)), "}")+`,"custom:bad":"a`+"\xff"+`b"}`)))

		// Claim types: Cognito's claims have one JSON type each.
		for name, kv := range map[string][]any{
			"exp a string":         {"exp", fmt.Sprint(diffNow + 3600)},
			"iat a string":         {"iat", fmt.Sprint(diffNow - 60)},
			"nbf a boolean":        {"nbf", true},
			"sub a number":         {"sub", 7},
			"jti a number":         {"jti", 7},
			"iss an array":         {"iss", []string{v.iss}},
			"token_use an array":   {"token_use", []string{v.use}},
			"groups an object":     {"cognito:groups", map[string]any{"0": "admins"}},
			"groups with a number": {"cognito:groups", []any{"admins", 1}},
		} {
			b.add("claim types", v.name+"/"+name, grp, rs(obj(with(base, kv...))))
		}
		if v.use == "access" {
			b.add("claim types", v.name+"/client_id a number", cfg, rs(obj(with(base, "client_id", 12345))))
			b.add("claim types", v.name+"/scope an array", cfg, rs(obj(with(base, "scope", []string{"api/read"}))))
		} else {
			b.add("claim types", v.name+"/aud a number", cfg, rs(obj(with(base, "aud", 12345))))
			b.add("ID token aud array", v.name+"/aud an array with the client", cfg, rs(obj(with(base, "aud", []string{diffClient}))))
		}
		b.add("valid", v.name+"/groups a string", grp, rs(obj(with(base, "cognito:groups", "admins"))))
		b.add("claim types", v.name+"/username a number", cfg, rs(obj(with(base, "username", 1, "cognito:username", 1))))
		b.add("claim types", v.name+"/auth_time a string", cfg, rs(obj(with(base, "auth_time", "yesterday"))))
		b.add("claim types", v.name+"/typ a number", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256", "kid": "rsa1", "typ": 1}), obj(base)))

		// Parser strictness.
		raw := string(obj(base))
		b.add("duplicate members", v.name+"/token_use twice", cfg, rs(seg(strings.TrimSuffix(raw, "}")+`,"token_use":"`+v.use+`"}`)))
		b.add("duplicate members", v.name+"/exp twice, later one far", cfg, rs(seg(strings.TrimSuffix(raw, "}")+`,"exp":`+fmt.Sprint(diffNow+9e6)+`}`)))
		b.add("duplicate members", v.name+"/alg twice in the header", cfg, b.tok("RS256", "rsa1", seg(`{"alg":"none","kid":"rsa1","alg":"RS256"}`), obj(base)))
		b.add("duplicate members", v.name+"/nested in a custom claim", cfg, rs(seg(strings.TrimSuffix(raw, "}")+`,"custom:o":{"a":1,"a":2}}`)))
		b.add("crit", v.name+"/crit exp", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256", "kid": "rsa1", "crit": []string{"exp"}}), obj(base)))
		b.add("crit", v.name+"/crit unknown", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256", "kid": "rsa1", "crit": []string{"x-private"}, "x-private": 1}), obj(base)))
		b.add("crit", v.name+"/b64 false", cfg, b.tok("RS256", "rsa1", obj(map[string]any{"alg": "RS256", "kid": "rsa1", "b64": false}), obj(base)))
		b.add("lone surrogates", v.name+"/in a claim value", cfg, rs(seg(strings.TrimSuffix(raw, "}")+`,"custom:s":"\ud800"}`)))
		b.add("lone surrogates", v.name+"/in a claim name", cfg, rs(seg(strings.TrimSuffix(raw, "}")+`,"\udc00":1}`)))
		b.add("nesting depth", v.name+"/100 levels", cfg, rs(seg(strings.TrimSuffix(raw, "}")+`,"custom:deep":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+"}")))
		b.add("token size", v.name+"/20 KiB", cfg, rs(obj(with(base, "custom:blob", strings.Repeat("x", 15000)))))
	}
	return b.list
}

// nonCanonical encodes s in unpadded base64url with non-zero unused bits
// in the last character (RFC 4648 §3.5), so that it decodes to s but is
// not the canonical encoding of s. s's length must not be a multiple of 3.
func nonCanonical(s seg) string {
	e := enc(s)
	if len(s)%3 == 0 {
		panic("nonCanonical: no unused bits")
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, e[len(e)-1])
	return e[:len(e)-1] + string(alphabet[last|1])
}

// unaligned returns the claims with a filler claim whose length makes the
// JSON's length not a multiple of 3, so that its base64 needs padding and
// has unused bits.
func unaligned(c map[string]any) seg {
	for n := 1; ; n++ {
		if s := obj(with(c, "custom:p", strings.Repeat("x", n))); len(s)%3 != 0 {
			return s
		}
	}
}

func unalignedHeader() seg {
	for n := 0; ; n++ {
		if s := seg(`{"alg":"RS256","kid":"rsa1"` + strings.Repeat(" ", n) + "}"); len(s)%3 != 0 {
			return s
		}
	}
}

// stdAlphabet encodes the claims, with a filler claim, in unpadded
// standard base64, which has "+" or "/" where base64url has "-" or "_".
func stdAlphabet(c map[string]any) string {
	for n := 1; ; n++ {
		e := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(obj(with(c, "custom:x", strings.Repeat("?>", n))))), "=")
		if strings.ContainsAny(e, "+/") {
			return e
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
