// A stand-in for a Kubernetes API server on a loopback port, over HTTPS,
// for the tests of nhir's kubernetes connector.  No API server is
// packaged for npm, and one needs etcd; the checks here are written from
// the Kubernetes API reference (v1.30): "Secret v1 core", "Pod v1 core"
// and "ServiceAccount v1 core" (operations read and delete: GET and
// DELETE /api/v1/namespaces/{namespace}/{plural}/{name}, query
// parameters pretty, dryRun, gracePeriodSeconds, propagationPolicy,
// orphanDependents), "DeleteOptions meta/v1" (the body of a delete:
// apiVersion, kind, dryRun, gracePeriodSeconds, orphanDependents,
// preconditions {resourceVersion, uid}, propagationPolicy Orphan,
// Background or Foreground), "Status meta/v1" (every error answer),
// "SelfSubjectReview v1 authentication.k8s.io" (POST
// /apis/authentication.k8s.io/v1/selfsubjectreviews, 201 with
// status.userInfo), and the reference pages "API Concepts" (JSON with
// Accept and Content-Type application/json; 404 for an unknown path, 405
// for a verb a resource does not take, 415 for another body type),
// "Authenticating" (Authorization: Bearer TOKEN; 401 when it does not
// authenticate) and "Service account tokens" (a legacy token dies with
// its Secret, a bound token with the object it is bound to, every token
// of an account with the account).
//
// It keeps state, so a deleted object's tokens then answer 401.
//
//   node k8s-peer.mjs STATE.json KEY.pem CERT.pem
//
// STATE.json: {"serviceaccounts": {"NS/NAME": {}}, "secrets": {"NS/NAME":
// {"type": T, "account": SA}}, "pods": {"NS/NAME": {"account": SA}},
// "tokens": {TOKEN: {"account": "NS/NAME", "secret": "NS/NAME"?,
// "bound": "Pod NS/NAME"?, "verbs": ["get", "delete", ...]}}}.  A request
// whose token lacks the verb is refused 403 Forbidden.  Prints "port N"
// once listening.  Test hooks (no token): GET /_peer/state, GET
// /_peer/log, POST /_peer/faults with a JSON list of {"route": R,
// "status": S, "headers": {...}, "count": N}.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { randomUUID } from 'node:crypto';

const [statePath, keyPath, certPath] = process.argv.slice(2);
const state = JSON.parse(readFileSync(statePath, 'utf8'));
for (const k of ['serviceaccounts', 'secrets', 'pods', 'tokens']) state[k] ||= {};
for (const k of ['serviceaccounts', 'secrets', 'pods'])
	for (const o of Object.values(state[k])) {
		o.uid ||= randomUUID();
		o.resourceVersion ||= String(1000 + Math.floor(Math.random() * 9000));
	}
const log = [];
let faults = [];

const KINDS = { secrets: 'Secret', pods: 'Pod', serviceaccounts: 'ServiceAccount' };
const DELETE_QUERY = ['pretty', 'dryRun', 'gracePeriodSeconds', 'propagationPolicy', 'orphanDependents'];
const GET_QUERY = ['pretty', 'resourceVersion'];
const CREATE_QUERY = ['pretty', 'dryRun', 'fieldManager', 'fieldValidation'];
const DELETE_OPTIONS = {
	apiVersion: (v) => v === 'v1' || v === 'meta.k8s.io/v1',
	kind: (v) => v === 'DeleteOptions',
	dryRun: (v) => Array.isArray(v) && v.every((x) => x === 'All'),
	gracePeriodSeconds: (v) => Number.isInteger(v) && v >= 0,
	orphanDependents: (v) => typeof v === 'boolean',
	preconditions: (v) => v && typeof v === 'object' && !Array.isArray(v) &&
		Object.entries(v).every(([k, x]) => ['uid', 'resourceVersion'].includes(k) && typeof x === 'string'),
	propagationPolicy: (v) => ['Orphan', 'Background', 'Foreground'].includes(v),
};

function status(code, reason, message, details) {
	return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
		 message, reason, ...(details ? { details } : {}), code };
}

function send(res, code, body, headers = {}) {
	res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
	res.end(body === undefined ? '' : JSON.stringify(body));
	return code;
}

// Whether the token authenticates now, and as whom.
function authenticate(req) {
	const h = req.headers.authorization || '';
	const m = /^Bearer ([!-~]+)$/.exec(h);
	if (!m) return null;
	const t = state.tokens[m[1]];
	if (!t) return null;
	if (t.account && !state.serviceaccounts[t.account]) return null;
	if (t.secret && !state.secrets[t.secret]) return null;
	if (t.bound) {
		const [kind, key] = t.bound.split(' ');
		if (!state[kind === 'Pod' ? 'pods' : 'secrets'][key]) return null;
	}
	const [ns, name] = (t.account || 'default/unknown').split('/');
	return { ...t, user: `system:serviceaccount:${ns}:${name}`, ns };
}

function object(plural, ns, name, o) {
	const meta = { name, namespace: ns, uid: o.uid, resourceVersion: o.resourceVersion,
		       creationTimestamp: '2024-06-01T08:00:00Z' };
	if (plural === 'secrets')
		return { kind: 'Secret', apiVersion: 'v1',
			 metadata: { ...meta, annotations: o.account ? { 'kubernetes.io/service-account.name': o.account } : {} },
			 type: o.type || 'Opaque', data: o.data || {} };
	if (plural === 'pods')
		return { kind: 'Pod', apiVersion: 'v1', metadata: meta,
			 spec: { serviceAccountName: o.account || 'default', containers: [{ name: 'app', image: 'app:1' }] },
			 status: { phase: 'Pending' } };
	return { kind: 'ServiceAccount', apiVersion: 'v1', metadata: meta };
}

function checkQuery(url, allowed, bad) {
	for (const k of url.searchParams.keys())
		if (!allowed.includes(k)) bad.push(`query parameter ${k} is not one of ${allowed.join(', ')}`);
}

function checkAccept(req, bad) {
	const a = req.headers.accept || '';
	if (!/(^|,)\s*application\/json\s*(;|,|$)/.test(a))
		bad.push(`Accept '${a}' does not take application/json`);
}

const server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
	let body = '';
	req.setEncoding('utf8');
	req.on('data', (c) => { body += c; });
	req.on('end', () => {
		const url = new URL(req.url, 'https://127.0.0.1');
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
		const obj = /^\/api\/v1\/namespaces\/([a-z0-9][-a-z0-9.]*)\/(secrets|pods|serviceaccounts)\/([a-z0-9][-a-z0-9.]*)$/.exec(url.pathname);
		const ssr = url.pathname === '/apis/authentication.k8s.io/v1/selfsubjectreviews';
		const route = obj ? `${req.method} ${obj[2]}` : ssr ? `${req.method} selfsubjectreviews` : null;
		const entry = { method: req.method, path: url.pathname, query: url.search, route };
		log.push(entry);
		const bad = [];
		const refuse = (code, st) => {
			entry.violations = bad;
			entry.status = send(res, code, st);
		};
		if (!route) {
			bad.push(`${req.method} ${url.pathname}: no such path in the API`);
			return refuse(404, status(404, 'NotFound', 'the server could not find the requested resource'));
		}
		if ((obj && !['GET', 'DELETE'].includes(req.method)) || (ssr && req.method !== 'POST')) {
			bad.push(`${route}: not a verb this resource takes here`);
			return refuse(405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
		}
		checkAccept(req, bad);
		checkQuery(url, req.method === 'GET' ? GET_QUERY : req.method === 'DELETE' ? DELETE_QUERY : CREATE_QUERY, bad);
		let params = null;
		if (body.length) {
			const ct = (req.headers['content-type'] || '').split(';')[0].trim();
			if (ct !== 'application/json') {
				bad.push(`Content-Type '${ct}' is not application/json`);
				return refuse(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`));
			}
			try { params = JSON.parse(body); } catch (e) { bad.push(`the body is not JSON: ${e.message}`); }
			if (!bad.length && (params === null || typeof params !== 'object' || Array.isArray(params)))
				bad.push('the body is not a JSON object');
		}
		if (req.method === 'GET' && body.length) bad.push('a GET has no body');
		if (ssr) {
			if (!params) bad.push('a SelfSubjectReview is posted with a body');
			else {
				if (params.apiVersion !== 'authentication.k8s.io/v1') bad.push(`apiVersion '${params.apiVersion}' is not authentication.k8s.io/v1`);
				if (params.kind !== 'SelfSubjectReview') bad.push(`kind '${params.kind}' is not SelfSubjectReview`);
				for (const k of Object.keys(params))
					if (!['apiVersion', 'kind', 'metadata'].includes(k)) bad.push(`unknown field "${k}" in SelfSubjectReview`);
			}
		}
		if (req.method === 'DELETE' && params)
			for (const [k, v] of Object.entries(params))
				if (!(k in DELETE_OPTIONS)) bad.push(`unknown field "${k}" in DeleteOptions`);
				else if (!DELETE_OPTIONS[k](v)) bad.push(`DeleteOptions.${k}: ${JSON.stringify(v)} is not valid`);
		if (bad.length)
			return refuse(400, status(400, 'BadRequest', bad.join('; ')));
		const who = authenticate(req);
		entry.auth = who ? who.user : req.headers.authorization ? 'unauthenticated' : 'none';
		if (!who)
			return (entry.status = send(res, 401, status(401, 'Unauthorized', 'Unauthorized')));
		const f = faults.findIndex((x) => !x.route || x.route === route);
		if (f >= 0) {
			const x = faults[f];
			if (--x.count <= 0) faults.splice(f, 1);
			entry.fault = true;
			return (entry.status = send(res, x.status, status(x.status, x.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
				x.status === 429 ? 'Too many requests, please try again later.' : 'the server is currently unable to handle the request'),
				x.headers || {}));
		}
		if (ssr)
			return (entry.status = send(res, 201, {
				kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1',
				metadata: { creationTimestamp: null },
				status: { userInfo: { username: who.user, uid: state.serviceaccounts[who.account].uid,
					groups: ['system:serviceaccounts', `system:serviceaccounts:${who.ns}`, 'system:authenticated'] } } }));
		const [, ns, plural, name] = obj;
		const verb = req.method === 'GET' ? 'get' : 'delete';
		if (!(who.verbs || []).includes(verb))
			return (entry.status = send(res, 403, status(403, 'Forbidden',
				`${plural} "${name}" is forbidden: User "${who.user}" cannot ${verb} resource "${plural}" in API group "" in the namespace "${ns}"`,
				{ name, kind: plural })));
		const key = `${ns}/${name}`;
		const o = state[plural][key];
		if (!o)
			return (entry.status = send(res, 404, status(404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural })));
		if (verb === 'get')
			return (entry.status = send(res, 200, object(plural, ns, name, o)));
		const pre = (params && params.preconditions) || {};
		if (pre.uid !== undefined && pre.uid !== o.uid)
			return (entry.status = send(res, 409, status(409, 'Conflict',
				`Operation cannot be fulfilled on ${plural} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${o.uid}`,
				{ name, kind: plural })));
		entry.options = params;
		const out = object(plural, ns, name, o);
		delete state[plural][key];
		state.deleted ||= [];
		state.deleted.push(`${KINDS[plural]} ${key}`);
		// the token controller deletes an account's legacy token Secrets
		if (plural === 'serviceaccounts')
			for (const [k, s] of Object.entries(state.secrets))
				if (k.startsWith(`${ns}/`) && s.account === name && s.type === 'kubernetes.io/service-account-token') {
					delete state.secrets[k];
					state.deleted.push(`Secret ${k}`);
				}
		return (entry.status = send(res, 200, out));
	});
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
