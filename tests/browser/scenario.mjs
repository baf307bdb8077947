// Scenario 01 (examples/scenarios/01-ci-key-public-repo) carried out in
// the browser alone, from the triage queue to the signed report, by four
// people in browser contexts of their own: rory (responder) declares
// and runs the plan, lena (lead) scopes, plans, decides and closes, alex
// and ben (approvers) give the two approvals four eyes asks for.  The
// record was fed by the harness (inventory, logs, the scanner's alerts):
// everything a person does is done here, through the page.
//   node scenario.mjs PEERS URL SHOTS
// Environment: PASSWORD_<USER>, SIGNED_OUT (where the signed report is
// saved), EVIDENCE (a file to upload), CHROMIUM.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { harness } from './lib.mjs';

const [peers, base, shots] = process.argv.slice(2);
const t = await harness(peers, base, shots);
const { browser, T0, ok, check, person, signIn, axe, pages } = t;
const INC = `${base}/#/incidents/INC-1`;
const KEY = 'AKIAEXAMPLEDEPLOY01';

const rory = await person('rory');
const lena = await person('lena');
const alex = await person('alex');
const ben = await person('ben');
for (const p of [rory, lena, alex, ben])
	await check(`${p.name} signs in`, () => signIn(p, p.name));

// ---- triage: the alert, routed; an incident declared from it ----
await check('the scanner\'s alert is in the triage queue, routed to the dedicated team', async () => {
	await rory.page.goto(base + '/#/triage');
	const row = rory.page.locator('tr[data-finding="1"]');
	await row.waitFor();
	const text = await row.textContent();
	return ok('nhi-response, by the privileged-credential rule', text.includes(KEY) &&
		text.includes('nhi-response') && text.includes('privileged-credential'), text);
});
await check('rory declares the incident from finding 1, lena its lead', async () => {
	const f = rory.page.locator('form[data-act="declare"]');
	await f.getByLabel('Finding').selectOption('1');
	await f.getByLabel('Title').fill('CI deploy key in a public repository');
	await f.getByLabel('Severity').selectOption('critical');
	await f.getByLabel('Lead').selectOption('lena');
	await f.getByLabel(/^Exposed at/).fill('2024-05-01T09:00:00Z');
	await f.getByRole('button', { name: 'Declare' }).click();
	await rory.page.waitForURL(/#\/incidents\/INC-1$/);
	await rory.page.locator('h1 .incident-title').filter({ hasText: 'CI deploy key in a public repository' }).waitFor();
	return ok('the key is the seed', (await rory.page.locator('tr').filter({ hasText: KEY }).first().textContent()).includes('seed'));
});

// ---- the lead: state, scope, residual access ----
await check('lena sees the new incident on the board and opens it', async () => {
	await lena.page.goto(base + '/#/incidents');
	await lena.page.getByRole('link', { name: 'INC-1' }).click();
	await lena.page.locator('#scope-h').waitFor();
});
await check('lena moves it to investigating, saying why', async () => {
	const f = lena.page.locator('form[data-act="state"]');
	await f.getByLabel('Why').fill('alert confirmed');
	await f.getByRole('button', { name: 'Change state' }).click();
	await lena.page.locator('dl.summary .badge').filter({ hasText: 'investigating' }).waitFor();
});
// (the sessions the key minted have expired on the real clock: the
// blast radius proposes only what lives, and the key it created)
for (const ref of ['AKIAEXAMPLEBACKDOOR'])
	await check(`lena confirms ${ref} in scope (what the key created)`, async () => {
		const row = lena.page.locator('tr').filter({ has: lena.page.locator('td.mono', { hasText: new RegExp(`^${ref}$`) }) });
		await row.getByRole('button', { name: /^Confirm/ }).click();
		await row.locator('.badge').filter({ hasText: 'confirmed' }).waitFor();
	});
await check('not contained: the key and what it created are still reachable', async () => {
	await lena.page.locator('#res-h').waitFor();
	const p = await lena.page.locator('#res-h + p').textContent();
	const key = await lena.page.locator(`ul.residual li[data-node="${KEY}"]`).textContent();
	return ok('the key, valid until revoked', /^Not contained/.test(p) && key.includes('valid until revoked'), p, key);
});

// ---- the record: a decision, a task, evidence ----
await check('lena records a decision and gives rory a task', async () => {
	const d = lena.page.locator('form[data-act="decision"]');
	await d.getByLabel('Decision').fill('Rotate and redeploy before the key is revoked');
	await d.getByLabel('Why').fill('the payments deploy still uses the key');
	await d.getByRole('button', { name: 'Record decision' }).click();
	await lena.page.locator('.decision-what').filter({ hasText: 'Rotate and redeploy' }).waitFor();
	const k = lena.page.locator('form[data-act="task"]');
	await k.getByLabel('New task').fill('Revoke the sessions minted since 09:00');
	await k.getByLabel(/^Owner/).fill('rory');
	await k.getByRole('button', { name: 'Add task' }).click();
	await lena.page.locator('.task-title').filter({ hasText: 'Revoke the sessions' }).waitFor();
});
await check('rory sees his task live, uploads the CloudTrail evidence and marks the task done', async () => {
	const task = rory.page.locator('ul.tasks li').filter({ hasText: 'Revoke the sessions' });
	await task.waitFor();
	const f = rory.page.locator('form[data-act="evidence"]');
	await f.getByLabel('Evidence file').setInputFiles(process.env.EVIDENCE);
	await f.getByLabel(/^Where it was collected/).fill('CloudTrail, account 111122223333');
	await f.getByRole('button', { name: 'Upload evidence' }).click();
	const up = await rory.page.locator('.uploaded').textContent();
	await task.getByRole('button', { name: /^Mark task .* done$/ }).click();
	await rory.page.locator('ul.tasks li[data-status="done"]').filter({ hasText: 'Revoke the sessions' }).waitFor();
	return ok('its hash, the browser\'s too', up.includes(basename(process.env.EVIDENCE)) &&
		up.includes('the hash this browser computed'), up);
});

// ---- the plan: built by the lead, approved by two others ----
const steps = (p) => p.page.locator('ol.steps > li.step');
let plan = [];
await check('lena builds the plan: rotate and redeploy before the key is deactivated', async () => {
	await lena.page.getByRole('button', { name: 'Build the plan' }).click();
	await lena.page.locator('li.step[data-action="aws.deactivate-access-key"]').first().waitFor();
	plan = await steps(lena).evaluateAll((ls) => ls.map((l) => ({ n: Number(l.dataset.step),
		action: l.dataset.action, target: l.dataset.target })));
	const n = (a, tg) => (plan.find((s) => s.action === a && (tg === undefined || s.target === tg)) || {}).n;
	const redeploy = n('generic.redeploy-workload', 'github:acme/payments-api:deploy');
	const deact = n('aws.deactivate-access-key', KEY);
	const rotate = n('generic.rotate-secret', 'github:acme/payments-api:secret:AWS_ACCESS_KEY_ID');
	const backdoor = n('aws.deactivate-access-key', 'AKIAEXAMPLEBACKDOOR');
	return ok('rotate < redeploy < deactivate; the key it created deactivated too',
		rotate < redeploy && redeploy < deact && backdoor > 0, JSON.stringify(plan));
});
for (const p of [alex, ben])
	await check(`${p.name} approves every step that asks for approval`, async () => {
		await p.page.goto(INC);
		await steps(p).first().waitFor();
		const asking = await p.page.locator('li.step .verdict').count();
		for (const s of plan) {
			const li = p.page.locator(`li.step[data-step="${s.n}"]`);
			if (!await li.locator('.verdict').count())
				continue;
			const before = await li.locator('.approvals').textContent();
			const [have, need] = (/(\d+) of (\d+)/.exec(before) || []).slice(1).map(Number);
			if (have >= need)
				continue;
			await li.getByRole('textbox').fill(`${p.name}: reviewed step ${s.n}`);
			await li.getByRole('button', { name: /^Approve/ }).click();
			await li.locator('.approvals').filter({ hasNotText: before }).waitFor();
		}
		// done: the page leaves the incident (its live reloads cost
		// the others' time)
		await p.page.goto('about:blank');
		return ok('some steps asked', asking > 0, asking);
	});
await check('lena saw both approvals arrive without reloading: four eyes is met', async () => {
	const del = lena.page.locator(`li.step[data-action="aws.delete-access-key"][data-target="${KEY}"]`);
	await del.locator('.approvals').filter({ hasText: '2 of 2' }).waitFor();
	return /it has them/.test(await del.locator('.four-eyes').textContent());
});

// ---- carried out, step by step, and proven ----
await check('rory previews, then runs every step in order through the connectors', async () => {
	await lena.page.goto('about:blank');
	await rory.page.goto(INC);
	await steps(rory).first().waitFor();
	const first = rory.page.locator(`li.step[data-step="${plan[0].n}"]`);
	await first.getByRole('button', { name: /^Preview request/ }).click();
	const req = await first.locator('pre.request').textContent();
	for (const s of plan) {
		const li = rory.page.locator(`li.step[data-step="${s.n}"]`);
		await li.getByRole('button', { name: /^Execute step/ }).click();
		await li.getByRole('button', { name: /^Run step/ }).click();
		await li.locator('.exec-result').waitFor();
		const r = await li.locator('.exec-result').textContent();
		if (!/done/.test(r))
			return ok(`step ${s.n} done`, false, r);
		await li.locator('.step-head .badge').filter({ hasText: 'done' }).waitFor();
	}
	return ok('the dry run showed the request first', req.includes(plan[0].action), req);
});
await check('rory verifies: the key is proven revoked', async () => {
	await rory.page.getByRole('button', { name: 'Verify revocations' }).click();
	const li = rory.page.locator('.verify-result li').filter({ hasText: KEY });
	await li.waitFor();
	return ok('verified', (await li.locator('.badge').textContent()) === 'verified', await li.textContent());
});
await check('lena\'s page says contained', async () => {
	await lena.page.goto(INC);
	await lena.page.locator('#res-h + p').filter({ hasText: /^Contained/ }).waitFor();
	return (await lena.page.locator('ul.residual li').count()) === 0;
});

// ---- closed and written up ----
await check('lena moves the incident through containing and recovering', async () => {
	for (const to of ['containing', 'recovering']) {
		const f = lena.page.locator('form[data-act="state"]');
		await lena.page.locator('#state-to').selectOption(to);
		await f.getByLabel('Why').fill(`now ${to}`);
		await f.getByRole('button', { name: 'Change state' }).click();
		await lena.page.locator('dl.summary .badge').filter({ hasText: to }).waitFor();
	}
});
await check('lena accepts the risk of the proposals left unreviewed, adds a follow-up, closes', async () => {
	const d = lena.page.locator('form[data-act="decision"]');
	await d.getByLabel('Decision').fill('close with the remaining proposals unreviewed');
	await d.getByLabel('Why').fill('everything they reach was cut with the deploy role');
	await d.getByLabel('The lead accepts this risk').check();
	await d.getByRole('button', { name: 'Record decision' }).click();
	await lena.page.locator('ul.decisions li[data-kind="risk-acceptance"]').waitFor();
	const k = lena.page.locator('form[data-act="task"]');
	await k.getByLabel('New task').fill('follow-up: OIDC instead of keys in CI');
	await k.getByLabel(/^Owner/).fill('rory');
	await k.getByRole('button', { name: 'Add task' }).click();
	await lena.page.locator('.task-title').filter({ hasText: 'follow-up' }).waitFor();
	const f = lena.page.locator('form[data-act="state"]');
	await lena.page.locator('#state-to').selectOption('closed');
	await f.getByLabel('Why').fill('contained and verified');
	await f.getByRole('button', { name: 'Change state' }).click();
	await lena.page.locator('dl.summary .badge').filter({ hasText: 'closed' }).waitFor();
});
await axe(lena, 'the closed incident');
await check('the report: closed, the NIST CSF controls of containment met', async () => {
	await lena.page.getByRole('link', { name: 'Report', exact: true }).click();
	await lena.page.frameLocator('iframe.report-view').locator('h1').waitFor();
	await lena.page.getByText('The report as JSON').click();
	const r = JSON.parse(await lena.page.locator('pre.report-json').textContent());
	const met = r.framework.nist_csf_2.filter((c) => ['RS.MI-01', 'RS.MI-02', 'RS.AN-06', 'RC.RP-06'].includes(c.id));
	return ok('closed; four controls met; NHI2:2025 named', r.incident.state === 'closed' && met.length === 4 &&
		met.every((c) => c.status === 'met') && r.framework.owasp_nhi_2025.some((x) => x.id === 'NHI2:2025'),
		JSON.stringify(met));
});
await check('lena signs the report; the signature holds; she downloads it', async () => {
	await lena.page.getByRole('button', { name: 'Sign the report' }).click();
	const st = await lena.page.locator('.sig-result .sig-status').textContent();
	const [dl] = await Promise.all([lena.page.waitForEvent('download'),
		lena.page.getByRole('button', { name: 'Download the signed report' }).click()]);
	await dl.saveAs(process.env.SIGNED_OUT);
	return ok('it holds', /signature holds/.test(st), st);
});
await axe(lena, 'the signed report');
await check('the metrics count the response: contained and verified in a time, not unknown', async () => {
	await lena.page.getByRole('link', { name: 'Metrics' }).click();
	const row = lena.page.locator('table.per-incident tr[data-incident="INC-1"]');
	await row.waitFor();
	const contained = await row.locator('td[data-stage="containment"]').textContent();
	const verified = await row.locator('td[data-stage="revocation_verified"]').textContent();
	// exposed on the scenario's clock, contained on the real one
	return ok('days after exposure', /^\d+ d \d+ h$/.test(contained) && /^\d+ d \d+ h$/.test(verified),
		contained, verified);
});
await pages(lena, 'scenario-metrics', () => lena.page.locator('.chart canvas').nth(3).waitFor());

for (const p of [rory, lena, alex, ben])
	ok(`no console error on ${p.name}'s pages, no dialog`, p.errors.length === 0 && p.dialogs.length === 0,
		...p.errors, ...p.dialogs);
await browser.close();
console.log(`# scenario in the browser took ${Date.now() - T0} ms`);
process.exit(t.failures ? 1 : 0);
