// A stand-in for HashiCorp Vault's HTTP API on a loopback port, for the
// tests of nhir's vault connector.  Vault publishes no OpenAPI document
// outside a running server (sys/internal/specs/openapi), and none is
// packaged in npm or Debian, so the checks here are written from Vault's
// HTTP API documentation (api-docs/auth/token, api-docs/system/leases,
// api-docs/index): requests under /v1/; the token in X-Vault-Token (or
// "Authorization: Bearer"), refused with 403 {"errors": ["permission
// denied"]} when missing, unknown or revoked; writes as POST or PUT with
// a JSON object holding exactly the endpoint's documented parameters, of
// their types; an unknown path 404 {"errors": []}, another method 405.
//
//   POST /v1/auth/token/lookup-accessor  {"accessor"}  200 {"data": {...}}
//                                        unknown: 400 "invalid accessor"
//   POST /v1/auth/token/revoke-accessor  {"accessor"}  204; the token, its
//        non-orphan children (recursively) and their leases are revoked
//   PUT  /v1/sys/leases/revoke-prefix/:prefix  {"sync"?: bool}  204, sudo
//        only; every lease and token made under the prefix is revoked
//
// It keeps state, so a revoked token's accessor is then invalid.
//
//   node vault-peer.mjs STATE.json
//
// STATE.json: {"tokens": {ACCESSOR: {"token": T, "path": P, "policies":
// [...], "parent": ACCESSOR|null, "orphan": bool}}, "leases": {LEASE_ID:
// {"token": ACCESSOR}}}; a token whose policies hold "root" or "sudo" may
// use sudo paths.  Prints "port N" once listening.  Test hooks: GET
// /_peer/state, GET /_peer/log, POST /_peer/faults with a JSON list of
// {"path": P, "status": S, "headers": {...}, "count": N, "raw": BODY}.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [statePath] = process.argv.slice(2);
const state = JSON.parse(readFileSync(statePath, 'utf8'));
state.tokens ||= {};
state.leases ||= {};
const log = [];
let faults = [];

const routes = [
	{ re: /^\/v1\/auth\/token\/lookup-accessor$/, name: 'auth/token/lookup-accessor',
	  params: { accessor: 'string' }, required: ['accessor'] },
	{ re: /^\/v1\/auth\/token\/revoke-accessor$/, name: 'auth/token/revoke-accessor',
	  params: { accessor: 'string' }, required: ['accessor'] },
	{ re: /^\/v1\/sys\/leases\/revoke-prefix\/(.+)$/, name: 'sys/leases/revoke-prefix',
	  params: { sync: 'boolean' }, required: [], sudo: true },
];

function caller(req) {
	const h = req.headers['x-vault-token'] ||
		(req.headers.authorization || '').replace(/^Bearer /, '');
	if (!h) return null;
	const acc = Object.keys(state.tokens).find((a) => state.tokens[a].token === h);
	return acc && !state.tokens[acc].revoked ? { accessor: acc, ...state.tokens[acc] } : null;
}

function send(res, status, body, headers = {}) {
	res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
	res.end(body === undefined ? '' : JSON.stringify(body));
	return status;
}

function revoke(acc) {
	const t = state.tokens[acc];
	if (!t || t.revoked) return;
	t.revoked = true;
	for (const l of Object.values(state.leases))
		if (l.token === acc) l.revoked = true;
	for (const [a, c] of Object.entries(state.tokens))
		if (c.parent === acc) {
			if (c.orphan) c.parent = null;
			else revoke(a);
		}
}

function lookupData(acc, t) {
	return {
		accessor: acc, creation_time: 1717405140, creation_ttl: 2764800,
		display_name: t.display_name || 'token', entity_id: t.entity_id || '',
		expire_time: '2024-07-05T08:59:00Z', explicit_max_ttl: 0, id: '',
		issue_time: '2024-06-03T08:59:00Z', meta: null, num_uses: 0,
		orphan: !!t.orphan, path: t.path, policies: t.policies || ['default'],
		renewable: true, ttl: t.ttl ?? 2764740, type: 'service',
	};
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
		const route = routes.find((r) => r.re.test(url.pathname));
		const entry = { method: req.method, path: url.pathname, route: route ? route.name : null };
		log.push(entry);
		const bad = [];
		if (!route) {
			entry.status = send(res, 404, { errors: [] });
			entry.violations = [`${req.method} ${url.pathname}: no such endpoint in Vault's API`];
			return;
		}
		if (req.method !== 'POST' && req.method !== 'PUT') {
			entry.status = send(res, 405, { errors: [] });
			entry.violations = [`${req.method} is not how ${route.name} is written to`];
			return;
		}
		const who = caller(req);
		entry.auth = who ? who.accessor : req.headers['x-vault-token'] ? 'unknown' : 'none';
		if (!who)
			return (entry.status = send(res, 403, { errors: ['permission denied'] }));
		let params = {};
		if (body.length) {
			try { params = JSON.parse(body); } catch (e) { bad.push(`the body is not JSON: ${e.message}`); }
			if (params === null || typeof params !== 'object' || Array.isArray(params))
				bad.push('the body is not a JSON object');
		}
		if (!bad.length) {
			for (const [k, v] of Object.entries(params))
				if (!(k in route.params)) bad.push(`${route.name} has no parameter ${k}`);
				else if (typeof v !== route.params[k]) bad.push(`${k} is not a ${route.params[k]}`);
			for (const k of route.required)
				if (!(k in params)) bad.push(`missing required parameter ${k}`);
		}
		if (bad.length) {
			entry.violations = bad;
			return (entry.status = send(res, 400, { errors: bad }));
		}
		if (route.sudo && !(who.policies || []).some((p) => p === 'root' || p === 'sudo'))
			return (entry.status = send(res, 403, { errors: ['permission denied'] }));
		const f = faults.findIndex((x) => !x.path || x.path === route.name);
		if (f >= 0) {
			const x = faults[f];
			if (--x.count <= 0) faults.splice(f, 1);
			res.writeHead(x.status, { 'Content-Type': 'application/json', ...(x.headers || {}) });
			res.end(x.raw !== undefined ? x.raw : JSON.stringify({ errors: [x.message || 'fault'] }));
			entry.status = x.status;
			entry.fault = true;
			return;
		}
		const t = params.accessor !== undefined ? state.tokens[params.accessor] : null;
		switch (route.name) {
		case 'auth/token/lookup-accessor':
			if (!t || t.revoked)
				return (entry.status = send(res, 400, { errors: ['invalid accessor'] }));
			return (entry.status = send(res, 200, {
				request_id: '8e33c808-f86c-4b4c-9d4b-000000000001', lease_id: '',
				renewable: false, lease_duration: 0, data: lookupData(params.accessor, t),
				wrap_info: null, warnings: null, auth: null }));
		case 'auth/token/revoke-accessor':
			if (!t || t.revoked)
				return (entry.status = send(res, 400, { errors: ['invalid accessor'] }));
			revoke(params.accessor);
			return (entry.status = send(res, 204));
		case 'sys/leases/revoke-prefix': {
			const prefix = decodeURIComponent(url.pathname.match(route.re)[1]);
			entry.prefix = prefix;
			for (const [id, l] of Object.entries(state.leases))
				if (id.startsWith(prefix)) l.revoked = true;
			for (const [a, c] of Object.entries(state.tokens))
				if (c.path.startsWith(prefix)) revoke(a);
			return (entry.status = send(res, 204));
		}
		}
		return (entry.status = send(res, 404, { errors: [] }));
	});
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
