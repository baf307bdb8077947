// The web workbench in a real browser: Debian's Chromium driven by
// playwright-core (tests/peers), against the nhir serve that
// tests/cli/t0795-web.sh started with the record it made.  Prints one
// line per check, "ok DESCRIPTION" or "not ok DESCRIPTION" with
// "# ..." lines saying why; the shell numbers them as TAP.
//   node workbench.mjs PEERS URL SHOTS
// Environment: PASSWORD_<USER> (each user's password), HOSTILE (the
// hostile string the record holds), OIDC_USER (signs in by OpenID
// Connect when set), CHROMIUM (default /usr/bin/chromium).
import { readFileSync } from 'node:fs';
import { harness } from './lib.mjs';

const [peers, base, shots] = process.argv.slice(2);
const HOSTILE = process.env.HOSTILE;
const t = await harness(peers, base, shots);
const { browser, T0, ok, check, person, signIn, pages, harmless } = t;

const INC = `${base}/#/incidents/INC-1`;
// the step of the plan that does action to the leaked key
const stepOf = (page, action) =>
	page.locator(`li.step[data-action="${action}"][data-target="AKIAEXAMPLEDEPLOY01"]`);

// ---- the sign-in page, and signing in ----
const lena = await person('lena');
await check('the sign-in page is served', async () => {
	lena.allow = [401];
	await lena.page.goto(base + '/');
	await lena.page.locator('#user').waitFor();
	const csp = (await lena.page.request.get(base + '/')).headers()['content-security-policy'];
	return ok('the page has a strict CSP', /script-src 'self'/.test(csp) && !/unsafe/.test(csp), csp);
});
await pages(lena, 'signin', () => lena.page.locator('#user').waitFor());
await check('a wrong password is refused, and the page says so', async () => {
	await lena.page.locator('#user').fill('lena');
	await lena.page.locator('#password').fill('not the password');
	await lena.page.getByRole('button', { name: 'Sign in' }).click();
	await lena.page.locator('.problem').waitFor();
	return /401/.test(await lena.page.locator('.problem').textContent());
});
await check('lena signs in with her password; her name and role are shown', async () => {
	await signIn(lena, 'lena');
	return (await lena.page.locator('header .me').textContent()).includes('lead');
});

// ---- the board, with its hostile title ----
await check('the incident board lists INC-1, its title as text', async () => {
	await lena.page.goto(base + '/#/incidents');
	const title = lena.page.locator('td.incident-title').first();
	await title.waitFor();
	return ok('the title is exactly the hostile string', (await title.textContent()) === HOSTILE,
		await title.textContent());
});
await harmless(lena, 'the board');
await pages(lena, 'board', () => lena.page.locator('td.incident-title').first().waitFor());
await check('the board filters by state', async () => {
	await lena.page.locator('#state-filter').selectOption('closed');
	await lena.page.getByText('No incident in state closed').waitFor();
	await lena.page.locator('#state-filter').selectOption('');
	await lena.page.locator('td.incident-title').first().waitFor();
});

// ---- the triage queue ----
await check('the triage queue shows the findings and their routes', async () => {
	await lena.page.goto(base + '/#/triage');
	await lena.page.getByText('nhi-response').first().waitFor();
	return (await lena.page.locator('main').textContent()).includes(HOSTILE);
});
await harmless(lena, 'the triage queue');
await pages(lena, 'triage', () => lena.page.getByText('nhi-response').first().waitFor());

// ---- the incident page: the lead builds the plan ----
let rendered = 0;
await check('the incident page renders', async () => {
	const t = Date.now();
	await lena.page.goto(INC);
	await lena.page.locator('#scope-h').waitFor();
	await lena.page.locator('td.node-name').first().waitFor();
	rendered = Date.now() - t;
	// a figure, not a verdict: make check shares the machine
	console.log(`# incident page rendered in ${rendered} ms`);
});
await check('a hostile node name in the scope shows as text', async () =>
	(await lena.page.locator('td.node-name').allTextContents()).includes(HOSTILE));
await check('a hostile note shows as text', async () =>
	(await lena.page.locator('.note-text').allTextContents()).includes(HOSTILE));
await check('lena adds a note (hostile too) from the page', async () => {
	await lena.page.getByLabel('New note').fill(HOSTILE + ' (from the page)');
	await lena.page.getByRole('button', { name: 'Add note' }).click();
	await lena.page.locator('.note-text').filter({ hasText: '(from the page)' }).waitFor();
});
await check('the timeline is live: the note is on it', async () =>
	lena.page.locator('ol.timeline li[data-action="note"]').first().waitFor().then(() => true));
await check('lena confirms a proposed scope item', async () => {
	const row = lena.page.locator('tr').filter({ hasText: 'payments-ledger bucket' });
	await row.getByRole('button', { name: /^Confirm/ }).click();
	await row.locator('.badge').filter({ hasText: 'confirmed' }).waitFor();
});
await check('lena builds the containment plan; it is drawn as a graph', async () => {
	await lena.page.getByRole('button', { name: 'Build the plan' }).click();
	await stepOf(lena.page, 'aws.delete-access-key').waitFor();
	await lena.page.locator('.graph canvas').first().waitFor();
	return (await stepOf(lena.page, 'aws.delete-access-key').locator('.approvals').textContent()).includes('0 of 2');
});
await harmless(lena, 'the incident page');

// ---- a second person approves; the first sees it live ----
let alex;
if (process.env.OIDC_USER) {
	alex = await person(process.env.OIDC_USER);
	await check(`${alex.name} signs in by OpenID Connect`, async () => {
		await alex.page.goto(base + '/api/v1/oidc/login');
		await alex.page.locator('input[name="login"]').fill(alex.name);
		await alex.page.locator('input[name="password"]').fill('any');
		await alex.page.locator('button[type="submit"]').first().click();
		// the provider's consent, then the redirect back to nhir
		await alex.page.waitForURL((u) => u.href.startsWith(base) || /consent|interaction/.test(u.href));
		if (!alex.page.url().startsWith(base))
			await alex.page.locator('button[type="submit"]').first().click();
		// nhir's answer moves on to the workbench, signed in
		await alex.page.waitForURL(base + '/');
		alex.errors.length = 0;	/* the provider's pages are not ours */
		await alex.page.locator('header .who').filter({ hasText: alex.name }).waitFor();
		return (await alex.page.locator('header .me').textContent()).includes('approver');
	});
} else {
	alex = await person('alex');
	await check('alex signs in', () => signIn(alex, 'alex'));
}
await check('alex approves the irreversible step; lena sees it without reloading', async () => {
	const url = lena.page.url();
	await alex.page.goto(INC);
	const step = stepOf(alex.page, 'aws.delete-access-key');
	await step.getByRole('textbox').fill('the key is burned');
	await step.getByRole('button', { name: /^Approve/ }).click();
	await step.locator('.approvals').filter({ hasText: '1 of 2' }).waitFor();
	await stepOf(lena.page, 'aws.delete-access-key').locator('.approvals').filter({ hasText: '1 of 2' }).waitFor();
	return ok('on the same page, not reloaded', lena.page.url() === url, lena.page.url());
});
await check('the approval is on lena\'s live timeline', async () =>
	lena.page.locator('ol.timeline li[data-action="approve"]').first().waitFor().then(() => true));
await check('alex approving again is still one approval', async () => {
	const step = stepOf(alex.page, 'aws.delete-access-key');
	await step.getByRole('textbox').fill('again');
	await step.getByRole('button', { name: /^Approve/ }).click();
	await alex.page.locator('ol.timeline li[data-action="approve"]').nth(1).waitFor();
	return (await step.locator('.approvals').textContent()).includes('1 of 2');
});
await check('the proposer cannot give the second approval, and the page says why', async () => {
	lena.allow = [403];
	const step = stepOf(lena.page, 'aws.delete-access-key');
	await step.getByRole('textbox').fill('I need this done');
	await step.getByRole('button', { name: /^Approve/ }).click();
	const why = await step.locator('.problem').textContent();
	lena.allow = [];
	return ok('the server\'s reason: four eyes', /403/.test(why) && /proposed the plan.*four eyes/.test(why), why) &&
		(await step.locator('.approvals').textContent()).includes('1 of 2');
});

// ---- approve all: per step, what was approved and what was refused ----
await check('the proposer\'s "approve all" is refused step by step, and the page says why', async () => {
	const f = lena.page.locator('form[data-act="approve-all"]');
	await f.getByLabel(/^Why/).fill('all of it, now');
	await f.getByRole('button', { name: 'Approve all awaiting me' }).click();
	const items = f.locator('.approve-all-result li');
	await items.first().waitFor();
	const texts = await items.allTextContents();
	const refused = await f.locator('.approve-all-result li[data-approved="no"]').count();
	return ok('every step refused: four eyes', texts.length >= 3 && refused === texts.length &&
		texts.every((x) => /refused.*lena proposed the plan and may not approve its steps \(four eyes\)/.test(x)) &&
		(await stepOf(lena.page, 'aws.delete-access-key').locator('.approvals').textContent()).includes('1 of 2'),
	texts.join('\n'));
});
await check('alex approves all that awaits him; lena sees the approvals without reloading', async () => {
	const url = lena.page.url();
	const deact = stepOf(lena.page, 'aws.deactivate-access-key');
	const before = await deact.locator('.approvals').textContent();
	const f = alex.page.locator('form[data-act="approve-all"]');
	await f.getByLabel(/^Why/).fill('reviewed the plan');
	await f.getByRole('button', { name: 'Approve all awaiting me' }).click();
	const items = f.locator('.approve-all-result li');
	await items.first().waitFor();
	const texts = await items.allTextContents();
	const approved = await f.locator('.approve-all-result li[data-approved="yes"]').count();
	await deact.locator('.approvals').filter({ hasText: '1 of 1' }).waitFor();
	const del = await stepOf(lena.page, 'aws.delete-access-key').locator('.approvals').textContent();
	const delN = await stepOf(lena.page, 'aws.delete-access-key').getAttribute('data-step');
	const tried = await f.locator('.approve-all-result li').evaluateAll((xs) => xs.map((x) => x.dataset.step));
	// the delete he approved already is not asked again; it still needs a second approver
	return ok('approved, live on lena\'s page', before.includes('0 of 1') && approved === texts.length &&
		texts.length >= 2 && !tried.includes(delN) &&
		del.includes('1 of 2') && lena.page.url() === url, texts.join('\n'), before, del);
});

// ---- the plan carried out from the page: dry run, execute, verify ----
const PRESERVE = 'li.step[data-action="generic.preserve-evidence"]';
await check('the dry run of a step shows the exact request, and sends nothing', async () => {
	const step = lena.page.locator(PRESERVE).first();
	await step.getByRole('button', { name: /^Preview request/ }).click();
	const req = await step.locator('pre.request').textContent();
	return ok('the request names the action', req.includes('generic.preserve-evidence'), req);
});
await check('a step that needs no approval runs after a confirmation on the page', async () => {
	const step = lena.page.locator(PRESERVE).first();
	await step.getByRole('button', { name: /^Execute step/ }).click();
	await step.locator('.confirm').waitFor();
	await step.getByRole('button', { name: /^Run step/ }).click();
	await step.locator('.exec-result .badge').filter({ hasText: 'done' }).waitFor();
	await step.locator('.step-head .badge').filter({ hasText: 'done' }).waitFor();
});
await check('with one approval of two, the irreversible step does not run, and the page says why', async () => {
	lena.allow = [409];
	const step = stepOf(lena.page, 'aws.delete-access-key');
	const eyes = await step.locator('.four-eyes').textContent();
	await step.getByRole('button', { name: /^Execute step/ }).click();
	await step.getByRole('button', { name: /^Run step/ }).click();
	const why = await step.locator('.problem').textContent();
	lena.allow = [];
	return ok('four eyes explained before, the server\'s refusal after',
		/four eyes/i.test(eyes) && /1 more needed/.test(eyes) && /409/.test(why) &&
		(await step.locator('.step-head .badge').first().textContent()) === 'planned', eyes, why);
});
await check('a plan changed between the preview and the confirmation runs nothing; the page shows the new next step', async () => {
	const box = lena.page.locator('.next-step');
	await box.getByRole('button', { name: 'Next step…' }).click();
	const conf = box.locator('.confirm');
	await conf.waitFor();
	const before = await conf.locator('p').first().textContent();
	// the lead skips that step from elsewhere (the API, her session)
	const r = await lena.page.evaluate(async () => {
		const s = await (await fetch('/api/v1/session')).json();
		const res = await fetch('/api/v1/incidents/INC-1/plan/edit', {
			method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
			body: JSON.stringify({ op: 'skip', step: 2, why: 'the owner was told by phone',
				accept_risk: 'the steps after it wait for no one' }),
		});
		return `${res.status} ${await res.text()}`;
	});
	if (!r.startsWith('200 '))
		return ok('the lead skips step 2', false, r);
	// the confirmation names what was previewed; the server refuses it
	const refused = lena.page.waitForResponse((res) => res.url().endsWith('/incidents/INC-1/execute') &&
		(res.request().postData() || '').includes('"confirm":true'));
	lena.allow = [409];
	await box.getByRole('button', { name: 'Run step 2' }).click();
	const res = await refused;
	const sent = JSON.parse(res.request().postData());
	const answer = await res.json().catch(() => null);
	await box.locator('.problem').filter({ hasText: 'The plan changed' }).waitFor();
	const after = await conf.locator('p').nth(1).textContent();
	lena.allow = [];
	return ok('step 2 previewed, skipped, not run; step 3 shown', /step 2\./.test(before) &&
		/step 3\./.test(after) && (await box.locator('.next-result').count()) === 0, before, r, after) &&
		ok('sent with step 2 and the preview\'s request digest; refused 409 naming "step"',
			sent.step === 2 && /^[0-9a-f]{64}$/.test(sent.request_sha256) && res.status() === 409 &&
			answer && answer.field === 'step' && answer.step === 3, JSON.stringify(sent), res.status(),
			JSON.stringify(answer));
});
await check('lena runs the next step the server chooses; alex sees it done without reloading', async () => {
	const box = lena.page.locator('.next-step');
	const conf = box.locator('.confirm');
	const head = await conf.locator('p').filter({ hasText: 'The next step ready' }).textContent();
	const n = (/step (\d+)/.exec(head) || [])[1];
	const req = await conf.locator('pre.request').textContent();
	const ran = lena.page.waitForResponse((res) => res.url().endsWith('/incidents/INC-1/execute') &&
		(res.request().postData() || '').includes('"confirm":true'));
	await box.getByRole('button', { name: `Run step ${n}` }).click();
	const res = await ran;
	const sent = JSON.parse(res.request().postData());
	await box.locator('.next-result .badge').filter({ hasText: 'done' }).waitFor();
	const action = await lena.page.locator(`li.step[data-step="${n}"]`).getAttribute('data-action');
	await alex.page.locator(`li.step[data-step="${n}"] .step-head .badge`).filter({ hasText: 'done' }).waitFor();
	return ok('the next step ready, not the irreversible one', n === '3' &&
		action === 'generic.notify-owner' && req.includes(action), head, req, action) &&
		ok('bound to the step and request previewed', sent.step === 3 &&
			/^[0-9a-f]{64}$/.test(sent.request_sha256) && res.status() === 200, JSON.stringify(sent),
			res.status());
});
await check('verification runs every confirmed revocation\'s probe, its result shown', async () => {
	await lena.page.getByRole('button', { name: 'Verify revocations' }).click();
	return /probed/.test(await lena.page.locator('.verify-result').textContent());
});
await check('a session that cannot be revoked is counted down to its expiry', async () => {
	const row = lena.page.locator('ul.residual li[data-node="ASIAEXAMPLELIVE"]');
	const a = await row.locator('.countdown .left').textContent();
	// a second later (a busy machine's timer may be late: up to 5 s)
	let b = a;
	for (let i = 0; i < 25 && b === a; i++) {
		await lena.page.waitForTimeout(200);
		b = await row.locator('.countdown .left').textContent();
	}
	return ok('about three hours, ticking', /^0?2:5\d:\d\d$/.test(a) && a !== b, a, b);
});

// ---- the watch after containment ----
await check('lena starts a watch from the incident page; it reads open', async () => {
	const f = lena.page.locator('form[data-act="watch-start"]');
	await f.getByLabel(/^Watch for/).fill('1h');
	await f.getByRole('button', { name: 'Start watch' }).click();
	await lena.page.locator('dl.watch[data-open="true"]').waitFor();
	return ok('by lena, for an hour', (await lena.page.locator('dl.watch').textContent()).includes('by lena, for 3600 s'),
		await lena.page.locator('dl.watch').textContent());
});
await check('lena ends it: its verdict is shown, incomplete (ended early)', async () => {
	await lena.page.getByRole('button', { name: 'End watch now' }).click();
	await lena.page.locator('dl.watch[data-open="false"] .watch-verdict').waitFor();
	const v = await lena.page.locator('.watch-verdict').textContent();
	return ok('stopped by request', /incomplete|uses-after-cut/.test(v) && v.includes('stopped: request'), v);
});

// ---- decisions, tasks, evidence ----
await check('lena records a decision (hostile text shows as text)', async () => {
	const f = lena.page.locator('form[data-act="decision"]');
	await f.getByLabel('Decision').fill(HOSTILE);
	await f.getByLabel('Why').fill('the key is public');
	await f.getByRole('button', { name: 'Record decision' }).click();
	await lena.page.locator('.decision-what').filter({ hasText: 'onerror' }).waitFor();
	return (await lena.page.locator('.decision-what').allTextContents()).includes(HOSTILE);
});
await check('lena accepts a risk as the lead', async () => {
	const f = lena.page.locator('form[data-act="decision"]');
	await f.getByLabel('Decision').fill('leave the old sessions to expire');
	await f.getByLabel('Why').fill('they cannot be revoked');
	await f.getByLabel('The lead accepts this risk').check();
	await f.getByRole('button', { name: 'Record decision' }).click();
	await lena.page.locator('ul.decisions li[data-kind="risk-acceptance"]').waitFor();
});
await check('lena adds a task for rory and one for herself, and marks hers done', async () => {
	const f = lena.page.locator('form[data-act="task"]');
	await f.getByLabel('New task').fill('rotate the CI secret');
	await f.getByLabel(/^Owner/).fill('rory');
	await f.getByRole('button', { name: 'Add task' }).click();
	await lena.page.locator('.task-title').filter({ hasText: 'rotate the CI secret' }).waitFor();
	await f.getByLabel('New task').fill(HOSTILE);
	await f.getByLabel(/^Owner/).fill('lena');
	await f.getByRole('button', { name: 'Add task' }).click();
	const mine = lena.page.locator('ul.tasks li').filter({ hasText: 'onerror' });
	await mine.waitFor();
	await mine.getByRole('button', { name: /^Mark task .* done$/ }).click();
	await lena.page.locator('ul.tasks li[data-status="done"]').filter({ hasText: 'onerror' }).waitFor();
	return ok('its title is text', (await lena.page.locator('.task-title').allTextContents()).includes(HOSTILE));
});
const EVNAME = '<img src=x onerror=alert(3)>.txt';
let evHash = '';
await check('lena uploads evidence; the hash the server kept is shown, and matches the browser\'s', async () => {
	const f = lena.page.locator('form[data-act="evidence"]');
	await f.getByLabel('Evidence file').setInputFiles({ name: EVNAME, mimeType: 'text/plain',
		buffer: Buffer.from('evidence from the page\n') });
	await f.getByLabel(/^Where it was collected/).fill('copied from the CI log');
	await f.getByRole('button', { name: 'Upload evidence' }).click();
	const up = await lena.page.locator('.uploaded').textContent();
	evHash = (/[0-9a-f]{64}/.exec(up) || [''])[0];
	const want = (await import('node:crypto')).createHash('sha256').update('evidence from the page\n').digest('hex');
	return ok('the SHA-256 of the bytes, computed here too', evHash === want &&
		up.includes('the hash this browser computed'), up);
});
await check('the evidence is listed with its hash and custody; its name is text', async () => {
	const item = lena.page.locator('ul.evidence li').filter({ hasText: evHash });
	await item.waitFor();
	await item.locator('summary').click();
	const custody = await item.locator('ol.custody').textContent();
	return ok('collected by lena', custody.includes('collected') && custody.includes('lena') &&
		(await item.locator('a').textContent()) === EVNAME, custody);
});
await check('the evidence downloads, its bytes unchanged; the download is on its custody', async () => {
	const item = lena.page.locator('ul.evidence li').filter({ hasText: evHash });
	const [dl] = await Promise.all([lena.page.waitForEvent('download'), item.locator('a').click()]);
	const bytes = readFileSync(await dl.path());
	await item.locator('ol.custody li').filter({ hasText: 'downloaded' }).waitFor();
	return ok('the same bytes', bytes.toString() === 'evidence from the page\n', bytes.toString());
});
await harmless(lena, 'the incident page\'s record');
await pages(lena, 'incident', () => stepOf(lena.page, 'aws.delete-access-key').waitFor());

// ---- an observer changes nothing; a forged request is refused ----
const olga = await person('olga');
await check('olga (observer) sees no button that changes anything', async () => {
	await signIn(olga, 'olga');
	await olga.page.goto(INC);
	await stepOf(olga.page, 'aws.delete-access-key').waitFor();
	await olga.page.locator('.note-text').first().waitFor();
	const buttons = await olga.page.locator('main button, main form, main input, main textarea').count();
	const header = await olga.page.locator('header button').allTextContents();
	return ok('only sign out', buttons === 0 && header.join() === 'Sign out', `${buttons} controls in main`, header.join());
});
// the same page with fewer controls: axe has seen it
await pages(olga, 'incident-observer', () => stepOf(olga.page, 'aws.delete-access-key').waitFor(), false);
await check('a request without the CSRF token is refused (403), even for lena', async () => {
	lena.allow = [403];
	const r = await lena.page.evaluate(async () => {
		const res = await fetch('/api/v1/incidents/INC-1/notes', {
			method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ text: 'forged' }),
		});
		return { status: res.status, body: await res.text() };
	});
	lena.allow = [];
	return ok('403 problem+json', r.status === 403 && /CSRF|csrf/.test(r.body), JSON.stringify(r));
});
await check('an observer\'s request is refused (403) with the token too', async () => {
	olga.allow = [403];
	const r = await olga.page.evaluate(async () => {
		const s = await (await fetch('/api/v1/session')).json();
		const res = await fetch('/api/v1/incidents/INC-1/notes', {
			method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
			body: JSON.stringify({ text: 'observer was here' }),
		});
		return { status: res.status, body: await res.text() };
	});
	olga.allow = [];
	return ok('403', r.status === 403, JSON.stringify(r));
});
await check('an observer\'s "approve all" is refused (403) and approves nothing', async () => {
	olga.allow = [403];
	const r = await olga.page.evaluate(async () => {
		const s = await (await fetch('/api/v1/session')).json();
		const res = await fetch('/api/v1/incidents/INC-1/approve', {
			method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
			body: JSON.stringify({ why: 'observer was here' }),
		});
		const plan = await (await fetch('/api/v1/incidents/INC-1/plan')).json();
		return { status: res.status, body: await res.text(),
			del: plan.steps.filter((x) => x.action === 'aws.delete-access-key' &&
				x.target === 'AKIAEXAMPLEDEPLOY01').map((x) => x.approvals) };
	});
	olga.allow = [];
	return ok('403, the delete still at one approval', r.status === 403 && /NHIR_EDENIED/.test(r.body) &&
		r.del.length === 1 && r.del[0] === 1, JSON.stringify(r));
});
await check('neither forged note is on the record', async () => {
	await lena.page.reload();
	await lena.page.locator('.note-text').first().waitFor();
	const notes = await lena.page.locator('.note-text').allTextContents();
	return ok('no forged note', !notes.includes('forged') && !notes.includes('observer was here'), notes.join('\n'));
});
await check('residual access is shown', async () => {
	await lena.page.locator('#res-h').waitFor();
	return (await lena.page.locator('ul.residual li').count()) > 0;
});

// ---- a credential: use over time, lineage, timeline ----
await check('the credential page draws its use over time and its lineage', async () => {
	await lena.page.goto(INC);
	await lena.page.getByRole('link', { name: 'ci-deployer key 1' }).click();
	await lena.page.locator('.chart canvas').first().waitFor();
	await lena.page.locator('.graph canvas').first().waitFor();
	return ok('what it minted is in the lineage',
		(await lena.page.locator('ul.lineage').textContent()).includes('ASIAEXAMPLESESSION1'));
});
await check('its timeline filters by outcome and action', async () => {
	const rows = lena.page.locator('table.timeline-table tbody tr');
	const all = await rows.count();
	await lena.page.locator('#tl-outcome').selectOption('failure');
	const failed = await rows.count();
	await lena.page.locator('#tl-outcome').selectOption('');
	await lena.page.getByLabel('Action contains').fill('AssumeRole');
	const assume = await rows.allTextContents();
	await lena.page.getByLabel('Action contains').fill('');
	return ok('fewer rows, the right ones', all > 0 && failed > 0 && failed < all &&
		assume.length > 0 && assume.every((r) => r.includes('AssumeRole')), `${all} ${failed} ${assume.length}`);
});
await harmless(lena, 'the credential page');
await pages(lena, 'credential', () => lena.page.locator('.chart canvas').first().waitFor());

// ---- the blast-radius explorer ----
await check('the blast explorer draws the seed\'s radius and lists it as text', async () => {
	await lena.page.goto(INC);
	await lena.page.getByRole('link', { name: 'Blast radius of the seeds' }).click();
	await lena.page.locator('.graph canvas').first().waitFor();
	await lena.page.locator('td.node-name').filter({ hasText: 'payments-ledger bucket' }).waitFor();
	return ok('a hostile node name is text there too',
		(await lena.page.locator('td.node-name').allTextContents()).includes(HOSTILE));
});
await check('a row\'s path button shows the path that brought it in', async () => {
	await lena.page.getByRole('button', { name: 'Path to payments-ledger bucket' }).click();
	const path = await lena.page.locator('.path-text').textContent();
	return ok('from the seed, edge by edge', path.startsWith('AKIAEXAMPLEDEPLOY01 -authenticates->') &&
		path.endsWith('-can-> arn:aws:s3:::payments-ledger'), path);
});
await check('the explorer filters by group', async () => {
	await lena.page.getByLabel(/^ resources/).uncheck();
	await lena.page.locator('td.node-name').filter({ hasText: 'payments-ledger bucket' }).waitFor({ state: 'detached' });
	await lena.page.getByLabel(/^ resources/).check();
	await lena.page.locator('td.node-name').filter({ hasText: 'payments-ledger bucket' }).waitFor();
});
await check('the drawing exports as PNG and as SVG; in the SVG a hostile name is text', async () => {
	const [png] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('button', { name: 'Export PNG' }).click()]);
	const pb = readFileSync(await png.path());
	const [svg] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('button', { name: 'Export SVG' }).click()]);
	const sb = readFileSync(await svg.path(), 'utf8');
	return ok('a PNG, and an SVG with the labels, escaped', pb.subarray(1, 4).toString() === 'PNG' &&
		png.suggestedFilename().endsWith('.png') && svg.suggestedFilename().endsWith('.svg') &&
		/<svg[\s>]/.test(sb) && sb.includes('payments-ledger bucket') && sb.includes('&lt;img src=x') &&
		!sb.includes('<img') && !sb.includes('<script'), png.suggestedFilename(), svg.suggestedFilename(), sb.slice(0, 300));
});
await check('the time slider asks for the radius at an earlier time', async () => {
	await lena.page.locator('#blast-at').fill('30');
	await lena.page.getByRole('button', { name: 'Show' }).click();
	await lena.page.waitForURL(/at=/);
	await lena.page.locator('td.node-name').first().waitFor();
});
await harmless(lena, 'the blast explorer');
await pages(lena, 'blast', () => lena.page.locator('.graph canvas').first().waitFor());

// ---- a large radius: sigma.js with WebGL ----
await check('a large radius is drawn with WebGL (sigma.js), every node', async () => {
	await lena.page.goto(`${base}/#/blast?ref=AKIAEXAMPLEBIGRADIUS`);
	const g = lena.page.locator('.graph[data-renderer="sigma"]');
	await g.waitFor();
	const drawn = Number(await g.getAttribute('data-drawn'));
	const canvases = await g.locator('canvas').count();
	return ok('802 nodes on WebGL canvases', drawn === 802 && canvases > 0, drawn, canvases);
});
await check('on the large drawing a row\'s path is highlighted', async () => {
	await lena.page.getByRole('button', { name: 'Path to big bucket 12', exact: true }).click();
	const path = await lena.page.locator('.path-text').textContent();
	return ok('from the big key', path === 'AKIAEXAMPLEBIGRADIUS -authenticates-> arn:aws:iam::111122223333:user/big ' +
		'-can-> arn:aws:s3:::big-12', path);
});
await check('the large drawing exports as PNG and as SVG, nothing hostile in it', async () => {
	const [png] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('button', { name: 'Export PNG' }).click()]);
	const pb = readFileSync(await png.path());
	const [svg] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('button', { name: 'Export SVG' }).click()]);
	const sb = readFileSync(await svg.path(), 'utf8');
	return ok('a PNG and an SVG', pb.subarray(1, 4).toString() === 'PNG' && /<svg[\s>]/.test(sb) &&
		!sb.includes('<img') && !sb.includes('<script'), pb.length, sb.length, sb.slice(0, 300));
});
await harmless(lena, 'the large blast radius');
await pages(lena, 'blast-large', () => lena.page.locator('.graph[data-renderer="sigma"]').waitFor());

// ---- the report: its HTML, JSON, downloads, signature ----
await check('the report page shows the server\'s HTML in a frame where nothing runs', async () => {
	await lena.page.goto(INC);
	await lena.page.getByRole('link', { name: 'Report', exact: true }).click();
	const frame = lena.page.frameLocator('iframe.report-view');
	await frame.locator('h1').waitFor();
	const h1 = await frame.locator('h1').textContent();
	const sandbox = await lena.page.locator('iframe.report-view').getAttribute('sandbox');
	return ok('its title as text; sandboxed', h1 === `INC-1: ${HOSTILE}` && sandbox === '', h1, sandbox);
});
await check('the report\'s JSON is on the page', async () => {
	await lena.page.getByText('The report as JSON').click();
	return JSON.parse(await lena.page.locator('pre.report-json').textContent()).incident.id === 'INC-1';
});
await check('the report downloads as HTML', async () => {
	const [dl] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('link', { name: 'Download HTML' }).click()]);
	return ok('an HTML document', /^<!DOCTYPE html>/.test(readFileSync(await dl.path(), 'utf8')));
});
await check('lena signs the report; the browser checks the signature and names the key', async () => {
	await lena.page.getByRole('button', { name: 'Sign the report' }).click();
	const st = await lena.page.locator('.sig-result .sig-status').textContent();
	return ok('it holds', /signature holds/.test(st) && /sha256:[0-9a-f]{32}/.test(st), st);
});
await check('the signed report downloads', async () => {
	const [dl] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('button', { name: 'Download the signed report' }).click()]);
	await dl.saveAs(process.env.SIGNED_OUT);
	return JSON.parse(readFileSync(process.env.SIGNED_OUT, 'utf8')).signature.algorithm === 'Ed25519';
});
await harmless(lena, 'the report page');
await pages(lena, 'report', () => lena.page.frameLocator('iframe.report-view').locator('h1').waitFor());

// ---- metrics ----
await check('the metrics page draws the times to each stage and what is still valid, with tables', async () => {
	await lena.page.getByRole('link', { name: 'Metrics' }).click();
	await lena.page.locator('.chart canvas').nth(3).waitFor();
	const row = lena.page.locator('table.per-incident tr[data-incident="INC-1"]');
	const declared = await row.locator('td[data-stage="declaration"]').textContent();
	const detected = await row.locator('td[data-stage="detection"]').textContent();
	const sev = await lena.page.locator('table.medians tr[data-group="critical"] td[data-stage="declaration"]').first().textContent();
	return ok('declared at once; detection unknown, not zero', declared === '0 min' && detected === 'unknown' &&
		sev === '0 min', declared, detected, sev);
});
await check('the days after notice are asked of the server', async () => {
	await lena.page.locator('#m-days').fill('30');
	await lena.page.getByRole('button', { name: 'Show' }).click();
	await lena.page.locator('.metrics-count').filter({ hasText: '30 days after notice' }).waitFor();
	return (await lena.page.locator('table.still-valid td').first().textContent()) === 'unknown';
});
await pages(lena, 'metrics', () => lena.page.locator('.chart canvas').nth(3).waitFor());

// ---- sign out ----
await check('lena signs out; the page is the sign-in form again', async () => {
	lena.allow = [401];
	await lena.page.getByRole('button', { name: 'Sign out' }).click();
	await lena.page.locator('#user').waitFor();
	await lena.page.reload();
	await lena.page.locator('#user').waitFor();
});

for (const p of [lena, alex, olga])
	ok(`no console error on ${p.name}'s pages, no dialog`, p.errors.length === 0 && p.dialogs.length === 0,
		...p.errors, ...p.dialogs);
await browser.close();
console.log(`# browser suite took ${Date.now() - T0} ms`);
process.exit(t.failures ? 1 : 0);
