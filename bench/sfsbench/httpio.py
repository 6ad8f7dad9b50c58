"""HTTP transfers to the frontend (and nginx), each checked before it counts.

Large single transfers go through curl, as a user's script would; the many
concurrent ones of the small-file and N-user workloads use http.client from
threads, so each user can send its own bytes without a file per user.
"""

import hashlib
import http.client
import json
import os
import time
import urllib.parse

from .errors import BenchError
from .procs import MIB, run, sha256_of_file


class Endpoint:
    """One HTTP server on loopback, with the bearer token to present (if any)
    and the loopback address to connect from (the client address the server
    sees; its per-client caps count per address)."""

    def __init__(self, port, token=None, source="127.0.0.1"):
        self.port = port
        self.token = token
        self.source = source

    def from_address(self, source):
        """The same endpoint, reached from another loopback address."""
        return Endpoint(self.port, self.token, source)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{self.target(path)}"

    @staticmethod
    def target(path):
        """The request target for path (percent-encoded, as url() uses)."""
        return urllib.parse.quote(path)

    def headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def connect(self, timeout=600):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout, blocksize=MIB,
                                          source_address=(self.source, 0))

    def request_json(self, method, path, body=None):
        """Returns (status, parsed JSON or None)."""
        conn = self.connect(timeout=30)
        try:
            headers = self.headers()
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, None
        finally:
            conn.close()

    def delete(self, path):
        """DELETE path; raises BenchError unless it answers 200."""
        conn = self.connect(timeout=60)
        try:
            conn.request("DELETE", self.target(path), headers=self.headers())
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise BenchError(f"DELETE {path}: HTTP {response.status} {raw[:200]!r}")

    def status_of(self, path):
        """GET path; the status code, or 0 when nothing listens."""
        try:
            conn = self.connect(timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            return 0

    def upload(self, path, chunks, length, expected_sha256, session=None):
        """PUTs the byte chunks to path; returns seconds. Checks 201 and ETag.
        On a fresh connection, or on `session`'s kept-alive one."""
        conn = session.connection() if session else self.connect()
        response = None
        try:
            headers = self.headers()
            headers["Content-Length"] = str(length)
            start = time.monotonic()
            try:
                conn.request("PUT", self.target(path), body=chunks,
                             headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early: report its status below
            response = conn.getresponse()
            raw = response.read()
            seconds = time.monotonic() - start
        finally:
            if session is None:
                conn.close()
            elif response is None or response.will_close:
                session.close()
        check_upload_reply(path, response.status, raw, length, expected_sha256)
        return seconds

    def download(self, path, expected_size, expected_sha256):
        """GETs path, hashing as it streams; returns seconds. Checks 200 + bytes."""
        conn = self.connect()
        digest = hashlib.sha256()
        buf = bytearray(MIB)
        view = memoryview(buf)
        received = 0
        try:
            start = time.monotonic()
            conn.request("GET", self.target(path), headers=self.headers())
            response = conn.getresponse()
            if response.status != 200:
                raise BenchError(f"GET {path}: HTTP {response.status}")
            while n := response.readinto(buf):
                digest.update(view[:n])
                received += n
            seconds = time.monotonic() - start
        finally:
            conn.close()
        check_bytes(path, received, digest.hexdigest(), expected_size,
                    expected_sha256)
        return seconds


class KeptAlive:
    """One client's connection to an endpoint, kept alive across requests
    and reopened only when the server closes it (`opened` counts them)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.conn = None
        self.opened = 0

    def connection(self):
        if self.conn is None:
            self.conn = self.endpoint.connect()
            self.opened += 1
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check_upload_reply(path, status, raw, size, sha256):
    if status != 201:
        raise BenchError(f"PUT {path}: HTTP {status} {raw[:200]!r}")
    try:
        reply = json.loads(raw)
    except ValueError:
        raise BenchError(f"PUT {path}: reply is not JSON: {raw[:200]!r}")
    if reply.get("size") != size or reply.get("etag", "").strip('"') != sha256:
        raise BenchError(f"PUT {path}: stored {reply}, expected size {size} "
                         f"sha256 {sha256}")


def check_bytes(what, size, sha256, expected_size, expected_sha256):
    if size != expected_size or sha256 != expected_sha256:
        raise BenchError(f"{what}: got {size} bytes sha256 {sha256}, expected "
                         f"{expected_size} bytes {expected_sha256}")


def _curl(endpoint, extra_args, path, reply_file):
    """Runs curl; returns (HTTP status, seconds curl measured)."""
    argv = ["curl", "-sS", "-o", reply_file, "-w", "%{http_code} %{time_total}",
            "-H", "Expect:"]
    for name, value in endpoint.headers().items():
        argv += ["-H", f"{name}: {value}"]
    out = run(argv + extra_args + [endpoint.url(path)])
    status, seconds = out.split()
    return int(status), float(seconds)


def curl_upload(endpoint, local_file, path, size, sha256, reply_file):
    """Streams local_file with curl -T (a PUT; --data-binary would first read
    the whole file into curl's memory). Returns seconds."""
    status, seconds = _curl(endpoint, ["-T", local_file], path, reply_file)
    with open(reply_file, "rb") as f:
        check_upload_reply(path, status, f.read(), size, sha256)
    return seconds


def curl_download(endpoint, path, out_file, size, sha256):
    """Downloads to out_file (on tmpfs), then checks status, size and SHA-256
    outside the timed part. Returns seconds."""
    status, seconds = _curl(endpoint, [], path, out_file)
    if status != 200:
        raise BenchError(f"GET {path}: HTTP {status}")
    check_bytes(f"GET {path}", os.path.getsize(out_file),
                sha256_of_file(out_file), size, sha256)
    return seconds
