// The incident's watch after containment: its state as the record tells
// it (GET .../watch), started for a period (POST) and ended (DELETE) by
// a responder or the lead; the server runs it and records its verdict.
import { useState, useEffect, useRef } from 'preact/hooks';
import { api, get, post } from './api.js';
import { Problem, When, Badge } from './ui.jsx';

export function Watch({ inc, base, canWrite, onDone }) {
	const [state, setState] = useState(null);
	const [period, setPeriod] = useState('30m');
	const [error, setError] = useState(null);
	const [busy, setBusy] = useState(false);
	const id = useRef(`f${Math.random().toString(36).slice(2)}`).current;
	const load = () => get(base + '/watch').then(setState, setError);
	// read again whenever the record changes (an alert is a note too)
	useEffect(() => {
		load();
	}, [base, inc.updated]);
	const act = async (fn) => {
		setBusy(true);
		setError(null);
		try {
			await fn();
			await load();
			onDone();
		} catch (e) {
			setError(e);
		}
		setBusy(false);
	};
	const start = (ev) => {
		ev.preventDefault();
		act(() => post(base + '/watch', { for: period }));
	};
	const w = state && state.watch;
	const verdict = w && w.verdict && w.verdict.verdict;
	return (
		<section aria-labelledby="watch-h">
			<h2 id="watch-h">Watch after containment</h2>
			{state && !w && <p class="muted">Never watched.</p>}
			{w && (
				<dl class="summary watch" data-open={String(w.open)}>
					<dt>Started</dt><dd><When at={w.started} /> by {w.by}, for {w.for_seconds} s</dd>
					<dt>State</dt><dd>{w.open ? 'open' : 'ended'}{w.open && <> until <When at={w.ends} /></>}</dd>
					<dt>Alerts</dt><dd class="watch-alerts">{w.alerts}</dd>
					{verdict && <>
						<dt>Verdict</dt>
						<dd class="watch-verdict"><Badge kind="verdict" value={verdict.result} />
							{' '}{verdict.uses_after_cut} use(s) after cut, stopped: {verdict.stopped}
							{w.verdict.signature ? ', signed' : ', not signed'}</dd>
					</>}
				</dl>
			)}
			{canWrite && (!w || !w.open) && (
				<form class="act" onSubmit={start} data-act="watch-start">
					<label for={id}>Watch for (e.g. 30m, 1h)</label>
					<input id={id} value={period} required pattern="[0-9]+[smh]?"
						onInput={(e) => setPeriod(e.currentTarget.value)} />
					<button type="submit" disabled={busy}>Start watch</button>
				</form>
			)}
			{canWrite && w && w.open && (
				<p class="act" data-act="watch-end">
					<button type="button" disabled={busy}
						onClick={() => act(() => api('DELETE', base + '/watch'))}>End watch now</button>
				</p>
			)}
			<Problem error={error} />
		</section>
	);
}
