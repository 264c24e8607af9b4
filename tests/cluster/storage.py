#!/usr/bin/env python3
"""The test cluster's storage server: bulk data for jobs, like S3, FSx or NFS
would serve on AWS. tests/cluster/cluster.sh runs it in the cluster's
"storage" network namespace, outside every node, so what a node pulls from
it crosses that node's own interface.

  GET /bytes/N   200, N zero bytes (Content-Length: N), streamed
  GET /stats     JSON: {"served": {client address: bytes sent}, "requests": n}
  GET /          200 "ok" (answers once listening)

Only test-range (198.18.0.0/15) or loopback addresses may be bound.
"""
import argparse
import ipaddress
import json
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Zeros from one buffer: no copy per chunk on this side, and chunks this
# large keep the Python overhead per byte small (a GB takes ~1000 sends).
CHUNK = memoryview(bytes(1 << 20))
MAX_BYTES = 1 << 40
LOCK = threading.Lock()
STATS = {"served": {}, "requests": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "efa-verify-storage"

    def log_message(self, fmt, *args):
        pass

    def _send_small(self, code, body, ctype="text/plain"):
        body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            STATS["requests"] += 1
        if self.path == "/":
            return self._send_small(200, "ok\n")
        if self.path == "/stats":
            with LOCK:
                body = json.dumps(STATS)
            return self._send_small(200, body + "\n", "application/json")
        m = re.fullmatch(r"/bytes/(\d{1,14})", self.path)
        if not m or int(m.group(1)) > MAX_BYTES:
            return self._send_small(404, "GET /bytes/N (N <= 2^40)\n")
        n = int(m.group(1))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.flush()
        sock = self.connection
        left = n
        try:
            while left > 0:
                k = min(left, len(CHUNK))
                sock.sendall(CHUNK[:k])
                left -= k
        except OSError:
            pass
        with LOCK:
            peer = self.client_address[0]
            STATS["served"][peer] = STATS["served"].get(peer, 0) + (n - left)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--pid-file")
    a = ap.parse_args()
    addr = ipaddress.ip_address(a.address)
    if not (addr.is_loopback or addr in ipaddress.ip_network("198.18.0.0/15")):
        ap.error("%s is neither loopback nor in the test range 198.18.0.0/15" % addr)
    srv = Server((a.address, a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown, daemon=True).start())
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pid_file + ".tmp", a.pid_file)
    try:
        srv.serve_forever(poll_interval=0.5)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
