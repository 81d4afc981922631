// Measures aws-jwt-verify's synchronous path on the fixture token that
// bench/node_test.go writes: JwtRsaVerifier with the issuer, no audience
// (Cognito access tokens have none), token_use and client_id checked in
// customJwtCheck, the JWKS cached with cacheJwks (no fetch while
// measured); and, as Node's floor, crypto.verify (RSA-SHA256) of the same
// signature with the parsed key. Prints one JSON line: ns per call of each.
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { JwtRsaVerifier } from "aws-jwt-verify";

const fix = JSON.parse(readFileSync(process.argv[2], "utf8"));
const iterations = Number(process.argv[3] || 2000);
const verifier = JwtRsaVerifier.create({
  issuer: fix.issuer,
  audience: null,
  jwksUri: fix.jwksUri,
  customJwtCheck: ({ payload }) => {
    if (payload.token_use !== "access") throw new Error("token_use");
    if (payload.client_id !== fix.clientId) throw new Error("client_id");
  },
});
verifier.cacheJwks(fix.jwks);
verifier.verifySync(fix.token); // must accept it before anything is timed
let refused = false;
try {
  verifier.verifySync(fix.token.slice(0, -2) + (fix.token.endsWith("A") ? "B" : "A") + fix.token.slice(-1));
} catch {
  refused = true;
}
if (!refused) throw new Error("aws-jwt-verify accepted a bad signature");

const [head, body, sig] = fix.token.split(".");
const key = createPublicKey({ key: fix.jwks.keys[0], format: "jwk" });
const input = Buffer.from(head + "." + body);
const signature = Buffer.from(sig, "base64url");

function time(fn) {
  for (let i = 0; i < Math.max(iterations / 10, 1000); i++) fn(); // warm up (JIT)
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}
const out = {
  verifySync: time(() => verifier.verifySync(fix.token)),
  floor: time(() => {
    if (!verify("sha256", input, key, signature)) throw new Error("floor refused");
  }),
};
console.log(JSON.stringify(out));
