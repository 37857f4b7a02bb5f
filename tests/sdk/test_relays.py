#!/usr/bin/env python3
"""The Python and PHP relays against the real sessiondx receiver: their signatures are accepted,
a wrong secret is refused (401), retries are duplicates, the backend's own events arrive.

    python3 tests/sdk/test_relays.py <sessiondx binary> python|php
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "sdk", "relay", "python"))
import sessiondx_relay  # noqa: E402

PASSED = FAILED = 0


def check(cond, what, detail=None):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or detail is None else "\n     " + str(detail)[:2000]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def wait_http(url: str, proc: subprocess.Popen, what: str):
    for _ in range(400):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # answering
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def post(url: str, body: bytes, headers=None):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def browser_batch(sid: str, n: int, tag: str) -> list[dict]:
    now = int(time.time() * 1000)
    return [{"id": f"e{tag}{i}", "session_id": sid, "ts": now + i, "type": "page_view", "page": f"/{tag}",
             "attrs": {"ttfb_ms": 120, "load_ms": 800, "extra": {}}, "context": {"browser": "Chrome 156", "os": "Linux",
                                                                     "device": "desktop", "app_version": "4.12.0"}}
            for i in range(n)]


def run_python(url: str, secret: str, sid: str):
    relay = sessiondx_relay.Relay(url, secret, context={"region": "eu-west"})
    status, answer, _ = relay.forward(browser_batch(sid, 2, "py"))
    check(status == 200 and answer.get("accepted") == 2, "python: signed batch accepted", (status, answer))

    status, answer, _ = sessiondx_relay.Relay(url, new_secret()).forward(browser_batch(sid, 1, "pywrong"))
    check(status == 401, "python: wrong secret refused with 401", (status, answer))

    status, answer, _ = relay.backend_error(sid, service="payments", message="card processor timeout after 30000 ms",
                                            trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    check(status == 200 and answer.get("accepted") == 1, "python: backend_error with trace id accepted", (status, answer))

    # The WSGI endpoint as the browser calls it; a resent batch counts as duplicates.
    port = free_port()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", port, sessiondx_relay.make_wsgi_app(relay), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        body = json.dumps(browser_batch(sid, 3, "wsgi")).encode()
        status, answer = post(f"http://127.0.0.1:{port}/sessiondx/events", body)
        check(status == 200 and answer.get("accepted") == 3, "python: WSGI endpoint forwards the browser's batch", (status, answer))
        status, answer = post(f"http://127.0.0.1:{port}/sessiondx/events", body)
        check(status == 200 and answer.get("duplicates") == 3, "python: a retried batch is 3 duplicates", (status, answer))
        status, answer = post(f"http://127.0.0.1:{port}/sessiondx/events", b'{"not":"a batch"}')
        check(status == 400, "python: a body that is not a batch is refused with 400", (status, answer))
    finally:
        server.shutdown()


def run_php(url: str, secret: str, sid: str):
    php = shutil.which(os.environ.get("SESSIONDX_PHP", "php"))
    if not php:
        check(False, "php: php-cli is installed (scripts/setup.sh installs php-cli)")
        return
    relay_dir = os.path.join(ROOT, "sdk", "relay", "php")
    code = ("require getenv('RELAY'); $in = json_decode(stream_get_contents(STDIN), true);"
            "echo json_encode(sessiondx_forward(getenv('SESSIONDX_URL'), getenv('SECRET'), $in, ['region' => 'eu-west']));")

    def forward(events, key):
        out = subprocess.run([php, "-r", code], input=json.dumps(events).encode(), capture_output=True, check=True,
                             env={**os.environ, "RELAY": os.path.join(relay_dir, "sessiondx_relay.php"),
                                  "SESSIONDX_URL": url, "SECRET": key})
        return json.loads(out.stdout)[:2]

    status, answer = forward(browser_batch(sid, 2, "php"), secret)
    check(status == 200 and answer.get("accepted") == 2, "php: signed batch accepted", (status, answer))
    status, answer = forward(browser_batch(sid, 1, "phpwrong"), new_secret())
    check(status == 401, "php: wrong secret refused with 401", (status, answer))

    be = ("require getenv('RELAY'); echo json_encode(sessiondx_backend_error(getenv('SESSIONDX_URL'), getenv('SECRET'),"
          "getenv('SID'), 'orders', 'order service returned 500', 'a3ce929d0e0e47364bf92f3577b34da6'));")
    out = subprocess.run([php, "-r", be], capture_output=True, check=True,
                         env={**os.environ, "RELAY": os.path.join(relay_dir, "sessiondx_relay.php"),
                              "SESSIONDX_URL": url, "SECRET": secret, "SID": sid})
    status, answer = json.loads(out.stdout)[:2]
    check(status == 200 and answer.get("accepted") == 1, "php: backend_error with trace id accepted", (status, answer))

    # The example endpoint under PHP's built-in server, as the browser calls it.
    port = free_port()
    srv = subprocess.Popen([php, "-S", f"127.0.0.1:{port}", "-t", relay_dir], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL,
                           env={**os.environ, "SESSIONDX_URL": url, "SESSIONDX_WEBHOOK_SECRET": secret})
    try:
        wait_http(f"http://127.0.0.1:{port}/events.php", srv, "php -S")
        body = json.dumps(browser_batch(sid, 3, "phpsrv")).encode()
        status, answer = post(f"http://127.0.0.1:{port}/events.php", body)
        check(status == 200 and answer.get("accepted") == 3, "php: endpoint forwards the browser's batch", (status, answer))
        status, answer = post(f"http://127.0.0.1:{port}/events.php", body)
        check(status == 200 and answer.get("duplicates") == 3, "php: a retried batch is 3 duplicates", (status, answer))
        status, answer = post(f"http://127.0.0.1:{port}/events.php", b"[]")
        check(status == 400, "php: an empty batch is refused with 400", (status, answer))
    finally:
        srv.terminate()
        srv.wait()


def main() -> int:
    binary, which = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="sessiondx-relay-")
    db = os.path.join(tmp, "events.db")
    secret = new_secret()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--db", db],
                            env={**os.environ, "SESSIONDX_WEBHOOK_SECRET": secret, "SESSIONDX_LOG_LEVEL": "warn"})
    sid = "relay" + which + "Test7Kp"
    try:
        wait_http(url + "/healthz", proc, "sessiondx")
        (run_python if which == "python" else run_php)(url, secret, sid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out = subprocess.run([binary, "diagnose", sid, "--db", db, "--format", "json"], capture_output=True)
    d = json.loads(out.stdout)
    be = [f for f in d.get("findings", []) if f["rule"] == "backend.error"]
    check(bool(be), f"{which}: the diagnosis names the backend error", d.get("findings"))
    check(d.get("context", {}).get("region") == "eu-west", f"{which}: the relay's server-side context arrived", d.get("context"))
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
