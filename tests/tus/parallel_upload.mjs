// Unmodified tus-js-client uploading one file over several connections at
// once (parallelUploads: partial uploads, then a final one that puts them
// together). Driven by tests/frontend_tus_test.cc, which checks the stored
// file. Exits non-zero with the reason on stderr when anything fails.
//
//   node parallel_upload.mjs --endpoint URL --token JWT --file PATH
//        --namespace NS --name NAME [--parallel 4]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import * as tus from 'tus-js-client';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    token: { type: 'string' },
    file: { type: 'string' },
    namespace: { type: 'string' },
    name: { type: 'string' },
    parallel: { type: 'string', default: '4' },
  },
});

const data = await readFile(args.file);
const metadata = {
  namespace: args.namespace,
  filename: args.name,
  filetype: 'application/octet-stream',
};
await new Promise((resolve, reject) => {
  const upload = new tus.Upload(data, {
    endpoint: `${args.endpoint}/storage/uploads`,
    headers: { Authorization: `Bearer ${args.token}` },
    metadata,
    // Each part is admitted like any upload into the namespace.
    metadataForPartialUploads: metadata,
    parallelUploads: Number(args.parallel),
    retryDelays: null,
    onError: reject,
    onSuccess: resolve,
  });
  upload.start();
});
console.log(JSON.stringify({ size: data.length, parallel: Number(args.parallel) }));
