// The after-action report of an incident: the server's HTML rendering
// in a sandboxed frame (no script, an origin of its own), the JSON it
// is made from, downloads of each, and signing with the server's key,
// whose signature this browser checks (Ed25519 over the canonical JSON
// of the report) and names by the key's fingerprint.
import { useState, useEffect } from 'preact/hooks';
import { api, post } from './api.js';
import { Problem, When } from './ui.jsx';

// The canonical JSON the server signs: members sorted, no whitespace.
function canonical(v) {
	if (Array.isArray(v))
		return `[${v.map(canonical).join(',')}]`;
	if (v && typeof v === 'object')
		return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
	return JSON.stringify(v);
}

function bytes(hex) {
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
	return out;
}

function hexOf(buf) {
	return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// {valid, signer, why}: valid null when this browser cannot check.
async function check(signed) {
	const sig = signed.signature || {};
	if (sig.algorithm !== 'Ed25519' || !/^[0-9a-f]{64}$/.test(sig.public_key || '') ||
	    !/^[0-9a-f]{128}$/.test(sig.signature || ''))
		return { valid: false, signer: null, why: 'the signature is not an Ed25519 signature of this form' };
	const pub = bytes(sig.public_key);
	let signer = null;
	try {
		signer = `sha256:${hexOf(await crypto.subtle.digest('SHA-256', pub)).slice(0, 32)}`;
		const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
		const valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, bytes(sig.signature),
			new TextEncoder().encode(canonical(signed.report)));
		return { valid, signer, why: valid ? '' : 'the report does not match its signature' };
	} catch (e) {
		return { valid: null, signer, why: 'this browser cannot check Ed25519 signatures' };
	}
}

// The server's HTML without its styles (the page's policy refuses
// inline styles), parsed inert: nothing in it runs.
function inert(html) {
	// out before parsing: even an inert document checks a <style>
	// against the page's policy; record text in it is escaped, so
	// "<style" is only ever the server's own element
	const doc = new DOMParser().parseFromString(html.replace(/<style[^>]*>[\s\S]*?<\/style>/gi, ''), 'text/html');
	for (const el of doc.querySelectorAll('style, script, link, meta[http-equiv]'))
		el.remove();
	for (const el of doc.querySelectorAll('[style]'))
		el.removeAttribute('style');
	return '<!DOCTYPE html>' + doc.documentElement.outerHTML;
}

function save(name, text, type) {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Report({ id, me }) {
	const [html, setHtml] = useState(null);
	const [json, setJson] = useState(null);
	const [signed, setSigned] = useState(null);
	const [status, setStatus] = useState(null);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const base = `/api/v1/incidents/${encodeURIComponent(id)}/report`;
	useEffect(() => {
		document.title = `${id} report · nhir`;
		api('GET', base + '?format=json').then((d) => {
			setJson(d);
			return fetch(base + '?format=html', { credentials: 'same-origin', cache: 'no-store' });
		}).then((r) => r.text()).then((t) => setHtml(inert(t)), setError);
	}, [base]);
	const sign = async () => {
		setBusy(true);
		setError(null);
		try {
			const s = await post(base + '/sign', {});
			setSigned(s);
			setStatus(await check(s));
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	const canSign = me.role === 'admin' || (json && json.incident && me.user === json.incident.lead);
	const file = `${id}-report`;
	return (
		<main id="main" class="report">
			<h1>Report of <a href={`#/incidents/${encodeURIComponent(id)}`}>{id}</a></h1>
			<Problem error={error} />
			{json && <p class="muted">As of <When at={json.as_of} />, made for {json.generated_by}.</p>}
			<div class="downloads">
				<a href={base + '?format=html'} download={file + '.html'}>Download HTML</a>
				<a href={base + '?format=md'} download={file + '.md'}>Download Markdown</a>
				<a href={base + '?format=json'} download={file + '.json'}>Download JSON</a>
			</div>
			<section aria-labelledby="sig-h">
				<h2 id="sig-h">Signature</h2>
				{!signed && <p class="sig-status">Not signed in this view. {canSign
					? 'Signing uses the server\'s report key and signs a checkpoint of the audit log too.'
					: 'The incident\'s lead or an admin signs it.'}</p>}
				{canSign && <button type="button" disabled={busy} onClick={sign}>Sign the report</button>}
				{signed && status && (
					<div class="sig-result" role="status">
						<p class="sig-status">{status.valid === true
							? <>Signed, and the signature holds (checked in this browser): Ed25519 by key <span class="mono signer">{status.signer}</span>.</>
							: status.valid === null
								? <>Signed by key <span class="mono signer">{status.signer}</span>; {status.why}.</>
								: <strong>The signature does not hold: {status.why}.</strong>}</p>
						<p class="muted">Whether that key is your server's: <span class="mono">nhir report verify {file}.signed.json --key KEY.pub</span>.</p>
						<button type="button" class="secondary"
							onClick={() => save(file + '.signed.json', JSON.stringify(signed, null, 2) + '\n', 'application/json')}>
							Download the signed report</button>
					</div>
				)}
			</section>
			<section aria-labelledby="html-h">
				<h2 id="html-h">The report</h2>
				{html === null && <p>Loading…</p>}
				{html !== null && <iframe class="report-view" title={`The report of ${id}`} sandbox="" srcdoc={html} />}
			</section>
			{json && (
				<details>
					<summary>The report as JSON</summary>
					<pre class="mono report-json" tabIndex={0}>{JSON.stringify(json, null, 2)}</pre>
				</details>
			)}
		</main>
	);
}
