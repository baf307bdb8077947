// The blast explorer drawing a large radius, measured in Chromium:
//   node blast.mjs PEERS URL SEED NODES SECONDS
// signs in as lena ($PASSWORD), then prints: the time from asking for
// the radius to the graph drawn; frames per second while the mouse drags
// the view, and while the wheel zooms; the incident page's render; the
// first-load script's size.
// Frames: the frames the page presented (requestAnimationFrame
// callbacks) and, of them, those in which the graph was drawn again
// (its renderer's count): the motion a person sees.  The input comes as
// a person's would, without waiting for each event to be handled: mouse
// moves at 60 Hz along a loop across the graph, wheel steps at 20 Hz
// (as fast as a wheel turns), the direction changing every 15 steps;
// the time runs until the page has handled the last one.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const [peers, base, seed, nodes, secs] = process.argv.slice(2);
const require = createRequire(peers + '/node_modules/');
const { chromium } = require('playwright-core');
// CHROMIUM_FLAGS: more flags for Chromium (e.g. how WebGL is done)
const args = (process.env.CHROMIUM_FLAGS || '').split(/\s+/).filter(Boolean);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
const gl = await (async () => {
	const p = await browser.newPage();
	const r = await p.evaluate(() => {
		const g = document.createElement('canvas').getContext('webgl2');
		const d = g && g.getExtension('WEBGL_debug_renderer_info');
		return g ? (d ? g.getParameter(d.UNMASKED_RENDERER_WEBGL) : 'webgl2') : 'no WebGL2';
	});
	await p.close();
	return r;
})();
console.log(`Chromium flags: ${args.join(' ') || 'none'}; WebGL: ${gl}`);
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
context.setDefaultTimeout(60000);
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });

await page.goto(base + '/');
await page.locator('#user').fill('lena');
await page.locator('#password').fill(process.env.PASSWORD);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.locator('header .who').waitFor();

// the median of three: asking for the radius (the API's answer, the
// layout, the first frame) until the graph is drawn
const took = [], apis = [];
for (let i = 0; i < 3; i++) {
	await page.goto(base + '/#/incidents');
	await page.locator('h1').filter({ hasText: 'Incidents' }).waitFor();
	await page.evaluate(() => performance.clearResourceTimings());
	const t = Date.now();
	await page.goto(`${base}/#/blast?ref=${seed}`);
	await page.locator('.graph[data-drawn]').waitFor();
	await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
	took.push(Date.now() - t);
	// of which the server's answer (asked to received)
	apis.push(await page.evaluate(() => {
		const e = performance.getEntriesByType('resource').find((x) => x.name.includes('/api/v1/blast'));
		return e ? Math.round(e.responseEnd - e.startTime) : -1;
	}));
}
const mid = (xs) => xs.slice().sort((a, b) => a - b)[1];
const drawn = await page.locator('.graph').getAttribute('data-drawn');
const by = await page.locator('.graph').getAttribute('data-renderer');
console.log(`blast explorer, ${drawn} nodes drawn by ${by} (radius of ${nodes}): rendered in ${mid(took)} ms ` +
	`(median of 3: ${took.join(', ')} ms, of which the API's answer ${mid(apis)} ms; target < 1000 ms)`);

// frames counted in the page while the view moves: presented, and drawn
const count = () => page.evaluate(() => {
	window.__frames = 0;
	window.__drawn = document.querySelector('.graph').framesDrawn;
	const tick = () => { window.__frames++; window.__raf = requestAnimationFrame(tick); };
	window.__raf = requestAnimationFrame(tick);
});
const stop = () => page.evaluate(() => {
	cancelAnimationFrame(window.__raf);
	return [window.__frames, document.querySelector('.graph').framesDrawn - window.__drawn];
});
const sleep = (n) => new Promise((r) => setTimeout(r, n));
// calls fn(k) every `every` ms for ms, not waiting for each; then waits
// for all: the elapsed seconds and the calls made
async function paced(every, fn) {
	const t0 = Date.now(), sent = [];
	let k = 0;
	while (Date.now() - t0 < ms) {
		k++;
		sent.push(fn(k));
		await sleep(t0 + k * every - Date.now());
	}
	await Promise.all(sent);
	return [(Date.now() - t0) / 1000, k];
}
const say = (what, frames, drawn, el) => console.log(`${what}: ${(drawn / el).toFixed(1)} frames/s drawn ` +
	`(${(frames / el).toFixed(1)} presented) over ${el.toFixed(1)} s (target >= 30)`);
const box = await page.locator('.graph').boundingBox();
const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
const ms = Number(secs) * 1000;

// a drag: a loop around the middle, a quarter of the graph's width and
// height away, once round every 2 s
await page.mouse.move(cx + box.width / 4, cy);
await count();
await page.mouse.down();
let [el, k] = await paced(1000 / 60, (i) => {
	const a = (i / 120) * 2 * Math.PI;
	return page.mouse.move(cx + Math.cos(a) * box.width / 4, cy + Math.sin(a) * box.height / 4);
});
await page.mouse.up();
let [frames, redrawn] = await stop();
say(`panning (mouse drags, ${k} moves at 60 Hz)`, frames, redrawn, el);

await page.mouse.move(cx, cy);
await sleep(500);
await count();
[el, k] = await paced(1000 / 20, (i) => page.mouse.wheel(0, (Math.floor(i / 15) % 2 ? 1 : -1) * 40));
[frames, redrawn] = await stop();
say(`zooming (wheel, ${k} steps at 20 Hz)`, frames, redrawn, el);

// the incident page of the demo's database (DEMO_URL), else this one's,
// until its scope, plan and timeline are on it
const where = process.env.DEMO_URL || base;
if (process.env.DEMO_URL) {
	await page.goto(where + '/');
	await page.locator('#user').fill('lena');
	await page.locator('#password').fill(process.env.PASSWORD);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.locator('header .who').waitFor();
}
const inc = [];
for (let i = 0; i < 3; i++) {
	await page.goto(where + '/#/triage');
	await page.locator('h1').filter({ hasText: 'Triage' }).waitFor();
	const t0 = Date.now();
	await page.goto(where + '/#/incidents/INC-1');
	await page.locator('td.node-name').first().waitFor();
	if (process.env.DEMO_URL) {
		await page.locator('li.step').first().waitFor();
		await page.locator('ol.timeline li').first().waitFor();
	}
	await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
	inc.push(Date.now() - t0);
}
console.log(`incident page${process.env.DEMO_URL ? ' of the demo database' : ''} rendered in ${mid(inc)} ms ` +
	`(median of 3: ${inc.join(', ')} ms; target < 1000 ms)`);

const html = await (await page.request.get(base + '/')).text();
const js = /src="(\/assets\/app\.[A-Za-z0-9]+\.js)"/.exec(html)[1];
const body = await (await page.request.get(base + js)).body();
console.log(`first-load JavaScript ${js}: ${body.length} bytes, ${gzipSync(body, { level: 9 }).length} gzipped (target <= 300 KB)`);
if (errors.length)
	console.log(`page errors: ${errors.join('; ')}`);
await browser.close();
