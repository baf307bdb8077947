// Large graphs (thousands of nodes) drawn by sigma.js with WebGL, laid
// out once by graphology-layout's circle packing: nodes packed by group,
// then by distance from the seeds.  Loaded only when a page draws such a
// graph (a chunk of its own).  Labels are drawn on a canvas as text
// (fillText), never read as HTML; the drawing shows the label of the
// node under the pointer, the page's table names every item.
//
// What a frame costs is kept small for renderers without a GPU (a
// browser's software WebGL): nodes are GL points, one vertex each (an
// instanced shape is drawn instance by instance there, thousands of
// draws a frame); while the view moves, edges, labels and the picking
// pass (the hidden drawing that says which node is under the pointer)
// are left out, and drawn again once it rests, and only the nodes'
// canvas is cleared and drawn each frame.
import Graph from 'graphology';
import circlepack from 'graphology-layout/circlepack';
import Sigma from 'sigma';
import { EdgeLineProgram, EdgeRectangleProgram, NodePointProgram } from 'sigma/rendering';
import { toBlob } from '@sigma/export-image';

// Is the view of renderer r moving (dragged, zoomed, easing)?  As sigma
// tells it when it leaves the edges out.
function moving(r) {
	const m = r.getMouseCaptor();
	return r.getCamera().isAnimated() || m.isMoving || m.draggedEvents > 0 ||
		m.currentWheelDirection !== 0;
}

// Nodes as GL points, their picking pass drawn only at rest: once the
// view has stopped, a frame is drawn again with it, so that a click or
// a hover reads where the nodes are now.
class Dots extends NodePointProgram {
	render(params) {
		const r = this.renderer;
		if (!moving(r))
			return super.render(params);
		const pick = this.pickProgram;
		this.pickProgram = null;
		try {
			super.render(params);
		} finally {
			this.pickProgram = pick;
		}
		clearTimeout(this.rest);
		const rest = () => {
			this.rest = moving(r) ? setTimeout(rest, 100) : (r.scheduleRender(), 0);
		};
		this.rest = setTimeout(rest, 100);
		return undefined;
	}

	kill() {
		clearTimeout(this.rest);
		super.kill();
	}
}

// draw(box, elements, colors): elements as Cytoscape's ({data: {id,
// label, color, size, group, depth, source, target}}); returns the view
// the pages use (see graph.jsx).
export function draw(box, elements, c) {
	const g = new Graph({ multi: false, type: 'directed' });
	for (const e of elements) {
		const d = e.data;
		if (d.source === undefined)
			g.addNode(d.id, { label: d.label, color: d.color, size: d.size ? d.size / 6 : 2.5,
				group: d.group || '', depth: d.depth || 0 });
	}
	for (const e of elements) {
		const d = e.data;
		if (d.source !== undefined && g.hasNode(d.source) && g.hasNode(d.target) && !g.hasEdge(d.id))
			g.addEdgeWithKey(d.id, d.source, d.target, { size: 0.5, color: c.line });
	}
	// the layout is computed once, here, before the first frame
	circlepack.assign(g, { hierarchyAttributes: ['group', 'depth'] });

	let hiNodes = null, hiEdges = null;
	const renderer = new Sigma(g, box, {
		renderEdgeLabels: false,
		renderLabels: false,
		// while the view moves, thousands of edges are left out (drawn
		// again when it rests), and the hovered node's label
		hideEdgesOnMove: true,
		hideLabelsOnMove: true,
		nodeProgramClasses: { dot: Dots },
		defaultNodeType: 'dot',
		// (sigma draws a label on a white box: dark text in either scheme)
		labelColor: { color: '#1a1a1a' },
		labelSize: 12,
		labelFont: 'system-ui, sans-serif',
		defaultEdgeColor: c.line,
		// thousands of edges as hairlines (GL lines: a pixel wide, the
		// least a software renderer has to fill); a highlighted one as
		// sigma's thick line, drawn after them (programs draw in turn)
		edgeProgramClasses: { hair: EdgeLineProgram, thick: EdgeRectangleProgram },
		defaultEdgeType: 'hair',
		zIndex: true,
		minCameraRatio: 0.02,
		maxCameraRatio: 4,
		enableCameraRotation: false,
		nodeReducer: (n, a) => {
			if (!hiNodes)
				return a;
			return hiNodes.has(n)
				? { ...a, highlighted: true, zIndex: 2, size: a.size * 2 }
				: { ...a, color: c.faded, label: '', zIndex: 0 };
		},
		edgeReducer: (e, a) => {
			if (!hiEdges)
				return a;
			return hiEdges.has(e)
				? { ...a, type: 'thick', color: c.hi, size: 3, zIndex: 2 }
				: { ...a, color: c.faded, zIndex: 0 };
		},
	});
	// which node is under the pointer is read back from the GPU, which
	// waits for the frame being drawn: not for the wheel, nor while the
	// view is dragged or zoomed (a click or a hover at rest still asks)
	const captor = renderer.getMouseCaptor();
	const camera = renderer.getCamera();
	const pick = renderer.getNodeAtPosition.bind(renderer);
	renderer.getNodeAtPosition = (p) => (captor.isMouseDown || camera.isAnimated() ||
		(p.original && p.original.type === 'wheel') ? null : pick(p));
	// While the view moves, sigma still clears every canvas each frame,
	// though only the nodes' is drawn then.  A browser that composites
	// in software (a headless one) reads back each WebGL canvas changed
	// in a frame, and a cleared one is changed: the others are cleared
	// once when the view begins to move, then left as they are.
	const clear = renderer.clear.bind(renderer);
	let bare = false;
	renderer.clear = () => {
		const now = moving(renderer);
		if (!now || !bare) {
			bare = now;
			return clear();
		}
		const gl = renderer.webGLContexts.nodes;
		gl.bindFramebuffer(gl.FRAMEBUFFER, null);
		gl.clear(gl.COLOR_BUFFER_BIT);
		return renderer;
	};
	// the frames drawn, counted on the box (the benchmark reads them)
	box.framesDrawn = 0;
	renderer.on('afterRender', () => { box.framesDrawn++; });
	return {
		kind: 'sigma',
		renderer,
		nodes: () => g.order,
		onTap: (fn) => renderer.on('clickNode', ({ node }) => fn(node)),
		highlight: (nodes, edges) => {
			if (!hiNodes && !nodes)
				return;
			hiNodes = nodes;
			hiEdges = edges;
			renderer.refresh({ skipIndexation: true });
		},
		png: (bg) => toBlob(renderer, { format: 'png', backgroundColor: bg }),
		// positions for an SVG drawing (graph.jsx draws it with Cytoscape)
		positions: () => {
			const p = {};
			g.forEachNode((n, a) => { p[n] = { x: a.x * 20, y: -a.y * 20 }; });
			return p;
		},
		// a render resizes its canvases to the box first; the box's
		// first size is the one drawn already
		resize: () => {
			const d = renderer.getDimensions();
			if (d.width !== box.offsetWidth || d.height !== box.offsetHeight)
				renderer.scheduleRender();
		},
		// sigma draws its first frame as it is made
		onDrawn: (fn) => fn(),
		destroy: () => renderer.kill(),
	};
}
