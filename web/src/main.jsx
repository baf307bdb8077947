// The nhir workbench: sign in, the triage queue, the incident board and
// the incident page.  Everything from the record is rendered as text
// (Preact sets text nodes; no HTML is ever built from record data).
import { render } from 'preact';
import { useState, useEffect, useRef, useCallback } from 'preact/hooks';
import { get, post, api, setCsrf, feed } from './api.js';
import { Problem, When, Badge } from './ui.jsx';
import { Decisions, Tasks, Evidence } from './record.jsx';
import { Report } from './report.jsx';
import { Watch } from './watch.jsx';
import { Metrics } from './metrics.jsx';
import { Graph, KIND_COLORS } from './graph.jsx';
import { Blast } from './blast.jsx';
import { Credential } from './credential.jsx';
import 'uplot/dist/uPlot.min.css';
import './style.css';

const STATES = ['declared', 'investigating', 'containing', 'recovering', 'closed'];
const WRITERS = ['responder', 'approver', 'lead', 'admin'];
const APPROVERS = ['approver', 'lead', 'admin'];

// ---- small pieces ----

function useRoute() {
	const [hash, setHash] = useState(location.hash || '#/incidents');
	useEffect(() => {
		const on = () => setHash(location.hash || '#/incidents');
		addEventListener('hashchange', on);
		return () => removeEventListener('hashchange', on);
	}, []);
	return hash.slice(1);
}

// Calls fn at most once per wait ms (the last call wins).
function useDebounced(fn, wait) {
	const t = useRef(0);
	const f = useRef(fn);
	f.current = fn;
	useEffect(() => () => clearTimeout(t.current), []);
	return useCallback(() => {
		clearTimeout(t.current);
		t.current = setTimeout(() => f.current(), wait);
	}, [wait]);
}

function Live({ on }) {
	return <span class={on ? 'live on' : 'live'} role="status">{on ? 'live' : 'connecting…'}</span>;
}

// A region that scrolls sideways on a phone; focusable to scroll by keyboard.
function Scroll({ label, children }) {
	return <div class="scroll" tabIndex={0} role="region" aria-label={label}>{children}</div>;
}

// A text field and a button that sends it; the server's refusal shown.
function Act({ label, button, onSend, multiline, required, idp }) {
	const [text, setText] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState(null);
	const id = useRef(`f${Math.random().toString(36).slice(2)}`).current;
	const send = async (ev) => {
		ev.preventDefault();
		setBusy(true);
		setError(null);
		try {
			await onSend(text);
			setText('');
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<form class="act" onSubmit={send} data-act={idp}>
			<label for={id}>{label}</label>
			{multiline
				? <textarea id={id} value={text} required={required} rows={3}
					onInput={(e) => setText(e.currentTarget.value)} />
				: <input id={id} value={text} required={required}
					onInput={(e) => setText(e.currentTarget.value)} />}
			<button type="submit" disabled={busy}>{button}</button>
			<Problem error={error} />
		</form>
	);
}

// ---- sign in ----

function SignIn({ onSession }) {
	const [user, setUser] = useState('');
	const [password, setPassword] = useState('');
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	useEffect(() => {
		document.title = 'Sign in · nhir';
	}, []);
	const submit = async (ev) => {
		ev.preventDefault();
		setBusy(true);
		setError(null);
		try {
			const s = await post('/api/v1/login', { user, password });
			setPassword('');
			onSession(s);
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<main id="main" class="signin">
			<h1>nhir workbench</h1>
			<p>Incident response for non-human identities. Sign in to work on the record.</p>
			<form onSubmit={submit} class="card">
				<h2>Sign in with a password</h2>
				<label for="user">User</label>
				<input id="user" name="user" autoComplete="username" required
					value={user} onInput={(e) => setUser(e.currentTarget.value)} />
				<label for="password">Password</label>
				<input id="password" name="password" type="password" required
					autoComplete="current-password" value={password}
					onInput={(e) => setPassword(e.currentTarget.value)} />
				<button type="submit" disabled={busy}>Sign in</button>
				<Problem error={error} />
			</form>
			<p class="muted">With single sign-on configured, <a href="/api/v1/oidc/login">sign in with your identity provider</a>.</p>
		</main>
	);
}

// ---- triage ----

// Declares an incident from one of the open findings (its credential
// the seed), as nhir incident declare --finding N.
function Declare({ findings }) {
	const [finding, setFinding] = useState(String(findings[0].id));
	const [title, setTitle] = useState('');
	const [severity, setSeverity] = useState('high');
	const [lead, setLead] = useState('');
	const [exposed, setExposed] = useState('');
	const [users, setUsers] = useState([]);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	useEffect(() => {
		get('/api/v1/users').then((d) => {
			// leads first; the server says whom it refuses
			const rank = { lead: 0, admin: 1, responder: 2, approver: 3 };
			const leads = d.users.filter((u) => u.active && u.role in rank)
				.sort((a, b) => rank[a.role] - rank[b.role] || a.name.localeCompare(b.name));
			setUsers(leads);
			if (leads.length)
				setLead(leads[0].name);
		}, () => {});
	}, []);
	const send = async (ev) => {
		ev.preventDefault();
		setBusy(true);
		setError(null);
		try {
			const body = { title, severity, lead, findings: [Number(finding)] };
			if (exposed)
				body.exposed_at = exposed;
			const inc = await post('/api/v1/incidents', body);
			location.hash = `#/incidents/${encodeURIComponent(inc.id)}`;
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<form class="card declare" onSubmit={send} data-act="declare">
			<h2>Declare an incident</h2>
			<p class="muted">The finding's credential becomes the seed; its blast radius is proposed as scope.</p>
			<label for="d-finding">Finding</label>
			<select id="d-finding" value={finding} onChange={(e) => setFinding(e.currentTarget.value)}>
				{findings.map((f) => <option key={f.id} value={String(f.id)}>{`#${f.id} ${f.kind} (${f.detector})`}</option>)}
			</select>
			<label for="d-title">Title</label>
			<input id="d-title" value={title} required maxLength={255} onInput={(e) => setTitle(e.currentTarget.value)} />
			<label for="d-severity">Severity</label>
			<select id="d-severity" value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
				{['critical', 'high', 'medium', 'low'].map((x) => <option key={x} value={x}>{x}</option>)}
			</select>
			<label for="d-lead">Lead</label>
			<select id="d-lead" value={lead} required onChange={(e) => setLead(e.currentTarget.value)}>
				{users.map((u) => <option key={u.name} value={u.name}>{u.name}</option>)}
			</select>
			<label for="d-exposed">Exposed at (ISO 8601, when known)</label>
			<input id="d-exposed" value={exposed} placeholder="2024-05-01T09:00:00Z" onInput={(e) => setExposed(e.currentTarget.value)} />
			<button type="submit" disabled={busy || !lead}>Declare</button>
			<Problem error={error} />
		</form>
	);
}

function Triage({ me }) {
	const [doc, setDoc] = useState(null);
	const [error, setError] = useState(null);
	useEffect(() => {
		document.title = 'Triage · nhir';
		get('/api/v1/triage').then(setDoc, setError);
	}, []);
	return (
		<main id="main">
			<h1>Triage queue</h1>
			<p class="muted">Open findings, and where the routing policy sends each: the rule that matched.</p>
			<Problem error={error} />
			{doc && doc.findings.length === 0 && <p>No open finding.</p>}
			{doc && doc.findings.length > 0 && (
				<Scroll label="Open findings">
					<table>
						<thead><tr>
							<th scope="col">#</th><th scope="col">Kind</th><th scope="col">Detector</th>
							<th scope="col">Credential</th><th scope="col">Verified</th>
							<th scope="col">Sightings</th><th scope="col">Last seen</th>
							<th scope="col">Routed to</th><th scope="col">Rule</th>
						</tr></thead>
						<tbody>
							{doc.findings.map((f) => (
								<tr key={f.id} data-finding={f.id}>
									<td>{f.id}</td><td>{f.kind}</td><td>{f.detector}</td>
									<td class="mono">{f.credential || f.preview}</td>
									<td><Badge kind="verified" value={f.verified} /></td>
									<td>{f.sightings}</td><td><When at={f.last_seen} /></td>
									<td>{f.route ? `${f.route.to} (${f.route.outcome})` : 'unrouted'}</td>
									<td>{f.route ? f.route.rule : ''}</td>
								</tr>
							))}
						</tbody>
					</table>
				</Scroll>
			)}
			{doc && doc.findings.length > 0 && WRITERS.includes(me.role) && <Declare findings={doc.findings} />}
		</main>
	);
}

// ---- incident board ----

function Board() {
	const [state, setState] = useState('');
	const [doc, setDoc] = useState(null);
	const [error, setError] = useState(null);
	const [live, setLive] = useState(false);
	const load = useCallback(() => {
		get('/api/v1/incidents' + (state ? `?state=${encodeURIComponent(state)}` : ''))
			.then((d) => { setDoc(d); setError(null); }, setError);
	}, [state]);
	const reload = useDebounced(load, 200);
	useEffect(() => {
		document.title = 'Incidents · nhir';
		load();
	}, [load]);
	useEffect(() => feed('/api/v1/events', (e) => { if (e.incident) reload(); }, setLive), [reload]);
	return (
		<main id="main">
			<div class="title-row">
				<h1>Incidents</h1>
				<Live on={live} />
			</div>
			<div class="filters">
				<label for="state-filter">State</label>
				<select id="state-filter" value={state} onChange={(e) => setState(e.currentTarget.value)}>
					<option value="">any</option>
					{STATES.map((s) => <option key={s} value={s}>{s}</option>)}
				</select>
			</div>
			<Problem error={error} />
			{doc && doc.incidents.length === 0 && <p>No incident{state ? ` in state ${state}` : ''}.</p>}
			{doc && doc.incidents.length > 0 && (
				<Scroll label="Incidents">
					<table class="board">
						<thead><tr>
							<th scope="col">Incident</th><th scope="col">Title</th><th scope="col">Severity</th>
							<th scope="col">State</th><th scope="col">Lead</th><th scope="col">Updated</th>
						</tr></thead>
						<tbody>
							{doc.incidents.map((i) => (
								<tr key={i.id}>
									<td><a href={`#/incidents/${encodeURIComponent(i.id)}`}>{i.id}</a></td>
									<td class="incident-title">{i.title}</td>
									<td><Badge kind="sev" value={i.severity} /></td>
									<td><Badge kind="state" value={i.state} /></td>
									<td>{i.lead}</td>
									<td><When at={i.updated} /></td>
								</tr>
							))}
						</tbody>
					</table>
				</Scroll>
			)}
		</main>
	);
}

// ---- incident page ----

function StateChange({ inc, onDone }) {
	const i = STATES.indexOf(inc.state);
	const next = [STATES[i + 1], STATES[i - 1]].filter(Boolean);
	const [to, setTo] = useState(next[0] || '');
	useEffect(() => setTo(next[0] || ''), [inc.state]);
	if (!next.length)
		return null;
	return (
		<div class="state-change">
			<label for="state-to">Move to</label>
			<select id="state-to" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
				{next.map((s) => <option key={s} value={s}>{s}</option>)}
			</select>
			<Act label="Why" button="Change state" idp="state"
				onSend={(why) => post(`/api/v1/incidents/${inc.id}/state`, why ? { to, why } : { to }).then(onDone)} />
		</div>
	);
}

function Scope({ inc, canWrite, onDone }) {
	const [error, setError] = useState(null);
	const act = (op, ref) => {
		setError(null);
		post(`/api/v1/incidents/${inc.id}/scope`, { op, ref }).then(onDone, setError);
	};
	return (
		<section aria-labelledby="scope-h">
			<h2 id="scope-h">Scope</h2>
			<Problem error={error} />
			<Scroll label="Scope">
				<table>
					<thead><tr>
						<th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Reference</th>
						<th scope="col">Status</th><th scope="col">Came in by</th>
						{canWrite && <th scope="col">Act</th>}
					</tr></thead>
					<tbody>
						{inc.scope.map((s) => (
							<tr key={s.node}>
								<td class="node-name">{s.kind === 'credential' || s.kind === 'token'
									? <a href={`#/credential?ref=${encodeURIComponent(s.node)}${inc.exposed_at ? `&exposed_at=${encodeURIComponent(inc.exposed_at)}` : ''}`}>{s.name || s.node}</a>
									: s.name}</td><td class="kind">{s.kind}</td>
								<td class="mono">{s.node}</td>
								<td><Badge kind="scope" value={s.status} /></td>
								<td>{s.origin}{s.by ? `, ${s.by}` : ''}</td>
								{canWrite && (
									<td class="buttons">
										{s.status !== 'confirmed' && <button type="button" onClick={() => act('confirm', s.node)}
											aria-label={`Confirm ${s.name}`}>Confirm</button>}
										{s.status !== 'dismissed' && s.origin !== 'seed' && <button type="button" class="secondary"
											onClick={() => act('dismiss', s.node)} aria-label={`Dismiss ${s.name}`}>Dismiss</button>}
									</td>
								)}
							</tr>
						))}
					</tbody>
				</table>
			</Scroll>
		</section>
	);
}

// Why a step can or cannot run yet, in words: four eyes, rejections,
// the steps it waits for.
function fourEyes(s) {
	if (s.approvals_needed === 0)
		return 'Needs no approval: reversible, or the catalog asks for none.';
	const left = Math.max(0, s.approvals_needed - s.approvals);
	return `Four eyes: ${s.reversible ? 'this step' : 'this irreversible step'} needs ${s.approvals_needed} approvals ` +
		'from approvers who are neither the plan\'s proposer nor each other; ' +
		(left ? `${left} more needed before it can run.` : 'it has them.');
}

function Step({ inc, s, canWrite, canApprove, onDone, running }) {
	const [why, setWhy] = useState('');
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const [preview, setPreview] = useState(null);
	const [asking, setAsking] = useState(false);
	const [result, setResult] = useState(null);
	const url = `/api/v1/incidents/${inc.id}/steps/${s.step}`;
	const act = async (fn) => {
		setBusy(true);
		setError(null);
		try {
			await fn();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	const verdict = (kind) => act(async () => {
		const plan = await post(`${url}/${kind}`, { why });
		setWhy('');
		onDone(plan);
	});
	const dry = () => act(async () => setPreview(await post(`${url}/execute`, {})));
	const run = () => act(async () => {
		setAsking(false);
		// a request previewed binds the run: the server runs nothing else
		const body = preview ? { confirm: true, step: s.step, request_sha256: preview.request_sha256 }
			: { confirm: true };
		let r;
		try {
			r = await post(`${url}/execute`, body);
		} catch (e) {
			if (e.status === 409 && e.doc && e.doc.field)
				setPreview(null);
			throw e;
		}
		setResult(r);
		onDone(null);
	});
	const needs = s.approvals_needed > 0;
	const wid = `why-${s.step}`;
	const open = s.status !== 'done' && s.status !== 'skipped';
	return (
		<li class="step" data-step={s.step} data-action={s.action} data-target={s.target === null ? '' : s.target}>
			<div class="step-head">
				<span class="step-n">{s.step}</span>
				<span class="mono">{s.action}</span>
				<Badge kind="status" value={s.status} />
				{s.rejected && <Badge kind="status" value="rejected" />}
			</div>
			<dl class="facts">
				<dt>Target</dt><dd class="mono">{s.target === null ? 'none' : s.target}</dd>
				<dt>Why</dt><dd>{s.why}</dd>
				{s.breaks && <><dt>Breaks</dt><dd>{s.breaks}</dd></>}
				{s.survives && <><dt>Survives</dt><dd>{s.survives}</dd></>}
				<dt>Undo</dt><dd>{s.reversible ? 'reversible' : 'irreversible'}{s.destroys_evidence ? ', destroys evidence' : ''}</dd>
				<dt>After</dt><dd>{s.after.length ? s.after.map((n) => `step ${n}`).join(', ') : 'nothing'}</dd>
				<dt>Approvals</dt>
				<dd class="approvals">{needs ? `${s.approvals} of ${s.approvals_needed}` : 'none needed'}
					{s.void_approvals ? ` (${s.void_approvals} void)` : ''}</dd>
				{s.result && <><dt>Result</dt><dd class="step-result">{s.result}</dd></>}
			</dl>
			<p class="four-eyes muted">{fourEyes(s)}</p>
			{s.not_counted && s.not_counted.length > 0 && (
				<ul class="not-counted">
					{s.not_counted.map((n, k) => <li key={k}>Not counted: {n.verdict} by {n.actor} ({n.state}{n.reason ? `: ${n.reason}` : ''})</li>)}
				</ul>
			)}
			{canApprove && needs && open && (
				<div class="verdict">
					<label for={wid}>Why (step {s.step})</label>
					<input id={wid} value={why} onInput={(e) => setWhy(e.currentTarget.value)} />
					<button type="button" disabled={busy || !why} onClick={() => verdict('approve')}>Approve step {s.step}</button>
					<button type="button" class="secondary" disabled={busy || !why} onClick={() => verdict('reject')}>Reject step {s.step}</button>
				</div>
			)}
			{canWrite && open && (
				<div class="run">
					<button type="button" class="secondary" disabled={busy} onClick={dry}>Preview request of step {s.step}</button>
					{!asking && <button type="button" disabled={busy || running} onClick={() => setAsking(true)}>Execute step {s.step}…</button>}
					{asking && (
						<div class="confirm" role="group" aria-label={`Confirm step ${s.step}`}>
							<p><strong>Run step {s.step}</strong> ({s.action} on {s.target === null ? 'nothing named' : s.target}) through the
								server's connector{s.reversible ? '' : '; it cannot be undone'}?</p>
							<button type="button" disabled={busy} onClick={run}>Run step {s.step}</button>
							<button type="button" class="secondary" onClick={() => setAsking(false)}>Cancel</button>
						</div>
					)}
				</div>
			)}
			{preview && (
				<div class="preview">
					<p>Dry run: what the connector would be sent (nothing was sent)</p>
					<pre class="request mono" tabIndex={0}>{preview.detail}</pre>
				</div>
			)}
			{result && (
				<p class="exec-result" role="status">Step {result.step}: <Badge kind="status" value={result.status} />{' '}
					<span class="detail">{result.detail}</span>
					{result.evidence !== undefined ? ` (the connector's answer is evidence ${result.evidence})` : ''}</p>
			)}
			<Problem error={error} />
		</li>
	);
}

// The plan as a graph: each step after the steps it waits for.
function PlanGraph({ plan }) {
	const [els, setEls] = useState([]);
	useEffect(() => {
		const e = [];
		for (const s of plan.steps) {
			const st = s.rejected ? 'rejected' : s.status;
			e.push({ data: { id: `s${s.step}`, label: `${s.step}. ${s.action}`, color: KIND_COLORS[st] || '#888' } });
			for (const a of s.after)
				e.push({ data: { id: `a${a}-${s.step}`, source: `s${a}`, target: `s${s.step}`, label: '' } });
		}
		setEls(e);
	}, [plan]);
	return <Graph elements={els} label="The plan's steps as a graph: each after the steps it waits for (listed below)"
		layout={{ name: 'breadthfirst', directed: true, spacingFactor: 1.2 }} />;
}

// Approves every step that awaits this approver (one request; the
// server tries each step and the library keeps four eyes): what was
// approved, and what was refused and why, step by step.
function ApproveAll({ inc, onDone }) {
	const [why, setWhy] = useState('');
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState(null);
	const [done, setDone] = useState(null);
	const send = async (ev) => {
		ev.preventDefault();
		setBusy(true);
		setError(null);
		setDone(null);
		try {
			const r = await post(`/api/v1/incidents/${inc.id}/approve`, { why });
			setWhy('');
			setDone(r);
			onDone(r.plan);
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<form class="act approve-all" onSubmit={send} data-act="approve-all">
			<label for="approve-all-why">Why (every step awaiting your approval)</label>
			<input id="approve-all-why" value={why} required onInput={(e) => setWhy(e.currentTarget.value)} />
			<button type="submit" disabled={busy || !why}>Approve all awaiting me</button>
			<Problem error={error} />
			{done && (
				<div class="approve-all-result" role="status">
					{done.steps.length === 0 && <p>Nothing awaits your approval.</p>}
					{done.steps.length > 0 && (
						<ul>
							{done.steps.map((x) => (
								<li key={x.step} data-step={x.step} data-approved={x.approved ? 'yes' : 'no'}>
									Step {x.step} <span class="mono">{x.action}</span>:{' '}
									{x.approved
										? <Badge kind="status" value="approved" />
										: <><Badge kind="status" value="refused" /> <span class="detail">{x.reason}</span></>}
								</li>
							))}
						</ul>
					)}
				</div>
			)}
		</form>
	);
}

// Runs the next step ready, chosen by the library: first its dry run
// (which step, and what would be sent), then on confirmation that step,
// bound to the step and the digest of the request previewed: the server
// runs nothing else, and when the plan was rebuilt, edited or moved
// meanwhile it refuses (409 naming the field), and the page shows the
// new next step instead.
function NextStep({ inc, onDone }) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState(null);
	const [preview, setPreview] = useState(null);
	const [result, setResult] = useState(null);
	const act = async (fn) => {
		setBusy(true);
		setError(null);
		try {
			await fn();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	const ask = () => act(async () => {
		setResult(null);
		setPreview(await post(`/api/v1/incidents/${inc.id}/execute`, {}));
	});
	const run = () => act(async () => {
		const path = `/api/v1/incidents/${inc.id}/execute`;
		let r;
		try {
			r = await post(path, { confirm: true, step: preview.step, request_sha256: preview.request_sha256 });
		} catch (e) {
			if (e.status !== 409 || !e.doc || !e.doc.field) {
				setPreview(null);
				throw e;
			}
			// not what was previewed: nothing ran; the next step now
			let next;
			try {
				next = await post(path, {});
			} catch (e2) {
				setPreview(null);
				throw e2;
			}
			setPreview({ ...next, changed: e.doc.field });
			return;
		}
		setPreview(null);
		setResult(r);
		onDone(null);
	});
	return (
		<div class="next-step">
			{!preview && <button type="button" disabled={busy} onClick={ask}>Next step…</button>}
			{preview && (
				<div class="confirm" role="group" aria-label="Confirm the next step">
					{preview.changed && <p class="problem" role="alert">The plan changed since the preview: nothing was run
						(the server refused: {preview.changed === 'step' ? 'another step is next' : 'the request is not the one previewed'}).
						Here is the next step now; run it only if this is what you mean.</p>}
					<p><strong>The next step ready is step {preview.step}.</strong> Dry run: what the connector would be sent (nothing was sent yet)</p>
					<pre class="request mono" tabIndex={0}>{preview.detail}</pre>
					<button type="button" disabled={busy} onClick={run}>Run step {preview.step}</button>
					<button type="button" class="secondary" onClick={() => setPreview(null)}>Cancel</button>
				</div>
			)}
			{result && (
				<p class="exec-result next-result" role="status">Step {result.step}: <Badge kind="status" value={result.status} />{' '}
					<span class="detail">{result.detail}</span>
					{result.evidence !== undefined ? ` (the connector's answer is evidence ${result.evidence})` : ''}</p>
			)}
			<Problem error={error} />
		</div>
	);
}

function Plan({ inc, plan, canWrite, canApprove, onDone, setPlan }) {
	const [error, setError] = useState(null);
	const build = () => {
		setError(null);
		post(`/api/v1/incidents/${inc.id}/plan`, {}).then((p) => { setPlan(p); onDone(); }, setError);
	};
	return (
		<section aria-labelledby="plan-h">
			<h2 id="plan-h">Containment plan</h2>
			<p class="muted">Two approvers who are not the plan's proposer must approve an irreversible step (four eyes); the server counts them.</p>
			{plan && plan.steps.length === 0 && <p>No plan yet.</p>}
			{canWrite && <button type="button" onClick={build}>{plan && plan.steps.length ? 'Build the plan again' : 'Build the plan'}</button>}
			<Problem error={error} />
			{plan && plan.steps.length > 0 && (canApprove || canWrite) && (
				<div class="plan-actions">
					{canApprove && <ApproveAll inc={inc} onDone={(p) => { if (p) setPlan(p); onDone(); }} />}
					{canWrite && <NextStep inc={inc} onDone={() => onDone()} />}
				</div>
			)}
			{plan && plan.steps.length > 0 && <PlanGraph plan={plan} />}
			{plan && plan.steps.length > 0 && (
				<ol class="steps">
					{plan.steps.map((s) => <Step key={s.step} inc={inc} s={s} canWrite={canWrite} canApprove={canApprove}
						onDone={(p) => { if (p) setPlan(p); onDone(); }} />)}
				</ol>
			)}
			{plan && plan.steps.length > 0 && <Verify inc={inc} canWrite={canWrite} />}
		</section>
	);
}

// Every revocation's probe run again, and each one's state.
function Verify({ inc, canWrite }) {
	const [doc, setDoc] = useState(null);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	if (!canWrite)
		return null;
	const run = async () => {
		setBusy(true);
		setError(null);
		try {
			setDoc(await post(`/api/v1/incidents/${inc.id}/verify`, {}));
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<div class="verify">
			<h3>Verification</h3>
			<p class="muted">Each confirmed revocation's probe, run through the server's connectors: is the credential really dead?</p>
			<button type="button" disabled={busy} onClick={run}>Verify revocations</button>
			<Problem error={error} />
			{doc && (
				<div class="verify-result" role="status">
					<p>{doc.probed} probed: {doc.verified} verified dead, {doc.still_working} still working,
						{' '}{doc.refused} refused, {doc.no_probe} without a probe.</p>
					<ul>
						{doc.revocations.map((v) => (
							<li key={v.node}><span class="mono">{v.node}</span> <Badge kind="rev" value={v.state} />
								{v.detail ? <span class="muted"> {v.detail}</span> : ''}</li>
						))}
					</ul>
				</div>
			)}
		</div>
	);
}

// The clock, once a second, for the countdowns.
function useNow() {
	const [now, setNow] = useState(Date.now());
	useEffect(() => {
		const t = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(t);
	}, []);
	return now;
}

function left(ms) {
	const s = Math.floor(ms / 1000);
	const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
	const m = Math.floor(s % 3600 / 60), x = s % 60;
	const two = (n) => String(n).padStart(2, '0');
	return `${d ? `${d}d ` : ''}${two(h)}:${two(m)}:${two(x)}`;
}

// How long a token that cannot be revoked lives on: the time left, and
// a bar beside the longest-lived of them (which dies first, at a glance).
function Countdown({ node, expires, longest, now }) {
	const ms = Date.parse(expires) - now;
	if (ms <= 0)
		return <span class="countdown dead">expired <When at={expires} /></span>;
	const frac = longest > 0 ? Math.min(1, ms / longest) : 1;
	return (
		<span class="countdown" data-expires={expires}>
			<progress max="1" value={frac} aria-label={`Life left of ${node}`} />{' '}
			<span class="left">{left(ms)}</span> left, until <When at={expires} />
		</span>
	);
}

function Residual({ contain }) {
	const tick = useNow();
	if (!contain)
		return null;
	// the server's clock (a replayed incident's is fixed), moved on
	// by this browser's since it answered
	const now = Date.parse(contain.at) + (tick - contain.fetched);
	const live = contain.residual.filter((x) => x.expires);
	const longest = Math.max(0, ...live.map((x) => Date.parse(x.expires) - now));
	return (
		<section aria-labelledby="res-h">
			<h2 id="res-h">Residual access</h2>
			<p>{contain.contained
				? <>Contained{contain.contained_at ? <> since <When at={contain.contained_at} /></> : ''}.</>
				: `Not contained: ${contain.residual.length} still reachable at ${contain.at}.`}</p>
			{live.length > 0 && <p class="muted">{live.length} token{live.length > 1 ? 's' : ''} cannot be revoked and
				live{live.length > 1 ? '' : 's'} until expiry; the countdown says how long.</p>}
			{contain.residual.length > 0 && (
				<ul class="residual">
					{contain.residual.map((x) => (
						<li key={x.node} data-node={x.node}>
							<span class="mono node-name">{x.node}</span> <Badge kind="kind" value={x.kind} />{' '}
							<span class="muted">{x.expires
								? <Countdown node={x.node} expires={x.expires} longest={longest} now={now} />
								: 'valid until revoked'}</span>
							<div class="path mono">{x.path}</div>
						</li>
					))}
				</ul>
			)}
		</section>
	);
}

function Timeline({ entries }) {
	return (
		<section aria-labelledby="tl-h">
			<h2 id="tl-h">Timeline</h2>
			<ol class="timeline" reversed>
				{entries.slice().reverse().map((e) => (
					<li key={e.seq} data-seq={e.seq} data-action={e.action}>
						<When at={e.at} /> <strong>{e.actor}</strong> <span class="mono">{e.action}</span>
						{e.detail && e.detail.step !== undefined && <span> step {String(e.detail.step)}</span>}
						{e.detail && typeof e.detail.why === 'string' && <span class="muted">: {e.detail.why}</span>}
					</li>
				))}
			</ol>
		</section>
	);
}

function Incident({ id, me }) {
	const [inc, setInc] = useState(null);
	const [plan, setPlan] = useState(null);
	const [contain, setContain] = useState(null);
	const [entries, setEntries] = useState([]);
	const [error, setError] = useState(null);
	const [live, setLive] = useState(false);
	const base = `/api/v1/incidents/${encodeURIComponent(id)}`;
	const load = useCallback(() => {
		get(base).then((d) => { setInc(d); setError(null); document.title = `${d.id} ${d.title} · nhir`; }, setError);
		get(base + '/plan').then(setPlan, () => {});
		get(base + '/contain').then((d) => setContain({ ...d, fetched: Date.now() }), () => {});
	}, [base]);
	const reload = useDebounced(load, 150);
	useEffect(() => {
		document.title = `${id} · nhir`;
		setEntries([]);
		load();
	}, [load]);
	useEffect(() => feed(`/api/v1/events?incident=${encodeURIComponent(id)}`, (e) => {
		setEntries((xs) => (xs.some((x) => x.seq === e.seq) ? xs : xs.concat([e])));
		reload();
	}, setLive), [id, reload]);
	if (error && !inc)
		return <main id="main"><h1>{id}</h1><Problem error={error} /></main>;
	if (!inc)
		return <main id="main"><h1>{id}</h1><p>Loading…</p></main>;
	const canWrite = WRITERS.includes(me.role);
	const canApprove = APPROVERS.includes(me.role);
	const isLead = me.role === 'admin' || me.user === inc.lead;
	return (
		<main id="main" class="incident">
			<div class="title-row">
				<h1><span class="mono">{inc.id}</span> <span class="incident-title">{inc.title}</span></h1>
				<Live on={live} />
			</div>
			<dl class="summary">
				<dt>Severity</dt><dd><Badge kind="sev" value={inc.severity} /></dd>
				<dt>State</dt><dd><Badge kind="state" value={inc.state} /></dd>
				<dt>Lead</dt><dd>{inc.lead}</dd>
				<dt>Declared</dt><dd><When at={inc.declared} /> by {inc.declared_by}</dd>
				<dt>Updated</dt><dd><When at={inc.updated} /></dd>
			</dl>
			<p><a href={`#/blast?${inc.scope.filter((x) => x.origin === 'seed').map((x) => `ref=${encodeURIComponent(x.node)}`).join('&')}`}>
				Blast radius of the seeds</a> · <a href={`#/incidents/${encodeURIComponent(inc.id)}/report`}>Report</a></p>
			{isLead && canWrite && <StateChange inc={inc} onDone={load} />}
			<div class="grid">
				<div>
					<Scope inc={inc} canWrite={canWrite} onDone={load} />
					<Plan inc={inc} plan={plan} canWrite={canWrite} canApprove={canApprove} onDone={load} setPlan={setPlan} />
					<Residual contain={contain} />
					<Watch inc={inc} base={base} canWrite={canWrite} onDone={load} />
				</div>
				<div>
					<section aria-labelledby="notes-h">
						<h2 id="notes-h">Notes</h2>
						{inc.notes.length === 0 && <p class="muted">No note yet.</p>}
						<ul class="notes">
							{inc.notes.map((n, k) => (
								<li key={k}><When at={n.at} /> <strong>{n.by}</strong><p class="note-text">{n.text}</p></li>
							))}
						</ul>
						{canWrite && <Act label="New note" button="Add note" multiline required idp="note"
							onSend={(text) => post(base + '/notes', { text }).then(load)} />}
					</section>
					<Decisions inc={inc} base={base} canWrite={canWrite} isLead={isLead} onDone={load} />
					<Tasks inc={inc} base={base} me={me} canWrite={canWrite} isLead={isLead} onDone={load} />
					<Evidence inc={inc} base={base} canWrite={canWrite} onDone={load} />
					<Timeline entries={entries} />
				</div>
			</div>
		</main>
	);
}

// ---- the frame ----

function App() {
	const [me, setMe] = useState(undefined);
	const route = useRoute();
	const take = async (s) => {
		setCsrf(s.csrf);
		let role = 'unknown';
		try {
			const users = await get('/api/v1/users');
			const u = users.users.find((x) => x.name === s.user);
			if (u)
				role = u.role;
		} catch (e) {
			// the role stays unknown: no button that changes anything
		}
		setMe({ user: s.user, method: s.method, role });
	};
	useEffect(() => {
		get('/api/v1/session').then(take, () => setMe(null));
	}, []);
	const signOut = async () => {
		try {
			await post('/api/v1/logout');
		} catch (e) {
			// the session is gone either way on this page
		}
		setCsrf('');
		setMe(null);
	};
	if (me === undefined)
		return <main id="main"><p>Loading…</p></main>;
	if (me === null)
		return <SignIn onSession={take} />;
	let page;
	const [path, query] = route.split('?');
	const m = path.match(/^\/incidents\/([^/]+)$/);
	const rep = path.match(/^\/incidents\/([^/]+)\/report$/);
	if (rep)
		page = <Report key={rep[1]} id={decodeURIComponent(rep[1])} me={me} />;
	else if (path === '/blast')
		page = <Blast key={query || ''} query={query || ''} />;
	else if (path === '/metrics')
		page = <Metrics query={query || ''} />;
	else if (path === '/credential')
		page = <Credential query={query || ''} />;
	else if (m)
		page = <Incident key={m[1]} id={decodeURIComponent(m[1])} me={me} />;
	else if (route === '/triage')
		page = <Triage me={me} />;
	else
		page = <Board />;
	return (
		<>
			<header class="top">
				<span class="brand">nhir</span>
				<nav aria-label="Pages">
					<a href="#/triage" aria-current={route === '/triage' ? 'page' : undefined}>Triage</a>
					<a href="#/incidents" aria-current={route === '/incidents' ? 'page' : undefined}>Incidents</a>
					<a href="#/blast" aria-current={path === '/blast' ? 'page' : undefined}>Blast radius</a>
					<a href="#/metrics" aria-current={path === '/metrics' ? 'page' : undefined}>Metrics</a>
				</nav>
				<span class="me">
					<span class="muted">Signed in as </span><span class="who">{me.user}</span> <Badge kind="role" value={me.role} />
				</span>
				<button type="button" class="secondary" onClick={signOut}>Sign out</button>
			</header>
			{page}
		</>
	);
}

render(<App />, document.getElementById('app'));
