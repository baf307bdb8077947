#!/usr/bin/env python3
"""A webhook receiver for the tests of nhir serve: loopback only.

Listens on 127.0.0.1 at a free port (written to --port-file once it
listens) and appends one JSON line per POST to --log: the path, the
X-Nhir-* headers, the body, and whether the signature holds under the
secret of that path (--secret PATH=FILE, the file's bytes with trailing
newlines removed, as nhir reads it).  --fail PATH=N answers the first N
requests to PATH with 500, later ones with 200.  Runs until killed.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import re
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--fail", action="append", default=[])
    a = ap.parse_args()
    secrets = {}
    for s in a.secret:
        path, _, f = s.partition("=")
        with open(f, "rb") as fh:
            secrets[path] = fh.read().rstrip(b"\r\n")
    fails = {}
    for s in a.fail:
        path, _, nr = s.partition("=")
        fails[path] = int(nr)
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            sig = self.headers.get("X-Nhir-Signature", "")
            ok = False
            m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", sig)
            key = secrets.get(self.path)
            if m and key is not None:
                want = hmac.new(key, m.group(1).encode() + b"." + body,
                                hashlib.sha256).hexdigest()
                ok = (hmac.compare_digest(want, m.group(2)) and
                      abs(time.time() - int(m.group(1))) < 300)
            seen[self.path] = seen.get(self.path, 0) + 1
            status = 500 if seen[self.path] <= fails.get(self.path, 0) \
                else 200
            rec = {
                "path": self.path,
                "status": status,
                "sig_ok": ok,
                "delivery": self.headers.get("X-Nhir-Delivery"),
                "event": self.headers.get("X-Nhir-Event"),
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode("utf-8", "replace"),
            }
            with open(a.log, "a") as fh:
                fh.write(json.dumps(rec) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(a.port_file + ".tmp", "w") as fh:
        fh.write("%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
