// The blast-radius explorer: the radius of one or more references at a
// chosen time (GET /api/v1/blast), drawn as a graph and listed as a
// table; a row's "Path" (or a click on its node) highlights the path
// that brought it in.  Past AGGREGATE items, each group is drawn as one
// node (the table still lists them all, to its limit).
import { useState, useEffect, useRef, useMemo } from 'preact/hooks';
import { get } from './api.js';
import { Graph, KIND_COLORS, preloadBig } from './graph.jsx';

// Drawn node by node up to this many (the benchmark, bench/web/, pans
// and zooms 5,000 at 30 frames a second or more); by group beyond.
const AGGREGATE = 5000;

const ROWS = 500;
const DAY = 86400000;

function flatten(doc) {
	const out = [];
	for (const [group, items] of Object.entries(doc.groups))
		for (const it of items)
			out.push({ ...it, group });
	return out;
}

function pathText(it) {
	return it.path.map((p, i) => (i === 0 ? p.ref : `${p.reverse ? '<-' : '-'}${p.edge}${p.reverse ? '-' : '->'} ${p.ref}`)).join(' ');
}

// counts: the radius's size by group (the server sends at most
// AGGREGATE items of a group; its counts are all of them).
function elementsOf(items, shown, counts) {
	const vis = items.filter((it) => it.group === 'seeds' || shown[it.group] !== false);
	const els = [];
	const total = Object.entries(counts || {}).filter(([g]) => g === 'seeds' || shown[g] !== false)
		.reduce((n, [, c]) => n + c, 0);
	if (Math.max(total, vis.length) > AGGREGATE) {
		const seeds = vis.filter((it) => it.group === 'seeds');
		const by = {};
		for (const it of vis)
			if (it.group !== 'seeds')
				by[it.group] = counts && counts[it.group] ? counts[it.group] : (by[it.group] || 0) + 1;
		for (const s of seeds)
			els.push({ data: { id: `n${s.id}`, label: s.name || s.ref, color: KIND_COLORS[s.kind] || '#888' } });
		for (const [g, n] of Object.entries(by)) {
			els.push({ data: { id: `g-${g}`, label: `${n} ${g}`, color: KIND_COLORS.group, size: 18 + Math.min(60, Math.sqrt(n) * 3) } });
			for (const s of seeds)
				els.push({ data: { id: `e-${s.id}-${g}`, source: `n${s.id}`, target: `g-${g}`, label: '' } });
		}
		return { els, aggregated: true };
	}
	const ids = new Set(vis.map((it) => it.id));
	const seen = new Set();
	for (const it of vis)
		els.push({ data: { id: `n${it.id}`, label: it.name || it.ref, color: KIND_COLORS[it.kind] || '#888',
			depth: it.path.length, group: it.group } });
	for (const it of vis) {
		if (it.path.length < 2)
			continue;
		const a = it.path[it.path.length - 2], b = it.path[it.path.length - 1];
		if (!ids.has(a.id))
			continue;
		const [from, to] = b.reverse ? [b.id, a.id] : [a.id, b.id];
		const id = `e${from}-${to}`;
		if (!seen.has(id) && seen.add(id))
			els.push({ data: { id, source: `n${from}`, target: `n${to}`, label: b.edge } });
	}
	return { els, aggregated: false };
}

export function Blast({ query }) {
	const params = new URLSearchParams(query);
	const refs = params.getAll('ref');
	const at = params.get('at') || '';
	const [text, setText] = useState(refs.join(' '));
	const [days, setDays] = useState(at ? Math.max(0, Math.round((Date.now() - Date.parse(at)) / DAY)) : 0);
	const [doc, setDoc] = useState(null);
	const [error, setError] = useState(null);
	const [shown, setShown] = useState({});
	const [sel, setSel] = useState(null);
	const [graph, setGraph] = useState({ els: [], aggregated: false });
	const view = useRef(null);
	// made once per answer: the page renders several times while it draws
	const items = useMemo(() => (doc ? flatten(doc) : []), [doc]);
	const rows = useMemo(() => items.filter((it) => it.group === 'seeds' || shown[it.group] !== false).slice(0, ROWS),
		[items, shown]);

	useEffect(() => {
		document.title = 'Blast radius · nhir';
		setDoc(null);
		setSel(null);
		if (!refs.length)
			return;
		const q = refs.map((r) => `ref=${encodeURIComponent(r)}`).join('&') + (at ? `&at=${encodeURIComponent(at)}` : '') +
			`&limit=${AGGREGATE}`;
		// a radius may be large: its drawing's library comes meanwhile
		preloadBig().catch(() => {});
		get(`/api/v1/blast?${q}`).then((d) => { setDoc(d); setError(null); }, setError);
	}, [query]);
	useEffect(() => {
		setGraph(doc ? elementsOf(items, shown, doc.counts) : { els: [], aggregated: false });
	}, [doc, shown]);
	useEffect(() => {
		const v = view.current;
		if (!v)
			return;
		if (!sel) {
			v.highlight(null, null);
			return;
		}
		const nodes = new Set(), edges = new Set();
		sel.path.forEach((p, i) => {
			nodes.add(`n${p.id}`);
			if (i > 0) {
				const a = sel.path[i - 1].id;
				const [from, to] = p.reverse ? [p.id, a] : [a, p.id];
				edges.add(`e${from}-${to}`);
			}
		});
		v.highlight(nodes, edges);
	}, [sel, graph]);

	const submit = (ev) => {
		ev.preventDefault();
		const rs = text.split(/[\s,]+/).filter(Boolean);
		const q = new URLSearchParams();
		rs.forEach((r) => q.append('ref', r));
		if (days > 0)
			q.set('at', new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, 'Z'));
		location.hash = `#/blast?${q}`;
	};
	const save = (blob, ext) => {
		const a = document.createElement('a');
		a.href = URL.createObjectURL(blob);
		a.download = `blast-${refs.join('-').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}.${ext}`;
		a.click();
		setTimeout(() => URL.revokeObjectURL(a.href), 1000);
	};
	const bg = () => getComputedStyle(document.body).backgroundColor;
	const exportPng = async () => {
		if (view.current)
			save(await view.current.png(bg()), 'png');
	};
	// cytoscape-svg draws the same view as SVG (its own chunk, loaded
	// on the first export); labels are text nodes of the SVG document
	const exportSvg = async () => {
		if (view.current)
			save(new Blob([await view.current.svg(bg())], { type: 'image/svg+xml' }), 'svg');
	};
	const groups = doc ? Object.keys(doc.groups).filter((g) => g !== 'seeds' && doc.groups[g].length) : [];
	return (
		<main id="main">
			<h1>Blast radius</h1>
			<form class="blast-form" onSubmit={submit}>
				<div>
					<label for="blast-ref">References (a key id, an ARN, a name…)</label>
					<input id="blast-ref" value={text} required onInput={(e) => setText(e.currentTarget.value)} />
				</div>
				<div>
					<label for="blast-at">At: {days === 0 ? 'now' : `${days} days ago`}</label>
					<input id="blast-at" type="range" min="0" max="365" value={days}
						onInput={(e) => setDays(Number(e.currentTarget.value))} />
				</div>
				<button type="submit">Show</button>
			</form>
			{error && <p class="problem" role="alert">{error.message}</p>}
			{doc && (
				<>
					<p>
						At <span class="mono">{doc.at}</span>: {Object.entries(doc.counts).reduce((n, [g, c]) => (g === 'seeds' ? n : n + c), 0)} reachable from{' '}
						{doc.groups.seeds.length} seed{doc.groups.seeds.length === 1 ? '' : 's'}
						{graph.aggregated ? ` (more than ${AGGREGATE}: drawn by group)` : ''}.
					</p>
					<fieldset class="kinds">
						<legend>Show</legend>
						{groups.map((g) => (
							<label key={g} class="check">
								<input type="checkbox" checked={shown[g] !== false}
									onChange={(e) => setShown({ ...shown, [g]: e.currentTarget.checked })} />
								{` ${g} (${doc.groups[g].length})`}
							</label>
						))}
					</fieldset>
					<Graph elements={graph.els} tall label={`Graph of the blast radius of ${refs.join(', ')}`}
						onReady={(v) => {
							view.current = v;
							v.onTap((nid) => {
								const id = Number(nid.slice(1));
								setSel(items.find((it) => it.id === id) || null);
							});
							setSel((s) => (s ? { ...s } : s));
						}} />
					<button type="button" class="secondary" onClick={exportPng}>Export PNG</button>
					<button type="button" class="secondary" onClick={exportSvg}>Export SVG</button>
					{sel && (
						<p class="selected" role="status">
							<strong class="node-name">{sel.name || sel.ref}</strong>: <span class="mono path-text">{pathText(sel)}</span>
						</p>
					)}
					<div class="scroll" tabIndex={0} role="region" aria-label="Reachable items">
						<table>
							<thead><tr>
								<th scope="col">Name</th><th scope="col">Group</th><th scope="col">Reference</th>
								<th scope="col">Depth</th><th scope="col">Privilege</th><th scope="col">State</th>
								<th scope="col">Expires</th><th scope="col">Path</th>
							</tr></thead>
							<tbody>
								{rows.map((it) => (
									<tr key={`${it.group}-${it.id}`}>
										<td class="node-name">{it.kind === 'credential' || it.kind === 'token'
											? <a href={`#/credential?ref=${encodeURIComponent(it.ref)}`}>{it.name || it.ref}</a>
											: it.name || ''}</td><td>{it.group}</td>
										<td class="mono">{it.ref}</td><td>{it.depth}</td>
										<td>{it.privilege || ''}</td><td>{it.state}</td>
										<td>{it.expires || 'until revoked'}</td>
										<td><button type="button" class="secondary" aria-pressed={sel && sel.id === it.id ? 'true' : 'false'}
											aria-label={`Path to ${it.name || it.ref}`} onClick={() => setSel(it)}>Path</button></td>
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
