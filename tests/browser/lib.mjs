// What the browser tests share: Debian's Chromium driven by
// playwright-core (tests/peers), TAP-like lines ("ok DESCRIPTION" or
// "not ok DESCRIPTION" with "# ..." lines saying why; the shell numbers
// them), people as browser contexts of their own whose console errors
// and dialogs are kept, signing in by password, axe-core, screenshots
// at both sizes, light and dark, and the hostile-string check.
//   const t = await harness(peers, base, shots);
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';

export async function harness(peers, base, shots) {
	const require = createRequire(peers + '/node_modules/');
	const { chromium } = require('playwright-core');
	const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
	const SIZES = { wide: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } };
	const T0 = Date.now();
	mkdirSync(shots, { recursive: true });

	const t = { failures: 0 };
	function ok(desc, cond, ...why) {
		console.log(`${cond ? 'ok' : 'not ok'} ${desc}`);
		if (!cond) {
			t.failures++;
			for (const w of why)
				for (const l of String(w).split('\n'))
					console.log(`# ${l}`);
		}
		return cond;
	}
	async function check(desc, fn) {
		const t = Date.now();
		try {
			const r = await fn();
			if (Date.now() - t > 2000)
				console.log(`# ${desc}: ${Date.now() - t} ms`);
			return ok(desc, r !== false, r === false ? 'false' : '');
		} catch (e) {
			return ok(desc, false, (e && e.stack) || e);
		}
	}

	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		timeout: 30000,
	});

	// One person: a browser context of its own (cookies apart), whose
	// page's console errors, page errors and dialogs are kept.
	async function person(name, opts = {}) {
		const context = await browser.newContext({ viewport: SIZES.wide, ...opts });
		context.setDefaultTimeout(20000);
		const page = await context.newPage();
		const p = { name, context, page, errors: [], dialogs: [], allow: [] };
		page.on('console', (m) => {
			if (m.type() !== 'error')
				return;
			const t = m.text();
			// a refusal the test asks for is logged by Chromium as a failed load
			const st = /status of (\d{3})/.exec(t);
			if (st && p.allow.includes(Number(st[1])))
				return;
			p.errors.push(`${page.url()}: ${t}`);
		});
		page.on('pageerror', (e) => p.errors.push(`${page.url()}: page error ${e.message}`));
		page.on('dialog', (d) => {
			p.dialogs.push(d.message());
			d.dismiss().catch(() => {});
		});
		return p;
	}

	async function signIn(p, user) {
		p.allow = [401];
		await p.page.goto(base + '/');
		await p.page.locator('#user').fill(user);
		await p.page.locator('#password').fill(process.env[`PASSWORD_${user.toUpperCase()}`]);
		await p.page.getByRole('button', { name: 'Sign in' }).click();
		await p.page.locator('header .who').filter({ hasText: user }).waitFor();
		p.allow = [];
	}

	// axe-core, evaluated in the page (the page's CSP forbids inline
	// scripts; the evaluation is the browser's own).
	async function axe(p, what) {
		await p.page.evaluate(axeSource);
		const r = await p.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
		const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
		return ok(`axe: no serious or critical violation on ${what}`, bad.length === 0,
			...bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
	}

	// Screenshots at both sizes, light (the whole page) and dark (what
	// shows first), and axe on each but the phone's dark one.
	async function pages(p, what, ready, axeToo = true) {
		try {
			await shoot(p, what, ready, axeToo);
		} catch (e) {
			ok(`screenshots of ${what}`, false, (e && e.stack) || e);
		}
	}
	async function shoot(p, what, ready, axeToo) {
		const t = Date.now();
		for (const scheme of ['light', 'dark']) {
			await p.page.emulateMedia({ colorScheme: scheme });
			for (const [size, vp] of Object.entries(SIZES)) {
				await p.page.setViewportSize(vp);
				await ready();
				await p.page.evaluate(() => scrollTo(0, 0));
				const t1 = Date.now();
				await p.page.screenshot({ path: `${shots}/${what}-${size}-${scheme}.png`,
					fullPage: scheme === 'light' });
				const t2 = Date.now();
				if (axeToo && (size === 'wide' || scheme === 'light'))
					await axe(p, `${what} (${size}, ${scheme})`);
				if (process.env.TIMES)
					console.log(`# ${what} ${size} ${scheme}: screenshot ${t2 - t1} ms, axe ${Date.now() - t2} ms`);
			}
		}
		await p.page.emulateMedia({ colorScheme: 'light' });
		await p.page.setViewportSize(SIZES.wide);
		console.log(`# ${what}: screenshots and axe in ${Date.now() - t} ms`);
	}

	// Nothing hostile ran: no dialog, no flag set, no element made from it.
	async function harmless(p, where) {
		const r = await p.page.evaluate(() => ({
			pwned: window.__pwned === undefined ? null : String(window.__pwned),
			img: document.querySelectorAll('img[src="x"], img[onerror]').length,
			script: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
		}));
		return ok(`hostile strings on ${where} show as text and run nothing`,
			r.pwned === null && r.img === 0 && r.script === 0 && p.dialogs.length === 0,
			JSON.stringify(r), p.dialogs.join('\n'));
	}
	Object.assign(t, { chromium, browser, SIZES, T0, ok, check, person, signIn, axe, pages, harmless });
	return t;
}
