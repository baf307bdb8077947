// A stand-in for Microsoft's identity platform token endpoint and
// Microsoft Graph v1.0 on a loopback port, for the tests of nhir's entra
// connector.  Neither is packaged for npm; the checks here are written
// from Microsoft's reference pages: "Microsoft identity platform and the
// OAuth 2.0 client credentials flow" (POST /{tenant}/oauth2/v2.0/token,
// application/x-www-form-urlencoded, exactly client_id, scope,
// client_secret and grant_type=client_credentials; errors as {"error",
// "error_description", "error_codes", ...}), and, in the Graph v1.0
// reference, "Update servicePrincipal" (PATCH, JSON, 204 No Content),
// "servicePrincipal: removePassword" and "application: removePassword"
// (POST {"keyId"}, 204), "Get servicePrincipal" and "Get application"
// ($select), "Get oAuth2PermissionGrant" and "Delete
// oAuth2PermissionGrant" (204), "List appRoleAssignments granted for a
// service principal" (GET .../appRoleAssignedTo, {"value", "@odata.
// nextLink"}) and "Delete appRoleAssignedTo" (204), "Microsoft Graph
// error responses and resource types" ({"error": {"code", "message",
// "innerError"}}), "Microsoft Graph throttling guidance" (429 with
// Retry-After) and the permissions each page names
// (Application.ReadWrite.All, DelegatedPermissionGrant.ReadWrite.All,
// AppRoleAssignment.ReadWrite.All), which a token carries as roles.
// "application: removeKey" and "servicePrincipal: removeKey" (POST
// {"keyId", "proof"}, 204): the proof is a JWT signed RS256 with the
// private key of one of the object's certificates, checked here against
// the certificates it holds (named by x5t, the SHA-1 thumbprint), with
// aud 00000002-0000-0000-c000-000000000000, iss the object's id, and
// nbf/exp no more than 10 minutes apart around now; else 400.
//
// It keeps state, so a disabled service principal then reads
// accountEnabled false and a deleted grant 404.
//
//   node entra-peer.mjs STATE.json
//
// STATE.json: {"tenant": T, "clients": {CLIENT_ID: {"secret": S,
// "roles": [...]}}, "servicePrincipals": {ID: {"accountEnabled": bool,
// "passwordCredentials": [{"keyId", "displayName"}], "keyCredentials":
// [{"keyId", "displayName", "cert": PEM}], "appRoleAssignedTo":
// [{"id", "principalId", "appRoleId"}]}}, "applications": {ID: {...}},
// "grants": {ID: {"clientId", "resourceId", "scope"}}}.  Prints "port N"
// once listening.  Test hooks: GET /_peer/state, GET /_peer/log, POST
// /_peer/faults with a JSON list of {"route": R, "status": S, "headers":
// {...}, "count": N}.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { X509Certificate, createHash, randomBytes, randomUUID, verify } from 'node:crypto';

const [statePath] = process.argv.slice(2);
const state = JSON.parse(readFileSync(statePath, 'utf8'));
for (const k of ['clients', 'servicePrincipals', 'applications', 'grants']) state[k] ||= {};
const tokens = {};
const log = [];
let faults = [];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE = 2;

const SP_PROPS = ['id', 'appId', 'displayName', 'accountEnabled', 'passwordCredentials', 'keyCredentials', 'servicePrincipalType'];
const APP_PROPS = ['id', 'appId', 'displayName', 'passwordCredentials', 'keyCredentials'];

function graphError(code, message) {
	return { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19),
		'request-id': randomUUID(), 'client-request-id': randomUUID() } } };
}

function send(res, status, body, headers = {}) {
	const h = { 'Cache-Control': 'no-cache', ...headers };
	if (body !== undefined) h['Content-Type'] = 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';
	res.writeHead(status, h);
	res.end(body === undefined ? '' : JSON.stringify(body));
	return status;
}

function credentials(list) {
	return (list || []).map((p) => ({ customKeyIdentifier: null, displayName: p.displayName || null,
		endDateTime: '2025-06-01T00:00:00Z', hint: p.hint || 'abc', keyId: p.keyId, secretText: null,
		startDateTime: '2024-06-01T00:00:00Z' }));
}

function keyCredentials(list) {
	return (list || []).map((k) => {
		const x = new X509Certificate(k.cert);
		return { customKeyIdentifier: createHash('sha1').update(x.raw).digest('hex').toUpperCase(),
			displayName: k.displayName || null, endDateTime: new Date(x.validTo).toISOString(),
			key: null, keyId: k.keyId, startDateTime: new Date(x.validFrom).toISOString(),
			type: 'AsymmetricX509Cert', usage: 'Verify' };
	});
}

// removeKey's proof of possession, checked against obj's certificates:
// the reasons it is refused, none when it holds
const PROOF_AUD = '00000002-0000-0000-c000-000000000000';
function proofProblems(proof, id, obj) {
	const parts = typeof proof === 'string' ? proof.split('.') : [];
	if (parts.length !== 3) return ['the proof is not a JWS in compact form'];
	let h, c;
	try {
		h = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		c = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
	} catch (e) { return [`the proof's header or claims are not JSON: ${e.message}`]; }
	const bad = [];
	if (h.alg !== 'RS256') bad.push(`the proof's alg is ${h.alg}, not RS256`);
	const certs = (obj.keyCredentials || []).map((k) => new X509Certificate(k.cert));
	const cert = certs.find((x) => createHash('sha1').update(x.raw).digest('base64url') === h.x5t);
	if (!cert) bad.push('the proof names (x5t) no certificate of the object');
	else if (!verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), cert.publicKey, Buffer.from(parts[2], 'base64url')))
		bad.push("the proof's signature does not hold under the certificate it names");
	else if (Date.now() > new Date(cert.validTo).getTime()) bad.push('the certificate that signs the proof has expired');
	if (c.aud !== PROOF_AUD) bad.push(`the proof's aud is ${c.aud}, not ${PROOF_AUD}`);
	if (typeof c.iss !== 'string' || c.iss.toLowerCase() !== id.toLowerCase()) bad.push(`the proof's iss is ${c.iss}, not the object's id`);
	const now = Math.floor(Date.now() / 1000);
	if (!Number.isInteger(c.nbf) || !Number.isInteger(c.exp)) bad.push('the proof has no nbf and exp');
	else {
		if (c.exp - c.nbf > 600 || c.exp <= c.nbf) bad.push('the proof is good for more than 10 minutes');
		if (c.nbf > now + 300 || c.exp < now) bad.push('the proof is not good now');
	}
	return bad;
}

function select(url, props, obj, bad) {
	const s = url.searchParams.get('$select');
	if (s === null) return obj;
	const out = {};
	for (const p of s.split(',')) {
		if (!props.includes(p)) bad.push(`Could not find a property named '${p}' on type 'microsoft.graph.${props === SP_PROPS ? 'servicePrincipal' : 'application'}'.`);
		else out[p] = obj[p];
	}
	return out;
}

function token(req, res, body, entry) {
	const bad = [];
	const ct = (req.headers['content-type'] || '').split(';')[0].trim();
	if (ct !== 'application/x-www-form-urlencoded') bad.push(`Content-Type '${ct}' is not application/x-www-form-urlencoded`);
	const f = new URLSearchParams(body);
	const keys = [...f.keys()];
	for (const k of keys)
		if (!['client_id', 'scope', 'client_secret', 'grant_type'].includes(k)) bad.push(`unknown parameter ${k}`);
	for (const k of ['client_id', 'scope', 'client_secret', 'grant_type'])
		if (f.getAll(k).length !== 1) bad.push(`${k} is required once`);
	if (f.get('grant_type') !== 'client_credentials') bad.push(`grant_type '${f.get('grant_type')}' is not client_credentials`);
	if (f.get('scope') !== 'https://graph.microsoft.com/.default') bad.push(`scope '${f.get('scope')}' is not https://graph.microsoft.com/.default`);
	if (!GUID.test(f.get('client_id') || '')) bad.push('client_id is not a GUID');
	const oauthError = (status, error, description, codes) => send(res, status, { error, error_description: description,
		error_codes: codes, timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
		trace_id: randomUUID(), correlation_id: randomUUID() });
	if (bad.length) {
		entry.violations = bad;
		return (entry.status = oauthError(400, 'invalid_request', `AADSTS900144: ${bad.join('; ')}`, [900144]));
	}
	const c = state.clients[f.get('client_id')];
	if (!c)
		return (entry.status = oauthError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${f.get('client_id')}' was not found in the directory '${state.tenant}'.`, [700016]));
	if (c.secret !== f.get('client_secret'))
		return (entry.status = oauthError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app \'' + f.get('client_id') + '\'.', [7000215]));
	const t = randomBytes(48).toString('base64url');
	tokens[t] = { client: f.get('client_id'), roles: c.roles || [] };
	entry.client = f.get('client_id');
	return (entry.status = send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: t }));
}

const routes = [
	{ name: 'servicePrincipal', re: /^\/v1\.0\/servicePrincipals\/([^/]+)$/, methods: { GET: 'Application.Read.All', PATCH: 'Application.ReadWrite.All' } },
	{ name: 'application', re: /^\/v1\.0\/applications\/([^/]+)$/, methods: { GET: 'Application.Read.All' } },
	{ name: 'removePassword', re: /^\/v1\.0\/(servicePrincipals|applications)\/([^/]+)\/removePassword$/, methods: { POST: 'Application.ReadWrite.All' } },
	{ name: 'removeKey', re: /^\/v1\.0\/(servicePrincipals|applications)\/([^/]+)\/removeKey$/, methods: { POST: 'Application.ReadWrite.All' } },
	{ name: 'grant', re: /^\/v1\.0\/oauth2PermissionGrants\/([^/]+)$/, methods: { GET: 'DelegatedPermissionGrant.Read.All', DELETE: 'DelegatedPermissionGrant.ReadWrite.All' } },
	{ name: 'appRoleAssignedTo', re: /^\/v1\.0\/servicePrincipals\/([^/]+)\/appRoleAssignedTo$/, methods: { GET: 'Application.Read.All' } },
	{ name: 'appRoleAssignment', re: /^\/v1\.0\/servicePrincipals\/([^/]+)\/appRoleAssignedTo\/([^/]+)$/, methods: { DELETE: 'AppRoleAssignment.ReadWrite.All' } },
];
// a ReadWrite permission includes its Read
const grants = (roles, need) => roles.includes(need) || roles.includes(need.replace('.Read.', '.ReadWrite.'));

const server = createServer((req, res) => {
	let body = '';
	req.setEncoding('utf8');
	req.on('data', (c) => { body += c; });
	req.on('end', () => {
		const url = new URL(req.url, 'http://127.0.0.1');
		if (url.pathname.startsWith('/_peer/')) {
			if (req.method === 'GET' && url.pathname === '/_peer/state') return send(res, 200, state);
			if (req.method === 'GET' && url.pathname === '/_peer/log') return send(res, 200, log);
			if (req.method === 'POST' && url.pathname === '/_peer/faults') {
				faults = faults.concat(JSON.parse(body));
				return send(res, 200, {});
			}
			return send(res, 404, {});
		}
		const tokenPath = `/${state.tenant}/oauth2/v2.0/token`;
		const route = url.pathname === tokenPath ? { name: 'token' } : routes.find((r) => r.re.test(url.pathname));
		const entry = { method: req.method, path: url.pathname, query: url.search, route: route ? `${req.method} ${route.name}` : null };
		log.push(entry);
		const f = route && faults.findIndex((x) => !x.route || x.route === entry.route);
		if (route && f >= 0) {
			const x = faults[f];
			if (--x.count <= 0) faults.splice(f, 1);
			entry.fault = true;
			return (entry.status = send(res, x.status, route.name === 'token'
				? { error: 'temporarily_unavailable', error_description: 'AADSTS50196: throttled' }
				: graphError(x.status === 429 ? 'TooManyRequests' : 'ServiceNotAvailable',
					x.status === 429 ? 'Too many requests.' : 'The service is temporarily unavailable.'), x.headers || {}));
		}
		if (route && route.name === 'token') {
			if (req.method !== 'POST') {
				entry.violations = ['the token endpoint takes POST'];
				return (entry.status = send(res, 405, { error: 'invalid_request', error_description: 'AADSTS900561: The endpoint only accepts POST requests.' }));
			}
			return token(req, res, body, entry);
		}
		const bad = [];
		if (!route) {
			entry.violations = [`${req.method} ${url.pathname}: no such request in Graph v1.0`];
			return (entry.status = send(res, 400, graphError('BadRequest', `Resource not found for the segment '${url.pathname.split('/').pop()}'.`)));
		}
		if (!(req.method in route.methods)) {
			entry.violations = [`${req.method} is not how ${route.name} is called`];
			return (entry.status = send(res, 405, graphError('Request_BadRequest', 'Specified HTTP method is not allowed for the request target.')));
		}
		const a = req.headers.accept || '';
		if (!/(^|,)\s*application\/json\s*(;|,|$)/.test(a)) bad.push(`Accept '${a}' does not take application/json`);
		for (const k of url.searchParams.keys())
			if (!(k === '$select' && req.method === 'GET' && ['servicePrincipal', 'application'].includes(route.name)) &&
			    !(k === '$skiptoken' && route.name === 'appRoleAssignedTo'))
				bad.push(`query parameter ${k} is not taken by ${route.name}`);
		let params = null;
		if (body.length) {
			const ct = (req.headers['content-type'] || '').split(';')[0].trim();
			if (ct !== 'application/json') bad.push(`Content-Type '${ct}' is not application/json`);
			try { params = JSON.parse(body); } catch (e) { bad.push(`the body is not JSON: ${e.message}`); }
			if (params !== null && (typeof params !== 'object' || Array.isArray(params))) bad.push('the body is not a JSON object');
		}
		if (['PATCH', 'POST'].includes(req.method) && !params) bad.push(`${route.name} takes a JSON body`);
		if (['GET', 'DELETE'].includes(req.method) && body.length) bad.push(`a ${req.method} has no body`);
		if (params && route.name === 'servicePrincipal')
			for (const [k, v] of Object.entries(params))
				if (k !== 'accountEnabled') bad.push(`nhir's step writes accountEnabled only, not ${k}`);
				else if (typeof v !== 'boolean') bad.push('accountEnabled is a boolean');
		if (params && route.name === 'removeKey') {
			for (const k of Object.keys(params)) if (!['keyId', 'proof'].includes(k)) bad.push(`removeKey takes keyId and proof only, not ${k}`);
			if (!GUID.test(params.keyId || '')) bad.push('keyId is not a GUID');
			if (typeof params.proof !== 'string' || !params.proof) bad.push('removeKey takes a proof');
		}
		if (params && route.name === 'removePassword') {
			for (const k of Object.keys(params)) if (k !== 'keyId') bad.push(`removePassword takes keyId only, not ${k}`);
			if (!GUID.test(params.keyId || '')) bad.push('keyId is not a GUID');
		}
		const m = url.pathname.match(route.re);
		const auth = req.headers.authorization || '';
		const tk = /^Bearer ([A-Za-z0-9_-]+)$/.exec(auth);
		const who = tk && tokens[tk[1]];
		if (!who) {
			entry.auth = auth ? 'invalid' : 'none';
			if (bad.length) entry.violations = bad;
			return (entry.status = send(res, 401, graphError('InvalidAuthenticationToken', auth ? 'IDX14100: JWT is not well formed.' : 'Access token is empty.')));
		}
		entry.auth = who.client;
		if (bad.length) {
			entry.violations = bad;
			return (entry.status = send(res, 400, graphError('Request_BadRequest', bad.join('; '))));
		}
		if (!grants(who.roles, route.methods[req.method]))
			return (entry.status = send(res, 403, graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')));
		const notFound = (id) => send(res, 404, graphError('Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`));
		switch (route.name) {
		case 'servicePrincipal': {
			const sp = state.servicePrincipals[m[1]];
			if (!sp) return (entry.status = notFound(m[1]));
			if (req.method === 'PATCH') {
				sp.accountEnabled = params.accountEnabled;
				return (entry.status = send(res, 204));
			}
			const full = { id: m[1], appId: sp.appId || randomUUID(), displayName: sp.displayName || 'app',
				       accountEnabled: sp.accountEnabled, passwordCredentials: credentials(sp.passwordCredentials),
				       keyCredentials: keyCredentials(sp.keyCredentials), servicePrincipalType: 'Application' };
			const out = select(url, SP_PROPS, full, bad);
			if (bad.length) {
				entry.violations = bad;
				return (entry.status = send(res, 400, graphError('Request_BadRequest', bad.join('; '))));
			}
			return (entry.status = send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity', ...out }));
		}
		case 'application': {
			const app = state.applications[m[1]];
			if (!app) return (entry.status = notFound(m[1]));
			const full = { id: m[1], appId: app.appId || randomUUID(), displayName: app.displayName || 'app',
				       passwordCredentials: credentials(app.passwordCredentials), keyCredentials: keyCredentials(app.keyCredentials) };
			const out = select(url, APP_PROPS, full, bad);
			if (bad.length) {
				entry.violations = bad;
				return (entry.status = send(res, 400, graphError('Request_BadRequest', bad.join('; '))));
			}
			return (entry.status = send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications/$entity', ...out }));
		}
		case 'removePassword': {
			const o = state[m[1]][m[2]];
			if (!o) return (entry.status = notFound(m[2]));
			const i = (o.passwordCredentials || []).findIndex((p) => p.keyId.toLowerCase() === params.keyId.toLowerCase());
			if (i < 0)
				return (entry.status = send(res, 400, graphError('Request_BadRequest', `No password credential found with keyId '${params.keyId}'.`)));
			o.passwordCredentials.splice(i, 1);
			return (entry.status = send(res, 204));
		}
		case 'removeKey': {
			const o = state[m[1]][m[2]];
			if (!o) return (entry.status = notFound(m[2]));
			const why = proofProblems(params.proof, m[2], o);
			if (why.length) {
				entry.proof = why;
				return (entry.status = send(res, 400, graphError('Request_BadRequest', `Invalid proof of possession: ${why.join('; ')}`)));
			}
			entry.proof = 'verified';
			const i = (o.keyCredentials || []).findIndex((k) => k.keyId.toLowerCase() === params.keyId.toLowerCase());
			if (i < 0)
				return (entry.status = send(res, 400, graphError('Request_BadRequest', `No key credential found with keyId '${params.keyId}'.`)));
			o.keyCredentials.splice(i, 1);
			return (entry.status = send(res, 204));
		}
		case 'grant': {
			const g = state.grants[m[1]];
			if (!g) return (entry.status = notFound(m[1]));
			if (req.method === 'DELETE') {
				delete state.grants[m[1]];
				return (entry.status = send(res, 204));
			}
			return (entry.status = send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#oauth2PermissionGrants/$entity',
				id: m[1], clientId: g.clientId, consentType: 'AllPrincipals', principalId: null, resourceId: g.resourceId, scope: g.scope }));
		}
		case 'appRoleAssignedTo': {
			const sp = state.servicePrincipals[m[1]];
			if (!sp) return (entry.status = notFound(m[1]));
			const all = sp.appRoleAssignedTo || [];
			const skip = Number(url.searchParams.get('$skiptoken') || 0);
			const page = all.slice(skip, skip + PAGE).map((x) => ({ id: x.id, deletedDateTime: null, appRoleId: x.appRoleId,
				createdDateTime: '2024-06-01T08:00:00Z', principalDisplayName: 'app', principalId: x.principalId,
				principalType: 'ServicePrincipal', resourceDisplayName: 'resource', resourceId: m[1] }));
			const out = { '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + m[1] + "')/appRoleAssignedTo", value: page };
			if (skip + PAGE < all.length)
				out['@odata.nextLink'] = `http://127.0.0.1:${server.address().port}/v1.0/servicePrincipals/${m[1]}/appRoleAssignedTo?$skiptoken=${skip + PAGE}`;
			return (entry.status = send(res, 200, out));
		}
		case 'appRoleAssignment': {
			const sp = state.servicePrincipals[m[1]];
			const i = sp ? (sp.appRoleAssignedTo || []).findIndex((x) => x.id === m[2]) : -1;
			if (i < 0) return (entry.status = notFound(m[2]));
			sp.appRoleAssignedTo.splice(i, 1);
			return (entry.status = send(res, 204));
		}
		}
		return (entry.status = send(res, 400, graphError('BadRequest', 'unknown')));
	});
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
