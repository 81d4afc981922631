module github.com/cognitojwt/cognitojwt

go 1.25
