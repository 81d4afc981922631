module github.com/cognitojwt/cognitojwt/contrib/lambda

go 1.25.0

require github.com/cognitojwt/cognitojwt v0.0.0

require github.com/aws/aws-lambda-go v1.54.0

replace github.com/cognitojwt/cognitojwt => ../..
