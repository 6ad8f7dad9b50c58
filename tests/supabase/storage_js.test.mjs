// Unmodified @supabase/storage-js (npm, pinned in package-lock.json) against
// a real local cluster's /storage/v1: every bucket and object method a
// Supabase user reaches for, checked by SHA-256 of the bytes, by status
// codes and by Supabase's error shapes. The tests run in order and build on
// each other, as one project's use of its storage would.
//
// Keys are minted as Supabase mints them (HS256 JWTs with a "role"),
// signed with the cluster's own JWT secret: an anon key, a service key, and
// user tokens for alice and bob.
//
//   SFS_BIN_DIR   folder of sfs, sfs-master, ... (default <repo>/build/bin)
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { StorageClient } from '@supabase/storage-js';
import * as tus from 'tus-js-client';

import { startCluster } from '../browser/cluster.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const binDir = process.env.SFS_BIN_DIR || join(repo, 'build/bin');

let root;
let cluster;
let storageUrl;
let keys; // anon, service, alice, bob, forged
let alice; // StorageClient as alice
let bob;
let anon;
let service;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const blobSha = async (blob) => sha256(Buffer.from(await blob.arrayBuffer()));
const base64url = (data) => Buffer.from(data).toString('base64url');

function mintJwt(secret, claims) {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }),
  );
  const signature = createHmac('sha256', secret)
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

const client = (token) =>
  new StorageClient(storageUrl, {
    apikey: keys.anon,
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  });

// A failed call's StorageApiError, with Supabase's fields.
function expectError(result, status, code, message) {
  assert.equal(result.data, null, `expected an error, got ${JSON.stringify(result.data)}`);
  const { error } = result;
  assert.ok(error, 'expected an error');
  assert.equal(error.status, status, `${error.message} (${error.code})`);
  assert.equal(error.statusCode, String(status));
  if (code) assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
}

function ok(result) {
  assert.equal(result.error, null, result.error && `${result.error.message} (${result.error.status})`);
  return result.data;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sfs-supabase-'));
  const dataDir = join(root, 'data');
  cluster = await startCluster({
    binDir,
    webDir: join(repo, 'sfs-frontend/web'),
    dataDir,
    logPath: join(root, 'cluster.log'),
  });
  storageUrl = `${cluster.url}/storage/v1`;
  const secret = (await readFile(join(dataDir, 'jwt.secret'), 'utf8')).trimEnd();
  const aliceToken = mintJwt(secret, { sub: 'alice', role: 'authenticated' });
  keys = {
    anon: mintJwt(secret, { role: 'anon' }),
    service: mintJwt(secret, { role: 'service_role' }),
    alice: aliceToken,
    bob: mintJwt(secret, { sub: 'bob', role: 'authenticated' }),
    // The signature's first character carries data: changing it breaks it.
    forged: aliceToken.replace(/\.(.)([^.]*)$/, (_, c, rest) => `.${c === 'A' ? 'B' : 'A'}${rest}`),
  };
  alice = client(keys.alice);
  bob = client(keys.bob);
  anon = client(null);
  service = client(keys.service);
});

after(async () => {
  await cluster?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const photo = randomBytes(300_000);
const notes = Buffer.from('notes of alice\n');

test('buckets: create, get, list, update; duplicates and strangers refused', async () => {
  assert.deepEqual(ok(await alice.createBucket('photos', {
    public: false,
    fileSizeLimit: '1MB',
    allowedMimeTypes: ['image/*', 'text/plain'],
  })), { name: 'photos' });
  ok(await alice.createBucket('pub', { public: true }));
  ok(await alice.createBucket('limited', { public: false, fileSizeLimit: 1000 }));

  const bucket = ok(await alice.getBucket('photos'));
  assert.equal(bucket.id, 'photos');
  assert.equal(bucket.name, 'photos');
  assert.equal(bucket.owner, 'alice');
  assert.equal(bucket.public, false);
  assert.equal(bucket.file_size_limit, 1_000_000);
  assert.deepEqual(bucket.allowed_mime_types, ['image/*', 'text/plain']);
  assert.match(bucket.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const names = ok(await alice.listBuckets()).map((b) => b.name);
  assert.deepEqual(names, ['limited', 'photos', 'pub']);
  assert.deepEqual(
    ok(await alice.listBuckets({ search: 'PH' })).map((b) => b.name), ['photos']);
  assert.deepEqual(
    ok(await alice.listBuckets({ sortColumn: 'name', sortOrder: 'desc', limit: 2, offset: 1 }))
      .map((b) => b.name),
    ['photos', 'limited']);

  assert.deepEqual(ok(await alice.updateBucket('photos', {
    public: false,
    fileSizeLimit: 2_000_000,
    allowedMimeTypes: ['image/*', 'text/plain'],
  })), { message: 'Successfully updated' });
  assert.equal(ok(await alice.getBucket('photos')).file_size_limit, 2_000_000);

  expectError(await alice.createBucket('photos', { public: false }), 409,
    'BucketAlreadyExists', /The resource already exists/);
  expectError(await alice.getBucket('nope'), 404, 'NoSuchBucket', /Bucket not found/);
  expectError(await alice.createBucket('bad/name', { public: false }), 400, 'InvalidRequest');
  expectError(await alice.createBucket('x', { public: false, fileSizeLimit: 'lots' }), 400,
    'InvalidRequest', /Invalid file size format/);
  expectError(await alice.createBucket('y', { public: false, allowedMimeTypes: ['not a type'] }),
    415, 'InvalidMimeType');

  // Bob sees none of alice's buckets and cannot change them; the service
  // key sees every bucket.
  assert.deepEqual(ok(await bob.listBuckets()), []);
  expectError(await bob.getBucket('photos'), 404, 'NoSuchBucket');
  expectError(await bob.updateBucket('photos', { public: true }), 403, 'AccessDenied');
  const all = ok(await service.listBuckets()).map((b) => b.name);
  for (const name of ['photos', 'pub', 'limited']) assert.ok(all.includes(name), all.join());

  // A credential that does not check out is refused, never taken as anon.
  expectError(await client(keys.forged).listBuckets(), 400, 'InvalidJWT');
});

test('upload raw and multipart, upsert, update, download by SHA-256', async () => {
  const photos = alice.from('photos');
  const raw = ok(await photos.upload('cats/tom.png', photo, { contentType: 'image/png' }));
  assert.equal(raw.path, 'cats/tom.png');
  assert.equal(raw.fullPath, 'photos/cats/tom.png');
  assert.match(raw.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  // A Blob goes as multipart/form-data, its fields ahead of the file.
  ok(await photos.upload('notes.txt', new Blob([notes], { type: 'text/plain' }), {
    cacheControl: '60',
    metadata: { owner: 'alice', rating: 5 },
  }));

  assert.equal(await blobSha(ok(await photos.download('cats/tom.png'))), sha256(photo));
  assert.equal(await blobSha(ok(await photos.download('notes.txt'))), sha256(notes));

  // Without upsert an existing object stays; with it, or by update, it is
  // replaced.
  expectError(await photos.upload('notes.txt', Buffer.from('other'), { contentType: 'text/plain' }),
    409, 'KeyAlreadyExists', /The resource already exists/);
  assert.equal(await blobSha(ok(await photos.download('notes.txt'))), sha256(notes));
  const second = Buffer.from('second notes\n');
  ok(await photos.upload('notes2.txt', notes, { contentType: 'text/plain' }));
  ok(await photos.upload('notes2.txt', second, { contentType: 'text/plain', upsert: true }));
  assert.equal(await blobSha(ok(await photos.download('notes2.txt'))), sha256(second));
  const third = Buffer.from('third notes\n');
  ok(await photos.update('notes2.txt', third, { contentType: 'text/plain' }));
  assert.equal(await blobSha(ok(await photos.download('notes2.txt'))), sha256(third));
});

test('bucket limits: size 413, MIME type 415, nothing stored', async () => {
  expectError(await alice.from('limited').upload('big.bin', randomBytes(2000)), 413,
    'EntityTooLarge', /The object exceeded the maximum allowed size/);
  ok(await alice.from('limited').upload('small.bin', randomBytes(1000)));
  expectError(
    await alice.from('photos').upload('doc.pdf', randomBytes(100), { contentType: 'application/pdf' }),
    415, 'InvalidMimeType', /application\/pdf/);
  expectError(await alice.from('limited').info('big.bin'), 404, 'NoSuchKey');
  expectError(await alice.from('photos').info('doc.pdf'), 404, 'NoSuchKey');
});

test('public and private downloads; download= names the attachment', async () => {
  ok(await alice.from('pub').upload('hello.txt', notes, { contentType: 'text/plain' }));
  const { publicUrl } = alice.from('pub').getPublicUrl('hello.txt').data;
  assert.equal(publicUrl, `${storageUrl}/object/public/pub/hello.txt`);
  const plain = await fetch(publicUrl);
  assert.equal(plain.status, 200);
  assert.equal(sha256(Buffer.from(await plain.arrayBuffer())), sha256(notes));
  const named = await fetch(
    alice.from('pub').getPublicUrl('hello.txt', { download: 'greeting.txt' }).data.publicUrl);
  assert.match(named.headers.get('content-disposition'), /^attachment; filename="greeting.txt"/);
  await named.arrayBuffer();

  // A private bucket has no public URL, and strangers cannot read it.
  const closed = await fetch(alice.from('photos').getPublicUrl('notes.txt').data.publicUrl);
  assert.equal(closed.status, 403);
  assert.equal((await closed.json()).code, 'AccessDenied');
  expectError(await anon.from('photos').download('notes.txt'), 403, 'AccessDenied');
  expectError(await bob.from('photos').download('notes.txt'), 403, 'AccessDenied');
  expectError(await alice.from('photos').download('missing.txt'), 404, 'NoSuchKey',
    /Object not found/);
  // Anyone may read the public bucket; nobody but alice may write it.
  assert.equal(await blobSha(ok(await anon.from('pub').download('hello.txt'))), sha256(notes));
  expectError(await anon.from('pub').upload('x.txt', notes), 403, 'AccessDenied');
});

test('info and exists', async () => {
  const info = ok(await alice.from('photos').info('notes.txt'));
  assert.equal(info.name, 'notes.txt');
  assert.equal(info.bucketId, 'photos');
  assert.equal(info.size, notes.length);
  assert.equal(info.contentType, 'text/plain');
  assert.equal(info.cacheControl, 'max-age=60');
  assert.equal(info.etag, `"${sha256(notes)}"`);
  assert.deepEqual(info.metadata, { owner: 'alice', rating: '5' });
  assert.equal(ok(await alice.from('photos').exists('notes.txt')), true);
  const missing = await alice.from('photos').exists('nope.txt');
  assert.equal(missing.data, false);
  // The stored Cache-Control comes back on download.
  const res = await fetch(`${storageUrl}/object/photos/notes.txt`, {
    headers: { Authorization: `Bearer ${keys.alice}` },
  });
  assert.equal(res.headers.get('cache-control'), 'private, max-age=60');
  assert.equal(res.headers.get('x-meta-owner'), 'alice');
  await res.arrayBuffer();
});

test('list: folders, prefix, limit, offset, sortBy, search', async () => {
  const docs = alice.from('pub');
  for (const name of ['docs/a.txt', 'docs/b.txt', 'docs/c.txt', 'docs/sub/d.txt', 'docs/sub/e.txt']) {
    ok(await docs.upload(name, Buffer.from(name), { contentType: 'text/plain' }));
  }
  const listed = ok(await docs.list('docs'));
  assert.deepEqual(listed.map((e) => e.name), ['a.txt', 'b.txt', 'c.txt', 'sub']);
  const file = listed[0];
  assert.match(file.id, /^[0-9a-f-]{36}$/);
  assert.equal(file.metadata.size, 'docs/a.txt'.length);
  assert.equal(file.metadata.mimetype, 'text/plain');
  assert.equal(file.metadata.eTag, `"${sha256('docs/a.txt')}"`);
  assert.deepEqual(listed[3], {
    name: 'sub', id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null,
  });

  assert.deepEqual(ok(await docs.list('docs', { limit: 2, offset: 1 })).map((e) => e.name),
    ['b.txt', 'c.txt']);
  assert.deepEqual(ok(await docs.list('docs/', { search: 'B' })).map((e) => e.name), ['b.txt']);
  assert.deepEqual(
    ok(await docs.list('docs', { sortBy: { column: 'name', order: 'desc' } })).map((e) => e.name),
    ['sub', 'c.txt', 'b.txt', 'a.txt']);
  // By a time, folders first; c.txt was written last.
  assert.deepEqual(
    ok(await docs.list('docs', { sortBy: { column: 'created_at', order: 'desc' } }))
      .map((e) => e.name),
    ['sub', 'c.txt', 'b.txt', 'a.txt']);
  assert.deepEqual(ok(await docs.list('docs/sub')).map((e) => e.name), ['d.txt', 'e.txt']);
  assert.deepEqual(ok(await docs.list('')).map((e) => e.name), ['docs', 'hello.txt']);
});

test('copy and move, within and across buckets', async () => {
  const pub = alice.from('pub');
  assert.deepEqual(ok(await pub.copy('docs/a.txt', 'copies/a.txt')), { path: 'pub/copies/a.txt' });
  assert.equal(await blobSha(ok(await pub.download('copies/a.txt'))), sha256('docs/a.txt'));
  expectError(await pub.copy('docs/a.txt', 'copies/a.txt'), 409, 'KeyAlreadyExists');
  ok(await alice.from('photos').copy('cats/tom.png', 'tom.png', { destinationBucket: 'pub' }));
  assert.equal(await blobSha(ok(await anon.from('pub').download('tom.png'))), sha256(photo));

  assert.deepEqual(ok(await pub.move('docs/c.txt', 'moved/c.txt')), { message: 'Successfully moved' });
  expectError(await pub.download('docs/c.txt'), 404, 'NoSuchKey');
  assert.equal(await blobSha(ok(await pub.download('moved/c.txt'))), sha256('docs/c.txt'));
  expectError(await pub.move('docs/b.txt', 'moved/c.txt'), 409, 'ResourceAlreadyExists');
  expectError(await pub.move('docs/none.txt', 'moved/none.txt'), 404, 'NoSuchKey');
  // Bob may not take alice's files.
  expectError(await bob.from('pub').move('docs/b.txt', 'mine.txt'), 403, 'AccessDenied');
});

test('remove: one, many, missing ones left out', async () => {
  const pub = alice.from('pub');
  const removed = ok(await pub.remove(['copies/a.txt', 'docs/none.txt', 'moved/c.txt']));
  assert.deepEqual(removed.map((o) => o.name).sort(), ['copies/a.txt', 'moved/c.txt']);
  expectError(await pub.download('copies/a.txt'), 404, 'NoSuchKey');
  // Strangers remove nothing, even from a public bucket.
  expectError(await anon.from('pub').remove(['docs/a.txt']), 403, 'AccessDenied');
  assert.equal(await blobSha(ok(await pub.download('docs/a.txt'))), sha256('docs/a.txt'));
});

test('signed download URLs: no credential needed, ranges, expiry, tampering', async () => {
  const photos = alice.from('photos');
  const { signedUrl } = ok(await photos.createSignedUrl('cats/tom.png', 60));
  assert.ok(signedUrl.startsWith(`${storageUrl}/object/sign/photos/cats/tom.png?token=`), signedUrl);
  const whole = await fetch(signedUrl);
  assert.equal(whole.status, 200);
  assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(photo));
  const part = await fetch(signedUrl, { headers: { Range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(sha256(Buffer.from(await part.arrayBuffer())), sha256(photo.subarray(100, 200)));

  const named = ok(await photos.createSignedUrl('notes.txt', 60, { download: 'mine.txt' }));
  const attachment = await fetch(named.signedUrl);
  assert.match(attachment.headers.get('content-disposition'), /filename="mine.txt"/);
  await attachment.arrayBuffer();

  // Tampered with: the token's signature, or the path it names.
  const tampered = signedUrl.replace(/token=(.)/, (_, c) => `token=${c === 'a' ? 'b' : 'a'}`);
  const refused = await fetch(tampered);
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).code, 'InvalidJWT');
  const elsewhere = await fetch(signedUrl.replace('cats/tom.png', 'notes.txt'));
  assert.equal(elsewhere.status, 400);
  assert.equal((await elsewhere.json()).code, 'InvalidSignature');

  const many = ok(await photos.createSignedUrls(['notes.txt', 'missing.txt'], 60));
  assert.equal(many.length, 2);
  assert.equal(many[0].error, null);
  assert.equal(many[0].path, 'notes.txt');
  const first = await fetch(many[0].signedUrl);
  assert.equal(sha256(Buffer.from(await first.arrayBuffer())), sha256(notes));
  assert.equal(many[1].signedUrl, null);
  assert.match(many[1].error, /does not exist/);

  // Signing needs read access, and a missing object has no URL.
  expectError(await bob.from('photos').createSignedUrl('notes.txt', 60), 403, 'AccessDenied');
  expectError(await photos.createSignedUrl('missing.txt', 60), 404, 'NoSuchKey');

  const short = ok(await photos.createSignedUrl('notes.txt', 1));
  await new Promise((r) => setTimeout(r, 2100));
  const expired = await fetch(short.signedUrl);
  assert.equal(expired.status, 400);
  const body = await expired.json();
  assert.equal(body.code, 'InvalidJWT');
  assert.match(body.message, /expired/);
});

test('signed upload URLs: one upload each, by anyone holding one', async () => {
  const photos = alice.from('photos');
  const signed = ok(await photos.createSignedUploadUrl('inbox/from-bob.png'));
  assert.equal(signed.path, 'inbox/from-bob.png');
  assert.ok(signed.token);
  const payload = randomBytes(50_000);
  // Bob has no rights in photos: the link is his only credential.
  const anonPhotos = anon.from('photos');
  assert.deepEqual(
    ok(await anonPhotos.uploadToSignedUrl('inbox/from-bob.png', signed.token, payload,
      { contentType: 'image/png' })),
    { path: 'inbox/from-bob.png', fullPath: 'photos/inbox/from-bob.png' });
  assert.equal(await blobSha(ok(await photos.download('inbox/from-bob.png'))), sha256(payload));
  expectError(
    await anonPhotos.uploadToSignedUrl('inbox/from-bob.png', signed.token, randomBytes(10),
      { contentType: 'image/png', upsert: true }),
    409, null, /already been used/);
  assert.equal(await blobSha(ok(await photos.download('inbox/from-bob.png'))), sha256(payload));

  // The bucket's policies hold for links too; a refused upload leaves the
  // link usable.
  const second = ok(await photos.createSignedUploadUrl('inbox/other.png'));
  expectError(
    await anonPhotos.uploadToSignedUrl('inbox/other.png', second.token, randomBytes(10),
      { contentType: 'application/pdf' }),
    415, 'InvalidMimeType');
  ok(await anonPhotos.uploadToSignedUrl('inbox/other.png', second.token, randomBytes(10),
    { contentType: 'image/png' }));
  // A link names one path, and is not a download link.
  const third = ok(await photos.createSignedUploadUrl('inbox/third.png'));
  expectError(
    await anonPhotos.uploadToSignedUrl('inbox/elsewhere.png', third.token, randomBytes(10)),
    400, 'InvalidSignature');
  const asDownload = await fetch(`${storageUrl}/object/sign/photos/inbox/third.png?token=${third.token}`);
  assert.equal(asDownload.status, 400);
  assert.equal((await asDownload.json()).code, 'InvalidSignature');

  // An existing object gets no upload link without upsert.
  expectError(await photos.createSignedUploadUrl('notes.txt'), 409, 'KeyAlreadyExists');
  ok(await photos.createSignedUploadUrl('notes.txt', { upsert: true }));
});

test('empty and delete buckets', async () => {
  expectError(await alice.deleteBucket('photos'), 409, 'ResourceNotEmpty',
    /The bucket you tried to delete is not empty/);
  expectError(await bob.emptyBucket('photos'), 403, 'AccessDenied');
  ok(await alice.emptyBucket('photos'));
  assert.deepEqual(ok(await alice.from('photos').list('')), []);
  assert.deepEqual(ok(await alice.deleteBucket('photos')), { message: 'Successfully deleted' });
  expectError(await alice.getBucket('photos'), 404, 'NoSuchBucket');
  expectError(await alice.from('photos').upload('a.txt', notes), 404, 'NoSuchBucket');
  expectError(await alice.deleteBucket('photos'), 404, 'NoSuchBucket');
});

// Supabase's resumable uploads: tus-js-client at /storage/v1/upload/resumable
// with Supabase's metadata names and 6 MiB pieces, as Supabase documents.
test('resumable uploads at /storage/v1/upload/resumable', async () => {
  ok(await alice.createBucket('resumable', { public: false, fileSizeLimit: '20MB' }));
  const data = randomBytes(13 * 1024 * 1024 + 5);
  const send = (name, extra = {}) => new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: `${storageUrl}/upload/resumable`,
      headers: { authorization: `Bearer ${keys.alice}`, 'x-upsert': 'false', ...extra },
      metadata: {
        bucketName: 'resumable',
        objectName: name,
        contentType: 'application/octet-stream',
        cacheControl: '3600',
      },
      chunkSize: 6 * 1024 * 1024,
      retryDelays: null,
      onError: reject,
      onSuccess: () => resolve(upload.url),
    });
    upload.start();
  });
  const url = await send('big/file.bin');
  assert.ok(url.startsWith(`${storageUrl}/upload/resumable/`), url);
  const stored = alice.from('resumable');
  assert.equal(await blobSha(ok(await stored.download('big/file.bin'))), sha256(data));
  const info = ok(await stored.info('big/file.bin'));
  assert.equal(info.size, data.length);
  assert.equal(info.cacheControl, 'max-age=3600');

  // The bucket's rules hold: no overwrite without x-upsert, the size limit,
  // Supabase's error shape.
  await assert.rejects(send('big/file.bin'), (err) => {
    assert.equal(err.originalResponse.getStatus(), 409);
    assert.equal(JSON.parse(err.originalResponse.getBody()).code, 'KeyAlreadyExists');
    return true;
  });
  await send('big/file.bin', { 'x-upsert': 'true' });
  const res = await fetch(`${storageUrl}/upload/resumable`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${keys.alice}`,
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(21_000_000),
      'Upload-Metadata': `bucketName ${Buffer.from('resumable').toString('base64')},objectName ${Buffer.from('huge.bin').toString('base64')}`,
    },
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).code, 'EntityTooLarge');
});

test('image transforms are reserved', async () => {
  const res = await fetch(`${storageUrl}/render/image/authenticated/pub/tom.png`, {
    headers: { Authorization: `Bearer ${keys.alice}` },
  });
  assert.equal(res.status, 501);
  assert.equal((await res.json()).statusCode, '501');
});
