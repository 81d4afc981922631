// Package chiexample shows package httpauth with the chi router
// (github.com/go-chi/chi/v5): the middleware is func(http.Handler)
// http.Handler, so chi's Use, With and Group take it as it is, with no
// adapter. It is a module of its own so that chi never enters the main
// module's dependencies; see example_test.go.
package chiexample
