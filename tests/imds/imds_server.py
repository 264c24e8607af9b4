#!/usr/bin/env python3
"""An EC2 instance metadata server (IMDSv2 only) for tests, on 127.0.0.1, or
with --address on another loopback or test-range (198.18.0.0/15) address:
the test cluster's nodes, each in a network namespace of its own, reach it
on the cluster's address (tests/cluster/cluster.sh, EV_CLUSTER_ADDR).

Tokens work as AWS documents them:
  PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds: 1..21600
      -> 200, the token as text (and the TTL echoed in the same header);
      TTL missing or out of range -> 400; a PUT carrying X-Forwarded-For -> 403.
  GET /latest/meta-data/... needs X-aws-ec2-metadata-token with a live token
      issued for the same instance, else 401.
  placement/group-name is 404 for an instance outside a placement group.

Several simulated nodes share one server: /<node>/latest/... serves that
node's entry of --data, plain /latest/... serves "default" (so a config can
say imds.endpoint: http://127.0.0.1:PORT/%n). An unknown node is 404.
--data is JSON: {"n1": {"instance_type": "p5.48xlarge", "availability_zone":
"us-east-1a", "region": "us-east-1", "group_name": "pg-a" or null,
"instance_id": "i-..."}, "default": {...}}.

Behaviour, set with --mode or at run time with POST /_control/mode (the mode
as body); control requests are always answered normally:
  ok        as above
  slow:MS   delay every answer by MS milliseconds
  down      close every connection without an answer
  500       answer every token PUT and GET with 500
  garbage   metadata GETs answer 200 with binary bytes
  huge      metadata GETs answer 200 with a multi-megabyte body
  401       refuse every token PUT and GET with 401
  hang      accept, read the request, never answer
Other control endpoints: GET /_control/stats (JSON request counts: requests,
token_puts, gets, per_node), POST /_control/reset (zero the counts),
POST /_control/data (replace the per-node data, same JSON as --data).
Everything that arrives on a metadata path is counted, in any mode.
"""
import argparse
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TTL = 21600
MAX_TOKENS = 10000
BODY_MAX = 4096           # any IMDS request
CONTROL_BODY_MAX = 1 << 20  # POST /_control/data
HUGE_BODY = b"p5.48xlarge" * 400000   # 4.4 MB of plausible characters

LEAVES = {
    "instance-id": "instance_id",
    "instance-type": "instance_type",
    "placement/availability-zone": "availability_zone",
    "placement/region": "region",
    "placement/group-name": "group_name",
}
FIELDS = set(LEAVES.values())
NODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

LOCK = threading.Lock()
SHUTDOWN = threading.Event()
STATE = {"mode": "ok", "tokens": {}, "data": {}}


def new_stats():
    return {"requests": 0, "token_puts": 0, "gets": 0, "per_node": {}}


STATS = new_stats()


def parse_mode(text):
    """The mode if valid, else None."""
    if text in ("ok", "down", "500", "garbage", "huge", "401", "hang"):
        return text
    m = re.match(r"^slow:(\d{1,6})$", text)
    return text if m else None


def check_data(data):
    """Raise ValueError unless data is {node: {field: str|None}}."""
    if not isinstance(data, dict):
        raise ValueError("data must be a JSON object of nodes")
    for node, entry in data.items():
        if not NODE_RE.match(node) or not isinstance(entry, dict):
            raise ValueError("node %r: must be a name mapping to an object" % node)
        for k, v in entry.items():
            if k not in FIELDS:
                raise ValueError("node %r: unknown field %r" % (node, k))
            if v is not None and not isinstance(v, str):
                raise ValueError("node %r: %s must be a string or null" % (node, k))
    return data


def is_number(text):
    return bool(re.fullmatch(r"[0-9]{1,12}", text))


def count(kind, node):
    with LOCK:
        STATS["requests"] += 1
        if kind:
            STATS[kind] += 1
            pn = STATS["per_node"].setdefault(node, {"token_puts": 0, "gets": 0})
            pn[kind] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EC2ws"
    sys_version = ""
    timeout = 60              # an idle keep-alive connection does not hold a thread forever

    def log_message(self, fmt, *args):
        if os.environ.get("IMDS_VERBOSE"):
            sys.stderr.write("imds: " + fmt % args + "\n")

    def reply(self, code, body=b"", ctype="text/plain", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        view = memoryview(body)
        for i in range(0, len(body), 65536):
            self.wfile.write(view[i:i + 65536])

    def refuse(self, code, why):
        """Answer and close: the rest of the request is not read."""
        self.close_connection = True
        self.reply(code, why, headers={"Connection": "close"})

    def read_body(self, cap):
        """The request body, or None after refusing it (too big, chunked, bad length)."""
        if self.headers.get("Transfer-Encoding"):
            self.refuse(411, "Length Required")
            return None
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not is_number(raw.strip()):
            self.refuse(400, "Bad Request")
            return None
        n = int(raw)
        if n > cap:
            self.refuse(413, "Payload Too Large")
            return None
        return self.rfile.read(n) if n else b""

    def split_node(self):
        """(node, /latest/...) for a metadata path, else (None, path)."""
        path = self.path.split("?", 1)[0]
        if path == "/latest" or path.startswith("/latest/"):
            return "default", path
        parts = path.split("/", 2)   # "", node, rest
        if len(parts) == 3 and NODE_RE.match(parts[1]) and (
                parts[2] == "latest" or parts[2].startswith("latest/")):
            return parts[1], "/" + parts[2]
        return None, path

    def misbehave(self):
        """Apply the mode to an IMDS request; True if it has been dealt with."""
        mode = STATE["mode"]
        if mode == "down":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if mode == "hang":
            SHUTDOWN.wait(3600)
            self.close_connection = True
            return True
        if mode.startswith("slow:"):
            time.sleep(int(mode[5:]) / 1000.0)
        if mode == "500":
            self.reply(500, "Internal Server Error")
            return True
        if mode == "401":
            self.reply(401, "Unauthorized")
            return True
        return False

    # ------------------------------------------------------------ IMDS
    def do_PUT(self):
        node, path = self.split_node()
        count("token_puts" if path == "/latest/api/token" and node else None, node)
        if self.read_body(BODY_MAX) is None or self.misbehave():
            return
        if node is None or path != "/latest/api/token" or node not in STATE["data"]:
            return self.reply(404, "Not Found")
        if self.headers.get("X-Forwarded-For") is not None:
            return self.reply(403, "Forbidden")
        ttl = (self.headers.get(TTL_HEADER) or "").strip()
        if not is_number(ttl) or not 1 <= int(ttl) <= MAX_TTL:
            return self.reply(400, "Bad Request")
        tok = secrets.token_urlsafe(42)
        now = time.time()
        with LOCK:
            tokens = STATE["tokens"]
            if len(tokens) >= MAX_TOKENS:
                for t in [t for t, (_, exp) in tokens.items() if exp <= now]:
                    del tokens[t]
                while len(tokens) >= MAX_TOKENS:
                    del tokens[min(tokens, key=lambda t: tokens[t][1])]
            tokens[tok] = (node, now + int(ttl))
        self.reply(200, tok, headers={TTL_HEADER: ttl})

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/_control/stats":
            with LOCK:
                body = json.dumps(STATS)
            return self.reply(200, body, "application/json")
        if path == "/_control/mode":
            return self.reply(200, STATE["mode"])
        node, path = self.split_node()
        count("gets" if node else None, node)
        if self.read_body(BODY_MAX) is None or self.misbehave():
            return
        if node is None:
            return self.reply(404, "Not Found")
        if path == "/latest/api/token":
            return self.reply(405, "Method Not Allowed")
        tok = self.headers.get(TOKEN_HEADER) or ""
        with LOCK:
            owner, exp = STATE["tokens"].get(tok, (None, 0))
        # A token is good for the instance that issued it, until it expires.
        if owner != node or exp < time.time():
            return self.reply(401, "Unauthorized")
        if STATE["mode"] == "garbage":
            return self.reply(200, bytes(range(256)) * 4, "application/octet-stream")
        if STATE["mode"] == "huge":
            return self.reply(200, HUGE_BODY)
        entry = STATE["data"].get(node)
        prefix = "/latest/meta-data/"
        if entry is None or not path.startswith(prefix):
            return self.reply(404, "Not Found")
        leaf = path[len(prefix):]
        if leaf in ("", "placement/"):
            names = [k[len(leaf):] for k in LEAVES
                     if k.startswith(leaf) and entry.get(LEAVES[k]) is not None]
            names = sorted({n.split("/")[0] + ("/" if "/" in n else "") for n in names})
            return self.reply(200, "\n".join(names))
        val = entry.get(LEAVES.get(leaf, ""))
        if val is None:
            return self.reply(404, "Not Found")
        self.reply(200, val)

    # ------------------------------------------------------------ control
    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if not path.startswith("/_control/"):
            count(None, None)
            self.read_body(BODY_MAX)
            return self.refuse(405, "Method Not Allowed")
        body = self.read_body(CONTROL_BODY_MAX)
        if body is None:
            return
        if path == "/_control/mode":
            mode = parse_mode(body.decode("ascii", "replace").strip())
            if mode is None:
                return self.reply(400, "bad mode")
            STATE["mode"] = mode
            return self.reply(200, "ok")
        if path == "/_control/reset":
            with LOCK:
                STATS.clear()
                STATS.update(new_stats())
            return self.reply(200, "ok")
        if path == "/_control/data":
            try:
                data = check_data(json.loads(body))
            except ValueError as e:
                return self.reply(400, "bad data: %s" % e)
            with LOCK:
                STATE["data"] = data
            return self.reply(200, "ok")
        self.reply(404, "Not Found")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's listen backlog is 5: 64 nodes of a scale-rig cluster
    # asking at once overflowed it, and a dropped SYN is retried after 1 s,
    # past a 1000 ms IMDS timeout (AWS's IMDS takes whatever comes).
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # Clients that time out or give up on a huge body hang up mid-write:
        # expected here, not worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout)):
            return
        sys.stderr.write("imds: %s: %r\n" % (client_address, exc))


def write_port_file(path, port):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", default="127.0.0.1",
                    help="a loopback or 198.18.0.0/15 address to listen on (127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--data", help="per-node JSON data")
    ap.add_argument("--mode", default="ok")
    args = ap.parse_args()
    try:
        addr = ipaddress.ip_address(args.address)
    except ValueError:
        ap.error("bad --address %r" % args.address)
    if not (addr.is_loopback or addr in ipaddress.ip_network("198.18.0.0/15")):
        ap.error("--address %s is neither loopback nor in the test range 198.18.0.0/15" % addr)
    if parse_mode(args.mode) is None:
        ap.error("bad --mode %r" % args.mode)
    data = {}
    if args.data:
        try:
            with open(args.data) as f:
                data = check_data(json.load(f))
        except (OSError, ValueError) as e:
            ap.error("--data %s: %s" % (args.data, e))
    data.setdefault("default", {"instance_type": "p5.48xlarge",
                                "availability_zone": "us-east-1a",
                                "region": "us-east-1", "group_name": "pg-default",
                                "instance_id": "i-0123456789abcdef0"})
    STATE["data"] = data
    STATE["mode"] = args.mode

    srv = Server((args.address, args.port), Handler)

    def stop(*_):
        SHUTDOWN.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_port_file(args.port_file, srv.server_address[1])
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        SHUTDOWN.set()
        srv.server_close()


if __name__ == "__main__":
    main()
