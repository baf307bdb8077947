#!/usr/bin/env python3
"""The simulated provider behind a webhook, for the http connector: each
POST body goes to simulated-provider.py and its answer comes back.  It
demands "Authorization: Bearer $HOOK_TOKEN".  Usage: simulated-webhook.py
PORTFILE (it writes the port it listens on there)."""
import http.server
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        if self.headers.get("Authorization") != "Bearer " + os.environ["HOOK_TOKEN"]:
            self.send_response(401)
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        p = subprocess.run([sys.executable, os.path.join(HERE, "simulated-provider.py")],
                           input=body, capture_output=True)
        self.send_response(200 if p.returncode == 0 else 502)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(p.stdout)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
