// Requests to this server's API.  A session cookie proves who asks;
// every change carries the session's CSRF token.  Refusals come back
// as the server's problem+json, whose detail the page shows as is.

let csrf = '';

export function setCsrf(token) {
	csrf = token || '';
}

export class Problem extends Error {
	constructor(status, doc) {
		super((doc && (doc.detail || doc.title)) || `the server answered ${status}`);
		this.status = status;
		this.doc = doc;
	}
}

export async function api(method, path, body) {
	const headers = { Accept: 'application/json' };
	if (method !== 'GET' && method !== 'HEAD')
		headers['X-CSRF-Token'] = csrf;
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	let res;
	try {
		res = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: 'same-origin',
			cache: 'no-store',
		});
	} catch (e) {
		throw new Problem(0, { detail: 'the server cannot be reached' });
	}
	const type = res.headers.get('Content-Type') || '';
	const doc = type.includes('json') ? await res.json().catch(() => null) : null;
	if (!res.ok)
		throw new Problem(res.status, doc);
	return doc;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

// Calls fn (debounced) for each audit entry of the feed; returns a
// function that closes it.  The browser reconnects with Last-Event-ID.
export function feed(path, fn, onState) {
	const es = new EventSource(path);
	es.addEventListener('audit', (ev) => {
		let entry = null;
		try {
			entry = JSON.parse(ev.data);
		} catch (e) {
			return;
		}
		fn(entry);
	});
	if (onState) {
		es.onopen = () => onState(true);
		es.onerror = () => onState(false);
	}
	return () => es.close();
}

// Sends bytes as they are (evidence): the answer's document and the
// Location of what was made.
export async function upload(path, blob) {
	let res;
	try {
		res = await fetch(path, {
			method: 'POST',
			headers: { Accept: 'application/json', 'X-CSRF-Token': csrf,
				'Content-Type': 'application/octet-stream' },
			body: blob,
			credentials: 'same-origin',
			cache: 'no-store',
		});
	} catch (e) {
		throw new Problem(0, { detail: 'the server cannot be reached' });
	}
	const type = res.headers.get('Content-Type') || '';
	const doc = type.includes('json') ? await res.json().catch(() => null) : null;
	if (!res.ok)
		throw new Problem(res.status, doc);
	return { doc, location: res.headers.get('Location') };
}
