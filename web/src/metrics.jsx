// The metrics page (#/metrics[?days=N][&since=T]): how fast the
// responses went (GET /api/v1/metrics, what nhir metrics prints).  The
// median time from exposure to each stage, by severity and by kind of
// the seed credential, drawn by uPlot (loaded with this page's first
// chart), and the credentials still valid N days after their owners
// were notified.  Each chart has its table; a time not reached, or a
// count not known, is shown as unknown, never as zero.
import { useState, useEffect, useRef } from 'preact/hooks';
import { get } from './api.js';
import { Problem } from './ui.jsx';

let uplot = null;
const loadUplot = () => (uplot = uplot || import('uplot').then((m) => m.default || m));

// [member, heading, the axis's short label]
export const STAGES = [
	['detection', 'detected', 'detected'], ['declaration', 'declared', 'declared'],
	['containment', 'contained', 'contained'], ['revocation_requested', 'revocation requested', 'rev. asked'],
	['revocation_confirmed', 'revocation confirmed', 'rev. done'], ['revocation_verified', 'revocation verified', 'verified'],
];
const PALETTE = ['#d93025', '#e37400', '#1a73e8', '#188038', '#9334e6', '#007b83', '#b06000', '#5f6368'];

function dur(s) {
	if (s === null || s === undefined)
		return 'unknown';
	const neg = s < 0;
	s = Math.abs(s);
	const t = s < 3600 ? `${Math.round(s / 60)} min`
		: s < 172800 ? `${Math.floor(s / 3600)} h ${String(Math.floor(s % 3600 / 60)).padStart(2, '0')} min`
			: `${Math.floor(s / 86400)} d ${Math.floor(s % 86400 / 3600)} h`;
	return neg ? `-${t}` : t;
}

function useScheme() {
	const [scheme, setScheme] = useState(0);
	useEffect(() => {
		const mq = matchMedia('(prefers-color-scheme: dark)');
		const on = () => setScheme((n) => n + 1);
		mq.addEventListener('change', on);
		return () => mq.removeEventListener('change', on);
	}, []);
	return scheme;
}

// A uPlot chart: opts(UPlot, colours) gives its options, data its data.
function Chart({ label, data, opts, height }) {
	const box = useRef(null);
	const scheme = useScheme();
	useEffect(() => {
		let plot = null;
		let gone = false;
		let seen = null;
		loadUplot().then((UPlot) => {
			if (gone || !box.current)
				return;
			const dark = matchMedia('(prefers-color-scheme: dark)').matches;
			const c = { fg: dark ? '#e8e8e8' : '#1a1a1a', grid: dark ? '#3c4048' : '#dddddd' };
			const width = () => Math.max(280, box.current.clientWidth);
			plot = new UPlot({ width: width(), height, legend: { show: true }, ...opts(UPlot, c) }, data, box.current);
			seen = new ResizeObserver(() => plot.setSize({ width: width(), height }));
			seen.observe(box.current);
		});
		return () => {
			gone = true;
			if (seen)
				seen.disconnect();
			if (plot)
				plot.destroy();
		};
	}, [data, scheme]);
	return <div class="chart" ref={box} role="img" aria-label={label} />;
}

// The median hours from exposure to each stage, one line per group.
function StageChart({ title, groups }) {
	const names = Object.keys(groups);
	const data = [STAGES.map((_, i) => i),
		...names.map((g) => STAGES.map(([k]) => (groups[g][k] === null ? null : groups[g][k] / 3600)))];
	const opts = (UPlot, c) => ({
		scales: { x: { time: false, range: [-0.3, STAGES.length - 0.7] } },
		axes: [
			{ stroke: c.fg, grid: { stroke: c.grid }, splits: () => STAGES.map((_, i) => i),
				values: (u, sp) => sp.map((v) => (STAGES[v] ? STAGES[v][2] : '')), size: 50,
				font: '11px system-ui' },
			{ stroke: c.fg, grid: { stroke: c.grid }, label: 'hours after exposure', size: 60 },
		],
		series: [{ label: 'stage', value: (u, v) => (v === null ? '' : STAGES[v] ? STAGES[v][1] : '') },
			...names.map((g, i) => ({ label: g, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: false,
				points: { show: true, size: 8, fill: PALETTE[i % PALETTE.length] },
				value: (u, v) => (v === null ? 'unknown' : dur(v * 3600)) }))],
	});
	return (
		<figure class="metric">
			<figcaption>{title}</figcaption>
			<Chart label={`${title}; the table below gives the figures`} data={data} opts={opts} height={300} />
			<div class="scroll" tabIndex={0} role="region" aria-label={title}>
				<table class="medians">
					<thead><tr><th scope="col">Group</th>{STAGES.map(([k, l]) => <th key={k} scope="col">{l}</th>)}</tr></thead>
					<tbody>
						{names.map((g) => (
							<tr key={g} data-group={g}><th scope="row">{g}</th>
								{STAGES.map(([k]) => <td key={k} data-stage={k}>{dur(groups[g][k])}</td>)}</tr>
						))}
					</tbody>
				</table>
			</div>
		</figure>
	);
}

// Credentials still valid N days after notice, summed by group; a
// group none of whose incidents is known is unknown.
function stillValid(per, key) {
	const out = {};
	for (const i of per) {
		const g = i[key];
		if (!(g in out))
			out[g] = { n: 0, known: 0, incidents: 0 };
		out[g].incidents++;
		if (i.still_valid_after_notice !== null) {
			out[g].n += i.still_valid_after_notice;
			out[g].known++;
		}
	}
	return out;
}

function StillValidChart({ title, groups, days }) {
	const names = Object.keys(groups);
	const data = [names.map((_, i) => i), names.map((g) => (groups[g].known ? groups[g].n : null))];
	const opts = (UPlot, c) => ({
		scales: { x: { time: false, range: [-0.6, names.length - 0.4] }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
		axes: [
			{ stroke: c.fg, grid: { show: false }, splits: () => names.map((_, i) => i),
				values: (u, sp) => sp.map((v) => names[v] || ''), font: '11px system-ui' },
			{ stroke: c.fg, grid: { stroke: c.grid }, label: 'credentials', size: 50 },
		],
		series: [{ label: 'group', value: (u, v) => (v === null ? '' : names[v] || '') },
			{ label: `still valid ${days} days after notice`, stroke: '#d93025', fill: '#d9302599',
				paths: UPlot.paths.bars({ size: [0.5, 60] }), points: { show: false },
				value: (u, v) => (v === null ? 'unknown' : String(v)) }],
	});
	return (
		<figure class="metric">
			<figcaption>{title}</figcaption>
			<Chart label={`${title}; the table below gives the figures`} data={data} opts={opts} height={220} />
			<div class="scroll" tabIndex={0} role="region" aria-label={title}>
				<table class="still-valid">
					<thead><tr><th scope="col">Group</th><th scope="col">Still valid</th><th scope="col">Incidents known</th></tr></thead>
					<tbody>
						{names.map((g) => (
							<tr key={g} data-group={g}><th scope="row">{g}</th>
								<td>{groups[g].known ? groups[g].n : 'unknown'}</td>
								<td>{groups[g].known} of {groups[g].incidents}</td></tr>
						))}
					</tbody>
				</table>
			</div>
		</figure>
	);
}

export function Metrics({ query }) {
	const q = new URLSearchParams(query);
	const [days, setDays] = useState(q.get('days') || '7');
	const [since, setSince] = useState(q.get('since') || '');
	const [doc, setDoc] = useState(null);
	const [error, setError] = useState(null);
	useEffect(() => {
		document.title = 'Metrics · nhir';
		const p = new URLSearchParams();
		if (q.get('days'))
			p.set('days', q.get('days'));
		if (q.get('since'))
			p.set('since', q.get('since'));
		setError(null);
		get('/api/v1/metrics' + (p.toString() ? `?${p}` : '')).then(setDoc, setError);
	}, [query]);
	const show = (ev) => {
		ev.preventDefault();
		const p = new URLSearchParams();
		p.set('days', days);
		if (since)
			p.set('since', since);
		location.hash = `#/metrics?${p}`;
	};
	return (
		<main id="main" class="metrics">
			<h1>Metrics</h1>
			<p class="muted">How fast the responses went: the time from exposure (from declaration where the exposure
				is unknown) to each stage, and the credentials still valid days after their owners were notified.</p>
			<form class="filters row" onSubmit={show}>
				<div>
					<label for="m-days">Days after notice</label>
					<input id="m-days" type="number" min="0" max="36500" value={days} onInput={(e) => setDays(e.currentTarget.value)} />
				</div>
				<div>
					<label for="m-since">Declared since (ISO 8601, optional)</label>
					<input id="m-since" value={since} placeholder="2024-01-01T00:00:00Z" onInput={(e) => setSince(e.currentTarget.value)} />
				</div>
				<button type="submit">Show</button>
			</form>
			<Problem error={error} />
			{doc && doc.incidents === 0 && <p>No incident{q.get('since') ? ' declared since then' : ''}.</p>}
			{doc && doc.incidents > 0 && (
				<>
					<p class="metrics-count">{doc.incidents} incident{doc.incidents > 1 ? 's' : ''}; still valid counted {doc.days_after_notice} days after notice.</p>
					<div class="charts">
						<StageChart title="Median time from exposure to each stage, by severity" groups={doc.median_by_severity} />
						<StageChart title="Median time from exposure to each stage, by kind of credential" groups={doc.median_by_kind} />
						<StillValidChart title={`Credentials still valid ${doc.days_after_notice} days after notice, by severity`}
							groups={stillValid(doc.per_incident, 'severity')} days={doc.days_after_notice} />
						<StillValidChart title={`Credentials still valid ${doc.days_after_notice} days after notice, by kind`}
							groups={stillValid(doc.per_incident, 'kind')} days={doc.days_after_notice} />
					</div>
					<h2>Per incident</h2>
					<div class="scroll" tabIndex={0} role="region" aria-label="Per incident">
						<table class="per-incident">
							<thead><tr><th scope="col">Incident</th><th scope="col">Severity</th><th scope="col">Kind</th>
								{STAGES.map(([k, l]) => <th key={k} scope="col">{l}</th>)}<th scope="col">Still valid</th></tr></thead>
							<tbody>
								{doc.per_incident.map((i) => (
									<tr key={i.id} data-incident={i.id}>
										<th scope="row"><a href={`#/incidents/${encodeURIComponent(i.id)}`}>{i.id}</a>
											{i.exposure_known ? '' : ' (from declaration)'}</th>
										<td>{i.severity}</td><td>{i.kind}</td>
										{STAGES.map(([k]) => <td key={k} data-stage={k}>{dur(i[k])}</td>)}
										<td>{i.still_valid_after_notice === null ? 'unknown' : i.still_valid_after_notice}</td>
									</tr>
								))}
							</tbody>
						</table>
					</div>
				</>
			)}
		</main>
	);
}
