// Unmodified tus-js-client (npm, pinned in package-lock.json) uploading a
// file to one SFS frontend, aborted part-way, then resumed against another
// replica from the offset that replica reports. Driven by
// tests/frontend_tus_test.cc, which starts the replicas and checks the
// stored file; prints one JSON line of what happened.
//
//   node resume_upload.mjs --first URL --second URL --token JWT --file PATH
//        --namespace NS --name NAME [--abort-at 0.4]
//
// URLs are frontends' bases (http://127.0.0.1:PORT). Exits non-zero with
// the reason on stderr when anything fails.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import * as tus from 'tus-js-client';

const { values: args } = parseArgs({
  options: {
    first: { type: 'string' },
    second: { type: 'string' },
    token: { type: 'string' },
    file: { type: 'string' },
    namespace: { type: 'string' },
    name: { type: 'string' },
    'abort-at': { type: 'string', default: '0.4' },
  },
});

const data = await readFile(args.file);
const headers = { Authorization: `Bearer ${args.token}` };
const metadata = {
  namespace: args.namespace,
  filename: args.name,
  filetype: 'application/octet-stream',
};

// First attempt: aborted once `abort-at` of the bytes went out.
const abortAt = Number(args['abort-at']) * data.length;
const uploadUrl = await new Promise((resolve, reject) => {
  const upload = new tus.Upload(data, {
    endpoint: `${args.first}/storage/uploads`,
    headers,
    metadata,
    retryDelays: null,
    onError: reject,
    onSuccess: () => reject(new Error('the first attempt was not aborted')),
    onProgress: (sent) => {
      if (sent < abortAt || upload.aborted) return;
      upload.aborted = true;
      upload.abort().then(() => resolve(upload.url), reject);
    },
  });
  upload.start();
});

// Between the attempts the file is not visible.
const path = `/storage/${args.namespace}/${encodeURIComponent(args.name)}`;
const between = await fetch(`${args.second}${path}`, { method: 'HEAD', headers });

// Second attempt, on the other replica, from the offset it reports.
const resumedUrl = new URL(new URL(uploadUrl).pathname, args.second).href;
const offset = await fetch(resumedUrl, {
  method: 'HEAD',
  headers: { ...headers, 'Tus-Resumable': '1.0.0' },
}).then((res) => Number(res.headers.get('upload-offset')));
// The aborted request may still be finishing on the first replica: what it
// received is committed once its body ends, possibly after the HEAD above.
// Then the offset moved, and the server refuses our PATCH with 409 without
// reading its body. Closing while we still send, it can cost us that
// answer (EPIPE). A TUS client asks for the offset again and goes on; so
// does this one, for those two failures only and at most three times.
let retries = 0;
await new Promise((resolve, reject) => {
  const upload = new tus.Upload(data, {
    uploadUrl: resumedUrl,
    headers,
    metadata,
    retryDelays: [0, 200, 1000],
    onShouldRetry: (err) => {
      const status = err.originalResponse?.getStatus() ?? 0;
      const cut = ['EPIPE', 'ECONNRESET'].includes(err.causingError?.code);
      const again = status === 409 || (status === 0 && cut);
      if (again) retries += 1;
      return again;
    },
    onError: reject,
    onSuccess: resolve,
  });
  upload.start();
});

console.log(JSON.stringify({
  upload_url: uploadUrl,
  resumed_url: resumedUrl,
  resumed_at: offset,
  size: data.length,
  status_between: between.status,
  retries,
}));
