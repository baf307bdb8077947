// Graphs drawn by Cytoscape.js, loaded only when a page draws one (its
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
		? { fg: '#e8e8e8', line: '#8a8f98', bg: '#121417', hi: '#ffb74d' }
		: { fg: '#1a1a1a', line: '#6b6b6b', bg: '#ffffff', hi: '#c26100' };
}

// More elements than this: drawn for speed rather than detail.
const LARGE = 1500;

// A large graph is drawn for speed: no labels (measuring thousands
// costs seconds; its table names every item), edges straight and bare.
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

// <Graph elements layout label onReady>: draws elements (Cytoscape's
// {data: {id, label, color, source, target}}) in a box; onReady(cy)
// once drawn (to highlight, export).
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
		let cy = null;
		let gone = false;
		let seen = null;
		cytoscape().then((make) => {
			if (gone || !box.current)
				return;
			const c = colors();
			cy = make({
				container: box.current,
				elements,
				wheelSensitivity: 0.3,
				minZoom: 0.05,
				maxZoom: 4,
				style: elements.length > LARGE ? largeStyle(c) : [
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
				// a large graph: rings by distance from the roots
				// (cytoscape's concentric layout, far cheaper than
				// breadthfirst at thousands of nodes)
				layout: elements.length > LARGE
					? { name: 'concentric', concentric: (n) => -n.data('depth') || 0, levelWidth: () => 1,
						minNodeSpacing: 4, animate: false }
					: layout || { name: 'breadthfirst', directed: true, spacingFactor: 1.1 },
				pixelRatio: elements.length > LARGE ? 1 : 'auto',
				// a large graph pans and zooms as a picture of itself
				// (drawn again when the view rests), labels too small to
				// read left out
				textureOnViewport: elements.length > LARGE,
				hideEdgesOnViewport: elements.length > LARGE,
			});

			// drawn: for the tests and the benchmark
			cy.one('render', () => {
				if (box.current)
					box.current.dataset.drawn = String(cy.nodes().length);
			});
			// a box that changes size (a phone turned, a window resized)
			seen = new ResizeObserver(() => {
				cy.resize();
				cy.fit(undefined, 20);
			});
			seen.observe(box.current);
			if (onReady)
				onReady(cy);
		});
		return () => {
			gone = true;
			if (seen)
				seen.disconnect();
			if (cy)
				cy.destroy();
		};
	}, [elements, scheme]);
	return <div class={tall ? 'graph tall' : 'graph'} ref={box} role="img" aria-label={label} />;
}
