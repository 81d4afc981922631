// Package bench holds side-by-side benchmarks of cognitojwt against peer
// Go libraries, and the tests that show each peer is set up to refuse what
// it must. It is a nested module, so that the peers never enter the
// dependencies of github.com/cognitojwt/cognitojwt. All of its code is in
// _test.go files; see README.md for what is measured and how to run it.
package bench
