#!/usr/bin/env python3
"""A webhook receiver for benches/integrations.sh: answers every POST 204 at once and appends
one line per request to a log, `<arrival unix seconds> <webhook-id> <orderId>`."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        arrived = time.time()
        try:
            order = json.loads(body).get("data", {}).get("orderId") or "-"
        except ValueError:
            order = "-"
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(f"{arrived:.6f} {self.headers.get('webhook-id', '-')} {order}\n")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
