// Package interop checks cognitojwt against software nobody on this
// project wrote, all of it run on loopback by the tests: the cognito-local
// emulator (real Cognito-shaped tokens from its AWS JSON API), the
// oidc-provider OpenID provider (discovery, RS256 and ES256 keys, key
// rotation), and the aws-jwt-verify library (a differential test over
// several hundred generated tokens), plus fixtures shaped like the tokens
// of Auth0, Entra ID, Okta and Keycloak.
//
// The npm packages are pinned in package.json and package-lock.json here
// and installed into node_modules (git-ignored) by
//
//	npm ci --ignore-scripts
//
// which .ci/install.d/50-interop-npm.sh runs. Without node_modules or
// node the tests skip, unless CI is set, when they fail. The package has
// no API.
package interop
