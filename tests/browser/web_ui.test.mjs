// The web UI (sfs-frontend/web) in a real browser against a real cluster:
// Debian's Chromium driven by playwright-core, `sfs up` on free loopback
// ports. The scenarios run in order and build on each other, as one user
// session of the file share would.
//
// The frontend runs with --content_origin: the API and the UI are on
// http://127.0.0.1:<port>, files shown inline on http://localhost:<port>,
// the same server under a name the browser takes for another origin. The
// session cookie, host-only, belongs to 127.0.0.1 and never goes there.
//
//   SFS_BIN_DIR   folder of sfs, sfs-master, ... (default <repo>/build/bin)
//   SFS_CHROMIUM  browser binary (default /usr/bin/chromium)
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startCluster } from './cluster.mjs';
import { startUiServer } from './ui_server.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const binDir = process.env.SFS_BIN_DIR || join(repo, 'build/bin');
const webDir = join(repo, 'sfs-frontend/web');
const chromiumPath = process.env.SFS_CHROMIUM || '/usr/bin/chromium';

const ALICE = ['alice', 'alice-secret-pw'];
const BOB = ['bob', 'bob-secret-pw'];
const PRIVATE_NS = 'alice-private';
const PUBLIC_NS = 'alice-public';
const VERSIONED_NS = 'alice-versioned';
const EXPIRING_NS = 'alice-expiring';

const big = randomBytes(3 * 1024 * 1024); // enough for the progress to move
const notes = 'Hello from the SFS browser test.\n';
const notesReplacement = 'x'.repeat(5000);
const shared = 'a file anyone who knows the namespace can read\n';
// Four uploads of report.txt, each of a different length, so that a listed
// size tells which one is shown.
const reports = [
  'report, first draft\n',
  'report, second draft: longer\n',
  'report, third draft: longer still, almost done\n',
  'report, fourth and final draft, the longest one of them all\n',
];

let root; // temp folder: data, browser profile, files, screenshot
let cluster;
let ui; // the same UI on an origin of its own, calling the cluster's API
let context;
let page;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sfs-web-ui-'));
  await mkdir(join(root, 'files'));
  await mkdir(join(root, 'files2'));
  await writeFile(join(root, 'files/big.bin'), big);
  await writeFile(join(root, 'files/notes.txt'), notes);
  await writeFile(join(root, 'files2/notes.txt'), notesReplacement);
  await writeFile(join(root, 'files/shared.txt'), shared);
  ui = await startUiServer(webDir);
  cluster = await startCluster({
    binDir,
    webDir,
    dataDir: join(root, 'data'),
    logPath: join(root, 'cluster.log'),
    users: [ALICE, BOB],
    frontendArgs: [`--cors-origins=${ui.url}`],
    contentHost: 'localhost', // the page's origin is 127.0.0.1
  });
  assert.notEqual(new URL(cluster.contentOrigin).host, new URL(cluster.url).host);
  ui.setApiOrigin(cluster.url);
  context = await chromium.launchPersistentContext(join(root, 'chrome-profile'), {
    executablePath: chromiumPath,
    headless: true,
    // Chromium's own connections are refused on a closed network; these
    // flags keep it from trying.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(20_000);
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close().catch(() => {});
  await cluster?.stop();
  await ui?.close();
  // Keep the screenshot and the cluster log; drop chunks and the profile.
  if (root) {
    await rm(join(root, 'data'), { recursive: true, force: true });
    await rm(join(root, 'chrome-profile'), { recursive: true, force: true });
  }
});

// --- helpers -------------------------------------------------------------------

const fileRow = (path) => page.locator(`[data-testid=file-row][data-path="${path}"]`);
const namespaceRow = (name) => page.locator(`[data-testid=namespace-row][data-name="${name}"]`);
const uploadRow = (path) => page.locator(`[data-testid=upload-row][data-path="${path}"]`).first();

async function openApp(query = '') {
  await page.goto(`${cluster.url}/${query}`);
  await page.locator('body[data-ready="true"]').waitFor();
}

// Waits until the message box shows text matching `pattern`.
async function expectMessage(pattern) {
  await page.getByTestId('message').filter({ hasText: pattern }).waitFor();
}

// Fails, quoting it, when the message box shows anything.
async function assertNoMessage(when) {
  const box = page.getByTestId('message');
  const shown = (await box.isVisible()) ? await box.textContent() : '';
  assert.equal(shown, '', `no message ${when}`);
}

async function login([user, password]) {
  await page.fill('#login-username', user);
  await page.fill('#login-password', password);
  await page.click('#login-button');
  await page.getByTestId('session-user').filter({ hasText: user }).waitFor();
}

async function answerDialog(pattern, accept) {
  const dialog = page.locator('#confirm-dialog[open]');
  await dialog.waitFor();
  assert.match(await page.locator('#confirm-text').textContent(), pattern);
  await page.click(accept ? '#confirm-ok' : '#confirm-cancel');
  await dialog.waitFor({ state: 'hidden' });
}

async function openByName(name) {
  await page.fill('#open-name', name);
  await page.click('#open-button');
}

// A request from the page, with its cookies: [status, body text].
function pageFetch(url, init = {}) {
  return page.evaluate(async ([u, i]) => {
    const res = await fetch(u, i);
    return [res.status, await res.text()];
  }, [url, init]);
}

// Where a script reads a file's bytes: the download route, which stays on
// the API's origin. The view route of a text file answers with a redirect
// to the content origin, where the page's fetch() fails its CORS check
// (127.0.0.1 is not in --cors-origins).
const readUrl = (ns, path) => `/storage/download/${ns}/${path}`;

// Clicks a View link (`target=_blank`, the API's view route `viewTarget`)
// and follows its tab: the API's origin, asked with the session cookie,
// answers 302 to `filePath` on the content origin through a signed link,
// which the tab loads with no cookie. Returns the loaded tab and the
// content origin's answer.
async function viewInNewTab(link, viewTarget, filePath) {
  const shownPrefix = `${cluster.contentOrigin}${filePath}?signature=`;
  const [tab, shown] = await Promise.all([
    context.waitForEvent('page'),
    context.waitForEvent('requestfinished', (r) => r.url().startsWith(shownPrefix)),
    link.click(),
  ]);
  await tab.waitForLoadState();
  assert.ok(tab.url().startsWith(shownPrefix), `the tab ends on the content origin: ${tab.url()}`);
  assert.notEqual(new URL(tab.url()).searchParams.get('signature'), '');
  const asked = shown.redirectedFrom();
  assert.equal(asked?.url(), `${cluster.url}${viewTarget}`);
  const redirect = await asked.response();
  assert.equal(redirect.status(), 302);
  assert.equal(redirect.headers()['cache-control'], 'no-store');
  assert.match((await asked.allHeaders()).cookie ?? '', /(^|; )sfs_session=/,
    'the API was asked as the signed-in user');
  assert.equal((await shown.allHeaders()).cookie, undefined, 'no cookie went to the content origin');
  const response = await shown.response();
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-security-policy'], "sandbox; default-src 'none'");
  // The signed link is pinned to the version seen and lives an hour.
  const maxAge = Number(response.headers()['cache-control']?.match(
    /^private, max-age=(\d+), immutable$/)?.[1]);
  assert.ok(maxAge > 3500 && maxAge <= 3600, `an hour-long link: ${response.headers()['cache-control']}`);
  return [tab, response];
}

// Waits for `path` listed with `size` bytes, shown to people as `shown`.
async function expectFileSize(path, size, shown) {
  const cell = fileRow(path).locator(`[data-testid=file-size][data-size="${size}"]`);
  await cell.waitFor();
  assert.equal((await cell.textContent()).trim(), shown);
}

// Creates namespace `name` through the form with the given policy fields.
async function createNamespace(name, { keepVersions = '', retentionDays = '' } = {}) {
  await page.fill('#create-name', name);
  await page.fill('#create-keep-versions', keepVersions);
  await page.fill('#create-retention-days', retentionDays);
  await page.click('#create-button');
  await namespaceRow(name).waitFor();
  await page.getByTestId('breadcrumb').filter({ hasText: name }).waitFor();
}

// The caller's namespace `name` as GET /storage/namespaces lists it.
async function listedNamespace(name) {
  const [status, body] = await pageFetch('/storage/namespaces');
  assert.equal(status, 200);
  return JSON.parse(body).find((ns) => ns.name === name);
}

// Uploads `content` as `name` with the file picker into the open folder
// (answering "Replace" when `replace`) and waits until the listing shows it.
async function uploadText(name, content, replace) {
  await page.setInputFiles('#file-input', {
    name,
    mimeType: 'text/plain',
    buffer: Buffer.from(content),
  });
  const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (replace) await answerDialog(new RegExp(`${quoted} already exists`), true);
  await page.waitForFunction(
    (path) => document.querySelector(`[data-testid=upload-row][data-path="${path}"]`)?.dataset.state === 'done',
    name,
  );
  await fileRow(name).locator(`[data-testid=file-size][data-size="${content.length}"]`).waitFor();
  await assertNoMessage(`after uploading ${name}`);
}

// Opens the versions panel of `path`; its rows, newest first.
async function openVersions(path) {
  await fileRow(path).getByTestId('versions-button').click();
  const panel = page.locator(`[data-testid=versions-panel][data-path="${path}"][data-state=loaded]`);
  await panel.waitFor();
  return panel.getByTestId('version-row').evaluateAll((rows) => rows.map((row) => ({
    version: Number(row.dataset.version),
    current: row.dataset.current,
    size: Number(row.querySelector('[data-testid=version-size]').dataset.size),
    marker: row.querySelector('[data-testid=version-current]')?.textContent ?? null,
    download: Boolean(row.querySelector('[data-testid=version-download-button]')),
  })));
}

// --- scenarios -----------------------------------------------------------------

test('alice signs in (after a wrong password), creates a private namespace and uploads two files', async (t) => {
  await openApp();
  assert.equal(await page.locator('#login-form').isVisible(), true);
  await page.getByTestId('cluster-status').filter({ hasText: '4/4 chunkservers up' }).waitFor();

  await page.fill('#login-username', ALICE[0]);
  await page.fill('#login-password', 'not-her-password');
  await page.click('#login-button');
  await expectMessage('wrong username or password');
  assert.equal(await page.getByTestId('session-user').isVisible(), false);

  await login(ALICE);
  await assertNoMessage('once signed in (the old error is gone)');
  assert.equal(await page.locator('#login-form').isVisible(), false);

  await page.fill('#create-name', PRIVATE_NS);
  await page.selectOption('#create-visibility', '0');
  await page.click('#create-button');
  await namespaceRow(PRIVATE_NS).getByTestId('visibility-toggle').filter({ hasText: 'private' }).waitFor();
  await page.getByTestId('breadcrumb').filter({ hasText: PRIVATE_NS }).waitFor();

  await page.setInputFiles('#file-input', [join(root, 'files/big.bin'), join(root, 'files/notes.txt')]);
  for (const [path, size] of [['big.bin', big.length], ['notes.txt', notes.length]]) {
    const row = page.locator(`[data-testid=upload-row][data-path="${path}"][data-state=done]`);
    await row.waitFor({ timeout: 60_000 });
    // The bar is driven by the server's SSE stream, which reported done.
    assert.equal(await row.getAttribute('data-sse-done'), 'true', `${path}: SSE done`);
    const bar = await row.locator('progress').evaluate((p) => [p.value, p.max]);
    assert.deepEqual(bar, [size, size], `${path}: progress reached the size`);
    assert.match(await row.getByTestId('upload-state').textContent(), /^done/);
  }
  await expectFileSize('big.bin', big.length, '3.0 MiB');
  await expectFileSize('notes.txt', notes.length, '33 B');
  assert.equal(await page.getByTestId('load-more').isVisible(), false, 'one page holds both');
  await namespaceRow(PRIVATE_NS).getByTestId('namespace-count').filter({ hasText: /^2$/ }).waitFor();
  assert.equal(
    await namespaceRow(PRIVATE_NS).getByTestId('namespace-bytes').textContent(),
    '3.0 MiB', // 3 MiB + 33 B
  );

  const screenshot = join(root, 'web-ui.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.diagnostic(`screenshot: ${screenshot}`);
});

test('download goes through the hidden iframe and returns the same bytes', async () => {
  const pageUrl = page.url();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    fileRow('big.bin').getByTestId('download-button').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'big.bin');
  assert.equal(download.url(), `${cluster.url}/storage/download/${PRIVATE_NS}/big.bin`);
  const saved = join(root, 'downloaded-big.bin');
  await download.saveAs(saved);
  assert.equal(sha256(await readFile(saved)), sha256(big));

  const frame = page.locator('iframe[data-testid=download-frame]');
  assert.equal(await frame.count(), 1);
  assert.equal(await frame.evaluate((f) => f.style.display), 'none');
  assert.equal(page.url(), pageUrl, 'the page itself did not navigate');
  await assertNoMessage('after the download');
});

test('view opens the text file in a new tab, on the content origin, away from the session', async () => {
  const file = `/storage/${PRIVATE_NS}/notes.txt`;
  const [tab, response] = await viewInNewTab(fileRow('notes.txt').getByTestId('view-link'), file, file);
  assert.match(response.headers()['content-type'], /^text\/plain\b/);
  assert.equal(await tab.evaluate(() => document.contentType), 'text/plain');
  assert.equal((await tab.locator('body').innerText()).trim(), notes.trim());

  // Nothing of alice's session reaches the content origin. The browser
  // holds no cookie for it. The document there is sandboxed (an opaque
  // origin): it may not read cookies at all, and under default-src 'none'
  // its requests never leave. (On the API's origin too, document.cookie
  // shows nothing: the session cookie is HttpOnly.)
  assert.deepEqual(await context.cookies(cluster.contentOrigin), []);
  assert.deepEqual((await context.cookies(cluster.url)).map((c) => c.name), ['sfs_session']);
  const inTab = await tab.evaluate(async () => {
    let cookie;
    try {
      cookie = document.cookie;
    } catch (err) {
      cookie = err.name;
    }
    let fetched;
    try {
      fetched = (await fetch('/api/session')).status;
    } catch (err) {
      fetched = err.name;
    }
    return { origin: self.origin, cookie, fetched };
  });
  assert.deepEqual(inTab, { origin: 'null', cookie: 'SecurityError', fetched: 'TypeError' });
  // Reached by the tab itself, the content origin serves no API route and
  // no file without a signed link, while alice is signed in on the API's.
  const session = await tab.goto(`${cluster.contentOrigin}/api/session`);
  assert.equal(session.status(), 404);
  assert.match(await session.text(), /serves file content only/);
  const unsigned = await tab.goto(`${cluster.contentOrigin}${file}`);
  assert.equal(unsigned.status(), 401);
  // Even a session cookie that did reach it (one set for a parent domain
  // of both names would) counts for nothing there: the server drops it.
  const [sessionCookie] = await context.cookies(cluster.url);
  await context.addCookies([{ ...sessionCookie, domain: 'localhost' }]);
  try {
    const refused = await tab.goto(`${cluster.contentOrigin}${file}`);
    assert.match((await refused.request().allHeaders()).cookie ?? '', /(^|; )sfs_session=/,
      'the cookie was sent');
    assert.equal(refused.status(), 401);
  } finally {
    await context.clearCookies({ domain: 'localhost' });
  }
  const [status, body] = await pageFetch('/api/session');
  assert.equal(status, 200);
  assert.equal(JSON.parse(body).username, ALICE[0]);
  await tab.close();
});

test('uploading an existing name asks first; cancel keeps it, replace overwrites it', async () => {
  await page.setInputFiles('#file-input', join(root, 'files2/notes.txt'));
  await answerDialog(/notes\.txt already exists in alice-private/, false);
  await page.locator('[data-testid=upload-row][data-path="notes.txt"][data-state=skipped]').waitFor();
  await expectFileSize('notes.txt', notes.length, '33 B');
  await assertNoMessage('after declining');

  await page.setInputFiles('#file-input', join(root, 'files2/notes.txt'));
  await answerDialog(/notes\.txt already exists/, true);
  // The newest row of notes.txt (rows are added at the top).
  await page.waitForFunction(
    () => document.querySelector('[data-testid=upload-row][data-path="notes.txt"]')?.dataset.state === 'done',
  );
  assert.equal(await uploadRow('notes.txt').getAttribute('data-sse-done'), 'true');
  await expectFileSize('notes.txt', notesReplacement.length, '4.9 KiB');
  await assertNoMessage('after replacing');
  const [status, body] = await pageFetch(readUrl(PRIVATE_NS, 'notes.txt'));
  assert.equal(status, 200);
  assert.equal(body, notesReplacement);
});

test('folders are navigable and long listings load more', async () => {
  for (const name of ['a.txt', 'b.txt', 'c.txt']) {
    const [status] = await pageFetch(`/storage/${PRIVATE_NS}/docs/${name}`, {
      method: 'POST',
      body: name,
    });
    assert.equal(status, 201);
  }
  // Two files per page. The root lists big.bin, docs/{a,b,c}.txt, notes.txt:
  // page 1 is big.bin and the docs/ folder, page 2 only docs/ again (shown
  // once), page 3 notes.txt.
  await openApp(`?limit=2#/${PRIVATE_NS}/`);
  await fileRow('big.bin').waitFor();
  await page.locator('[data-testid=folder-row][data-path="docs/"]').waitFor();
  const loadMore = page.getByTestId('load-more');
  await loadMore.click();
  await page.locator('#file-table[data-pages="2"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('[data-testid=folder-row]').count(), 1);
  assert.equal(await fileRow('notes.txt').count(), 0);
  await loadMore.click();
  await fileRow('notes.txt').waitFor();
  assert.equal(await loadMore.isVisible(), false);
  assert.equal(await page.locator('[data-testid=file-row]').count(), 2);

  await page.locator('[data-testid=folder-row][data-path="docs/"] button').click();
  await fileRow('docs/a.txt').waitFor();
  assert.equal(await page.locator('[data-testid=file-row]').count(), 2);
  await page.getByTestId('load-more').click();
  await fileRow('docs/c.txt').waitFor();
  assert.equal(await page.getByTestId('load-more').isVisible(), false);
  assert.match(await page.getByTestId('breadcrumb').textContent(), /alice-private \/ docs/);

  // A download whose file went away meanwhile: the hidden iframe gets an
  // error page instead of a file, and its message is shown.
  const [gone] = await pageFetch(`/storage/${PRIVATE_NS}/docs/c.txt`, { method: 'DELETE' });
  assert.equal(gone, 200);
  await fileRow('docs/c.txt').getByTestId('download-button').click();
  await expectMessage(/Download of docs\/c\.txt failed: .*not found/i);

  await page.getByTestId('crumb').first().click();
  await page.locator('[data-testid=folder-row][data-path="docs/"]').waitFor();
  await fileRow('docs/a.txt').waitFor({ state: 'detached' });
  await openApp(`#/${PRIVATE_NS}/`);
  await fileRow('big.bin').waitFor();
});

test('deleting a file asks first and removes it', async () => {
  await fileRow('big.bin').getByTestId('delete-button').click();
  await answerDialog(/Delete big\.bin from alice-private/, true);
  await fileRow('big.bin').waitFor({ state: 'detached' });
  await expectMessage('Deleted big.bin');
  const [status, body] = await pageFetch(`/storage/${PRIVATE_NS}/big.bin`);
  assert.equal(status, 404);
  assert.match(JSON.parse(body).error, /not found/i);
  await fileRow('notes.txt').waitFor();
});

test('namespaces: create a public one, toggle visibility, delete one', async () => {
  await page.fill('#create-name', PUBLIC_NS);
  await page.selectOption('#create-visibility', '1');
  await page.click('#create-button');
  await namespaceRow(PUBLIC_NS).getByTestId('visibility-toggle').filter({ hasText: 'public' }).waitFor();
  await page.getByTestId('breadcrumb').filter({ hasText: PUBLIC_NS }).waitFor();
  // Dropped on the drop zone, as a user drags a file from their desktop.
  const dropped = await page.evaluateHandle((text) => {
    const data = new DataTransfer();
    data.items.add(new File([text], 'shared.txt', { type: 'text/plain' }));
    return data;
  }, shared);
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: dropped });
  await expectFileSize('shared.txt', shared.length, '47 B');

  await page.fill('#create-name', 'scratch');
  await page.click('#create-button'); // the form is back at private
  const toggle = namespaceRow('scratch').getByTestId('visibility-toggle');
  await toggle.filter({ hasText: 'private' }).waitFor();
  await toggle.click();
  await toggle.filter({ hasText: 'public' }).waitFor();
  const [, listed] = await pageFetch('/storage/namespaces');
  const scratch = JSON.parse(listed).find((ns) => ns.name === 'scratch');
  assert.equal(scratch.visibility, 1);

  await namespaceRow('scratch').getByTestId('delete-namespace').click();
  await answerDialog(/Delete namespace scratch/, true);
  await namespaceRow('scratch').waitFor({ state: 'detached' });
  const [, after] = await pageFetch('/storage/namespaces');
  assert.deepEqual(JSON.parse(after).map((ns) => ns.name).sort(), [PRIVATE_NS, PUBLIC_NS]);
});

test('keep_versions 2: three uploads list three versions, old ones download, a fourth drops the first', async () => {
  await createNamespace(VERSIONED_NS, { keepVersions: '2' });
  const listed = await listedNamespace(VERSIONED_NS);
  assert.equal(listed.keep_versions, 2);
  assert.equal(listed.retention_days, null, 'an empty field leaves the policy unset');
  await page.getByTestId('namespace-policies')
    .filter({ hasText: /^keeps 2 old versions per file$/ }).waitFor();

  await uploadText('report.txt', reports[0], false);
  await uploadText('report.txt', reports[1], true);
  await uploadText('report.txt', reports[2], true);
  assert.equal(await fileRow('report.txt').getByTestId('file-expires').count(), 0,
    'no expiry without retention_days');
  await page.getByTestId('namespace-policies')
    .filter({ hasText: /\(2 old versions, \d+ B now\)/ }).waitFor();

  const rows = await openVersions('report.txt');
  assert.deepEqual(rows.map((r) => r.size), [reports[2], reports[1], reports[0]].map((r) => r.length));
  assert.deepEqual(rows.map((r) => r.current), ['true', 'false', 'false']);
  assert.deepEqual(rows.map((r) => r.marker), ['current', null, null]);
  assert.deepEqual(rows.map((r) => r.download), [false, true, true]);
  assert.ok(rows[0].version > rows[1].version && rows[1].version > rows[2].version,
    `versions newest first: ${rows.map((r) => r.version)}`);

  // The oldest version through the hidden iframe.
  const panel = page.locator('[data-testid=versions-panel][data-path="report.txt"]');
  const oldest = panel.locator(`[data-testid=version-row][data-version="${rows[2].version}"]`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    oldest.getByTestId('version-download-button').click(),
  ]);
  assert.equal(
    download.url(),
    `${cluster.url}/storage/download/${VERSIONED_NS}/report.txt?version=${rows[2].version}`,
  );
  assert.equal(download.suggestedFilename(), 'report.txt');
  const saved = join(root, 'downloaded-report-v1.txt');
  await download.saveAs(saved);
  assert.equal((await readFile(saved)).toString(), reports[0]);
  await assertNoMessage('after downloading an old version');

  // The middle one viewed in a new tab, on the content origin: its signed
  // link names that version, the tab's address no ?version=.
  const [tab, response] = await viewInNewTab(
    panel.locator(`[data-testid=version-row][data-version="${rows[1].version}"]`)
      .getByTestId('version-view-link'),
    `/storage/${VERSIONED_NS}/report.txt?version=${rows[1].version}`,
    `/storage/${VERSIONED_NS}/report.txt`,
  );
  assert.equal(new URL(tab.url()).searchParams.has('version'), false);
  assert.match(response.headers()['content-type'], /^text\/plain\b/);
  assert.equal(await tab.evaluate(() => document.contentType), 'text/plain');
  assert.equal((await tab.locator('body').innerText()).trim(), reports[1].trim());
  await tab.close();

  // The button closes the panel again.
  await fileRow('report.txt').getByTestId('versions-button').click();
  await panel.waitFor({ state: 'detached' });

  await uploadText('report.txt', reports[3], true);
  const after = await openVersions('report.txt');
  assert.deepEqual(after.map((r) => r.size), [reports[3], reports[2], reports[1]].map((r) => r.length));
  assert.deepEqual(after.map((r) => r.current), ['true', 'false', 'false']);
  assert.equal(after[1].version, rows[0].version, 'the replaced current is the newest old one');
  assert.ok(!after.some((r) => r.version === rows[2].version), 'the first version is not listed');
  const [status, body] = await pageFetch(`/storage/${VERSIONED_NS}/report.txt?version=${rows[2].version}`);
  assert.equal(status, 404, `the first version is gone: ${body}`);
});

test('retention_days 1: an uploaded file shows when it expires', async () => {
  const before = Date.now();
  await createNamespace(EXPIRING_NS, { retentionDays: '1' });
  const listed = await listedNamespace(EXPIRING_NS);
  assert.equal(listed.retention_days, 1);
  assert.equal(listed.keep_versions, null);
  await page.getByTestId('namespace-policies')
    .filter({ hasText: /^files expire 1 day after their upload$/ }).waitFor();

  await uploadText('temp.txt', shared, false);
  const hint = fileRow('temp.txt').getByTestId('file-expires');
  assert.match(await hint.textContent(), /^expires \S/);
  const expires = Number(await hint.getAttribute('data-expires-at')) * 1000;
  const day = 24 * 3600 * 1000;
  assert.ok(expires >= before + day - 5000 && expires <= Date.now() + day + 5000,
    `expires a day after the upload: ${new Date(expires).toISOString()}`);
  assert.equal(await hint.isVisible(), true);
});

test('anonymous: private files stay hidden, a public namespace opens by name', async () => {
  await page.click('#logout-button');
  await page.locator('#login-form').waitFor();
  await page.locator('#namespaces-empty', { hasText: 'Sign in to see your namespaces' }).waitFor();
  assert.equal(await page.locator('#session').isVisible(), false);
  assert.equal(await page.locator('[data-testid=namespace-row]').count(), 0);
  assert.equal(await page.locator('#namespace-view').isVisible(), false);

  await openByName(PRIVATE_NS);
  await expectMessage(/sign in/i);
  assert.equal(await page.locator('#namespace-view').isVisible(), false);
  assert.equal(await page.locator('[data-testid=file-row]').count(), 0);

  await openByName(PUBLIC_NS);
  await expectFileSize('shared.txt', shared.length, '47 B');
  await assertNoMessage('after opening the public namespace');
  const [status, body] = await pageFetch(readUrl(PUBLIC_NS, 'shared.txt'));
  assert.equal(status, 200);
  assert.equal(body, shared);

  // Reading is open to anyone, writing is not: the server's reason is shown.
  await page.setInputFiles('#file-input', join(root, 'files/notes.txt'));
  await page.locator('[data-testid=upload-row][data-path="notes.txt"][data-state=error]').waitFor();
  await expectMessage(/Upload of notes\.txt failed: .*sign in/i);
  assert.equal(await fileRow('notes.txt').count(), 0);
});

test("bob cannot delete alice's file: the server's 403 message is shown", async () => {
  await login(BOB);
  await openByName(PUBLIC_NS);
  await fileRow('shared.txt').getByTestId('delete-button').click();
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE'),
    answerDialog(/Delete shared\.txt/, true),
  ]);
  assert.equal(answer.status(), 403);
  const { error } = await answer.json();
  assert.match(error, /not allowed/i);
  await expectMessage(error);
  const [status] = await pageFetch(readUrl(PUBLIC_NS, 'shared.txt'), { method: 'HEAD' });
  assert.equal(status, 200, 'the file is still there');
  assert.equal(await fileRow('shared.txt').count(), 1);
});

test('a browser navigation to a missing file gets an HTML 404 page', async () => {
  const res = await page.goto(`${cluster.url}/storage/${PUBLIC_NS}/nope.txt`);
  assert.equal(res.status(), 404);
  assert.match(res.headers()['content-type'] ?? '', /^text\/html/);
  assert.match(await page.locator('body').innerText(), /not found/i);
});

test('cross-origin: the UI on another origin signs in, uploads with progress, downloads through the iframe', async () => {
  assert.notEqual(ui.url, cluster.url);
  await context.clearCookies();
  await page.goto(`${ui.url}/`);
  await page.locator('body[data-ready="true"]').waitFor();
  await page.getByTestId('cluster-status').filter({ hasText: '4/4 chunkservers up' }).waitFor();
  // The session cookie comes from the API's origin, in a CORS answer.
  await login(ALICE);
  await openByName(PRIVATE_NS);
  await page.getByTestId('breadcrumb').filter({ hasText: PRIVATE_NS }).waitFor();

  await page.setInputFiles('#file-input', {
    name: 'cross.bin',
    mimeType: 'application/octet-stream',
    buffer: big,
  });
  const row = page.locator('[data-testid=upload-row][data-path="cross.bin"][data-state=done]');
  await row.waitFor({ timeout: 60_000 });
  // The progress stream crossed origins too: every 64 KiB of 3 MiB, then
  // the full count, then done.
  assert.equal(await row.getAttribute('data-sse-done'), 'true');
  const events = Number(await row.getAttribute('data-sse-events'));
  assert.ok(events >= 40, `${events} progress events`);
  assert.deepEqual(await row.locator('progress').evaluate((p) => [p.value, p.max]),
    [big.length, big.length]);
  await expectFileSize('cross.bin', big.length, '3.0 MiB');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    fileRow('cross.bin').getByTestId('download-button').click(),
  ]);
  assert.equal(download.url(), `${cluster.url}/storage/download/${PRIVATE_NS}/cross.bin`);
  const saved = join(root, 'downloaded-cross.bin');
  await download.saveAs(saved);
  assert.equal(sha256(await readFile(saved)), sha256(big));
  assert.equal(new URL(page.url()).origin, ui.url, 'the page itself did not navigate');
  await assertNoMessage('after the cross-origin upload and download');
});

// --- resumable uploads and share links (TUS, signed URLs) -------------------------

const MiB = 1024 * 1024;
const fifty = randomBytes(50 * MiB);

// Signs in as alice on the API's own origin (the cross-origin scenario
// left the page elsewhere) with uploads cut into 1 MiB pieces.
async function openPrivateWithSmallPieces() {
  await openApp(`?piece=${MiB}`);
  if (await page.locator('#login-form').isVisible()) await login(ALICE);
  await openByName(PRIVATE_NS);
  await page.getByTestId('breadcrumb').filter({ hasText: PRIVATE_NS }).waitFor();
}

// The stored file's SHA-256, from its ETag.
async function storedSha(path) {
  const res = await page.request.head(`${cluster.url}/storage/${PRIVATE_NS}/${path}`);
  assert.equal(res.status(), 200);
  return res.headers().etag.replaceAll('"', '');
}

test('an upload goes on by itself once the network is back', async () => {
  const local = join(root, 'files/offline.bin');
  await writeFile(local, fifty);
  await openPrivateWithSmallPieces();
  let wentOffline;
  const offline = new Promise((resolve) => (wentOffline = resolve));
  let cut = false;
  await page.route('**/storage/uploads/*', async (route) => {
    const offset = Number(route.request().headers()['upload-offset'] ?? 0);
    if (!cut && route.request().method() === 'PATCH' && offset >= 20 * MiB) {
      cut = true;
      await context.setOffline(true);
      wentOffline();
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  await page.setInputFiles('#file-input', local);
  await offline;
  await page.waitForTimeout(1500); // its retries fail while offline
  const row = uploadRow('offline.bin');
  assert.notEqual(await row.getAttribute('data-state'), 'done');
  await context.setOffline(false);
  await page.locator('[data-testid=upload-row][data-path="offline.bin"][data-state=done]')
    .waitFor({ timeout: 120_000 });
  await page.unroute('**/storage/uploads/*');
  assert.equal(await storedSha('offline.bin'), sha256(fifty));
  await assertNoMessage('after the upload that went offline');
});

test('reloading the page mid-upload, choosing the file again resumes it', async () => {
  const local = join(root, 'files/reload.bin');
  await writeFile(local, fifty);
  await openPrivateWithSmallPieces();
  let stuck;
  const held = new Promise((resolve) => (stuck = resolve));
  // Past 20 MiB the upload's requests never leave the browser.
  await page.route('**/storage/uploads/*', (route) => {
    const offset = Number(route.request().headers()['upload-offset'] ?? 0);
    if (route.request().method() === 'PATCH' && offset >= 20 * MiB) {
      stuck(offset);
      return; // neither continued nor answered
    }
    return route.continue();
  });
  await page.setInputFiles('#file-input', local);
  const stoppedAt = await held;
  await page.unroute('**/storage/uploads/*');
  await page.reload();
  await page.locator('body[data-ready="true"]').waitFor();
  await openByName(PRIVATE_NS);
  await page.getByTestId('breadcrumb').filter({ hasText: PRIVATE_NS }).waitFor();
  const [resumed] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH'),
    page.setInputFiles('#file-input', local),
  ]);
  // Where the upload stopped: the request held back may have gone out when
  // its route was removed, so the cluster may hold one piece more.
  assert.ok(Number(resumed.headers()['upload-offset']) >= stoppedAt,
    'the first request after the reload continues where the upload stopped');
  const row = page.locator('[data-testid=upload-row][data-path="reload.bin"][data-state=done]');
  await row.waitFor({ timeout: 120_000 });
  assert.equal(await row.getAttribute('data-resumed'), 'true');
  assert.equal(await storedSha('reload.bin'), sha256(fifty));
});

test('a share link downloads in a fresh browser with no session', async () => {
  await openPrivateWithSmallPieces();
  await fileRow('cross.bin').getByTestId('share-button').click();
  await page.locator('#share-dialog[open]').waitFor();
  await page.selectOption('#share-expiry', '900');
  await page.click('#share-create');
  const url = await page.getByTestId('share-url').evaluate(async (input) => {
    while (!input.value) await new Promise((r) => setTimeout(r, 50));
    return input.value;
  });
  assert.match(url, new RegExp(`^${cluster.url}/storage/${PRIVATE_NS}/cross\\.bin\\?signature=`));
  await page.click('#share-copy');
  await expectMessage('Link copied');
  await page.click('#share-close');

  const stranger = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const fresh = await stranger.newContext({ acceptDownloads: true });
    const strangerPage = await fresh.newPage();
    const [download] = await Promise.all([
      strangerPage.waitForEvent('download'),
      strangerPage.goto(url).catch(() => {}), // a download ends the navigation
    ]);
    const saved = join(root, 'shared-cross.bin');
    await download.saveAs(saved);
    assert.equal(sha256(await readFile(saved)), sha256(big));
    // Without the link, the same browser gets nothing.
    const closed = await fresh.request.get(`${cluster.url}/storage/${PRIVATE_NS}/cross.bin`);
    assert.equal(closed.status(), 401);
  } finally {
    await stranger.close();
  }
});

test('an upload link takes one file from someone without an account', async () => {
  await openPrivateWithSmallPieces();
  await page.click('#upload-link-button');
  await page.locator('#share-dialog[open]').waitFor();
  await page.fill('#share-path', 'from-a-stranger.txt');
  await page.click('#share-create');
  const url = await page.getByTestId('share-url').evaluate(async (input) => {
    while (!input.value) await new Promise((r) => setTimeout(r, 50));
    return input.value;
  });
  await page.click('#share-close');
  const body = 'sent without an account\n';
  const first = await fetch(url, { method: 'PUT', body });
  assert.equal(first.status, 201);
  const second = await fetch(url, { method: 'PUT', body: 'again' });
  assert.equal(second.status, 409);
  await page.reload();
  await page.locator('body[data-ready="true"]').waitFor();
  await openByName(PRIVATE_NS);
  await expectFileSize('from-a-stranger.txt', body.length, `${body.length} B`);
});
