// The credential page (#/credential?ref=R[&exposed_at=T]): the node's
// facts, its use on a time axis (one lane per source: address and
// client) with the exposure time marked, its lineage as a tree (what
// it minted, and what those minted), and its timeline with filters.
// The chart is uPlot's, the tree Cytoscape's: both loaded when drawn.
import { Fragment } from 'preact';
import { useState, useEffect, useRef } from 'preact/hooks';
import { get } from './api.js';
import { Graph, KIND_COLORS } from './graph.jsx';

let uplot = null;
const loadUplot = () => (uplot = uplot || import('uplot').then((m) => m.default || m));
const ROWS = 500;

const secs = (t) => Date.parse(t) / 1000;

// Events as points: x the time, y the lane of their source.
function UsageChart({ events, exposed }) {
	const box = useRef(null);
	// drawn again when the system turns light or dark
	const [scheme, setScheme] = useState(0);
	useEffect(() => {
		const mq = matchMedia('(prefers-color-scheme: dark)');
		const on = () => setScheme((n) => n + 1);
		mq.addEventListener('change', on);
		return () => mq.removeEventListener('change', on);
	}, []);
	useEffect(() => {
		let plot = null;
		let gone = false;
		let seen = null;
		const lanes = [];
		const laneOf = new Map();
		for (const e of events) {
			const k = `${e.ip || 'unknown address'} · ${e.user_agent || 'unknown client'}`;
			if (!laneOf.has(k)) {
				laneOf.set(k, lanes.length);
				lanes.push(k);
			}
		}
		const xs = events.map((e) => secs(e.time));
		const ok = events.map((e) => (e.outcome === 'success' ? laneOf.get(`${e.ip || 'unknown address'} · ${e.user_agent || 'unknown client'}`) : null));
		const bad = events.map((e) => (e.outcome !== 'success' ? laneOf.get(`${e.ip || 'unknown address'} · ${e.user_agent || 'unknown client'}`) : null));
		loadUplot().then((UPlot) => {
			if (gone || !box.current)
				return;
			const dark = matchMedia('(prefers-color-scheme: dark)').matches;
			const fg = dark ? '#e8e8e8' : '#1a1a1a';
			const grid = dark ? '#3c4048' : '#dddddd';
			const width = () => Math.max(280, box.current.clientWidth);
			const noPath = () => null;
			plot = new UPlot({
				width: width(),
				height: 90 + lanes.length * 34,
				scales: { x: { time: true }, y: { range: [-0.6, lanes.length - 0.4] } },
				legend: { show: false },
				cursor: { drag: { x: true, y: false } },
				axes: [
					{ stroke: fg, grid: { stroke: grid } },
					{ stroke: fg, grid: { stroke: grid }, size: 60, splits: () => lanes.map((_, i) => i),
						values: (u, splits) => splits.map((v) => String(v + 1)) },
				],
				series: [
					{},
					{ label: 'succeeded', stroke: '#1a73e8', paths: noPath, points: { show: true, size: 9, fill: '#1a73e8' } },
					{ label: 'failed', stroke: '#d93025', paths: noPath, points: { show: true, size: 9, fill: '#d93025' } },
				],
				hooks: {
					draw: [(u) => {
						if (!exposed)
							return;
						const x = u.valToPos(secs(exposed), 'x', true);
						const { ctx } = u;
						ctx.save();
						ctx.strokeStyle = '#e37400';
						ctx.lineWidth = 2;
						ctx.setLineDash([6, 4]);
						ctx.beginPath();
						ctx.moveTo(x, u.bbox.top);
						ctx.lineTo(x, u.bbox.top + u.bbox.height);
						ctx.stroke();
						ctx.restore();
					}],
				},
			}, [xs, ok, bad], box.current);
			seen = new ResizeObserver(() => plot.setSize({ width: width(), height: 90 + lanes.length * 34 }));
			seen.observe(box.current);
		});
		return () => {
			gone = true;
			if (seen)
				seen.disconnect();
			if (plot)
				plot.destroy();
		};
	}, [events, exposed, scheme]);
	return <div class="chart" ref={box} role="img"
		aria-label={`Use over time: ${events.length} events${exposed ? `, exposure at ${exposed}` : ''}; the table below lists them`} />;
}

function Lanes({ events }) {
	const lanes = [];
	for (const e of events) {
		const k = `${e.ip || 'unknown address'} · ${e.user_agent || 'unknown client'}`;
		if (!lanes.includes(k))
			lanes.push(k);
	}
	return (
		<ol class="lanes">
			{lanes.map((l) => <li key={l} class="mono">{l}</li>)}
		</ol>
	);
}

export function Credential({ query }) {
	const params = new URLSearchParams(query);
	const ref = params.get('ref') || '';
	const exposed = params.get('exposed_at') || '';
	const [node, setNode] = useState(null);
	const [usage, setUsage] = useState(null);
	const [tl, setTl] = useState(null);
	const [error, setError] = useState(null);
	const [key, setKey] = useState('');
	const [action, setAction] = useState('');
	const [outcome, setOutcome] = useState('');
	const [tree, setTree] = useState([]);
	useEffect(() => {
		document.title = `${ref} · nhir`;
		setNode(null);
		setUsage(null);
		setTl(null);
		if (!ref)
			return;
		const r = encodeURIComponent(ref);
		const ex = exposed ? `&exposed_at=${encodeURIComponent(exposed)}` : '';
		get(`/api/v1/node?ref=${r}`).then(setNode, setError);
		get(`/api/v1/usage?ref=${r}&all=true${ex}`).then(setUsage, setError);
		get(`/api/v1/timeline?ref=${r}`).then(setTl, setError);
	}, [query]);
	useEffect(() => {
		if (!usage)
			return;
		const els = [];
		for (const k of usage.keys)
			els.push({ data: { id: `k-${k.key}`, label: k.key,
				color: k.depth === 0 ? KIND_COLORS.credential : KIND_COLORS.token } });
		for (const k of usage.keys)
			if (k.minted_by && usage.keys.some((x) => x.key === k.minted_by))
				els.push({ data: { id: `m-${k.minted_by}-${k.key}`, source: `k-${k.minted_by}`, target: `k-${k.key}`, label: k.via || '' } });
		setTree(els);
	}, [usage]);
	if (!ref)
		return <main id="main"><h1>Credential</h1><p>Open a credential from an incident's scope or the blast explorer.</p></main>;
	const events = tl ? tl.events : [];
	const shown = events.filter((e) => (!key || e.key === key) && (!outcome || (outcome === 'success') === (e.outcome === 'success')) &&
		(!action || (e.action || '').toLowerCase().includes(action.toLowerCase())));
	return (
		<main id="main">
			<h1><span class="mono">{ref}</span>{node && node.name ? <> <span class="node-name">{node.name}</span></> : null}</h1>
			{error && <p class="problem" role="alert">{error.message}</p>}
			{node && (
				<dl class="summary">
					<dt>Kind</dt><dd>{node.kind}{node.subtype ? ` (${node.subtype})` : ''}</dd>
					<dt>Provider</dt><dd>{node.provider || 'unknown'}</dd>
					<dt>Created</dt><dd>{node.created || 'unknown'}</dd>
					<dt>Expires</dt><dd>{node.expires || 'not on its own'}</dd>
					<dt>Disabled</dt><dd>{node.disabled ? 'yes' : 'no'}</dd>
					{Object.entries(node.attrs || {}).map(([k, v]) => (
						<Fragment key={k}><dt>{k}</dt><dd class="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</dd></Fragment>
					))}
				</dl>
			)}
			<section aria-labelledby="use-h">
				<h2 id="use-h">Use over time</h2>
				{exposed && <p class="muted">The dashed line is the exposure ({exposed}).</p>}
				{tl && events.length === 0 && <p>No event of this credential or what it minted is on the record.</p>}
				{tl && events.length > 0 && <><UsageChart events={events} exposed={exposed} /><p class="muted">Lanes (by address and client):</p><Lanes events={events} /></>}
			</section>
			<section aria-labelledby="lin-h">
				<h2 id="lin-h">Lineage</h2>
				{usage && (
					<>
						<Graph elements={tree} label={`Lineage of ${ref}: what it minted, and what those minted (listed below)`}
							layout={{ name: 'breadthfirst', directed: true, spacingFactor: 1.75 }} />
						<ul class="lineage">
							{usage.keys.map((k) => (
								<li key={k.key} class="mono">{'  '.repeat(k.depth)}{k.key}{k.minted_by ? ` ← ${k.via || 'minted'} by ${k.minted_by}` : ''}
									{` · ${k.events} events${k.first ? `, ${k.first} to ${k.last}` : ''}`}</li>
							))}
						</ul>
					</>
				)}
			</section>
			<section aria-labelledby="tlc-h">
				<h2 id="tlc-h">Timeline</h2>
				<div class="filters row">
					<div>
						<label for="tl-key">Key</label>
						<select id="tl-key" value={key} onChange={(e) => setKey(e.currentTarget.value)}>
							<option value="">any</option>
							{usage && usage.keys.map((k) => <option key={k.key} value={k.key}>{k.key}</option>)}
						</select>
					</div>
					<div>
						<label for="tl-outcome">Outcome</label>
						<select id="tl-outcome" value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
							<option value="">any</option><option value="success">succeeded</option><option value="failure">failed</option>
						</select>
					</div>
					<div>
						<label for="tl-action">Action contains</label>
						<input id="tl-action" value={action} onInput={(e) => setAction(e.currentTarget.value)} />
					</div>
				</div>
				<p class="muted" role="status">{shown.length} of {events.length} events</p>
				<div class="scroll" tabIndex={0} role="region" aria-label="Timeline">
					<table class="timeline-table">
						<thead><tr>
							<th scope="col">Time</th><th scope="col">Key</th><th scope="col">Action</th>
							<th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Address</th><th scope="col">Source</th>
						</tr></thead>
						<tbody>
							{shown.slice(0, ROWS).map((e, i) => (
								<tr key={i}>
									<td class="mono">{e.time}</td><td class="mono">{e.key}</td><td class="mono">{e.action}</td>
									<td class="mono">{e.target || ''}</td><td>{e.outcome}</td><td class="mono">{e.ip || ''}</td>
									<td class="mono">{e.path}:{e.offset}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			</section>
		</main>
	);
}
