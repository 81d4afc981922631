module github.com/cognitojwt/cognitojwt/examples/api/chi

go 1.25.0

require (
	github.com/cognitojwt/cognitojwt v0.0.0
	github.com/go-chi/chi/v5 v5.5.0
)

replace github.com/cognitojwt/cognitojwt => ../../..
