// Checks nhir's API description against what the server does.
//
//   node openapi-check.mjs PEERS OPENAPI ROUTES DIR
//
// PEERS is where the test peers are installed (build/peers), OPENAPI
// the description (doc/openapi.json), ROUTES what 'nhir serve --routes'
// printed, DIR a folder of answers: NAME.meta (status, method, URL and
// content type, one a line) beside NAME.body.  It checks that the
// description is valid OpenAPI 3.1, that it describes every route the
// server has and no other, and that every answer is one the description
// allows, its body valid against the schema given for its status.
// Prints TAP; exits 1 when anything fails.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [peersArg, docPath, routesPath, dir] = process.argv.slice(2);
const peers = resolve(peersArg);
const require = createRequire(join(peers, 'node_modules', 'x.js'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const { Validator } = await import(pathToFileURL(join(peers, 'node_modules',
	'@seriousme', 'openapi-schema-validator', 'index.js')).href);

let n = 0, failed = 0;
function ok(cond, what, why) {
	n++;
	if (cond) {
		console.log(`ok ${n} - ${what}`);
	} else {
		failed = 1;
		console.log(`not ok ${n} - ${what}`);
		for (const line of String(why || '').split('\n').slice(0, 20))
			console.log(`#   ${line}`);
	}
}

const text = readFileSync(docPath, 'utf8');
const doc = JSON.parse(text);
const v = new Validator();
const res = await v.validate(doc);
ok(res.valid && v.version === '3.1', 'the description is valid OpenAPI 3.1',
	JSON.stringify(res.errors, null, 1));

// every route the server answers is described, and nothing else is
const methods = ['get', 'put', 'post', 'delete', 'patch'];
const served = new Set();
for (const line of readFileSync(routesPath, 'utf8').split('\n')) {
	const [method, path] = line.split(' ');
	if (method)
		served.add(`${method.toLowerCase()} ${path}`);
}
const described = new Set();
for (const [path, item] of Object.entries(doc.paths))
	for (const m of methods)
		if (item[m])
			described.add(`${m} ${path}`);
const missing = [...served].filter((r) => !described.has(r));
const extra = [...described].filter((r) => !served.has(r));
ok(served.size > 0 && missing.length === 0, `every route the server has is described (${served.size})`,
	missing.join('\n'));
ok(extra.length === 0, 'the description has no route the server lacks', extra.join('\n'));

// "#/a/b" within doc
function pointer(ref) {
	let o = doc;
	for (const part of ref.replace(/^#\//, '').split('/'))
		o = o[part.replace(/~1/g, '/').replace(/~0/g, '~')];
	return o;
}
const deref = (o) => (o && o.$ref ? deref(pointer(o.$ref)) : o);

// the operation a URL and method are, by the templates of doc.paths
function operation(method, url) {
	const path = new URL(url).pathname;
	// a literal segment wins over a template: /findings/import is not /findings/{n}
	const holes = (t) => (t.match(/\{/g) || []).length;
	const tmpls = Object.entries(doc.paths).sort((a, b) => holes(a[0]) - holes(b[0]));
	for (const [tmpl, item] of tmpls) {
		const re = new RegExp('^' + tmpl.replace(/\{[^}]+\}/g, '[^/]+') + '$');
		if (re.test(path))
			return { tmpl, op: item[method.toLowerCase() === 'head' ? 'get' : method.toLowerCase()] };
	}
	return { tmpl: null, op: null };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'nhir-openapi', components: { schemas: doc.components.schemas } });
const compiled = new Map();
function validator(schema) {
	// references into components, rewritten to where ajv keeps them
	const key = JSON.stringify(schema);
	if (!compiled.has(key)) {
		const s = JSON.parse(key.replace(/"#\/components\/schemas\//g, '"nhir-openapi#/components/schemas/'));
		compiled.set(key, ajv.compile(s));
	}
	return compiled.get(key);
}

let answers = 0;
for (const f of readdirSync(dir).filter((x) => x.endsWith('.meta')).sort()) {
	const name = f.slice(0, -5);
	const [status, method, url, type] = readFileSync(join(dir, f), 'utf8').split('\n');
	const what = `${name}: ${method} ${new URL(url).pathname} ${status}`;
	const { tmpl, op } = operation(method, url);
	if (!tmpl) {
		// no such route: the description is not asked; 404 only
		ok(status === '404', `${what} (no route) is 404`, '');
		continue;
	}
	if (!op) {
		ok(status === '405', `${what} (no such method) is 405`, '');
		continue;
	}
	answers++;
	const r = deref(op.responses[status] || (doc.components.responses[status]
		&& ['405', '413', '503'].includes(status) ? doc.components.responses[status] : null));
	if (!r) {
		ok(false, `${what} is an answer the description allows`,
			`described: ${Object.keys(op.responses).join(' ')}`);
		continue;
	}
	if (!r.content) {
		ok(true, `${what} has no body, as described`, '');
		continue;
	}
	const mt = (type || '').split(';')[0].trim();
	const content = r.content[mt];
	if (!content) {
		ok(false, `${what} is ${mt}, as described`, `described: ${Object.keys(r.content).join(' ')}`);
		continue;
	}
	if (mt.startsWith('text/')) {
		ok(true, `${what} is text, as described`, '');
		continue;
	}
	if (!mt.endsWith('json')) {
		ok(true, `${what} is ${mt} (bytes), as described`, '');
		continue;
	}
	let body;
	try {
		body = JSON.parse(readFileSync(join(dir, name + '.body'), 'utf8'));
	} catch (e) {
		ok(false, `${what} is JSON`, String(e));
		continue;
	}
	const check = validator(content.schema);
	ok(check(body), `${what} validates`, JSON.stringify(check.errors, null, 1));
}
ok(answers > 0, `answers were checked (${answers})`, '');
console.log(`1..${n}`);
process.exit(failed);
