// An identity provider's side of Shared Signals, built on npm jose: it
// makes a key pair and signs Security Event Tokens that nhir serve is to
// take at POST /api/v1/ssf/receive (RFC 8935).
//
//   node ssf-sender.mjs PEERS keygen KEY-FILE JWKS-FILE [ALG]
//   node ssf-sender.mjs PEERS sign KEY-FILE CLAIMS-JSON [TYP]
//
// keygen writes the private JWK (KEY-FILE, mode 0600) and the public JWK
// set (JWKS-FILE); ALG is ES256 (the default) or EdDSA.  sign prints the
// compact JWS of CLAIMS-JSON with typ TYP (default secevent+jwt; "-"
// for none), "iat" set to now when the claims have none.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [peersArg, mode, ...a] = process.argv.slice(2);
const jose = await import(pathToFileURL(join(resolve(peersArg), 'node_modules',
	'jose', 'dist', 'webapi', 'index.js')).href);

if (mode === 'keygen') {
	const alg = a[2] || 'ES256';
	const { publicKey, privateKey } = await jose.generateKeyPair(alg,
		{ extractable: true });
	const priv = await jose.exportJWK(privateKey);
	const pub = await jose.exportJWK(publicKey);
	const kid = `idp-${alg.toLowerCase()}-1`;
	Object.assign(priv, { kid, alg });
	Object.assign(pub, { kid, alg, use: 'sig' });
	writeFileSync(a[0], JSON.stringify(priv));
	chmodSync(a[0], 0o600);
	writeFileSync(a[1], JSON.stringify({ keys: [pub] }));
} else if (mode === 'sign') {
	const jwk = JSON.parse(readFileSync(a[0], 'utf8'));
	const key = await jose.importJWK(jwk, jwk.alg);
	const claims = JSON.parse(a[1]);
	if (claims.iat === undefined)
		claims.iat = Math.floor(Date.now() / 1000);
	const header = { alg: jwk.alg, kid: jwk.kid };
	if ((a[2] || 'secevent+jwt') !== '-')
		header.typ = a[2] || 'secevent+jwt';
	process.stdout.write(await new jose.CompactSign(
		new TextEncoder().encode(JSON.stringify(claims)))
		.setProtectedHeader(header).sign(key));
} else {
	throw new Error(`no mode ${mode}`);
}
