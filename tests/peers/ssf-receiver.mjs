// An OpenID Shared Signals receiver built on someone else's library
// (npm jose): it takes nhir's Security Event Tokens by push (RFC 8935)
// or poll (RFC 8936) and accepts one only when jose verifies it against
// the keys the transmitter's metadata names: signature, typ
// secevent+jwt, iss, aud; then the event and its subject must be ones
// it knows (SSF 1.0, CAEP 1.0, RISC 1.0, RFC 9493 subject identifiers).
//
//   node ssf-receiver.mjs PEERS push --metadata URL --issuer ISS --aud AUD
//        --log FILE --port-file FILE [--fail N]
//   node ssf-receiver.mjs PEERS poll --metadata URL --issuer ISS --aud AUD
//        --log FILE --url POLL-URL --token-file FILE --want N
//
// Each SET taken or refused is one JSON line in the log: {"ok": true,
// "jti", "event", "sub_id", "body", "alg", "typ"} or {"ok": false, "err",
// "why"}.  push answers 202 to a SET it takes and 400 {"err",
// "description"} to one it refuses (the first N requests with --fail
// get 503); poll acknowledges what it took, and stops once it has N.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [peersArg, mode, ...rest] = process.argv.slice(2);
const { createLocalJWKSet, jwtVerify, decodeProtectedHeader } = await import(
	pathToFileURL(join(resolve(peersArg), 'node_modules', 'jose', 'dist',
		'webapi', 'index.js')).href);

const opt = {};
for (let i = 0; i < rest.length; i += 2)
	opt[rest[i].replace(/^--/, '')] = rest[i + 1];

const KNOWN = {
	'https://schemas.openid.net/secevent/risc/event-type/credential-compromise':
		(e) => typeof e.credential_type === 'string',
	'https://schemas.openid.net/secevent/caep/event-type/session-revoked':
		(e) => Number.isInteger(e.event_timestamp),
	'https://schemas.openid.net/secevent/caep/event-type/credential-change':
		(e) => typeof e.credential_type === 'string' &&
			['create', 'revoke', 'update', 'delete'].includes(e.change_type),
	'https://schemas.openid.net/secevent/ssf/event-type/verification':
		(e) => e.state === undefined || typeof e.state === 'string',
};
// RFC 9493 section 3: the formats and the members each needs
const FORMATS = {
	account: ['uri'], email: ['email'], iss_sub: ['iss', 'sub'],
	opaque: ['id'], phone_number: ['phone_number'], did: ['url'],
	uri: ['uri'],
};

// the transmitter's metadata, then its keys, as a receiver finds them
const meta = await (await fetch(opt.metadata)).json();
if (meta.issuer !== opt.issuer)
	throw new Error(`metadata names issuer ${meta.issuer}, not ${opt.issuer}`);
const jwks = await (await fetch(meta.jwks_uri)).json();
const keys = createLocalJWKSet(jwks);

function log(o) {
	appendFileSync(opt.log, JSON.stringify(o) + '\n');
}

// {ok, ...} for one SET
async function take(jws) {
	let r;
	try {
		r = await jwtVerify(jws, keys, {
			issuer: opt.issuer, audience: opt.aud, typ: 'secevent+jwt',
			algorithms: ['EdDSA', 'Ed25519', 'ES256'],
		});
	} catch (e) {
		const err = e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' &&
			e.claim === 'aud' ? 'invalid_audience'
			: e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' &&
			e.claim === 'iss' ? 'invalid_issuer'
			: e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ||
			e.code === 'ERR_JWKS_NO_MATCHING_KEY'
			? 'invalid_key' : 'invalid_request';
		return { ok: false, err, why: `${e.code}: ${e.message}` };
	}
	const p = r.payload, h = decodeProtectedHeader(jws);
	const names = Object.keys(p.events || {});
	const why = typeof p.jti !== 'string' ? 'no jti'
		: !Number.isInteger(p.iat) ? 'no iat'
		: names.length !== 1 ? `${names.length} events`
		: !KNOWN[names[0]] ? `unknown event ${names[0]}`
		: !KNOWN[names[0]](p.events[names[0]]) ? `${names[0]} without its members`
		: !p.sub_id || !FORMATS[p.sub_id.format] ? 'no RFC 9493 sub_id'
		: FORMATS[p.sub_id.format].some((m) => typeof p.sub_id[m] !== 'string')
			? `sub_id ${p.sub_id.format} without its members`
		: p.exp !== undefined ? 'a SET has no exp (RFC 8417 2.2)' : null;
	if (why)
		return { ok: false, err: 'invalid_request', why };
	return {
		ok: true, jti: p.jti, event: names[0], sub_id: p.sub_id,
		body: p.events[names[0]], txn: p.txn, alg: h.alg, typ: h.typ,
	};
}

if (mode === 'push') {
	let fail = Number(opt.fail || 0);
	const srv = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', async () => {
			if (fail > 0) {
				fail--;
				res.writeHead(503).end();
				return;
			}
			const type = (req.headers['content-type'] || '').split(';')[0];
			const r = type !== 'application/secevent+jwt' || req.method !== 'POST'
				? { ok: false, err: 'invalid_request', why: `${req.method} ${type}` }
				: await take(Buffer.concat(chunks).toString());
			log(r);
			if (r.ok) {
				res.writeHead(202).end();
			} else {
				res.writeHead(400, { 'Content-Type': 'application/json' })
					.end(JSON.stringify({ err: r.err, description: r.why }));
			}
		});
	});
	srv.listen(0, '127.0.0.1', () =>
		writeFileSync(opt['port-file'], String(srv.address().port)));
} else if (mode === 'poll') {
	const token = readFileSync(opt['token-file'], 'utf8').trim();
	const want = Number(opt.want);
	let got = 0, ack = [];
	const until = Date.now() + 30000;
	while (got < want && Date.now() < until) {
		const res = await fetch(opt.url, {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}`,
				'Content-Type': 'application/json' },
			body: JSON.stringify({ ack, maxEvents: 2, returnImmediately: false }),
		});
		if (res.status !== 200)
			throw new Error(`poll answered ${res.status}`);
		const d = await res.json();
		ack = [];
		for (const [jti, jws] of Object.entries(d.sets)) {
			const r = await take(jws);
			if (r.ok && r.jti !== jti)
				Object.assign(r, { ok: false, err: 'invalid_request',
					why: 'the jti is not the one it came under' });
			log(r);
			if (r.ok) {
				got++;
				ack.push(jti);
			}
		}
	}
	// the last acknowledgements, answered at once
	await fetch(opt.url, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`,
			'Content-Type': 'application/json' },
		body: JSON.stringify({ ack, maxEvents: 0, returnImmediately: true }),
	});
	process.exit(got >= want ? 0 : 1);
} else {
	throw new Error(`no mode ${mode}`);
}
