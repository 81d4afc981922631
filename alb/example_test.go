package alb_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cognitojwt/cognitojwt/alb"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// Protecting a service behind an ALB that authenticates users: the
// verifier checks the x-amzn-oidc-data header that the ALB adds, and
// httpauth reads it with the Header source. A local key endpoint and a
// token signed here stand in for AWS.
func Example() {
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/1234567890abcdef"
	key, keys := exampleKeyEndpoint()
	defer keys.Close()

	v, err := alb.New(alb.Config{
		Region:  "us-east-1",       // in production, this and ALBARNs are all you need
		ALBARNs: []string{arn},     // the load balancers allowed to vouch for users
		KeyURL:  keys.URL + "/key", // the local key endpoint instead of AWS's
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{
		Sources: []httpauth.Source{httpauth.Header("X-Amzn-Oidc-Data")},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/me", auth.Require()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.Claims(r)
		fmt.Fprintln(w, c.Email)
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(token string) {
		req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
		if token != "" {
			req.Header.Set("X-Amzn-Oidc-Data", token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(res.StatusCode)
	}
	get(exampleToken(key, arn))
	get(exampleToken(key, "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/other/0000000000000000"))
	get("")
	// Output:
	// 200
	// 401
	// 401
}

// exampleKeyEndpoint serves one ALB key, "kid-1", as the regional endpoint
// does: a PEM public key at <URL>/key/<kid>.
func exampleKeyEndpoint() (*ecdsa.PrivateKey, *httptest.Server) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	doc := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/key/kid-1" {
			http.Error(w, "access denied", http.StatusForbidden)
			return
		}
		w.Write(doc)
	}))
	return key, srv
}

// exampleToken signs a token the way ALB does: padded base64url, with the
// signer, issuer, client and expiry in the header.
func exampleToken(key *ecdsa.PrivateKey, signer string) string {
	exp := time.Now().Add(time.Minute).Unix()
	h, _ := json.Marshal(map[string]any{"alg": "ES256", "kid": "kid-1", "signer": signer,
		"iss": "https://idp.example", "client": "client-1", "exp": exp})
	c, _ := json.Marshal(map[string]any{"sub": "1234", "email": "jane@example.com", "exp": exp})
	in := base64.URLEncoding.EncodeToString(h) + "." + base64.URLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		log.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + base64.URLEncoding.EncodeToString(sig)
}
