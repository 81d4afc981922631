module github.com/cognitojwt/cognitojwt/contrib/lambda

go 1.26

require github.com/cognitojwt/cognitojwt v0.0.0

require github.com/aws/aws-lambda-go v1.55.1

replace github.com/cognitojwt/cognitojwt => ../..
