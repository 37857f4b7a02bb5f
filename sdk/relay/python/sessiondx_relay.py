"""sessiondx relay for Python (standard library only).

Receives the browser collector's batches on the site's own backend, adds server-side context
(never the client's IP address), signs them with Standard Webhooks and forwards them to sessiondx.

    relay = Relay("http://sessiondx.internal:8080", os.environ["SESSIONDX_WEBHOOK_SECRET"],
                  context={"region": "eu-west"})
    # in your framework's POST /sessiondx/events handler:
    status, headers, body = relay.handle(request_body_bytes)
    # the backend's own events:
    relay.backend_error(session_id, service="payments", message=str(exc), trace_id=trace_id)

`make_wsgi_app(relay)` is a ready WSGI application for POST /sessiondx/events.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from http.cookies import SimpleCookie

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


class Relay:
    def __init__(self, url: str, secret: str, *, context: dict | None = None, max_events: int = 500,
                 max_bytes: int = 1 << 20, timeout_s: float = 10.0, cookie_name: str = "sdx_sid"):
        if not secret.startswith("whsec_"):
            raise ValueError("secret must be whsec_<base64>")
        self.endpoint = url.rstrip("/") + "/v1/events"
        self.secret = secret
        self.context = dict(context or {})
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.cookie_name = cookie_name

    def forward(self, events: list[dict]) -> tuple[int, dict, dict]:
        """Signs and posts events; returns sessiondx's (status, JSON answer, headers)."""
        for e in events:
            e["context"] = {**(e.get("context") or {}), **self.context}
        body = json.dumps(events, separators=(",", ":")).encode()
        ids = ",".join(str(e.get("id")) for e in events)
        msg_id = "msg_" + hashlib.sha256(ids.encode()).hexdigest()[:32]  # same batch, same id
        ts = int(time.time())
        req = urllib.request.Request(self.endpoint, data=body, method="POST", headers={
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(self.secret, msg_id, ts, body),
        })
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as res:
                return res.status, _json(res.read()), dict(res.headers)
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read()), dict(err.headers)

    def handle(self, body: bytes) -> tuple[int, dict, bytes]:
        """The browser's batch in, the answer for the browser out: (status, headers, body)."""
        if len(body) > self.max_bytes:
            return _answer(413, {"error": "batch too large"})
        try:
            events = json.loads(body)
        except ValueError:
            return _answer(400, {"error": "not JSON"})
        if not isinstance(events, list) or not 0 < len(events) <= self.max_events:
            return _answer(400, {"error": f"expected a JSON array of 1-{self.max_events} events"})
        good = [e for e in events if isinstance(e, dict) and SESSION_ID.match(str(e.get("session_id", "")))]
        if not good:
            return _answer(400, {"error": "no event with a valid session_id"})
        try:
            status, answer, headers = self.forward(good)
        except OSError:
            return _answer(503, {"error": "sessiondx unreachable"})
        if status == 429 or status >= 500:
            extra = {"retry-after": headers["Retry-After"]} if "Retry-After" in headers else {}
            return _answer(503, {"error": "sessiondx unavailable", "status": status}, extra)
        return _answer(200 if status == 200 else 502, answer)

    def session_of(self, cookie_header: str) -> str:
        c = SimpleCookie()
        try:
            c.load(cookie_header or "")
        except Exception:  # noqa: BLE001 - a malformed cookie header is no session
            return ""
        v = c[self.cookie_name].value if self.cookie_name in c else ""
        return v if SESSION_ID.match(v) else ""

    def event(self, session_id: str, type_: str, **fields) -> tuple[int, dict, dict]:
        e = {"id": "srv_" + uuid.uuid4().hex, "session_id": session_id, "ts": int(time.time() * 1000),
             "type": type_, **fields}
        return self.forward([e])

    def backend_error(self, session_id: str, *, service: str, message: str, trace_id: str = "",
                      severity: str = "error"):
        attrs = {"service": service}
        if trace_id:
            attrs["trace_id"] = trace_id
        return self.event(session_id, "backend_error", severity=severity, message=message, attrs=attrs)


def _json(raw: bytes) -> dict:
    try:
        return json.loads(raw)
    except ValueError:
        return {}


def _answer(status: int, obj: dict, headers: dict | None = None):
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(obj).encode()


def make_wsgi_app(relay: Relay, path: str = "/sessiondx/events"):
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large",
               502: "Bad Gateway", 503: "Service Unavailable"}

    def app(environ, start_response):
        if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "POST":
            status, headers, body = _answer(404, {"error": "not found"})
        else:
            n = int(environ.get("CONTENT_LENGTH") or 0)
            status, headers, body = relay.handle(environ["wsgi.input"].read(min(n, relay.max_bytes + 1)))
        start_response(f"{status} {reasons.get(status, '')}", list(headers.items()))
        return [body]

    return app
