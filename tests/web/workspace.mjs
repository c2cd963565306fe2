// workspace.mjs - a quality adviser's session in a real headless Chromium
// (Debian's, driven by playwright-core): log in, filter the list to a
// quarter's epikrise cases, search, open a record and read why it was
// classified so, correct it, see the corrected count in the trend report,
// log out.  Prints TAP; screenshots go to the directory given.
// usage: node workspace.mjs URL USER PASSWORD SCREENSHOT_DIR
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [url, user, password, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
let n = 0, failed = 0;
const ok = (cond, what, diag) => {
	n++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
	if (!cond) {
		failed++;
		if (diag !== undefined) console.log(`# ${String(diag).replace(/\n/g, '\n# ')}`);
	}
};
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const count = async (page) => Number((await page.locator('#count').innerText()).match(/^(\d+) avvik/)[1]);
const trendCount = async (page) => {
	await page.goto(`${url}/report/trend?from=2024-07&to=2024-09&by=quarter&category=epikrise&org=tromso`);
	const m = (await page.locator('main').innerText()).match(/(\d+) samhandlingsavvik i/);
	return m ? Number(m[1]) : NaN;
};

console.log('1..16');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
	const page = await browser.newPage();
	const cspErrors = [];
	page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

	await page.goto(url + '/');
	ok(new URL(page.url()).pathname === '/login', 'without a session the start page leads to the login form', page.url());
	await page.fill('input[name=user]', user);
	await page.fill('input[name=password]', password);
	await shot(page, '01-login');
	await page.click('button[type=submit]');
	ok(new URL(page.url()).pathname === '/list', 'logged in: the list', page.url());

	// the quarter's epikrise cases
	await page.fill('input[name=period]', '2024-Q3');
	await page.selectOption('select[name=category]', 'epikrise');
	await page.click('form.filters button[type=submit]');
	const before = await count(page);
	const cats = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
	ok(before > 0 && cats.length === before, `filtered list: ${before} epikrise cases in 2024-Q3`, cats.length);
	ok(cats.every((c) => c.startsWith('Epikrise')), 'every row is an epikrise case', cats.join(' | '));
	const dates = await page.locator('tbody tr td:nth-child(2)').allInnerTexts();
	ok(dates.every((d) => d >= '2024-07-01' && d < '2024-10-01'), 'every row is in the quarter', dates.join(' '));
	await shot(page, '02-list-filtered');

	// search: an inflected form finds the others
	await page.goto(url + '/search');
	await page.fill('input[name=q]', 'Epikrisen');
	await page.click('form.filters button[type=submit]');
	const found = await count(page);
	ok(found >= before, `search for "Epikrisen" finds ${found}`, found);
	await shot(page, '03-search');

	// the trend report before the correction
	const trendBefore = await trendCount(page);
	ok(trendBefore === before, `trend report counts the same ${before} cases`, trendBefore);
	await shot(page, '04-trend-before');

	// open a record: why was it classified so?
	await page.goto(`${url}/list?period=2024-Q3&category=epikrise`);
	const link = page.locator('tbody tr td:first-child a').first();
	const id = await link.innerText();
	await link.click();
	ok(new URL(page.url()).pathname === `/record/${id}`, `record ${id} opens`, page.url());
	const expl = await page.locator('pre').innerText();
	ok(/Matching rules/.test(expl) && /rules\/epikrise\.yaml/.test(expl), 'the explanation names the rules that matched', expl.slice(0, 300));
	await shot(page, '05-record');

	// correct it
	await page.selectOption('form[action$="/override"] select[name=category]', 'legemidler');
	await page.fill('form[action$="/override"] input[name=reason]', 'Gjelder legemiddellisten, ikke epikrisen');
	await page.click('form[action$="/override"] button[type=submit]');
	ok(new URL(page.url()).pathname === `/record/${id}`, 'after the override: back on the record', page.url());
	ok(/Legemidler/.test(await page.locator('#category').innerText()), 'the record shows the new category', await page.locator('#category').innerText());
	ok(/Gjelder legemiddellisten/.test(await page.locator('#history').innerText()), 'the history shows the override with its reason');
	await shot(page, '06-record-overridden');

	// the report changed
	const trendAfter = await trendCount(page);
	ok(trendAfter === before - 1, `trend report now counts ${before - 1}`, trendAfter);
	await shot(page, '07-trend-after');
	ok(cspErrors.length === 0, 'no Content Security Policy violations', cspErrors.join('\n'));

	// log out
	await page.goto(url + '/list');
	await page.click('header form button[type=submit]');
	ok(new URL(page.url()).pathname === '/login', 'logged out: the login form', page.url());
	await page.goto(url + '/list');
	ok(new URL(page.url()).pathname === '/login', 'the list is closed again', page.url());
	await shot(page, '08-logged-out');
} catch (e) {
	ok(false, 'the session ran to its end', e.stack);
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
