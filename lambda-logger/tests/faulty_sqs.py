"""A fault-injecting HTTP proxy in front of a real SQS server (moto), for lambda-logger's delivery tests.

Usage: python3 faulty_sqs.py UPSTREAM MODE [DELAY]   (prints "port N" once listening on 127.0.0.1)
Every request goes to UPSTREAM unchanged, except SendMessageBatch (JSON protocol), where by MODE:
  pass    - forwarded as is;
  flaky   - the first time each message is seen, it is not forwarded and reported as Failed with
            SenderFault=false (a server-side error SQS asks callers to retry); later tries pass;
  broken  - the entry with Id "0" is always reported Failed with SenderFault=false;
  missing - the entry with Id "0" is not forwarded and the answer does not mention it at all.
With DELAY (seconds), every SendMessageBatch is forwarded at once but answered DELAY seconds
later: the events are on the queue while the caller waits (a queue that stalls after taking them).
GET /stats answers {"batch_calls": N, "entries_seen": M, "injected": K}.
"""
import http.server
import json
import sys
import threading
import urllib.request

import time

upstream, mode = sys.argv[1].rstrip("/"), sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
lock = threading.Lock()
seen = set()
stats = {"batch_calls": 0, "entries_seen": 0, "injected": 0}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            body = json.dumps(stats).encode()
        self.reply(200, [("Content-Type", "application/json")], body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "")
        failed = []
        if target.endswith(".SendMessageBatch") and mode != "pass":
            req = json.loads(body)
            keep = []
            with lock:
                stats["batch_calls"] += 1
                for e in req["Entries"]:
                    stats["entries_seen"] += 1
                    key = json.loads(e["MessageBody"])["id"]
                    inject = (mode == "flaky" and key not in seen) or (mode in ("broken", "missing") and e["Id"] == "0")
                    seen.add(key)
                    if inject and mode == "missing":
                        stats["injected"] += 1
                    elif inject:
                        stats["injected"] += 1
                        failed.append({"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "injected by faulty_sqs.py"})
                    else:
                        keep.append(e)
            if not keep:
                time.sleep(delay)
                out = json.dumps({"Successful": [], "Failed": failed}).encode()
                return self.reply(200, [("Content-Type", "application/x-amz-json-1.0")], out)
            req["Entries"] = keep
            body = json.dumps(req).encode()
        elif target.endswith(".SendMessageBatch"):
            with lock:
                stats["batch_calls"] += 1
                stats["entries_seen"] += len(json.loads(body)["Entries"])
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "host", "connection")}
        request = urllib.request.Request(upstream + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as r:
                status, rheaders, rbody = r.status, r.getheaders(), r.read()
        except urllib.error.HTTPError as e:
            status, rheaders, rbody = e.code, e.headers.items(), e.read()
        if delay and target.endswith(".SendMessageBatch"):
            time.sleep(delay)
        if failed:
            out = json.loads(rbody)
            out.setdefault("Failed", []).extend(failed)
            rbody = json.dumps(out).encode()
        self.reply(status, rheaders, rbody)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
