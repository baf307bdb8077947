// An OpenID provider for the tests (npm oidc-provider, pinned in
// tests/peers/package.json): one confidential client "nhir" whose
// secret is $OIDC_CLIENT_SECRET and whose redirect URI is argv[3];
// accounts are whatever name is typed at its development login form,
// with that name as preferred_username, and the groups
// $OIDC_GROUPS (a JSON object: name -> claim value) gives them as the
// "groups" claim (absent for a name it does not list).  With
// $OIDC_ALG (PS256, ES256, EdDSA) the ID tokens are signed with that
// algorithm by a key made at start.  Listens on a free loopback port
// and prints "issuer URL".
//   node oidc-peer.mjs PEERS-DIR REDIRECT-URI
import crypto from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [peers, redirect] = process.argv.slice(2);
const secret = process.env.OIDC_CLIENT_SECRET;
const groups = JSON.parse(process.env.OIDC_GROUPS || '{}');
const alg = process.env.OIDC_ALG || 'RS256';
// the provider signs what it must with RS256 always; the ID token with alg
const jwk = (type, opts, props) => ({
  ...crypto.generateKeyPairSync(type, opts).privateKey.export({ format: 'jwk' }),
  use: 'sig', ...props,
});
const keys = [jwk('rsa', { modulusLength: 2048 }, { kid: 'rs', alg: 'RS256' })];
if (alg === 'PS256') keys.push(jwk('rsa', { modulusLength: 2048 }, { kid: 'ps', alg }));
if (alg === 'ES256') keys.push(jwk('ec', { namedCurve: 'P-256' }, { kid: 'es', alg }));
if (alg === 'EdDSA') keys.push(jwk('ed25519', {}, { kid: 'ed', alg }));
if (!peers || !redirect || !secret) {
  console.error('usage: OIDC_CLIENT_SECRET=S node oidc-peer.mjs PEERS-DIR REDIRECT-URI');
  process.exit(2);
}
const require = createRequire(`${peers}/package.json`);
const { default: Provider } = await import(pathToFileURL(require.resolve('oidc-provider')).href);

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'nhir',
      client_secret: secret,
      redirect_uris: [redirect],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
    }],
    jwks: { keys },
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'] },
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => (Object.hasOwn(groups, id)
        ? { sub: id, preferred_username: id, groups: groups[id] }
        : { sub: id, preferred_username: id }),
    }),
    // the claims of the profile scope in the ID token itself, which is
    // all nhir reads
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['nhir-test-peer-cookie-key'] },
  });
  server.on('request', provider.callback());
  console.log(`issuer ${issuer}`);
});
process.on('SIGTERM', () => process.exit(0));
