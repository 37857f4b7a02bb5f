#!/usr/bin/env bash
# Crash consistency (docs/reliability.md): SIGKILL the server at a random moment during sustained
# concurrent ingest, N times. After every restart, each event answered 200 so far must be stored
# exactly once, and PRAGMA integrity_check must say ok. Batches are resent after a failure with
# the same event ids, as a real sender does, so duplicates are exercised too.
#
#   scripts/crash-test.sh [N=20] [path/to/sessiondx]      (N >= 1000 for the recorded run)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
bin=$(realpath "${2:-build/app/sessiondx}")
clients=4
work=$(mktemp -d)
db=$work/crash.db
server=0
cleanup() {
  if [ "$server" != 0 ]; then kill -9 "$server" 2>/dev/null || true; fi
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "crash-test: FAIL: $*" >&2
  tail -20 "$work/log" >&2 || true
  exit 1
}

start_server() {
  : >"$work/log"
  env -u SESSIONDX_WEBHOOK_SECRET "$bin" serve --listen 127.0.0.1:0 --db "$db" 2>"$work/log" &
  server=$!
  port=""
  for _ in $(seq 1 400); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/log" | head -1)
    [ -n "$port" ] && return 0
    kill -0 "$server" 2>/dev/null || fail "the server did not start"
    sleep 0.025
  done
  fail "the server did not say where it listens"
}

# (The ids are counted per event_id in one pass: the unique index is on (sid, event_id),
# so a lookup per acknowledged id would scan the table and make 1,000 rounds quadratic.)
# One sender: batches of 10 events; a batch is resent until it is answered 200, and only then
# are its ids recorded as acknowledged. Stops when the server is gone.
sender() {
  local client=$1 port=$2 n
  n=$(cat "$work/next.$client" 2>/dev/null || echo 0)
  while :; do
    local events="" ids=() now
    now=$(date +%s%3N)
    for i in $(seq 0 9); do
      ids+=("c$client-$((n * 10 + i))")
      events+="${events:+,}{\"id\":\"c$client-$((n * 10 + i))\",\"session_id\":\"crashtest$client\",\"ts\":$now,\"type\":\"page_view\"}"
    done
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'content-type: application/json' \
      --data-binary "[$events]" "http://127.0.0.1:$port/v1/events") || true
    # curl prints 000 itself when it gets no answer (and exits non-zero)
    [ "$status" = 000 ] && return 0
    if [ "$status" = 200 ]; then
      printf '%s\n' "${ids[@]}" >>"$work/acked.$client"
      n=$((n + 1))
      echo "$n" >"$work/next.$client"
    fi
  done
}

verify() {
  cat "$work"/acked.* 2>/dev/null | sort -u >"$work/acked.txt" || true
  local total
  total=$(wc -l <"$work/acked.txt")
  result=$(sqlite3 "$db" <<SQL
CREATE TEMP TABLE acked(id TEXT PRIMARY KEY);
.mode csv
.import $work/acked.txt acked
.mode list
CREATE TEMP TABLE stored AS
  SELECT e.event_id, count(*) AS n FROM events e JOIN sessions s ON s.sid = e.sid
  WHERE s.session_id LIKE 'crashtest%' GROUP BY e.event_id;
CREATE INDEX temp.stored_id ON stored(event_id);
SELECT (SELECT count(*) FROM acked a LEFT JOIN stored s ON s.event_id = a.id
         WHERE coalesce(s.n, 0) != 1) || ' ' || $total;
PRAGMA integrity_check;
SQL
)
  grep -qx "0 $total" <<<"$result" || fail "round $1: acknowledged events missing or doubled ($result)"
  grep -qx ok <<<"$result" || fail "round $1: integrity_check: $result"
  acked_total=$total
}

started=$(date +%s)
acked_total=0
for round in $(seq 1 "$rounds"); do
  start_server
  pids=()
  for c in $(seq 1 $clients); do
    sender "$c" "$port" &
    pids+=($!)
  done
  # A random moment: 50 to 550 ms into the ingest.
  sleep "0.$(printf '%03d' $((RANDOM % 500 + 50)))"
  kill -9 "$server"
  wait "$server" 2>/dev/null || true
  server=0
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # Restart on the same file: it must open (recovery) before we look at it.
  start_server
  kill -TERM "$server"
  rc=0
  wait "$server" || rc=$?
  server=0
  [ "$rc" = 0 ] || fail "round $round: exit code $rc after SIGTERM on the recovered store"
  verify "$round"
  # Progress, so that a long run cut short still says what it proved.
  if [ $((round % 50)) = 0 ]; then
    echo "crash-test: $round kills so far, $acked_total acknowledged events exactly once," \
      "integrity ok ($(($(date +%s) - started)) s)"
  fi
done
echo "crash-test: OK: $rounds SIGKILLs during ingest by $clients concurrent senders," \
  "$acked_total acknowledged events all stored exactly once, integrity_check ok every round" \
  "($(($(date +%s) - started)) s)"
