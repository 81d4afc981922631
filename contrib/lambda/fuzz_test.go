package lambdaauth_test

import (
	"encoding/json"
	"testing"

	lambdaauth "github.com/cognitojwt/cognitojwt/contrib/lambda"
)

// FuzzFlattenClaims: never a panic, and every value it returns is one API
// Gateway accepts in an authorizer context; arrays and objects come back
// as valid JSON text.
func FuzzFlattenClaims(f *testing.F) {
	for _, s := range []string{`{"sub":"s","n":1,"b":true,"a":[1],"o":{}}`, `{}`, `[]`, `{"a":null}`, `{"a":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := lambdaauth.FlattenClaims(raw)
		if err != nil {
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		for k, v := range m {
			switch v := v.(type) {
			case bool:
			case json.Number:
				if _, err := v.Float64(); err != nil && !json.Valid([]byte(v)) {
					t.Errorf("%q: bad number %q", k, v)
				}
			case string:
			default:
				t.Errorf("%q: %T", k, v)
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Errorf("context does not encode: %v", err)
		}
	})
}
