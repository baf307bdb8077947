// The incident's record beside its notes: decisions (and the lead's risk
// acceptances), tasks, and evidence with its hashes and custody.  Each
// change goes to the server's route; the incident is read again after.
import { useState, useRef } from 'preact/hooks';
import { post, upload } from './api.js';
import { Problem, When, Badge } from './ui.jsx';

function uid() {
	return `f${Math.random().toString(36).slice(2)}`;
}

// ---- decisions ----

export function Decisions({ inc, base, canWrite, isLead, onDone }) {
	const [what, setWhat] = useState('');
	const [why, setWhy] = useState('');
	const [risk, setRisk] = useState(false);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const ids = useRef({ what: uid(), why: uid(), risk: uid() }).current;
	const send = async (ev) => {
		ev.preventDefault();
		setBusy(true);
		setError(null);
		try {
			await post(base + '/decisions', { kind: risk ? 'risk-acceptance' : 'decision', what, why });
			setWhat('');
			setWhy('');
			setRisk(false);
			onDone();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<section aria-labelledby="dec-h">
			<h2 id="dec-h">Decisions</h2>
			{inc.decisions.length === 0 && <p class="muted">No decision yet.</p>}
			<ul class="decisions">
				{inc.decisions.map((d) => (
					<li key={d.id} data-kind={d.kind}>
						<When at={d.at} /> <strong>{d.by}</strong> <Badge kind="decision" value={d.kind} />
						<p class="decision-what">{d.what}</p>
						{d.why !== null && <p class="decision-why muted">Why: {d.why}</p>}
					</li>
				))}
			</ul>
			{canWrite && (
				<form class="act" onSubmit={send} data-act="decision">
					<label for={ids.what}>Decision</label>
					<input id={ids.what} value={what} required onInput={(e) => setWhat(e.currentTarget.value)} />
					<label for={ids.why}>Why</label>
					<input id={ids.why} value={why} required onInput={(e) => setWhy(e.currentTarget.value)} />
					{isLead && (
						<label class="check" for={ids.risk}>
							<input id={ids.risk} type="checkbox" checked={risk}
								onChange={(e) => setRisk(e.currentTarget.checked)} />
							The lead accepts this risk
						</label>
					)}
					<button type="submit" disabled={busy}>Record decision</button>
					<Problem error={error} />
				</form>
			)}
		</section>
	);
}

// ---- tasks ----

function Task({ t, base, canDone, onDone }) {
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const done = async () => {
		setBusy(true);
		setError(null);
		try {
			await post(`${base}/tasks/${t.id}/done`, {});
			onDone();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<li data-task={t.id} data-status={t.status}>
			<span class="task-title">{t.title}</span>{' '}
			<Badge kind="status" value={t.status} />
			<span class="muted"> {t.owner ? `owner ${t.owner}` : 'no owner'}
				{t.due ? <>, due <When at={t.due} /></> : ''}; added by {t.by}</span>
			{canDone && t.status !== 'done' && (
				<button type="button" class="secondary" disabled={busy} onClick={done}
					aria-label={`Mark task ${t.id} done`}>Done</button>
			)}
			<Problem error={error} />
		</li>
	);
}

export function Tasks({ inc, base, me, canWrite, isLead, onDone }) {
	const [title, setTitle] = useState('');
	const [owner, setOwner] = useState(me.user);
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const ids = useRef({ title: uid(), owner: uid() }).current;
	const send = async (ev) => {
		ev.preventDefault();
		setBusy(true);
		setError(null);
		try {
			await post(base + '/tasks', { title, owner });
			setTitle('');
			onDone();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	return (
		<section aria-labelledby="task-h">
			<h2 id="task-h">Tasks</h2>
			{inc.tasks.length === 0 && <p class="muted">No task yet.</p>}
			<ul class="tasks">
				{inc.tasks.map((t) => <Task key={t.id} t={t} base={base} onDone={onDone}
					canDone={canWrite && (isLead || t.owner === me.user)} />)}
			</ul>
			{canWrite && (
				<form class="act" onSubmit={send} data-act="task">
					<label for={ids.title}>New task</label>
					<input id={ids.title} value={title} required onInput={(e) => setTitle(e.currentTarget.value)} />
					<label for={ids.owner}>Owner (a user)</label>
					<input id={ids.owner} value={owner} required autoComplete="off" onInput={(e) => setOwner(e.currentTarget.value)} />
					<button type="submit" disabled={busy}>Add task</button>
					<Problem error={error} />
				</form>
			)}
		</section>
	);
}

// ---- evidence ----

function hex(buf) {
	return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// The SHA-256 of the file as this browser reads it (null where the
// page is not a secure context and the browser has no digest).
async function digest(file) {
	if (!globalThis.crypto || !crypto.subtle)
		return null;
	return hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
}

export function Evidence({ inc, base, canWrite, onDone }) {
	const [file, setFile] = useState(null);
	const [source, setSource] = useState('');
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const [last, setLast] = useState(null);
	const ids = useRef({ file: uid(), source: uid() }).current;
	const form = useRef(null);
	const send = async (ev) => {
		ev.preventDefault();
		if (!file)
			return;
		setBusy(true);
		setError(null);
		setLast(null);
		try {
			const mine = await digest(file);
			const q = `?name=${encodeURIComponent(file.name)}&source=${encodeURIComponent(source)}`;
			const { doc, location } = await upload(base + '/evidence' + q, file);
			const id = Number((location || '').split('/').pop());
			const kept = doc.evidence.find((e) => e.id === id) || doc.evidence[doc.evidence.length - 1];
			setLast({ name: file.name, sha256: kept.sha256, size: kept.size, mine });
			setFile(null);
			setSource('');
			form.current.reset();
			onDone();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	const custody = (id) => inc.custodys.filter((c) => c.evidence === id);
	return (
		<section aria-labelledby="ev-h">
			<h2 id="ev-h">Evidence</h2>
			{inc.evidences.length === 0 && <p class="muted">No evidence yet.</p>}
			<ul class="evidence">
				{inc.evidences.map((e) => (
					<li key={e.id} data-evidence={e.id}>
						<a href={`${base}/evidence/${e.id}`} download={e.name}
							aria-label={`Download evidence ${e.id}: ${e.name}`}>{e.name}</a>{' '}
						<span class="muted">{e.size} bytes, added <When at={e.at} /> by {e.by}</span>
						{e.source !== null && <div class="ev-source">Source: {e.source}</div>}
						<div class="mono sha">sha256 {e.sha256}</div>
						<details>
							<summary>Custody ({custody(e.id).length})</summary>
							<ol class="custody">
								{custody(e.id).map((c, k) => (
									<li key={k}><When at={c.at} /> <strong>{c.by}</strong> {c.action}
										{c.detail ? <span class="muted"> {c.detail}</span> : ''}</li>
								))}
							</ol>
						</details>
					</li>
				))}
			</ul>
			{canWrite && (
				<form class="act" onSubmit={send} data-act="evidence" ref={form}>
					<label for={ids.file}>Evidence file</label>
					<input id={ids.file} type="file" required onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
					<label for={ids.source}>Where it was collected, what it is</label>
					<input id={ids.source} value={source} required onInput={(e) => setSource(e.currentTarget.value)} />
					<button type="submit" disabled={busy || !file}>Upload evidence</button>
					<Problem error={error} />
				</form>
			)}
			{last && (
				<p class="uploaded" role="status">
					Kept {last.name} ({last.size} bytes): sha256 <span class="mono">{last.sha256}</span>
					{last.mine === null ? ' (this browser cannot hash it to compare)'
						: last.mine === last.sha256 ? ', the hash this browser computed before sending'
							: <strong>, which is not the hash this browser computed ({last.mine})</strong>}
				</p>
			)}
		</section>
	);
}
