// Records aws-jwt-verify's verdict on every case of the differential test:
//
//   node aws-jwt-verify.mjs INPUT.json OUTPUT.json
//
// INPUT.json is {now, jwks, cases: [{name, token, config}]}, written by
// the Go test; config holds CognitoJwtVerifier properties. The JWKS is put
// in each verifier's cache (both issuer forms of the pool), so nothing is
// fetched, and Date.now is pinned to `now` (seconds), the clock the Go
// side uses too. OUTPUT.json is [{name, valid, error}].
import fs from 'node:fs';
import { CognitoJwtVerifier } from 'aws-jwt-verify';

const [input, output] = process.argv.slice(2);
const { now, jwks, cases } = JSON.parse(fs.readFileSync(input, 'utf8'));
Date.now = () => now * 1000;

const verifiers = new Map();
function verifierFor(config) {
  const key = JSON.stringify(config);
  let v = verifiers.get(key);
  if (!v) {
    v = CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      tokenUse: config.tokenUse,
      clientId: config.clientId,
      groups: config.groups ?? null,
      scope: config.scope ?? null,
      graceSeconds: 0,
    });
    v.cacheJwks(jwks); // for both issuer forms of the pool
    verifiers.set(key, v);
  }
  return v;
}

const results = cases.map(({ name, token, config }) => {
  try {
    verifierFor(config).verifySync(token);
    return { name, valid: true };
  } catch (err) {
    return { name, valid: false, error: `${err.name}: ${err.message}` };
  }
});
fs.writeFileSync(output, JSON.stringify(results));
