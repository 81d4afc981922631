module github.com/cognitojwt/cognitojwt/contrib/connect

go 1.25.0

require (
	connectrpc.com/connect v1.20.0
	github.com/cognitojwt/cognitojwt v0.0.0
)

require google.golang.org/protobuf v1.36.11 // indirect

replace github.com/cognitojwt/cognitojwt => ../..
