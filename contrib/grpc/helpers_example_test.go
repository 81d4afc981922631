package grpcauth_test

import (
	"crypto/tls"

	"google.golang.org/grpc/credentials"
)

func credentialsFromSystemRoots() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
}
