// A stand-in for GitHub's REST API on a loopback port, for the tests of
// nhir's github connector.  Every request is checked against GitHub's own
// published OpenAPI description (@octokit/openapi, a pinned peer,
// generated/api.github.com.deref.json): the operation must exist for the
// method and path; path and query parameters must be ones it declares and
// valid against their schemas, the required ones present; a body must be
// application/json and valid against the operation's request schema; the
// headers GitHub documents for its REST API must be there: Accept
// application/vnd.github+json, X-GitHub-Api-Version 2022-11-28 (the
// version the description is published for), a User-Agent, and
// Authorization "Bearer TOKEN" with a token the state knows, except where
// the operation's description says authenticated requests are refused
// (POST /credentials/revoke), where any Authorization is refused with 403.
// A request that fails a check is answered 400 with the reasons and kept in
// the log.  Answers are the ones the description gives for the status, and
// are themselves validated against the response schema before they are
// sent (a failure there is this stand-in's bug: 500).  It keeps state: a
// revoked secret no longer signs in, a revoked grant is no longer listed,
// a resolved alert stays resolved.
//
// GitHub Apps ("Generating a JSON Web Token (JWT) for a GitHub App",
// docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app):
// a Bearer JWT is checked as GitHub documents it: RS256, its signature
// verified with the App's public key, iss the App's id (or client id),
// iat not in the future, exp after now and at most 10 minutes after it;
// it is accepted only by POST /app/installations/{installation_id}/
// access_tokens, for an installation of that App, which answers an
// installation token ("ghs_", in the long stateless form) that then acts
// as the responder.
//
//   node github-peer.mjs PEERS_DIR STATE.json
//
// STATE.json: {"tokens": {TOKEN: {"login": L, "responder": bool}},
//   "alerts": {"OWNER/REPO#N": {"secret": TOKEN, "secret_type": T}},
//   "orgs": {ORG: {"grants": [{"id": G, "token_id": T, "owner": L}]}},
//   "apps": {APP_ID: {"slug": S, "public_key": PEM,
//                     "installations": {ID: {"account": ORG}}}}}
// Prints "port N" once listening.  Test hooks (GitHub has none of them):
// GET /_peer/state, GET /_peer/log, POST /_peer/faults with a JSON list of
// {"op": "METHOD /template", "status": S, "headers": {...}, "count": N,
// "raw": BODY} to answer the next N matching requests so.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

const [peersArg, statePath] = process.argv.slice(2);
const peers = resolve(peersArg);
const require = createRequire(join(peers, 'node_modules', 'x.js'));
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;
const API_VERSION = '2022-11-28';

const doc = JSON.parse(readFileSync(join(peers, 'node_modules', '@octokit',
	'openapi', 'generated', 'api.github.com.deref.json'), 'utf8'));
const state = JSON.parse(readFileSync(statePath, 'utf8'));
state.tokens ||= {};
state.alerts ||= {};
state.orgs ||= {};
state.apps ||= {};
const log = [];
let faults = [];

// OpenAPI 3.0 schemas: nullable, example and x-* are no JSON Schema keywords
const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false });
addFormats(ajv);
// OpenAPI 3.0's "nullable: true" is JSON Schema's null among the types
function jsonSchema(s) {
	if (Array.isArray(s))
		return s.map(jsonSchema);
	if (!s || typeof s !== 'object')
		return s;
	const out = {};
	for (const [k, v] of Object.entries(s))
		if (k !== 'nullable' && k !== 'example' && k !== 'examples' && !k.startsWith('x-'))
			out[k] = k === 'properties' || k === 'patternProperties'
				? Object.fromEntries(Object.entries(v).map(([n, x]) => [n, jsonSchema(x)]))
				: k === 'enum' || k === 'required' ? v : jsonSchema(v);
	if (s.nullable !== true)
		return out;
	if (typeof out.type === 'string') {
		out.type = [out.type, 'null'];
		if (out.enum && !out.enum.includes(null)) out.enum = [...out.enum, null];
		return out;
	}
	return { anyOf: [out, { type: 'null' }] };
}
const compiled = new WeakMap();
function validator(schema) {
	if (!compiled.has(schema))
		compiled.set(schema, ajv.compile(jsonSchema(schema)));
	return compiled.get(schema);
}
function check(schema, value) {
	const v = validator(schema);
	return v(value) ? null : ajv.errorsText(v.errors);
}

// the operation a method and path are: a literal segment wins over a template
const methods = ['get', 'put', 'post', 'delete', 'patch'];
const templates = Object.keys(doc.paths).map((t) => ({
	t, parts: t.split('/'), holes: (t.match(/\{/g) || []).length,
})).sort((a, b) => a.holes - b.holes);
function operation(method, path) {
	const parts = path.split('/');
	for (const { t, parts: tp } of templates) {
		if (tp.length !== parts.length)
			continue;
		const params = {};
		let ok = true;
		for (let i = 0; ok && i < tp.length; i++) {
			const m = tp[i].match(/^\{(.+)\}$/);
			if (m) {
				if (!parts[i]) ok = false;
				else params[m[1]] = decodeURIComponent(parts[i]);
			} else if (tp[i] !== parts[i]) {
				ok = false;
			}
		}
		if (ok && doc.paths[t][method])
			return { template: t, op: doc.paths[t][method], params };
		if (ok)
			return { template: t, op: null, params };
	}
	return null;
}

// a parameter's value as its schema types it (path and query are text)
function typed(schema, text) {
	if (schema.type === 'integer' || schema.type === 'number')
		return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
	if (schema.type === 'boolean')
		return text === 'true' ? true : text === 'false' ? false : text;
	return text;
}

// the checks: a list of what is wrong with the request
function violations(req, url, found, body) {
	const bad = [];
	const h = req.headers;
	if (!found || !found.op) {
		bad.push(`${req.method} ${url.pathname}: no such operation in GitHub's description`);
		return bad;
	}
	const op = found.op;
	if (h.accept !== 'application/vnd.github+json')
		bad.push(`Accept is '${h.accept}', not application/vnd.github+json`);
	if (h['x-github-api-version'] !== API_VERSION)
		bad.push(`X-GitHub-Api-Version is '${h['x-github-api-version']}', not ${API_VERSION}`);
	if (!h['user-agent'])
		bad.push('no User-Agent (GitHub refuses requests without one)');
	const declared = new Map((op.parameters || []).map((p) => [`${p.in}:${p.name}`, p]));
	for (const [name, value] of Object.entries(found.params)) {
		const p = declared.get(`path:${name}`);
		if (!p) { bad.push(`path parameter ${name} is not declared`); continue; }
		const why = check(p.schema, typed(p.schema, value));
		if (why) bad.push(`path parameter ${name}: ${why}`);
	}
	const query = {};
	for (const [k, v] of url.searchParams)
		(query[k] ||= []).push(v);
	for (const [name, values] of Object.entries(query)) {
		const p = declared.get(`query:${name}`);
		if (!p) { bad.push(`query parameter ${name} is not declared for ${req.method} ${found.template}`); continue; }
		// form style, exploded (OpenAPI's default for the query)
		const value = p.schema.type === 'array'
			? values.map((v) => typed(p.schema.items || {}, v))
			: values.length === 1 ? typed(p.schema, values[0]) : values;
		const why = check(p.schema, value);
		if (why) bad.push(`query parameter ${name}: ${why}`);
	}
	for (const p of op.parameters || [])
		if (p.required && p.in === 'query' && !(p.name in query))
			bad.push(`the required query parameter ${p.name} is missing`);
	const rb = op.requestBody;
	if (body.length) {
		if (!rb) {
			bad.push(`${req.method} ${found.template} takes no body`);
		} else if (!/^application\/json(\s*;|$)/.test(h['content-type'] || '')) {
			bad.push(`Content-Type is '${h['content-type']}', not application/json`);
		} else {
			let v;
			try { v = JSON.parse(body); } catch (e) { bad.push(`the body is not JSON: ${e.message}`); }
			if (v !== undefined) {
				const why = check(rb.content['application/json'].schema, v);
				if (why) bad.push(`the body: ${why}`);
			}
		}
	} else if (rb && rb.required) {
		bad.push(`${req.method} ${found.template} needs a body`);
	}
	return bad;
}

// a GitHub App's JWT checked as GitHub documents it: {app, ...} or {bad}
function appJwt(jwt) {
	const parts = jwt.split('.');
	let h, c;
	try {
		h = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		c = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
	} catch (e) {
		return { bad: `the JWT's header or claims are not JSON: ${e.message}` };
	}
	if (h.alg !== 'RS256') return { bad: `alg is ${h.alg}, not RS256` };
	if (!Number.isInteger(c.iat) || !Number.isInteger(c.exp)) return { bad: 'iat or exp is not an integer' };
	const app = state.apps[String(c.iss)];
	if (!app) return { bad: `iss ${c.iss} is no App's id` };
	const now = Math.floor(Date.now() / 1000);
	const v = createVerify('RSA-SHA256');
	v.update(`${parts[0]}.${parts[1]}`);
	const signature = v.verify(createPublicKey(app.public_key), Buffer.from(parts[2], 'base64url'));
	if (!signature) return { bad: 'the signature does not verify with the App\'s public key', signature };
	if (c.iat > now + 5) return { bad: 'iat is in the future', signature };
	if (c.exp <= now) return { bad: 'the JWT has expired', signature };
	if (c.exp - now > 600 || c.exp - c.iat > 660) return { bad: 'exp is more than 10 minutes ahead', signature };
	return { app: String(c.iss), slug: app.slug, signature, iat: now - c.iat, exp: c.exp - now };
}

// who the request is from: null (none), a known token's entry, or false
function caller(req) {
	const a = req.headers.authorization;
	if (!a) return null;
	const m = a.match(/^(?:Bearer|token) (\S+)$/);
	if (!m) return false;
	if (/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(m[1])) {
		const j = appJwt(m[1]);
		return j.app ? { jwt: j } : { jwt: j, bad: true };
	}
	const t = state.tokens[m[1]];
	return t && !t.revoked ? { token: m[1], ...t } : false;
}

// an answer the description allows for op and status, else 500
// (401 is any operation's answer to bad or missing credentials, GitHub's
// REST docs; "said" is a status the operation's description names in words)
function answer(res, found, status, body, headers = {}, said = false) {
	let sent = body === undefined ? '' : JSON.stringify(body);
	const r = found && found.op && found.op.responses[String(status)];
	if (found && found.op && !r && status !== 401 && !said) {
		sent = JSON.stringify({ message: `stand-in bug: ${status} is not an answer of this operation` });
		status = 500;
	} else if (r && r.content && r.content['application/json'] && body !== undefined) {
		const why = check(r.content['application/json'].schema, body);
		if (why) {
			status = 500;
			sent = JSON.stringify({ message: `stand-in bug: its answer does not fit the description: ${why}` });
		}
	}
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'X-GitHub-Api-Version-Selected': API_VERSION,
		'X-RateLimit-Limit': '5000', 'X-RateLimit-Remaining': '4999',
		...headers,
	});
	res.end(sent);
	return status;
}

const DOCS = 'https://docs.github.com/rest';
const err = (message) => ({ message, documentation_url: DOCS });

function alertBody(key, a) {
	const [full, number] = key.split('#');
	const base = `https://api.github.com/repos/${full}/secret-scanning/alerts/${number}`;
	return {
		number: Number(number), created_at: a.created_at || '2024-05-01T09:05:00Z',
		updated_at: a.updated_at || null, url: base,
		html_url: `https://github.com/${full}/security/secret-scanning/${number}`,
		locations_url: `${base}/locations`, state: a.state || 'open',
		resolution: a.resolution || null, resolved_at: a.resolved_at || null,
		resolved_by: null, resolution_comment: a.resolution_comment || null,
		secret_type: a.secret_type || 'github_personal_access_token',
		secret_type_display_name: 'GitHub Personal Access Token',
		secret: a.secret, validity: state.tokens[a.secret]?.revoked ? 'inactive' : 'active',
	};
}

// a user as GitHub's "Simple User" has it, every URL a URL
function simpleUser(login) {
	const u = `https://api.github.com/users/${login}`;
	return { login, id: 1, node_id: 'MDQ6VXNlcjE=',
		avatar_url: 'https://avatars.githubusercontent.com/u/1', gravatar_id: '',
		url: u, html_url: `https://github.com/${login}`,
		followers_url: `${u}/followers`, following_url: `${u}/following{/other_user}`,
		gists_url: `${u}/gists{/gist_id}`, starred_url: `${u}/starred{/owner}{/repo}`,
		subscriptions_url: `${u}/subscriptions`, organizations_url: `${u}/orgs`,
		repos_url: `${u}/repos`, events_url: `${u}/events{/privacy}`,
		received_events_url: `${u}/received_events`, type: 'User', site_admin: false };
}

function grantBody(org, g) {
	return {
		id: g.id, owner: simpleUser(g.owner),
		repository_selection: 'all',
		repositories_url: `https://api.github.com/organizations/1/personal-access-token-requests/${g.id}/repositories`,
		permissions: { organization: {}, repository: { contents: 'write' } },
		access_granted_at: '2024-04-01T00:00:00Z', token_id: g.token_id,
		token_name: g.token_name || 'deploy', token_expired: false,
		token_expires_at: null, token_last_used_at: g.last_used || null,
	};
}

// the operations nhir calls, as GitHub answers them
function serve(req, res, found, url, body, who) {
	const key = `${req.method} ${found.template}`;
	const p = found.params;
	const needAuth = () => {
		if (who) return false;
		answer(res, found, 401, err('Requires authentication'));
		return true;
	};
	if (who && who.jwt && key !== 'POST /app/installations/{installation_id}/access_tokens')
		return answer(res, found, 401, err('A JSON web token is accepted only by the /app endpoints'));
	switch (key) {
	case 'POST /app/installations/{installation_id}/access_tokens': {
		if (!who || !who.jwt || who.bad)
			return answer(res, found, 401, err(who && who.jwt ? `A JSON web token could not be decoded: ${who.jwt.bad}`
				: 'A JSON web token is required to access this endpoint'));
		const inst = state.apps[who.jwt.app].installations?.[p.installation_id];
		if (!inst) return answer(res, found, 404, err('Not Found'));
		// the stateless form: ghs_APPID_ and a long signed part
		const t = `ghs_${who.jwt.app}_${randomBytes(96).toString('base64url')}`;
		state.tokens[t] = { login: `${who.jwt.slug}[bot]`, responder: true,
			installation: Number(p.installation_id) };
		return answer(res, found, 201, { token: t,
			expires_at: new Date(Date.now() + 3600e3).toISOString().replace(/\.\d+Z$/, 'Z'),
			permissions: { organization_personal_access_tokens: 'write', secret_scanning_alerts: 'write' },
			repository_selection: 'all' });
	}
	case 'POST /credentials/revoke': {
		const creds = JSON.parse(body).credentials;
		for (const c of creds)
			if (state.tokens[c]) state.tokens[c].revoked = true;
		return answer(res, found, 202, {});
	}
	case 'GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}':
	case 'PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}': {
		if (needAuth()) return 401;
		if (!who.responder) return answer(res, found, 404, err('Not Found'));
		const k = `${p.owner}/${p.repo}#${p.alert_number}`;
		const a = state.alerts[k];
		if (!a) return answer(res, found, 404, err('Not Found'));
		if (req.method === 'PATCH') {
			const b = JSON.parse(body);
			if (b.state === 'resolved' && !b.resolution)
				return answer(res, found, 400, err('resolution is required when state is resolved'));
			Object.assign(a, { state: b.state, resolution: b.resolution || null,
				resolution_comment: b.resolution_comment || null,
				resolved_at: b.state === 'resolved' ? new Date().toISOString() : null });
		}
		const out = alertBody(k, a);
		if (url.searchParams.get('hide_secret') === 'true') delete out.secret;
		return answer(res, found, 200, out);
	}
	case 'GET /user': {
		if (needAuth()) return 401;
		return answer(res, found, 200, { ...simpleUser(who.login), name: null, company: null,
			blog: null, location: null, email: null, hireable: null, bio: null,
			public_repos: 0, public_gists: 0, followers: 0, following: 0,
			created_at: '2020-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z' });
	}
	case 'GET /orgs/{org}/personal-access-tokens':
	case 'POST /orgs/{org}/personal-access-tokens': {
		if (needAuth()) return 401;
		// "Only GitHub Apps can use this endpoint."
		if (/Only GitHub Apps can use this endpoint/.test(found.op.description) && !who.installation)
			return answer(res, found, 403, err('Resource not accessible by personal access token'));
		const o = state.orgs[p.org];
		if (!o || !who.responder) return answer(res, found, 404, err('Not Found'));
		if (req.method === 'GET') {
			const want = url.searchParams.getAll('token_id').map(Number);
			const list = o.grants.filter((g) => !want.length || want.includes(g.token_id));
			return answer(res, found, 200, list.map((g) => grantBody(p.org, g)));
		}
		const b = JSON.parse(body);
		const missing = b.pat_ids.filter((id) => !o.grants.some((g) => g.id === id));
		if (missing.length)
			return answer(res, found, 422, err(`No grant with id ${missing.join(', ')}`));
		o.grants = o.grants.filter((g) => !b.pat_ids.includes(g.id));
		return answer(res, found, 202, {});
	}
	default:
		return answer(res, found, 404, err('Not Found (the stand-in does not keep this resource)'));
	}
}

const server = createServer((req, res) => {
	let body = '';
	req.setEncoding('utf8');
	req.on('data', (c) => { body += c; });
	req.on('end', () => {
		const url = new URL(req.url, 'http://127.0.0.1');
		if (url.pathname.startsWith('/_peer/')) {
			res.setHeader('Content-Type', 'application/json');
			if (req.method === 'GET' && url.pathname === '/_peer/state')
				return res.end(JSON.stringify(state));
			if (req.method === 'GET' && url.pathname === '/_peer/log')
				return res.end(JSON.stringify(log));
			if (req.method === 'POST' && url.pathname === '/_peer/faults') {
				faults = faults.concat(JSON.parse(body));
				return res.end('{}');
			}
			res.statusCode = 404;
			return res.end('{}');
		}
		const found = operation(req.method.toLowerCase(), url.pathname);
		const entry = { method: req.method, path: url.pathname, query: url.search,
			op: found && found.op ? `${req.method} ${found.template}` : null };
		log.push(entry);
		const bad = violations(req, url, found, body);
		let who = caller(req);
		if (found && found.op && /authenticated requests will return a 403/i.test(found.op.description || '')) {
			entry.auth = req.headers.authorization ? 'sent' : 'none';
			if (req.headers.authorization) {
				entry.status = answer(res, found, 403, err('Authenticated requests are refused here'), {}, true);
				return;
			}
		} else {
			entry.auth = who && who.jwt ? (who.bad ? 'bad-jwt' : 'app-jwt')
				: who ? (who.responder ? (who.installation ? 'installation' : 'responder') : 'token')
				: who === false ? 'bad' : 'none';
			if (who && who.jwt) entry.jwt = who.jwt;
		}
		if (bad.length) {
			entry.violations = bad;
			res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' });
			res.end(JSON.stringify(err(`Problems parsing the request: ${bad.join('; ')}`)));
			entry.status = 400;
			return;
		}
		if (who === false) {
			entry.status = answer(res, found, 401, err('Bad credentials'));
			return;
		}
		const f = faults.findIndex((x) => !x.op || x.op === entry.op);
		if (f >= 0) {
			const x = faults[f];
			if (--x.count <= 0) faults.splice(f, 1);
			res.writeHead(x.status, { 'Content-Type': 'application/json; charset=utf-8', ...(x.headers || {}) });
			res.end(x.raw !== undefined ? x.raw : JSON.stringify(err(x.message || 'fault')));
			entry.status = x.status;
			entry.fault = true;
			return;
		}
		entry.status = serve(req, res, found, url, body, who);
	});
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
