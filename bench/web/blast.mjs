// The blast explorer drawing a large radius, measured in Chromium:
//   node blast.mjs PEERS URL SEED NODES SECONDS
// signs in as lena ($PASSWORD), then prints: the time from asking for
// the radius to the graph drawn; frames per second (requestAnimationFrame
// in the page) while the mouse drags the view, and while the wheel
// zooms; the incident page's render; the first-load script's size.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const [peers, base, seed, nodes, secs] = process.argv.slice(2);
const require = createRequire(peers + '/node_modules/');
const { chromium } = require('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
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
const took = [];
for (let i = 0; i < 3; i++) {
	await page.goto(base + '/#/incidents');
	await page.locator('h1').filter({ hasText: 'Incidents' }).waitFor();
	const t = Date.now();
	await page.goto(`${base}/#/blast?ref=${seed}`);
	await page.locator('.graph[data-drawn]').waitFor();
	await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
	took.push(Date.now() - t);
}
took.sort((a, b) => a - b);
const drawn = await page.locator('.graph').getAttribute('data-drawn');
console.log(`blast explorer, ${drawn} nodes drawn (radius of ${nodes}): rendered in ${took[1]} ms ` +
	`(median of 3: ${took.join(', ')} ms; target < 1000 ms)`);

// frames counted in the page while the view moves
const count = () => page.evaluate(() => {
	window.__frames = 0;
	const tick = () => { window.__frames++; window.__raf = requestAnimationFrame(tick); };
	window.__raf = requestAnimationFrame(tick);
});
const stop = () => page.evaluate(() => { cancelAnimationFrame(window.__raf); return window.__frames; });
const box = await page.locator('.graph').boundingBox();
const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
const ms = Number(secs) * 1000;

await page.mouse.move(cx, cy);
await count();
let t = Date.now(), k = 0;
await page.mouse.down();
while (Date.now() - t < ms) {
	k++;
	const a = k / 20;
	await page.mouse.move(cx + Math.cos(a) * box.width / 4, cy + Math.sin(a) * box.height / 4);
}
await page.mouse.up();
let frames = await stop();
let el = (Date.now() - t) / 1000;
console.log(`panning (mouse drags, ${k} moves): ${(frames / el).toFixed(1)} frames/s over ${el.toFixed(1)} s (target >= 30)`);

await count();
t = Date.now();
k = 0;
while (Date.now() - t < ms) {
	k++;
	await page.mouse.wheel(0, (Math.floor(k / 15) % 2 ? 1 : -1) * 40);
}
frames = await stop();
el = (Date.now() - t) / 1000;
console.log(`zooming (wheel, ${k} steps): ${(frames / el).toFixed(1)} frames/s over ${el.toFixed(1)} s (target >= 30)`);

// the incident page
const inc = [];
for (let i = 0; i < 3; i++) {
	await page.goto(base + '/#/triage');
	await page.locator('h1').filter({ hasText: 'Triage' }).waitFor();
	const t0 = Date.now();
	await page.goto(base + '/#/incidents/INC-1');
	await page.locator('td.node-name').first().waitFor();
	inc.push(Date.now() - t0);
}
inc.sort((a, b) => a - b);
console.log(`incident page rendered in ${inc[1]} ms (median of 3: ${inc.join(', ')} ms; target < 1000 ms)`);

const html = await (await page.request.get(base + '/')).text();
const js = /src="(\/assets\/app\.[A-Za-z0-9]+\.js)"/.exec(html)[1];
const body = await (await page.request.get(base + js)).body();
console.log(`first-load JavaScript ${js}: ${body.length} bytes, ${gzipSync(body, { level: 9 }).length} gzipped (target <= 300 KB)`);
if (errors.length)
	console.log(`page errors: ${errors.join('; ')}`);
await browser.close();
