// Graphs drawn by Cytoscape.js, or by sigma.js with WebGL when they are
// large (big.js), each loaded only when a page draws such a graph (its
// own chunk), so the first load stays small.  Each graph has a text
// equivalent on its page (a list or a table) for keyboards and screen
// readers; the drawing is an image of it.
import { useEffect, useRef, useState } from 'preact/hooks';

let lib = null;
function cytoscape() {
	// Cytoscape adds a <style> element to the page unless an element
	// with this id is there; the page's CSP refuses inline styles, and
	// style.css has the rule it would add.
	const id = '__________cytoscape_stylesheet';
	if (!document.getElementById(id)) {
		const mark = document.createElement('meta');
		mark.id = id;
		document.head.appendChild(mark);
	}
	if (!lib)
		lib = import('cytoscape').then((m) => m.default || m);
	return lib;
}

function colors() {
	const dark = matchMedia('(prefers-color-scheme: dark)').matches;
	return dark
		? { fg: '#e8e8e8', line: '#8a8f98', bg: '#121417', hi: '#ffb74d', faded: '#3a3d42' }
		: { fg: '#1a1a1a', line: '#6b6b6b', bg: '#ffffff', hi: '#c26100', faded: '#dcdcdc' };
}

// A large graph exported as SVG: no labels (its table names every
// item), edges straight and bare.
function largeStyle(c) {
	return [
		{ selector: 'node', style: { 'background-color': 'data(color)', width: 14, height: 14 } },
		{ selector: 'node[size]', style: { width: 'data(size)', height: 'data(size)' } },
		{ selector: 'edge', style: { width: 1, 'line-color': c.line, 'curve-style': 'haystack' } },
		{ selector: '.hi', style: { 'line-color': c.hi, width: 4, 'border-width': 3, 'border-color': c.hi } },
		{ selector: '.faded', style: { opacity: 0.25 } },
	];
}

export const KIND_COLORS = {
	credential: '#d93025', token: '#e37400', identity: '#1a73e8', grant: '#9334e6',
	workload: '#188038', resource: '#5f6368', store: '#b06000', owner: '#007b83',
	group: '#80868b', planned: '#f9ab00', done: '#1e8e3e', failed: '#d93025',
	running: '#1a73e8', skipped: '#80868b', 'dry-run': '#80868b', rejected: '#d93025',
};

// The SVG exporter registered with Cytoscape (its own chunk, loaded on
// the first export).
let svgExt = null;
async function cytoscapeSvg() {
	const make = await cytoscape();
	if (!svgExt) {
		svgExt = import('cytoscape-svg').then((m) => m.default || m);
		make.use(await svgExt);
	}
	await svgExt;
	return make;
}

// A Cytoscape drawing as the view the pages use.
function cyView(cy, elements, c) {
	return {
		kind: 'cytoscape',
		cy,
		nodes: () => cy.nodes().length,
		onTap: (fn) => cy.on('tap', 'node', (ev) => fn(ev.target.id())),
		highlight: (nodes, edges) => {
			// (classes on many elements are restyled: only when
			// something is or was highlighted)
			if (!nodes && !cy.$('.hi, .faded').length)
				return;
			cy.elements().removeClass('hi faded');
			if (!nodes)
				return;
			cy.elements().addClass('faded');
			for (const id of nodes)
				cy.getElementById(id).removeClass('faded').addClass('hi');
			for (const id of edges)
				cy.getElementById(id).removeClass('faded').addClass('hi');
		},
		png: async (bg) => cy.png({ output: 'blob', full: true, scale: 2, bg }),
		svg: async (bg) => {
			await cytoscapeSvg();
			return cy.svg({ full: true, scale: 1, bg });
		},
		resize: () => {
			cy.resize();
			cy.fit(undefined, 20);
		},
		onDrawn: (fn) => cy.one('render', fn),
		destroy: () => cy.destroy(),
	};
}

// An SVG of a large graph: Cytoscape draws sigma's layout (positions)
// in a box off the screen, and cytoscape-svg writes it.
async function bigSvg(elements, positions, c, bg) {
	const make = await cytoscapeSvg();
	const box = document.createElement('div');
	box.className = 'graph offscreen';
	document.body.appendChild(box);
	try {
		const cy = make({ container: box, elements, style: largeStyle(c),
			layout: { name: 'preset', positions: (n) => positions[n.id()] || { x: 0, y: 0 } } });
		const svg = cy.svg({ full: true, scale: 1, bg });
		cy.destroy();
		return svg;
	} finally {
		box.remove();
	}
}

// Up to this many elements a graph is drawn by Cytoscape (labels,
// arrows, its layouts); more, by sigma.js with WebGL (big.js).
const BIG = 1500;
let bigLib = null;

// Loads sigma.js and its company ahead (a page about to draw what may
// be a large graph asks while its data is on the way).
export function preloadBig() {
	bigLib = bigLib || import('./big.js');
	return bigLib;
}

// <Graph elements layout label onReady>: draws elements (Cytoscape's
// {data: {id, label, color, source, target}}) in a box; onReady(view)
// once drawn, a view being {nodes(), onTap(fn(id)), highlight(nodeIds,
// edgeIds) (null: none), png(bg), svg(bg)} whichever library draws.
export function Graph({ elements, layout, label, onReady, tall }) {
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
		let view = null;
		let gone = false;
		let seen = null;
		// nothing to draw (yet): no library loaded for it
		if (!elements.length)
			return undefined;
		const c = colors();
		const big = elements.length > BIG;
		const made = big
			? preloadBig().then((m) => (gone || !box.current ? null : (() => {
				const v = m.draw(box.current, elements, c);
				v.svg = (bg) => bigSvg(elements, v.positions(), c, bg);
				return v;
			})()))
			: cytoscape().then((make) => (gone || !box.current ? null : cyView(make({
				container: box.current,
				elements,
				wheelSensitivity: 0.3,
				minZoom: 0.05,
				maxZoom: 4,
				style: [
					{ selector: 'node', style: {
						'background-color': 'data(color)', label: 'data(label)', color: c.fg,
						'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 3,
						'text-wrap': 'ellipsis', 'text-max-width': 140, width: 18, height: 18 } },
					{ selector: 'node[size]', style: { width: 'data(size)', height: 'data(size)' } },
					{ selector: 'edge', style: {
						width: 1.5, 'line-color': c.line, 'target-arrow-color': c.line,
						'target-arrow-shape': 'triangle', 'curve-style': 'bezier',
						label: 'data(label)', 'font-size': 8, color: c.fg,
						'text-background-color': c.bg, 'text-background-opacity': 0.8 } },
					{ selector: '.hi', style: { 'line-color': c.hi, 'target-arrow-color': c.hi, width: 4,
						'border-width': 3, 'border-color': c.hi } },
					{ selector: '.faded', style: { opacity: 0.25 } },
				],
				layout: layout || { name: 'breadthfirst', directed: true, spacingFactor: 1.1 },
			}), elements, c)));
		made.then((v) => {
			if (!v)
				return;
			if (gone) {
				v.destroy();
				return;
			}
			view = v;
			// drawn: for the tests and the benchmark
			v.onDrawn(() => {
				if (box.current) {
					box.current.dataset.drawn = String(v.nodes());
					box.current.dataset.renderer = v.kind;
				}
			});
			// a box that changes size (a phone turned, a window resized)
			seen = new ResizeObserver(() => v.resize());
			seen.observe(box.current);
			if (onReady)
				onReady(v);
		});
		return () => {
			gone = true;
			if (seen)
				seen.disconnect();
			if (view)
				view.destroy();
		};
	}, [elements, scheme]);
	return <div class={tall ? 'graph tall' : 'graph'} ref={box} role="img" aria-label={label} />;
}
