#!/usr/bin/env bash
# Disk full, end to end (docs/reliability.md): sessiondx with its database on a 2 MiB tmpfs.
# The store fills; every request must then get a 5xx (never a 2xx without data), /readyz must
# turn 503 with the reason and the log must say why. Then space returns (the tmpfs is enlarged):
# /readyz turns 200 by itself, ingest resumes, and every acknowledged event is stored exactly
# once with PRAGMA integrity_check ok. Needs root to mount a tmpfs; skips with a message if not.
#
#   scripts/disk-full-test.sh [path/to/sessiondx]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/app/sessiondx}")
work=$(mktemp -d)
mnt=$work/small
mkdir "$mnt"
server=0
cleanup() {
  if [ "$server" != 0 ]; then kill -9 "$server" 2>/dev/null || true; fi
  umount -l "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
  echo "disk-full-test: SKIPPED: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
  exit 0
fi
fail() {
  echo "disk-full-test: FAIL: $*" >&2
  echo "--- server log (last 20 lines) ---" >&2
  tail -20 "$work/log" >&2 || true
  exit 1
}

env -u SESSIONDX_WEBHOOK_SECRET SESSIONDX_STORE_MAX_FAILED_COMMITS=2 SESSIONDX_STORE_CACHE_KIB=1024 \
  "$bin" serve --listen 127.0.0.1:0 --db "$mnt/events.db" 2>"$work/log" &
server=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || fail "the server did not start"
  sleep 0.05
done
[ -n "$port" ] || fail "the server did not say where it listens"
url=http://127.0.0.1:$port

pad=$(head -c 4000 /dev/zero | tr '\0' x)
batch=0
# Prints the HTTP status; appends the ids to acked.txt on 200. Runs in $(...), a subshell: the
# batch number is the caller's, passed as $1 (a counter kept here would never advance).
post_batch() {
  local batch=$1 ids=() events="" now
  now=$(date +%s%3N)
  for i in $(seq 0 19); do
    ids+=("b$batch-$i")
    events+="${events:+,}{\"id\":\"b$batch-$i\",\"session_id\":\"diskfull\",\"ts\":$now,\"type\":\"log\",\"message\":\"$pad\"}"
  done
  local status
  status=$(curl -s -o "$work/reply" -w '%{http_code}' -H 'content-type: application/json' \
    --data-binary "[$events]" "$url/v1/events") || true  # 000: no answer
  if [ "$status" = 200 ]; then printf '%s\n' "${ids[@]}" >>"$work/acked.txt"; fi
  echo "$status"
}

: >"$work/acked.txt"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] || fail "/readyz not 200 at start"
failures=0
two_xx_after_full=0
for _ in $(seq 1 2000); do
  status=$(post_batch "$batch")
  batch=$((batch + 1))
  if [ "$status" = 200 ]; then
    [ "$failures" = 0 ] || two_xx_after_full=$((two_xx_after_full + 1))
    continue
  fi
  [ "${status:0:1}" = 5 ] || fail "a request got $status while the disk was full (expected 5xx)"
  failures=$((failures + 1))
  [ "$failures" -ge 5 ] && break
done
[ "$failures" -ge 5 ] || fail "the 2 MiB disk never filled"
acked_before=$(wc -l <"$work/acked.txt")
ready=$(curl -s -w ' %{http_code}' "$url/readyz")
echo "disk full after $acked_before acknowledged events; /readyz: $ready"
[ "${ready##* }" = 503 ] || fail "/readyz did not turn 503 on a full disk"
grep -q 'full' <<<"$ready" || fail "/readyz does not give the reason"
grep -q 'database or disk is full' "$work/log" || fail "the log does not say the disk is full"
healthz=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")
[ "$healthz" = 200 ] || fail "/healthz must stay 200 (the process serves)"

# Space returns.
mount -o remount,size=64m "$mnt"
start=$(date +%s%3N)
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] ||
  fail "/readyz did not return to 200 after space came back"
echo "ready again $(($(date +%s%3N) - start)) ms after space returned (no request needed)"
for _ in $(seq 1 10); do
  status=$(post_batch "$batch")
  batch=$((batch + 1))
  [ "$status" = 200 ] || fail "ingest did not resume (got $status)"
done

kill -TERM "$server"
rc=0
wait "$server" || rc=$?
server=0
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"

total=$(wc -l <"$work/acked.txt")
check=$(sqlite3 "$mnt/events.db" <<SQL
CREATE TEMP TABLE acked(id TEXT PRIMARY KEY);
.mode csv
.import $work/acked.txt acked
.mode list
SELECT (SELECT count(*) FROM acked a
         WHERE (SELECT count(*) FROM events e JOIN sessions s ON s.sid = e.sid
                 WHERE s.session_id = 'diskfull' AND e.event_id = a.id) != 1)
       || ' ' || (SELECT count(*) FROM acked);
PRAGMA integrity_check;
SQL
)
grep -qx "0 $total" <<<"$check" || fail "acknowledged events missing or doubled: $check"
grep -qx ok <<<"$check" || fail "integrity_check: $check"
echo "disk-full-test: OK: $failures requests refused with 5xx and none acknowledged while full" \
  "($two_xx_after_full 2xx between failures), $total acknowledged events all stored exactly once," \
  "integrity_check ok"
