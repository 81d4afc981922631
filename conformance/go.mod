module github.com/cognitojwt/cognitojwt/conformance

go 1.25.0

require github.com/cognitojwt/cognitojwt v0.0.0

replace github.com/cognitojwt/cognitojwt => ../
