#!/usr/bin/env python3
"""Hostile traffic against the real binary (docs/reliability.md, "Hostile traffic").

  scripts/hostile-traffic.py [path/to/sessiondx] [--idle N] [--flood N] [--quick]

Phase 1 (idle): opens N (default 10,000) connections that send nothing, keeps them open, and
meanwhile sends normal requests (one-event POST /v1/events and GET /healthz, each on a new
connection) and measures their latency. The server runs with server.max_connections = N + 100 and
server.idle_timeout_s = 300, so the idle connections stay; then it opens 200 more connections
than the limit allows and checks that those are closed at once (counted in
sessiondx_http_refused_total{limit="connections"}) while normal requests are still served.

Phase 2 (flood): N (default 400) concurrent connections each POST a 1 MiB body as fast as they
can, three rounds; every answer must be 200, 429 or 503 (never a hang or a reset without an
answer), and the server's peak resident memory (VmHWM) must stay under the ceiling that
docs/events.md states for the default limits.

Raises RLIMIT_NOFILE to its hard limit for itself and the server. Exit 0 when every check held;
prints the figures for docs/reliability.md. --quick: 2,000 idle, 100 flooders (for CI).
"""
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024
# docs/events.md, "Memory ceiling of the receiver", defaults, one I/O thread: 64 MiB bodies being
# received + 5 MiB body and ~100 MiB of its JSON tree + 64 MiB queued + 8 KiB per connection +
# the page cache (store.cache_kib, 64 MiB per connection; the writer's is the one that fills).
def stated_ceiling(connections):
    return (64 + 5 + 100 + 64 + 64) * MIB + connections * 8192 + 32 * MIB  # + binary, libraries


def fail(message):
    print(f"hostile-traffic: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def vm(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, binary, work, extra_env):
        self.log_path = os.path.join(work, "server.log")
        env = dict(os.environ)
        env.pop("SESSIONDX_WEBHOOK_SECRET", None)
        env.update(extra_env)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(work, "events.db")],
            stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        self.port = None
        for _ in range(400):
            with open(self.log_path) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                fail("the server did not start:\n" + open(self.log_path).read())
            time.sleep(0.025)
        fail("the server did not say where it listens")

    def stop(self):
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("the server did not stop within 30 s of SIGTERM")
        if code != 0:
            fail(f"the server exited with {code} after SIGTERM")


def request(port, method, path, body=b"", timeout=10.0):
    """One request on a new connection; returns (status, seconds)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        s.sendall(head.encode() + body)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return 0, time.monotonic() - start
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, time.monotonic() - start


def one_event(i):
    now = int(time.time() * 1000)
    return json.dumps([{"id": f"normal-{i}", "session_id": "hostile0normal01", "ts": now,
                        "type": "page_view"}]).encode()


def metric(port, name):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


async def open_idle(port, n):
    conns = []
    for i in range(n):
        try:
            conns.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError as e:
            fail(f"could not open idle connection {i}: {e}")
    return conns


async def closed_at_once(conns, timeout=5.0):
    """How many of `conns` the server closed (EOF or reset) within `timeout`."""
    async def one(reader):
        try:
            return await asyncio.wait_for(reader.read(1), timeout) == b""
        except asyncio.TimeoutError:
            return False
        except ConnectionError:
            return True
    results = await asyncio.gather(*(one(r) for r, _ in conns))
    return sum(1 for r in results if r)


def normal_requests(port, n):
    latencies, statuses = [], []
    for i in range(n):
        status, seconds = request(port, "POST", "/v1/events", one_event(i))
        statuses.append(status)
        latencies.append(seconds)
        status, seconds = request(port, "GET", "/healthz")
        statuses.append(status)
        latencies.append(seconds)
    return statuses, latencies


async def idle_phase(binary, work, idle):
    server = Server(binary, work, {"SESSIONDX_SERVER_MAX_CONNECTIONS": str(idle + 100),
                                   "SESSIONDX_SERVER_IDLE_TIMEOUT_S": "300"})
    try:
        base_rss = vm(server.proc.pid, "VmRSS")
        t = time.monotonic()
        conns = await open_idle(server.port, idle)
        opened_s = time.monotonic() - t
        await asyncio.sleep(0.5)
        open_metric = metric(server.port, "sessiondx_http_connections_open")
        if open_metric is None or open_metric < idle:
            fail(f"the server counts {open_metric} open connections, expected at least {idle}")
        rss = vm(server.proc.pid, "VmRSS")
        statuses, latencies = await asyncio.to_thread(normal_requests, server.port, 100)
        if any(s != 200 for s in statuses):
            fail(f"normal requests beside {idle} idle connections: statuses {set(statuses)}")
        # Beyond the limit: 200 more than server.max_connections allows.
        extra = await open_idle(server.port, 200)
        refused = await closed_at_once(extra)
        statuses_over = []
        for _ in range(5):  # a free slot appears when an idle one is given up
            conns.pop()[1].close()
        await asyncio.sleep(0.2)
        for i in range(5):
            statuses_over.append(request(server.port, "GET", "/healthz")[0])
        refused_metric = metric(server.port, 'sessiondx_http_refused_total{limit="connections"}')
        for _, w in conns + extra:
            w.close()
        print(f"idle: {idle} idle connections opened in {opened_s:.1f} s; server RSS "
              f"{base_rss / MIB:.1f} MiB before, {rss / MIB:.1f} MiB with them "
              f"({(rss - base_rss) / idle:.0f} bytes each)")
        print(f"idle: {len(latencies)} normal requests beside them, all 200: p50 "
              f"{statistics.median(latencies) * 1000:.2f} ms, p99 "
              f"{percentile(latencies, 99) * 1000:.2f} ms, max {max(latencies) * 1000:.2f} ms")
        print(f"idle: over the limit ({idle + 100}): {refused} surplus connections closed at "
              f"once (of 200 opened; refused counter {refused_metric:.0f}); after 5 idle ones left, /healthz "
              f"answered {statuses_over}")
        if refused < 100:
            fail(f"only {refused} of 100 connections over server.max_connections were closed")
        if any(s != 200 for s in statuses_over):
            fail(f"/healthz after slots were freed: {statuses_over}")
    finally:
        server.stop()


async def flood_one(port, body, results):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (f"POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        writer.write(head.encode())
        try:
            writer.write(body)
            await writer.drain()
        except ConnectionError:
            pass  # refused before the body: the answer may still be readable
        line = await asyncio.wait_for(reader.readline(), 60)
        writer.close()
        results.append(int(line.split()[1]) if line else 0)
    except (ConnectionError, asyncio.TimeoutError, IndexError, ValueError):
        results.append(0)


def flood_body(seed, size):
    """About `size` bytes of valid events (4 KB messages) for the flood."""
    now = int(time.time() * 1000)
    events, n = [], 0
    while len(events) * 4200 < size:
        events.append({"id": f"flood-{seed}-{n}", "session_id": f"flood{seed % 50:011d}",
                       "ts": now, "type": "log", "message": "x" * 4000})
        n += 1
    return json.dumps(events).encode()


async def flood_phase(binary, work, flooders):
    server = Server(binary, work, {})
    try:
        base_rss = vm(server.proc.pid, "VmRSS")
        statuses = []
        t = time.monotonic()
        for round_ in range(3):
            bodies = [flood_body(round_ * 10_000 + i, MIB) for i in range(flooders)]
            results = []
            await asyncio.gather(*(flood_one(server.port, b, results) for b in bodies))
            statuses += results
        seconds = time.monotonic() - t
        peak = vm(server.proc.pid, "VmHWM")
        health = request(server.port, "GET", "/healthz")[0]
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        ceiling = stated_ceiling(flooders)
        print(f"flood: {len(statuses)} POSTs of 1 MiB from {flooders} concurrent connections in "
              f"{seconds:.1f} s: answers {counts}")
        print(f"flood: server RSS {base_rss / MIB:.1f} MiB at start, peak (VmHWM) "
              f"{peak / MIB:.1f} MiB; stated ceiling {ceiling / MIB:.0f} MiB; /healthz after: "
              f"{health}")
        bad = [s for s in statuses if s not in (200, 429, 503)]
        if bad:
            fail(f"{len(bad)} flood requests got no 200/429/503 answer: {counts}")
        if not any(s in (429, 503) for s in statuses):
            fail("the flood was never refused: raise --flood")
        if peak > ceiling:
            fail(f"peak memory {peak / MIB:.1f} MiB over the stated ceiling {ceiling / MIB:.0f} MiB")
        if health != 200:
            fail(f"/healthz after the flood: {health}")
    finally:
        server.stop()


def main():
    args = sys.argv[1:]
    binary = "build/app/sessiondx"
    idle, flooders = 10_000, 400
    i = 0
    while i < len(args):
        if args[i] == "--idle":
            idle = int(args[i + 1]); i += 1
        elif args[i] == "--flood":
            flooders = int(args[i + 1]); i += 1
        elif args[i] == "--quick":
            idle, flooders = 2_000, 100
        else:
            binary = args[i]
        i += 1
    binary = os.path.realpath(binary)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = idle + 1_000
    if hard != resource.RLIM_INFINITY and hard < need:
        fail(f"RLIMIT_NOFILE hard limit {hard} < {need}: run as root or raise it")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need) if hard == resource.RLIM_INFINITY
                                                else hard, hard))
    load = os.getloadavg()
    print(f"hostile-traffic: {binary}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(idle_phase(binary, work, idle))
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(flood_phase(binary, work, flooders))
    print("hostile-traffic: OK")


if __name__ == "__main__":
    main()
