#!/usr/bin/env python3
"""Measures the receiver under a bad-signature gzip flood (issue 9): N keep-alive connections
post a small gzip bomb signed with the wrong key for D seconds. Prints requests/s, the statuses
seen, and the server's CPU use (from /proc/PID/stat) and peak RSS.
Usage: flood-bad-gzip.py PORT SERVER_PID [CONNECTIONS=2] [SECONDS=5]"""
import gzip, http.client, os, sys, threading, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 2
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 5
bomb = gzip.compress(b" " * (5 * 1024 * 1024 - 1024))  # ~5 KB that inflates to 5 MiB
headers = {"content-type": "application/json", "content-encoding": "gzip",
           "webhook-id": "m1", "webhook-timestamp": str(int(time.time())),
           "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
counts, statuses, stop = [0] * conns, {}, time.time() + seconds

def cpu_ticks():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])

def worker(i):
    c = http.client.HTTPConnection("127.0.0.1", port)
    while time.time() < stop:
        c.request("POST", "/v1/events", bomb, headers)
        r = c.getresponse(); r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
        counts[i] += 1

t0, c0 = time.time(), cpu_ticks()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
elapsed, cpu = time.time() - t0, (cpu_ticks() - c0) / os.sysconf("SC_CLK_TCK")
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith(("VmHWM", "VmRSS"))]
print(f"bomb {len(bomb)} B, {conns} connections, {sum(counts)/elapsed:.0f} req/s, "
      f"statuses {statuses}, server CPU {100*cpu/elapsed:.0f}% of a core, "
      f"{' '.join(l.split()[0] + l.split()[1] + 'kB' for l in rss)}")
