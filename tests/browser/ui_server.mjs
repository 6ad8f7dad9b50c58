// The web UI served from an origin of its own, as a deployment that puts the
// UI on cloud.<host> and the API on storage.cloud.<host> does: a plain
// static file server over a copy of the UI folder whose index.html names
// the API's origin (<meta name="sfs-api">).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Listens on a free loopback port; resolves to { url, setApiOrigin, close }.
// Until setApiOrigin is called the page calls its own origin.
export async function startUiServer(webDir) {
  let apiOrigin = '';
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://ui').pathname;
    const file = normalize(path === '/' ? '/index.html' : path);
    if (file.includes('..') || !TYPES[extname(file)]) {
      res.writeHead(404).end();
      return;
    }
    try {
      let body = await readFile(join(webDir, file), 'utf8');
      if (file === '/index.html') {
        body = body.replace(
          '<meta name="sfs-api" content="">',
          `<meta name="sfs-api" content="${apiOrigin}">`,
        );
      }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    setApiOrigin(origin) {
      apiOrigin = origin;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
