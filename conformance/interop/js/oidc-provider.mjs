// An oidc-provider (panva) instance for the interop tests, on loopback:
//
//   node oidc-provider.mjs PORT KEYS.json
//
// KEYS.json is {"keys": [private JWKs]}, written by the Go test; the test
// rotates keys by restarting this script with another file. The provider
// serves discovery and its JWKS, issues JWT access tokens to the
// client_credentials client "m2m" for two resource servers (one signed
// RS256, one ES256), and ID tokens (ES256) to the code-flow client "web",
// whose interaction this script finishes at once for the account "alice".
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const [port, keysFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { keys } = JSON.parse(fs.readFileSync(keysFile, 'utf8'));

const resources = {
  'https://rs256.api.example': 'RS256',
  'https://es256.api.example': 'ES256',
};

const provider = new Provider(issuer, {
  jwks: { keys },
  clients: [
    {
      client_id: 'm2m',
      client_secret: 'm2m-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
    {
      client_id: 'web',
      client_secret: 'web-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  cookies: { keys: ['interop-tests-only'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  findAccount: (ctx, sub) => ({
    accountId: sub,
    claims: () => ({ sub, email: `${sub}@example.com`, email_verified: true }),
  }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: (ctx, resource) => {
        const alg = resources[resource];
        if (!alg) throw new Error(`unknown resource ${resource}`);
        return {
          scope: 'read write',
          audience: resource,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: {
    AccessToken: 300, AuthorizationCode: 60, ClientCredentials: 300, IdToken: 300,
    Interaction: 300, Session: 300, Grant: 300,
  },
});

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) return callback(req, res);
  try {
    // Sign "alice" in and grant what was asked, without a page.
    const details = await provider.interactionDetails(req, res);
    const grant = new provider.Grant({ accountId: 'alice', clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res,
      { login: { accountId: 'alice' }, consent: { grantId } },
      { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider on ${issuer}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
