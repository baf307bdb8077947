// A stand-in for Google's OAuth 2.0 token endpoint and the IAM API on a
// loopback port, for the tests of nhir's gcp connector.  Google publishes
// no machine-readable contract nhir could run offline for these two, so
// the checks are written from Google's reference pages:
//
//   developers.google.com/identity/protocols/oauth2/service-account
//     ("Preparing to make an authorized API call", HTTP/REST): a JWT
//     {"alg":"RS256","typ":"JWT","kid":private_key_id} . {iss: the
//     service account's email, scope, aud: the token_uri, iat, exp at
//     most one hour after iat} signed RS256 with the account's key,
//     POSTed as application/x-www-form-urlencoded grant_type=
//     urn:ietf:params:oauth:grant-type:jwt-bearer & assertion=JWT;
//     answer {"access_token","expires_in","token_type":"Bearer"}, or
//     400 {"error":"invalid_grant","error_description"} (RFC 6749 5.2);
//   cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys
//     /disable (POST .../keys/K:disable, body empty or
//     {serviceAccountKeyDisableReason, extendedStatusMessage}, answer {}),
//     /delete (DELETE .../keys/K, answer {}), /get (GET .../keys/K, a
//     ServiceAccountKey: name, validAfterTime, validBeforeTime,
//     keyAlgorithm, keyOrigin, keyType, disabled);
//   cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts
//     /disable (POST .../serviceAccounts/A:disable, body {} , answer {}),
//     /get (a ServiceAccount: name, projectId, uniqueId, email,
//     displayName, etag, oauth2ClientId, disabled); "-" for the project
//     answers 403 where a named one answers 404;
//   cloud.google.com/apis/design/errors: {"error": {"code", "message",
//     "status"}}, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404
//     NOT_FOUND, 400 INVALID_ARGUMENT, 429 RESOURCE_EXHAUSTED, 503
//     UNAVAILABLE.
//
// Every IAM call needs "Authorization: Bearer" with a token this peer
// issued, of an enabled account holding the method's permission
// (iam.serviceAccountKeys.disable, .delete, .get; iam.serviceAccounts
// .disable, .get).  It keeps state: a disabled or deleted key can no
// longer sign an assertion, a disabled account's tokens are refused.
//
//   node gcp-peer.mjs STATE.json
//
// STATE.json: {"accounts": {EMAIL: {"project": P, "uniqueId": N,
// "permissions": [...], "disabled": bool, "keys": {KEY_ID:
// {"public_key": PEM, "disabled": bool}}}}}.  Prints "port N" once
// listening.  Test hooks: GET /_peer/state, GET /_peer/log, POST
// /_peer/faults with a JSON list of {"route": R, "status": S,
// "headers": {...}, "count": N, "raw": BODY}.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createPublicKey, createVerify, randomBytes } from 'node:crypto';

const [statePath] = process.argv.slice(2);
const state = JSON.parse(readFileSync(statePath, 'utf8'));
state.accounts ||= {};
const log = [];
let faults = [];
const tokens = new Map();	// access token -> {email, exp}
let port = 0;

const STATUS = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED',
	404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 429: 'RESOURCE_EXHAUSTED', 503: 'UNAVAILABLE' };

function send(res, status, body, headers = {}) {
	res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', ...headers });
	res.end(body === undefined ? '' : JSON.stringify(body));
	return status;
}

function gerror(res, code, message) {
	return send(res, code, { error: { code, message, status: STATUS[code] } });
}

function b64json(s) {
	return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

// The assertion checked as Google documents it; the account's email, or
// a reason it is refused (and whether the request itself broke the contract).
function checkAssertion(jwt) {
	const parts = (jwt || '').split('.');
	if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p)))
		return { bad: 'the assertion is not a compact JWS of three base64url parts' };
	let h, c;
	try { h = b64json(parts[0]); c = b64json(parts[1]); } catch (e) {
		return { bad: `the assertion's header or claims are not JSON: ${e.message}` };
	}
	if (h.alg !== 'RS256') return { bad: `alg is ${h.alg}, not RS256` };
	if (h.typ !== undefined && h.typ !== 'JWT') return { bad: `typ is ${h.typ}` };
	for (const k of ['iss', 'scope', 'aud'])
		if (typeof c[k] !== 'string') return { bad: `claim ${k} is not a string` };
	for (const k of ['iat', 'exp'])
		if (!Number.isInteger(c[k])) return { bad: `claim ${k} is not an integer` };
	if (c.aud !== `http://127.0.0.1:${port}/token`) return { bad: `aud is ${c.aud}, not the token_uri` };
	if (c.exp <= c.iat || c.exp - c.iat > 3600) return { bad: 'exp is not within an hour after iat' };
	const now = Math.floor(Date.now() / 1000);
	if (c.iat > now + 60 || c.exp < now) return { refused: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' };
	const scopes = c.scope.split(' ');
	if (!scopes.some((s) => s === 'https://www.googleapis.com/auth/iam' || s === 'https://www.googleapis.com/auth/cloud-platform'))
		return { bad: `scope ${c.scope} grants no IAM method` };
	const acct = state.accounts[c.iss];
	if (!acct) return { refused: 'Invalid grant: account not found' };
	const key = (acct.keys || {})[h.kid];
	if (!key || key.deleted) return { refused: 'Invalid JWT Signature.' };
	const v = createVerify('RSA-SHA256');
	v.update(`${parts[0]}.${parts[1]}`);
	if (!v.verify(createPublicKey(key.public_key), Buffer.from(parts[2], 'base64url')))
		return { refused: 'Invalid JWT Signature.', signature: false };
	if (key.disabled) return { refused: 'Invalid grant: key disabled', signature: true };
	if (acct.disabled) return { refused: 'Invalid grant: account disabled', signature: true };
	return { email: c.iss, scope: c.scope, signature: true };
}

const routes = [
	{ name: 'keys.disable', method: 'POST', re: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)\/keys\/([^/:]+):disable$/,
	  perm: 'iam.serviceAccountKeys.disable', body: ['serviceAccountKeyDisableReason', 'extendedStatusMessage'] },
	{ name: 'keys.delete', method: 'DELETE', re: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)\/keys\/([^/:]+)$/,
	  perm: 'iam.serviceAccountKeys.delete' },
	{ name: 'keys.get', method: 'GET', re: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)\/keys\/([^/:]+)$/,
	  perm: 'iam.serviceAccountKeys.get' },
	{ name: 'serviceAccounts.disable', method: 'POST', re: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):disable$/,
	  perm: 'iam.serviceAccounts.disable', body: [] },
	{ name: 'serviceAccounts.get', method: 'GET', re: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)$/,
	  perm: 'iam.serviceAccounts.get' },
];

function findAccount(project, id) {
	for (const [email, a] of Object.entries(state.accounts))
		if ((email === id || String(a.uniqueId) === id) && (project === '-' || project === a.project))
			return [email, a];
	return [null, null];
}

function token(req, res, body, entry) {
	entry.route = 'token';
	const bad = [];
	if (req.method !== 'POST') bad.push(`${req.method} is not how the token endpoint is called`);
	if (!(req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded'))
		bad.push(`Content-Type ${req.headers['content-type']} is not application/x-www-form-urlencoded`);
	const p = new URLSearchParams(body);
	for (const k of p.keys())
		if (k !== 'grant_type' && k !== 'assertion') bad.push(`the token request has no parameter ${k}`);
	if (p.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
		bad.push(`grant_type is ${p.get('grant_type')}`);
	const a = bad.length ? null : checkAssertion(p.get('assertion'));
	if (a && a.bad) bad.push(a.bad);
	if (bad.length) {
		entry.violations = bad;
		return (entry.status = send(res, 400, { error: 'invalid_request', error_description: bad[0] }));
	}
	entry.signature = a.signature;
	if (a.refused)
		return (entry.status = send(res, 400, { error: 'invalid_grant', error_description: a.refused }));
	const t = 'ya29.' + randomBytes(24).toString('base64url');
	tokens.set(t, { email: a.email, exp: Date.now() + 3600e3 });
	entry.account = a.email;
	return (entry.status = send(res, 200, { access_token: t, expires_in: 3599, token_type: 'Bearer' }));
}

const server = createServer((req, res) => {
	let body = '';
	req.setEncoding('utf8');
	req.on('data', (c) => { body += c; });
	req.on('end', () => {
		const url = new URL(req.url, 'http://127.0.0.1');
		if (url.pathname.startsWith('/_peer/')) {
			if (req.method === 'GET' && url.pathname === '/_peer/state')
				return send(res, 200, state);
			if (req.method === 'GET' && url.pathname === '/_peer/log')
				return send(res, 200, log);
			if (req.method === 'POST' && url.pathname === '/_peer/faults') {
				faults = faults.concat(JSON.parse(body));
				return send(res, 200, {});
			}
			return send(res, 404, {});
		}
		const entry = { method: req.method, path: url.pathname, route: null };
		log.push(entry);
		const route = url.pathname === '/token' ? { name: 'token' }
			: routes.find((r) => r.re.test(url.pathname) && r.method === req.method);
		if (!route) {
			entry.violations = [`${req.method} ${url.pathname}: no such method in the IAM API`];
			return (entry.status = routes.some((r) => r.re.test(url.pathname))
				? gerror(res, 405, `${req.method} is not allowed here`)
				: gerror(res, 404, `The requested URL ${url.pathname} was not found on this server.`));
		}
		entry.route = route.name;
		const f = faults.findIndex((x) => !x.route || x.route === route.name);
		if (f >= 0) {
			const x = faults[f];
			if (--x.count <= 0) faults.splice(f, 1);
			res.writeHead(x.status, { 'Content-Type': 'application/json; charset=UTF-8', ...(x.headers || {}) });
			res.end(x.raw !== undefined ? x.raw : JSON.stringify({ error: {
				code: x.status, message: x.message || 'fault', status: STATUS[x.status] || 'UNKNOWN' } }));
			entry.status = x.status;
			entry.fault = true;
			return;
		}
		if (route.name === 'token')
			return token(req, res, body, entry);
		const bad = [];
		if (url.search && !(route.name === 'keys.get' && [...url.searchParams.keys()].every((k) => k === 'publicKeyType')))
			bad.push(`${route.name} takes no query ${url.search}`);
		if (route.body) {
			let p = {};
			if (body.length) {
				if (!(req.headers['content-type'] || '').startsWith('application/json'))
					bad.push(`Content-Type ${req.headers['content-type']} is not JSON`);
				try { p = JSON.parse(body); } catch (e) { bad.push(`the body is not JSON: ${e.message}`); }
				if (p === null || typeof p !== 'object' || Array.isArray(p)) bad.push('the body is not a JSON object');
				else for (const k of Object.keys(p))
					if (!route.body.includes(k)) bad.push(`${route.name} has no field ${k}`);
			}
		} else if (body.length) {
			bad.push(`${route.name} takes no body`);
		}
		if (bad.length) {
			entry.violations = bad;
			return (entry.status = gerror(res, 400, bad[0]));
		}
		const auth = req.headers.authorization || '';
		const t = auth.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : null;
		const who = t && t.exp > Date.now() ? state.accounts[t.email] : null;
		entry.auth = t ? t.email : auth ? 'unknown' : 'none';
		if (!who || who.disabled)
			return (entry.status = gerror(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
		const m = url.pathname.match(route.re);
		const [project, id, keyId] = [m[1], decodeURIComponent(m[2]), m[3]];
		const [email, acct] = findAccount(project, id);
		const key = acct && keyId ? (acct.keys || {})[keyId] : null;
		const name = keyId ? `projects/${project}/serviceAccounts/${id}/keys/${keyId}`
			: `projects/${project}/serviceAccounts/${id}`;
		if (!(who.permissions || []).includes(route.perm))
			return (entry.status = gerror(res, 403, `Permission '${route.perm}' denied on resource (or it may not exist).`));
		if (!acct || (keyId && (!key || key.deleted))) {
			if (project === '-')
				return (entry.status = gerror(res, 403, `Permission '${route.perm}' denied on resource (or it may not exist).`));
			return (entry.status = gerror(res, 404, keyId ? `Service account key ${keyId} does not exist.`
				: `Service account ${id} does not exist.`));
		}
		const full = keyId ? `projects/${acct.project}/serviceAccounts/${email}/keys/${keyId}`
			: `projects/${acct.project}/serviceAccounts/${email}`;
		entry.name = name;
		switch (route.name) {
		case 'keys.disable':
			key.disabled = true;
			return (entry.status = send(res, 200, {}));
		case 'keys.delete':
			key.deleted = true;
			return (entry.status = send(res, 200, {}));
		case 'serviceAccounts.disable':
			acct.disabled = true;
			return (entry.status = send(res, 200, {}));
		case 'keys.get': {
			const k = { name: full, validAfterTime: '2024-05-01T09:00:00Z', validBeforeTime: '9999-12-31T23:59:59Z',
				keyAlgorithm: 'KEY_ALG_RSA_2048', keyOrigin: 'GOOGLE_PROVIDED', keyType: 'USER_MANAGED' };
			if (key.disabled) k.disabled = true;
			return (entry.status = send(res, 200, k));
		}
		case 'serviceAccounts.get': {
			const a = { name: full, projectId: acct.project, uniqueId: String(acct.uniqueId), email,
				displayName: email.split('@')[0], etag: 'MDEwMjE5MjA=', oauth2ClientId: String(acct.uniqueId) };
			if (acct.disabled) a.disabled = true;
			return (entry.status = send(res, 200, a));
		}
		}
		return (entry.status = gerror(res, 404, 'not found'));
	});
});
server.listen(0, '127.0.0.1', () => {
	port = server.address().port;
	console.log('port ' + port);
});
