// The SFS web UI: one page over the HTTP API (shared/API.md). No framework
// and no build step; sfs-frontend serves this folder as it is (--static).
//
// Everything that comes from a user or the server reaches the DOM through
// text nodes and properties, never through innerHTML.

const params = new URLSearchParams(location.search);
// Where the API is: this page's origin, unless the page names another in
// <meta name="sfs-api"> (a UI on cloud.example.com calling
// storage.cloud.example.com, which must list the UI's origin in its
// --cors-origins). Requests carry the session cookie either way.
const API_ORIGIN = (document.querySelector('meta[name="sfs-api"]')?.content ?? '')
  .replace(/\/+$/, '');
const apiUrl = (path) => API_ORIGIN + path;
// Files per listing page; `?limit=N` in the page address overrides it.
const PAGE_SIZE = Math.min(1000, Math.max(1, Number(params.get('limit')) || 200));
// How long a download's hidden iframe stays in the page (the seed's 60 s).
const DOWNLOAD_FRAME_LIFETIME_MS = 60_000;
// How long to wait for a progress stream to open before sending anyway, and
// for its final event after the upload answered.
const PROGRESS_OPEN_WAIT_MS = 2_000;
const PROGRESS_DONE_WAIT_MS = 5_000;
// Uploads go over TUS (/storage/uploads) in pieces of this size; each piece
// that arrived is kept by the cluster, so a dropped connection costs at
// most the piece in flight.
// `?piece=N` in the page address overrides it.
const UPLOAD_PIECE_BYTES = Number(params.get('piece')) || 16 * 1024 * 1024;
// Pauses before each retry of a failed request (network down, server
// restarting): about two minutes in all, and another round each time the
// browser comes back online.
const UPLOAD_RETRY_DELAYS_MS = [0, 1000, 2000, 4000, 8000, 15000, 30000, 60000];
const STATUS_REFRESH_MS = 15_000;

const state = {
  user: null, // signed-in user name, or null when anonymous
  ns: null, // the open namespace
  prefix: '', // the open folder in it: '' or a path ending in '/'
  cursor: null, // X-Next-Cursor of the last page listed
  folders: new Set(), // folder entries listed (a later page may repeat one)
  listing: 0, // bumped by each new listing, so a stale answer is dropped
  namespaces: new Map(), // name → row of the last namespace listing
};

const $ = (id) => document.getElementById(id);

// A new element; `props` are properties (`onclick` etc. become listeners,
// `dataset` is merged), children are nodes or strings (text nodes).
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

// --- formatting and addresses ------------------------------------------------

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

// API times are Unix seconds.
function formatTime(seconds) {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}
const isoTime = (seconds) => new Date(seconds * 1000).toISOString();

// Each segment encoded on its own, so '/' still separates folders.
const encodePath = (path) => path.split('/').map(encodeURIComponent).join('/');
const decodePath = (path) => path.split('/').map(decodeURIComponent).join('/');
const fileUrl = (ns, path) => `/storage/${encodeURIComponent(ns)}/${encodePath(path)}`;
const downloadUrl = (ns, path) =>
  `/storage/download/${encodeURIComponent(ns)}/${encodePath(path)}`;
// `?version=V` reads an old version on the view and download routes.
const versionQuery = (version) =>
  version === undefined ? '' : `?version=${encodeURIComponent(version)}`;

function newTransferId() {
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// --- messages and errors -----------------------------------------------------

let messageTimer = 0;

function showMessage(text, kind = 'error') {
  const box = $('message');
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  clearTimeout(messageTimer);
  if (kind === 'info') messageTimer = setTimeout(() => (box.hidden = true), 5000);
}

function clearMessage() {
  clearTimeout(messageTimer);
  $('message').hidden = true;
}

// An event handler that runs `fn` as one user action: the last message goes,
// and whatever `fn` throws is shown.
function action(fn) {
  return (event) => {
    if (event && event.type !== 'change') event.preventDefault();
    clearMessage();
    Promise.resolve()
      .then(() => fn(event))
      .catch((err) => showMessage(err.message || String(err)));
  };
}

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// The server's message from an error body ({"error": ...}), else a generic one.
function errorText(status, body) {
  try {
    const parsed = JSON.parse(body);
    if (parsed && typeof parsed.error === 'string' && parsed.error) return parsed.error;
  } catch {
    // not JSON
  }
  return status ? `the server answered ${status}` : 'the server cannot be reached';
}

async function api(method, url, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'include' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(apiUrl(url), init);
  } catch {
    throw new ApiError(errorText(0, ''), 0);
  }
  if (!res.ok) throw new ApiError(errorText(res.status, await res.text()), res.status);
  return res;
}

// Asks a yes/no question in the page's dialog; one question at a time.
let dialogQueue = Promise.resolve();

function confirmAction(text, okLabel) {
  const ask = () =>
    new Promise((resolve) => {
      const dialog = $('confirm-dialog');
      $('confirm-text').textContent = text;
      $('confirm-ok').textContent = okLabel;
      dialog.returnValue = '';
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), {
        once: true,
      });
      dialog.showModal();
    });
  const answer = dialogQueue.then(ask);
  dialogQueue = answer.catch(() => {});
  return answer;
}

// --- session -------------------------------------------------------------------

function setUser(name) {
  if (name !== state.user) $('namespace-list').replaceChildren(); // not theirs
  state.user = name;
  $('login-form').hidden = Boolean(name);
  $('session').hidden = !name;
  $('session-user').textContent = name || '';
  $('create-form').hidden = !name;
}

async function loadSession() {
  try {
    const res = await api('GET', '/api/session');
    setUser((await res.json()).username);
  } catch (err) {
    if (err.status !== 401) throw err;
    setUser(null);
  }
}

async function login() {
  const res = await api('POST', '/api/login', {
    username: $('login-username').value.trim(),
    password: $('login-password').value,
  });
  $('login-password').value = '';
  setUser((await res.json()).username);
  closeNamespace();
  await refreshNamespaces();
}

async function logout() {
  await api('POST', '/api/logout');
  setUser(null);
  closeNamespace();
  await refreshNamespaces();
}

// --- cluster status ------------------------------------------------------------

async function refreshStatus() {
  const line = $('cluster-status');
  try {
    const s = await (await api('GET', '/storage/status')).json();
    line.textContent =
      `cluster: ${s.chunkserver_count}/${s.total_servers} chunkservers up · ` +
      `${s.file_count} files · replication ${s.replication_factor}`;
    line.className = s.chunkserver_count < s.total_servers ? 'warn' : 'ok';
  } catch (err) {
    line.textContent = `cluster: ${err.message}`;
    line.className = 'error';
  }
}

// --- namespaces ----------------------------------------------------------------

async function refreshNamespaces() {
  const namespaces = await (await api('GET', '/storage/namespaces')).json();
  state.namespaces = new Map(namespaces.map((ns) => [ns.name, ns]));
  $('namespace-list').replaceChildren(...namespaces.map(namespaceRow));
  renderPolicies();
  const empty = $('namespaces-empty');
  empty.hidden = namespaces.length > 0;
  empty.textContent = state.user
    ? 'No namespaces yet: create one above.'
    : 'Sign in to see your namespaces, or open a public one by its name.';
}

function namespaceRow(ns) {
  const isPublic = ns.visibility === 1;
  return el(
    'tr',
    {
      className: ns.name === state.ns ? 'current' : '',
      dataset: { testid: 'namespace-row', name: ns.name },
    },
    el('td', {}, el('button', {
      type: 'button',
      className: 'link',
      dataset: { testid: 'open-namespace' },
      onclick: action(() => navigate(ns.name, '')),
    }, ns.name)),
    el('td', { className: 'num', dataset: { testid: 'namespace-count' } }, String(ns.count)),
    el('td', { className: 'num', dataset: { testid: 'namespace-bytes' } }, formatBytes(ns.bytes)),
    el('td', {}, el('button', {
      type: 'button',
      className: isPublic ? 'tag public' : 'tag',
      title: `make it ${isPublic ? 'private' : 'public'}`,
      dataset: { testid: 'visibility-toggle' },
      onclick: action(() => setVisibility(ns.name, isPublic ? 0 : 1)),
    }, isPublic ? 'public' : 'private')),
    el('td', {}, el('button', {
      type: 'button',
      className: 'danger',
      dataset: { testid: 'delete-namespace' },
      onclick: action(() => deleteNamespace(ns)),
    }, 'Delete')),
  );
}

async function createNamespace() {
  const name = $('create-name').value.trim();
  const body = { name, visibility: Number($('create-visibility').value) };
  // Optional policies: an empty field leaves the policy unset.
  for (const [key, id] of [['keep_versions', 'create-keep-versions'],
    ['retention_days', 'create-retention-days']]) {
    const value = $(id).value.trim();
    if (value) body[key] = Number(value);
  }
  await api('POST', '/storage/namespaces', body);
  $('create-name').value = '';
  $('create-visibility').value = '0'; // private unless chosen each time
  $('create-keep-versions').value = '';
  $('create-retention-days').value = '';
  await refreshNamespaces();
  await navigate(name, '');
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// One line under the breadcrumb with the open namespace's policies, when it
// is one of the caller's (listed) namespaces and has any.
function renderPolicies() {
  const ns = state.namespaces.get(state.ns);
  const parts = [];
  if (ns && ns.keep_versions != null) {
    let text = `keeps ${plural(ns.keep_versions, 'old version')} per file`;
    if (ns.old_versions) {
      text += ` (${plural(ns.old_versions, 'old version')}, ${formatBytes(ns.old_version_bytes)} now)`;
    }
    parts.push(text);
  }
  if (ns && ns.retention_days != null) {
    parts.push(`files expire ${plural(ns.retention_days, 'day')} after their upload`);
  }
  const line = $('namespace-policies');
  line.textContent = parts.join(' · ');
  line.hidden = parts.length === 0;
}

async function setVisibility(name, visibility) {
  await api('PUT', `/storage/namespaces/${encodeURIComponent(name)}`, { visibility });
  await refreshNamespaces();
}

async function deleteNamespace(ns) {
  const question = `Delete namespace ${ns.name} and its ${ns.count} file(s)?`;
  if (!(await confirmAction(question, 'Delete'))) return;
  await api('DELETE', `/storage/namespaces/${encodeURIComponent(ns.name)}`);
  if (state.ns === ns.name) closeNamespace();
  showMessage(`Deleted namespace ${ns.name}`, 'info');
  await Promise.all([refreshNamespaces(), refreshStatus()]);
}

// --- navigation: #/<namespace>/<folder/> ----------------------------------------

function navigate(ns, prefix) {
  const hash = `#/${encodeURIComponent(ns)}/${encodePath(prefix)}`;
  if (location.hash === hash) return route();
  location.hash = hash; // the hashchange listener opens it
  return undefined;
}

async function route() {
  const match = location.hash.match(/^#\/([^/]+)\/?(.*)$/);
  if (!match) {
    closeNamespace();
    return;
  }
  await openNamespace(decodeURIComponent(match[1]), decodePath(match[2]));
}

function closeNamespace() {
  state.ns = null;
  state.prefix = '';
  state.listing += 1;
  $('file-list').replaceChildren();
  $('uploads').replaceChildren();
  $('namespace-view').hidden = true;
  $('no-namespace').hidden = false;
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  for (const row of document.querySelectorAll('#namespace-list tr')) row.className = '';
}

async function openNamespace(ns, prefix) {
  if (state.ns !== ns) $('uploads').replaceChildren();
  state.ns = ns;
  state.prefix = prefix;
  try {
    await listFiles(true);
  } catch (err) {
    closeNamespace();
    throw err;
  }
  renderBreadcrumb();
  renderPolicies();
  $('namespace-view').hidden = false;
  $('no-namespace').hidden = true;
  for (const row of document.querySelectorAll('#namespace-list tr')) {
    row.className = row.dataset.name === ns ? 'current' : '';
  }
}

function renderBreadcrumb() {
  const parts = [el('button', {
    type: 'button',
    className: 'link',
    dataset: { testid: 'crumb' },
    onclick: action(() => navigate(state.ns, '')),
  }, state.ns)];
  let prefix = '';
  for (const segment of state.prefix.split('/').filter(Boolean)) {
    prefix += `${segment}/`;
    const target = prefix;
    parts.push(' / ', el('button', {
      type: 'button',
      className: 'link',
      dataset: { testid: 'crumb' },
      onclick: action(() => navigate(state.ns, target)),
    }, segment));
  }
  $('breadcrumb').replaceChildren(...parts);
}

// --- files ---------------------------------------------------------------------

// Lists the open folder: from the start when `reset`, else the next page.
async function listFiles(reset) {
  const listing = reset ? ++state.listing : state.listing;
  const query = new URLSearchParams({
    namespace: state.ns,
    prefix: state.prefix,
    delimiter: '/',
    limit: String(PAGE_SIZE),
  });
  if (!reset && state.cursor) query.set('cursor', state.cursor);
  const res = await api('GET', `/storage/files?${query}`);
  const entries = await res.json();
  if (listing !== state.listing) return; // another listing started meanwhile
  const list = $('file-list');
  if (reset) {
    list.replaceChildren();
    state.folders.clear();
  }
  state.cursor = res.headers.get('X-Next-Cursor');
  for (const entry of entries) {
    if (!entry.folder) {
      list.append(fileRow(state.ns, entry));
    } else if (!state.folders.has(entry.path)) {
      state.folders.add(entry.path);
      list.append(folderRow(state.ns, entry));
    }
  }
  $('load-more').hidden = !state.cursor;
  $('files-empty').hidden = list.children.length > 0;
  // Pages shown so far, for whoever waits for a page to render (the tests).
  const table = $('file-table');
  table.dataset.pages = String(reset ? 1 : Number(table.dataset.pages || 0) + 1);
}

function folderRow(ns, folder) {
  return el(
    'tr',
    { className: 'folder', dataset: { testid: 'folder-row', path: folder.path } },
    el('td', { colSpan: 4 }, el('button', {
      type: 'button',
      className: 'link',
      onclick: action(() => navigate(ns, folder.path)),
    }, folder.name)),
  );
}

function fileRow(ns, file) {
  const row = el(
    'tr',
    { dataset: { testid: 'file-row', path: file.path } },
    el('td', { className: 'name', dataset: { testid: 'file-name' } }, file.name),
    el('td', {
      className: 'num',
      title: `${file.size} bytes`,
      dataset: { testid: 'file-size', size: String(file.size) },
    }, formatBytes(file.size)),
    el(
      'td',
      { title: isoTime(file.modified_at) },
      formatTime(file.modified_at),
      ...(file.expires_at ? [el('div', {
        className: 'expires',
        title: isoTime(file.expires_at),
        dataset: { testid: 'file-expires', expiresAt: file.expires_at },
      }, `expires ${formatTime(file.expires_at)}`)] : []),
    ),
    el(
      'td',
      { className: 'actions' },
      el('a', {
        href: apiUrl(fileUrl(ns, file.path)),
        target: '_blank',
        rel: 'noopener',
        className: 'button',
        dataset: { testid: 'view-link' },
      }, 'View'),
      el('button', {
        type: 'button',
        dataset: { testid: 'download-button' },
        onclick: action(() => download(ns, file.path)),
      }, 'Download'),
      el('button', {
        type: 'button',
        ariaExpanded: 'false',
        dataset: { testid: 'versions-button' },
        onclick: action(() => toggleVersions(ns, file.path, row)),
      }, 'Versions'),
      el('button', {
        type: 'button',
        dataset: { testid: 'share-button' },
        onclick: action(() => openShare(ns, file.path)),
      }, 'Share'),
      el('button', {
        type: 'button',
        className: 'danger',
        dataset: { testid: 'delete-button' },
        onclick: action(() => deleteFile(ns, file.path)),
      }, 'Delete'),
    ),
  );
  return row;
}

// Opens (or closes) a row under the file's row listing its versions, newest
// first. The next listing of the folder closes it.
async function toggleVersions(ns, path, row) {
  const button = row.querySelector('[data-testid=versions-button]');
  const next = row.nextElementSibling;
  if (next && next.classList.contains('versions')) {
    next.remove();
    button.ariaExpanded = 'false';
    return;
  }
  const cell = el('td', { colSpan: 4 }, 'loading versions…');
  const panel = el(
    'tr',
    { className: 'versions', dataset: { testid: 'versions-panel', path, state: 'loading' } },
    cell,
  );
  row.after(panel);
  button.ariaExpanded = 'true';
  let versions;
  try {
    const query = new URLSearchParams({ namespace: ns, path });
    versions = await (await api('GET', `/storage/versions?${query}`)).json();
  } catch (err) {
    panel.remove();
    button.ariaExpanded = 'false';
    throw err;
  }
  cell.replaceChildren(el('table', {}, el('tbody', {}, ...versions.map((v) => versionRow(ns, v)))));
  panel.dataset.state = 'loaded';
}

function versionRow(ns, version) {
  const { path } = version;
  return el(
    'tr',
    {
      title: `version ${version.version}`,
      dataset: {
        testid: 'version-row',
        version: String(version.version),
        current: String(version.current),
      },
    },
    el('td', {
      className: 'num',
      title: `${version.size} bytes`,
      dataset: { testid: 'version-size', size: String(version.size) },
    }, formatBytes(version.size)),
    el('td', { title: isoTime(version.modified_at) }, formatTime(version.modified_at)),
    el('td', { className: 'actions' }, ...(version.current
      ? [el('span', { className: 'tag current', dataset: { testid: 'version-current' } }, 'current')]
      : [
        el('a', {
          href: apiUrl(fileUrl(ns, path) + versionQuery(version.version)),
          target: '_blank',
          rel: 'noopener',
          className: 'button',
          dataset: { testid: 'version-view-link' },
        }, 'View'),
        el('button', {
          type: 'button',
          dataset: { testid: 'version-download-button' },
          onclick: action(() => download(ns, path, version.version)),
        }, 'Download'),
      ])),
  );
}

// The seed's download mechanism: a hidden iframe opens the attachment URL, so
// the browser saves the file and this page never navigates away.
// `version`: an old version's number, else the current file.
function download(ns, path, version) {
  const frame = document.createElement('iframe');
  frame.style.display = 'none';
  frame.dataset.testid = 'download-frame';
  frame.src = apiUrl(downloadUrl(ns, path) + versionQuery(version));
  // A download loads no document into the frame; an error page does, and
  // its message is shown rather than lost in an invisible frame.
  frame.addEventListener('load', () => {
    const text = frameErrorText(frame);
    const what = version === undefined ? path : `${path} (version ${version})`;
    if (text) showMessage(`Download of ${what} failed: ${text}`);
  });
  document.body.append(frame);
  setTimeout(() => frame.remove(), DOWNLOAD_FRAME_LIFETIME_MS);
}

function frameErrorText(frame) {
  let doc = null;
  try {
    doc = frame.contentDocument;
  } catch {
    return '';
  }
  if (!doc || !doc.body || doc.URL === 'about:blank') return '';
  const text = doc.body.textContent.trim();
  if (!text) return '';
  if (text.startsWith('{')) return errorText(0, text);
  const paragraph = doc.querySelector('p');
  return (paragraph ? paragraph.textContent : text).trim();
}

async function deleteFile(ns, path) {
  if (!(await confirmAction(`Delete ${path} from ${ns}?`, 'Delete'))) return;
  await api('DELETE', fileUrl(ns, path));
  showMessage(`Deleted ${path}`, 'info');
  await afterChange(ns);
}

// Refreshes what a finished change in `ns` may have altered.
async function afterChange(ns) {
  const work = [refreshNamespaces(), refreshStatus()];
  if (state.ns === ns) work.push(listFiles(true));
  await Promise.all(work);
}

// --- uploads -------------------------------------------------------------------

let uploadQueue = Promise.resolve();

// Uploads `files` one after another into the open folder.
function enqueueUploads(files) {
  if (!state.ns) {
    showMessage('Open a namespace first.');
    return;
  }
  const { ns, prefix } = state;
  for (const file of files) {
    const row = new UploadRow(prefix + file.name, file.size);
    uploadQueue = uploadQueue.then(async () => {
      try {
        await upload(ns, prefix + file.name, file, row, false);
      } catch (err) {
        row.fail(err.message);
        showMessage(`Upload of ${file.name} failed: ${err.message}`);
        return;
      }
      await afterChange(ns).catch((err) => showMessage(err.message));
    });
  }
}

// One line of the upload list: name, progress bar, state, and the
// buttons that pause, resume or retry it.
class UploadRow {
  constructor(path, size) {
    this.size = size;
    this.bar = el('progress', { max: Math.max(size, 1), value: 0 });
    this.text = el('span', { className: 'upload-state', dataset: { testid: 'upload-state' } });
    this.button = el('button', { type: 'button', hidden: true, dataset: { testid: 'upload-control' } });
    this.node = el(
      'li',
      { dataset: { testid: 'upload-row', path, state: 'waiting' } },
      el('span', { className: 'name' }, path),
      this.bar,
      this.text,
      this.button,
    );
    this.text.textContent = 'waiting';
    $('uploads').prepend(this.node);
  }

  set(stateName, text) {
    this.node.dataset.state = stateName;
    this.text.textContent = text;
  }

  // One button at a time: `label` runs `fn`; no label hides it.
  control(label, fn) {
    this.button.hidden = !label;
    this.button.textContent = label ?? '';
    this.button.onclick = fn ? action(fn) : null;
  }

  // An event of the server's progress stream.
  progress(event) {
    this.node.dataset.sseEvents = Number(this.node.dataset.sseEvents ?? 0) + 1;
    const total = event.total || this.size;
    this.bar.max = Math.max(total, 1);
    this.bar.value = event.bytes;
    if (event.done && !event.error) this.node.dataset.sseDone = 'true';
    if (!event.done && this.node.dataset.state === 'uploading') {
      this.text.textContent = `${formatBytes(event.bytes)} of ${formatBytes(total)}`;
    }
  }

  done(seenDone) {
    this.bar.value = this.bar.max;
    this.control(null);
    this.set('done', seenDone ? `done · ${formatBytes(this.size)}` : 'done (no progress report)');
  }

  fail(message) {
    this.set('error', message);
  }
}

// Follows the progress of transfer `id` on the server's SSE stream.
function watchProgress(id, onEvent) {
  const source = new EventSource(apiUrl(`/sse/progress?id=${encodeURIComponent(id)}`), {
    withCredentials: true,
  });
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  const opened = new Promise((resolve) => {
    source.onopen = resolve;
    setTimeout(resolve, PROGRESS_OPEN_WAIT_MS);
  });
  source.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    onEvent(event);
    if (event.done) {
      source.close(); // else EventSource reconnects when the stream ends
      finish(true);
    }
  };
  const close = () => {
    source.close();
    finish(false);
  };
  return { opened, done, close };
}

// The error of a failed TUS request: its status (0: no answer) and why.
function tusError(err) {
  const res = err.originalResponse;
  const status = res ? res.getStatus() : 0;
  return new ApiError(errorText(status, res ? res.getBody() : ''), status);
}

// Sends `file` to `path` in `ns` as one resumable upload (tus-js-client):
// retried with growing pauses when requests fail for want of a network or a
// server, resumed after a reload (the browser remembers unfinished uploads
// by namespace, path and file), pausable. Resolves once the file is stored.
function sendResumable(ns, path, file, row, overwrite, transferId) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: apiUrl('/storage/uploads'),
      chunkSize: UPLOAD_PIECE_BYTES,
      retryDelays: UPLOAD_RETRY_DELAYS_MS,
      metadata: {
        namespace: ns,
        filename: path,
        filetype: file.type || 'application/octet-stream',
        ...(overwrite ? { overwrite: 'true' } : {}),
      },
      headers: { 'X-Transfer-Id': transferId },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: async (f) =>
        ['sfs', API_ORIGIN || location.origin, ns, path, f.size, f.lastModified].join('|'),
      // The session cookie goes along, also to an API on another origin.
      onBeforeRequest: (req) => {
        req.getUnderlyingObject().withCredentials = true;
      },
      // Retry what a network or a server failure broke; a refusal (4xx)
      // stands, but an offset conflict, which tus-js-client repairs.
      onShouldRetry: (err) => {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        const creating = err.originalRequest?.getMethod() === 'POST';
        return status === 0 || status >= 500 || status === 423 || (status === 409 && !creating);
      },
      onProgress: (sent) => {
        row.node.dataset.sent = sent;
      },
      onError: (err) => reject(tusError(err)),
      onSuccess: () => resolve(),
    });
    const pause = () => {
      upload.abort();
      row.set('paused', 'paused');
      row.control('Resume', resume);
    };
    const resume = () => {
      row.set('uploading', 'resuming');
      row.control('Pause', pause);
      upload.start();
    };
    row.control('Pause', pause);
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        row.node.dataset.resumed = 'true';
      }
      upload.start();
    }, reject);
  });
}

async function upload(ns, path, file, row, overwrite) {
  row.set('uploading', 'starting');
  const id = newTransferId();
  const watch = watchProgress(id, (event) => row.progress(event));
  await watch.opened; // so the stream sees the transfer from its start
  try {
    await sendResumable(ns, path, file, row, overwrite, id);
  } catch (err) {
    watch.close();
    row.control(null);
    if (err.status === 409 && !overwrite) {
      row.set('conflict', 'already exists');
      if (await confirmAction(`${path} already exists in ${ns}. Replace it?`, 'Replace')) {
        await upload(ns, path, file, row, true);
      } else {
        row.set('skipped', 'kept the existing file');
      }
      return;
    }
    // Shown with a way to try again: a retry resumes where it stopped.
    row.fail(err.message);
    row.control('Retry', () => retryUpload(ns, path, file, row, overwrite));
    if (err.status === 0) {
      // No network: try again by itself once the browser is back online.
      window.addEventListener('online', () => {
        if (row.node.dataset.state === 'error') retryUpload(ns, path, file, row, overwrite);
      }, { once: true });
    }
    throw err;
  }
  const timeout = new Promise((resolve) => setTimeout(() => resolve(false), PROGRESS_DONE_WAIT_MS));
  const seenDone = await Promise.race([watch.done, timeout]);
  watch.close();
  row.done(seenDone);
}

async function retryUpload(ns, path, file, row, overwrite) {
  try {
    await upload(ns, path, file, row, overwrite);
  } catch (err) {
    showMessage(`Upload of ${file.name} failed: ${err.message}`);
    return;
  }
  await afterChange(ns);
}

// --- share links -------------------------------------------------------------

// The share dialog: a signed download link for `path`, or, with no path, a
// signed upload link for a name the user gives in the open folder (one
// upload, by anyone holding the link).
function openShare(ns, path) {
  const upload = path === null;
  $('share-title').textContent = upload
    ? `A link that uploads one file into ${ns}/${state.prefix}`
    : `A link to ${path} in ${ns}`;
  $('share-path-label').hidden = !upload;
  $('share-path').value = '';
  $('share-url').value = '';
  $('share-hint').textContent = '';
  $('share-copy').disabled = true;
  $('share-create').onclick = action(async () => {
    const target = upload ? state.prefix + $('share-path').value.trim() : path;
    if (upload && target === state.prefix) throw new Error('Name the file first.');
    const res = await api('POST', `/storage/sign/${encodeURIComponent(ns)}/${encodePath(target)}`, {
      method: upload ? 'PUT' : 'GET',
      expires_in: Number($('share-expiry').value),
      ...(upload ? { single_use: true } : {}),
    });
    const link = await res.json();
    $('share-url').value = new URL(link.url, API_ORIGIN || location.origin).href;
    $('share-copy').disabled = false;
    $('share-hint').textContent = `${upload
      ? 'Upload with: curl -T FILE "<link>". It works once'
      : 'Anyone with the link can download the file'}, until ${formatTime(link.expires_at)}.`;
  });
  $('share-dialog').showModal();
}

async function copyShareLink() {
  const input = $('share-url');
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    document.execCommand('copy'); // pages served over plain HTTP
  }
  showMessage('Link copied', 'info');
}

// --- wiring --------------------------------------------------------------------

function wire() {
  $('login-form').addEventListener('submit', action(login));
  $('logout-button').addEventListener('click', action(logout));
  $('create-form').addEventListener('submit', action(createNamespace));
  $('open-form').addEventListener('submit', action(() => navigate($('open-name').value.trim(), '')));
  $('load-more').addEventListener('click', action(() => listFiles(false)));
  $('message').addEventListener('click', clearMessage);
  $('share-copy').addEventListener('click', action(copyShareLink));
  $('upload-link-button').addEventListener('click', action(() => openShare(state.ns, null)));
  window.addEventListener('hashchange', action(route));

  const input = $('file-input');
  input.addEventListener('change', () => {
    enqueueUploads([...input.files]);
    input.value = ''; // choosing the same file again fires `change` again
  });
  const zone = $('files-panel');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    enqueueUploads([...event.dataTransfer.files]);
  });
  // A file dropped anywhere else must not replace the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

async function start() {
  wire();
  refreshStatus();
  setInterval(refreshStatus, STATUS_REFRESH_MS);
  try {
    await loadSession();
    await refreshNamespaces();
    await route();
  } catch (err) {
    showMessage(err.message);
  }
  document.body.dataset.ready = 'true';
}

start();
