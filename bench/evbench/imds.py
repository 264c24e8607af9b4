"""The IMDS test server (tests/imds/imds_server.py) the benchmarks' nodes ask."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from evbench.proc import DEVNULL, SRCDIR


class ImdsServer:
    """Started on address, port chosen by the kernel; url once it listens."""

    def __init__(self, data, tmp, address="127.0.0.1"):
        # A directory of its own for the port file and the log: two servers
        # may run at once, and a shared port file would hand one the other's
        # port (whose data has not its nodes: every IMDS call would fail).
        d = tempfile.mkdtemp(prefix="imds.", dir=tmp)
        pf, lf = os.path.join(d, "port"), os.path.join(d, "log")
        with open(lf, "w") as err:
            self.proc = subprocess.Popen([sys.executable, os.path.join(SRCDIR, "tests/imds/imds_server.py"),
                                          "--address", address, "--port", "0", "--port-file", pf,
                                          "--data", data], stdin=DEVNULL, stdout=DEVNULL, stderr=err)
        for _ in range(200):
            if os.path.exists(pf):
                with open(pf) as f:
                    port = f.read().strip()
                if port:
                    self.url = "http://%s:%s" % (address, port)
                    return
            time.sleep(0.05)
        self.stop()
        with open(lf) as f:
            raise RuntimeError("IMDS server did not start: " + f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()

    def requests(self):
        """Requests served so far (tokens and reads)."""
        with urllib.request.urlopen(self.url + "/_control/stats", timeout=5) as r:
            s = json.load(r)
        return s["gets"] + s["token_puts"]
