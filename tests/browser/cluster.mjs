// A whole local SFS cluster for a browser test: `sfs up` (master, four
// chunkservers, frontend serving the web UI) on free loopback ports, in its
// own process group so that stopping it leaves no process behind.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const CHUNKSERVERS = 4;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;
// Away from `make up`'s 8080, 9000 and 9101+, and below the usual
// ephemeral range, where outgoing connections take their ports.
const PORT_RANGE = [20_000, 32_000];

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// `count` consecutive free ports: master, chunkservers, frontend.
async function freePorts(count) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const [low, high] = PORT_RANGE;
    const base = low + Math.floor(Math.random() * (high - low - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    let free = true;
    for (const port of ports) free = free && (await portIsFree(port));
    if (free) return ports;
  }
  throw new Error('no run of free loopback ports found');
}

function tail(path, lines = 40) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Starts the cluster; resolves once the frontend is ready and every
// chunkserver is alive. `users` ([name, password] pairs) are added to the
// catalog first: the frontend holds the embedded catalog's lock while it runs.
// `frontendArgs` are extra sfs-frontend flags. With `contentHost` (a host
// name other than 127.0.0.1 that also reaches this machine, like localhost)
// the frontend serves files shown inline from http://<contentHost>:<port>
// (--content_origin): the same server, which the browser takes for another
// origin, so no cookie of the API's origin goes there.
export async function startCluster({
  binDir, webDir, dataDir, logPath, users = [], frontendArgs = [], contentHost,
}) {
  const sfs = `${binDir}/sfs`;
  mkdirSync(dataDir, { recursive: true });
  for (const [name, password] of users) {
    execFileSync(sfs, ['user', 'add', name, `--data=${dataDir}`], {
      env: { ...process.env, SFS_PASSWORD: password },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }

  const [masterPort, firstChunkserverPort, ...rest] = await freePorts(CHUNKSERVERS + 2);
  const httpPort = rest[rest.length - 1];
  const contentOrigin = contentHost ? `http://${contentHost}:${httpPort}` : null;
  const allFrontendArgs = [
    ...frontendArgs,
    ...(contentOrigin ? [`--content_origin=${contentOrigin}`] : []),
  ];
  const log = openSync(logPath, 'a');
  const child = spawn(
    sfs,
    [
      'up',
      `--data=${dataDir}`,
      `--master_port=${masterPort}`,
      `--chunkserver_port=${firstChunkserverPort}`,
      `--chunkservers=${CHUNKSERVERS}`,
      `--http_port=${httpPort}`,
      `--web=${webDir}`,
      ...(allFrontendArgs.length ? [`--frontend_args=${allFrontendArgs.join(' ')}`] : []),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = false;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  // Last resort when the test process dies without running its hooks.
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killGroup);

  const url = `http://127.0.0.1:${httpPort}`;
  const cluster = {
    url,
    contentOrigin, // null without `contentHost`
    logPath,
    async stop() {
      process.removeListener('exit', killGroup);
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        await Promise.race([exit, delay(STOP_GRACE_MS)]);
      }
      killGroup(); // anything of the group still alive
    },
  };

  try {
    await waitUntilReady(url, () => exited);
  } catch (err) {
    await cluster.stop();
    throw new Error(`${err.message}\n--- ${logPath} ---\n${tail(logPath)}`);
  }
  return cluster;
}

async function waitUntilReady(url, hasExited) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'nothing yet';
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('sfs up exited before the cluster was ready');
    try {
      const ready = await fetch(`${url}/readyz`);
      if (ready.ok) {
        const status = await (await fetch(`${url}/storage/status`)).json();
        if (status.chunkserver_count === CHUNKSERVERS) return;
        last = `${status.chunkserver_count} chunkservers alive`;
      } else {
        last = `readyz answered ${ready.status}`;
      }
    } catch (err) {
      last = err.cause?.code || err.message;
    }
    await delay(100);
  }
  throw new Error(`cluster not ready after ${START_TIMEOUT_MS} ms (${last})`);
}
