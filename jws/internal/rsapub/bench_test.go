package rsapub

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"testing"
)

// BenchmarkVerifyPKCS1v15 is RS256's public-key operation and encoding
// check, against crypto/rsa's on the same key, digest and signature.
//
//	go test -run '^$' -bench VerifyPKCS1v15 -benchmem ./jws/internal/rsapub/
func BenchmarkVerifyPKCS1v15(b *testing.B) {
	for _, bitLen := range []int{2048, 3072, 4096} {
		priv := loadKeys()[bitLen]
		hashed := sha256.Sum256([]byte("header.payload"))
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, hashed[:])
		if err != nil {
			b.Fatal(err)
		}
		k := mustNew(b, &priv.PublicKey)
		b.Run(fmt.Sprintf("rsapub/%d", bitLen), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !k.VerifyPKCS1v15(crypto.SHA256, hashed[:], sig) {
					b.Fatal("refused")
				}
			}
		})
		b.Run(fmt.Sprintf("crypto-rsa/%d", bitLen), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, hashed[:], sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyPSS is PS256's, against crypto/rsa's.
func BenchmarkVerifyPSS(b *testing.B) {
	priv := loadKeys()[2048]
	hashed := sha256.Sum256([]byte("header.payload"))
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sig, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, hashed[:], opts)
	if err != nil {
		b.Fatal(err)
	}
	k := mustNew(b, &priv.PublicKey)
	b.Run("rsapub/2048", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !k.VerifyPSS(crypto.SHA256, hashed[:], sig) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("crypto-rsa/2048", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, hashed[:], sig, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNew is the once-per-key cost.
func BenchmarkNew(b *testing.B) {
	pub := &loadKeys()[2048].PublicKey
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(pub); err != nil {
			b.Fatal(err)
		}
	}
}
