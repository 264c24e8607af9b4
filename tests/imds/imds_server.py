#!/usr/bin/env python3
"""An EC2 instance metadata server (IMDSv2) for tests, on 127.0.0.1 only.

It enforces tokens as AWS documents: PUT /latest/api/token with
X-aws-ec2-metadata-token-ttl-seconds (1..21600, else 400); GETs need
X-aws-ec2-metadata-token with a live token (else 401); a PUT carrying
X-Forwarded-For is refused (403). placement/group-name is 404 for an instance
outside a placement group.

Several simulated nodes share one server: /<node>/latest/... serves the
node's data from --data (JSON: {"n1": {"instance_type": ..., "availability_zone":
..., "region": ..., "group_name": null|"pg", "instance_id": ...}, "default": {...}});
plain /latest/... serves "default".

Behaviour (--mode at start, or POST /_control/mode with the mode as body):
  ok | slow:MS | down | 500 | garbage | huge | 401 | hang
GET /_control/stats returns request counts as JSON; POST /_control/data
replaces the per-node data (same JSON as --data).
"""
import argparse
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"mode": "ok", "tokens": {}, "stats": {"token_puts": 0, "gets": 0, "per_node": {}}}
LOCK = threading.Lock()
DATA = {}

PATHS = {
    "instance-id": "instance_id",
    "instance-type": "instance_type",
    "placement/availability-zone": "availability_zone",
    "placement/region": "region",
    "placement/group-name": "group_name",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"

    def log_message(self, fmt, *args):
        if os.environ.get("IMDS_VERBOSE"):
            sys.stderr.write("imds: " + fmt % args + "\n")

    def reply(self, code, body=b"", ctype="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def split_node(self):
        path = self.path.split("?", 1)[0]
        parts = path.lstrip("/").split("/", 1)
        if parts[0] == "latest":
            return "default", "/" + path.lstrip("/")
        if len(parts) == 2 and parts[1].startswith("latest"):
            return parts[0], "/" + parts[1]
        return None, path

    def misbehave(self):
        """Apply the current mode; True if the request was handled."""
        mode = STATE["mode"]
        if mode == "down":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if mode == "hang":
            time.sleep(30)
            self.close_connection = True
            return True
        if mode.startswith("slow:"):
            time.sleep(int(mode[5:]) / 1000.0)
        if mode == "500":
            self.reply(500, "Internal Server Error")
            return True
        return False

    def body(self, cap=4096):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(n, cap)) if n else b""

    def do_PUT(self):
        node, path = self.split_node()
        self.body()
        if self.misbehave():
            return
        if path != "/latest/api/token" or node is None:
            return self.reply(404, "Not Found")
        if self.headers.get("X-Forwarded-For"):
            return self.reply(403, "Forbidden")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        try:
            ttl = int(ttl)
        except (TypeError, ValueError):
            return self.reply(400, "Bad Request")
        if not 1 <= ttl <= 21600:
            return self.reply(400, "Bad Request")
        with LOCK:
            STATE["stats"]["token_puts"] += 1
            pn = STATE["stats"]["per_node"].setdefault(node, {"token_puts": 0, "gets": 0})
            pn["token_puts"] += 1
        if STATE["mode"] == "401":
            return self.reply(401, "Unauthorized")
        tok = secrets.token_urlsafe(32)
        with LOCK:
            STATE["tokens"][tok] = time.time() + ttl
        self.reply(200, tok)

    def do_GET(self):
        if self.path == "/_control/stats":
            with LOCK:
                return self.reply(200, json.dumps(STATE["stats"]), "application/json")
        node, path = self.split_node()
        if self.misbehave():
            return
        with LOCK:
            STATE["stats"]["gets"] += 1
            if node:
                pn = STATE["stats"]["per_node"].setdefault(node, {"token_puts": 0, "gets": 0})
                pn["gets"] += 1
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            exp = STATE["tokens"].get(tok or "")
        if STATE["mode"] == "401" or not exp or exp < time.time():
            return self.reply(401, "Unauthorized")
        if STATE["mode"] == "garbage":
            return self.reply(200, bytes(range(256)) * 4, "application/octet-stream")
        if STATE["mode"] == "huge":
            return self.reply(200, b"p5.48xlarge" * 400000)
        if node is None or node not in DATA:
            return self.reply(404, "Not Found")
        prefix = "/latest/meta-data/"
        if not path.startswith(prefix) or path[len(prefix):] not in PATHS:
            return self.reply(404, "Not Found")
        val = DATA[node].get(PATHS[path[len(prefix):]])
        if val is None:
            return self.reply(404, "Not Found")
        self.reply(200, str(val))

    def do_POST(self):
        if self.path == "/_control/data":
            try:
                new = json.loads(self.body(1 << 20))
            except ValueError:
                return self.reply(400, "bad json")
            with LOCK:
                DATA.clear()
                DATA.update(new)
            return self.reply(200, "ok")
        if self.path == "/_control/mode":
            mode = self.body().decode(errors="replace").strip()
            ok = mode in ("ok", "down", "500", "garbage", "huge", "401", "hang") or (
                mode.startswith("slow:") and mode[5:].isdigit())
            if not ok:
                return self.reply(400, "bad mode")
            STATE["mode"] = mode
            return self.reply(200, "ok")
        self.reply(404, "Not Found")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that time out or give up on a huge body hang up mid-write:
        # expected here, not worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--data")
    ap.add_argument("--mode", default="ok")
    args = ap.parse_args()
    if args.data:
        with open(args.data) as f:
            DATA.update(json.load(f))
    DATA.setdefault("default", {"instance_type": "p5.48xlarge", "availability_zone": "us-east-1a",
                                "region": "us-east-1", "group_name": "pg-default",
                                "instance_id": "i-0123456789abcdef0"})
    STATE["mode"] = args.mode
    srv = Server(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
