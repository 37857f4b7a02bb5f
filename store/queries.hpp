#pragma once

// Every SQL statement the store runs after migration, in one place, so that tests can check
// their query plans (EXPLAIN QUERY PLAN) against the indexes of schema.cpp.

#include <cstddef>

namespace sessiondx::store::detail::sql {

// --- writer ---------------------------------------------------------------------------------

inline constexpr const char* insert_event = R"sql(
INSERT OR IGNORE INTO events(sid, event_id, ts, type, severity, page, message, attrs, context,
                             extra, issue_key, app_version, received_ms, sent_ts)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql";

// The integer key of a session (schema 5), for the sessions of a commit not in the writer's
// cache; a session not stored yet gets a row first (filled in by update_session).
inline constexpr const char* find_session = "SELECT sid FROM sessions WHERE session_id = ?1";
inline constexpr const char* create_session = R"sql(
INSERT INTO sessions(session_id, event_count, rev_id) VALUES(?1, 0, ?2) RETURNING sid)sql";

// One per distinct session per commit, by its integer key, with the aggregate of the events that
// commit inserted (?2 first ts, ?3 last ts, ?4 count, ?5/?6 context and its ts, ?7/?8 app
// version and its ts; NULL when the commit has none). The bare column names are the values
// before the update; of the same ts, the later commit wins.
inline constexpr const char* update_session = R"sql(
UPDATE sessions SET
  first_seen = min(coalesce(first_seen, ?2), ?2),
  last_seen = max(coalesce(last_seen, ?3), ?3),
  event_count = event_count + ?4,
  context = CASE WHEN ?6 >= coalesce(context_ts, ?6) THEN ?5 ELSE context END,
  context_ts = CASE WHEN ?6 >= coalesce(context_ts, ?6) THEN ?6 ELSE context_ts END,
  app_version = CASE WHEN ?8 >= coalesce(app_version_ts, ?8) THEN ?7 ELSE app_version END,
  app_version_ts = CASE WHEN ?8 >= coalesce(app_version_ts, ?8) THEN ?8 ELSE app_version_ts END
WHERE sid = ?1)sql";

// --- the per-problem summary (schema 3), one statement per distinct key per commit ---

// One per distinct (bucket, problem, session) per commit: a change means the session is new to
// the bucket.
inline constexpr const char* insert_bucket_session = R"sql(
INSERT OR IGNORE INTO issue_bucket_sessions(bucket_start, issue_key, sid)
VALUES(?1, ?2, ?3))sql";

// One per distinct (bucket, problem) per commit, with the commit's aggregate. runner_ms (the
// earliest event of a session other than first_session) merges as follows: when the commit's
// first event is earlier, the old first session becomes a candidate (its first_ms) unless it is
// the same session; otherwise the commit's first session is a candidate unless it is the same.
// NULL (no other session) is handled as the largest integer.
inline constexpr const char* upsert_issue_bucket = R"sql(
INSERT INTO issue_buckets(bucket_start, issue_key, sessions, events, first_ms, last_ms,
                          first_session, runner_ms)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT(bucket_start, issue_key) DO UPDATE SET
  sessions = sessions + excluded.sessions,
  events = events + excluded.events,
  last_ms = max(last_ms, excluded.last_ms),
  runner_ms = nullif(CASE WHEN excluded.first_ms < first_ms
    THEN min(coalesce(excluded.runner_ms, 9223372036854775807),
             CASE WHEN first_session <> excluded.first_session THEN first_ms
                  ELSE coalesce(runner_ms, 9223372036854775807) END)
    ELSE min(coalesce(runner_ms, 9223372036854775807),
             CASE WHEN excluded.first_session <> first_session THEN excluded.first_ms
                  ELSE coalesce(excluded.runner_ms, 9223372036854775807) END)
    END, 9223372036854775807),
  first_session = CASE WHEN excluded.first_ms < first_ms THEN excluded.first_session
                       ELSE first_session END,
  first_ms = min(first_ms, excluded.first_ms))sql";

// Once per new (bucket, problem, session): the session's app version and browser.
inline constexpr const char* upsert_facet_app_version = R"sql(
INSERT INTO issue_bucket_facets(bucket_start, issue_key, kind, value, sessions)
SELECT ?1, ?2, 'app_version', ?3, 1 WHERE ?3 IS NOT NULL AND ?3 <> ''
ON CONFLICT(bucket_start, issue_key, kind, value) DO UPDATE SET sessions = sessions + 1)sql";
inline constexpr const char* upsert_facet_browser = R"sql(
INSERT INTO issue_bucket_facets(bucket_start, issue_key, kind, value, sessions)
SELECT ?1, ?2, 'browser', v, 1 FROM
  (SELECT substr(CASE WHEN json_valid(?3) THEN json_extract(?3, '$.browser') END, 1, 64) AS v)
WHERE v IS NOT NULL AND v <> ''
ON CONFLICT(bucket_start, issue_key, kind, value) DO UPDATE SET sessions = sessions + 1)sql";

// One per distinct bucket per commit.
inline constexpr const char* upsert_ingest_bucket = R"sql(
INSERT INTO ingest_buckets(bucket_start, events, new_sessions) VALUES(?1, ?2, ?3)
ON CONFLICT(bucket_start) DO UPDATE SET events = events + excluded.events,
  new_sessions = new_sessions + excluded.new_sessions)sql";

inline constexpr const char* insert_lookup = R"sql(
INSERT INTO lookups(at_ms, session_id, verdict, issue_key, user_id, platform, channel)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";

inline constexpr const char* put_state = R"sql(
INSERT INTO service_state(key, value) VALUES(?1, ?2)
ON CONFLICT(key) DO UPDATE SET value = excluded.value)sql";

inline constexpr const char* upsert_app_version = R"sql(
INSERT INTO app_versions(version, first_seen, last_seen) VALUES(?1, ?2, ?3)
ON CONFLICT(version) DO UPDATE SET
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen))sql";

// Retention: rowids follow receipt order (schema 5), so the oldest received are the first ?2
// rows of the table; of those, the ones received before ?1 go. No index: a range of the table's
// own key. A row received later than one behind it (the clock stepped back) waits at the front
// until it is old enough itself; then the next round goes on.
inline constexpr const char* prune_events = R"sql(
DELETE FROM events WHERE rowid IN (SELECT rowid FROM events ORDER BY rowid LIMIT ?2)
  AND received_ms < ?1
RETURNING sid)sql";

inline constexpr const char* session_first_ts = "SELECT min(ts) FROM events WHERE sid = ?1";

inline constexpr const char* shrink_session = R"sql(
UPDATE sessions SET event_count = max(event_count - ?2, 0), first_seen = ?3 WHERE sid = ?1)sql";

inline constexpr const char* forget_session =
    "DELETE FROM sessions WHERE sid = ?1 RETURNING session_id";

inline constexpr const char* prune_app_versions = "DELETE FROM app_versions WHERE last_seen < ?1";

// The summary and the lookup log follow the events' retention; ?1 is a bucket start, so the
// bucket still holding retained events stays. Each is a prefix of its table's key.
inline constexpr const char* prune_issue_buckets =
    "DELETE FROM issue_buckets WHERE bucket_start < ?1";
inline constexpr const char* prune_bucket_sessions =
    "DELETE FROM issue_bucket_sessions WHERE bucket_start < ?1";
inline constexpr const char* prune_bucket_facets =
    "DELETE FROM issue_bucket_facets WHERE bucket_start < ?1";
inline constexpr const char* prune_ingest_buckets =
    "DELETE FROM ingest_buckets WHERE bucket_start < ?1";
inline constexpr const char* prune_lookups = "DELETE FROM lookups WHERE at_ms < ?1";

// --- readers --------------------------------------------------------------------------------

// A session's integer key (readers look it up once per call, through sessions_session_id).
inline constexpr const char* session_key = "SELECT sid FROM sessions WHERE session_id = ?1";

// The most recent ?2 events of session key ?1, newest first; the caller reverses them. The
// (sid, ts) index ends with the rowid, so this ORDER BY is a backward index walk with no sort.
inline constexpr const char* session_events = R"sql(
SELECT event_id, ts, type, severity, page, message, attrs, context, extra, issue_key, app_version
FROM events WHERE sid = ?1 ORDER BY ts DESC, rowid DESC LIMIT ?2)sql";

// The same for the diagnosis: only the columns the rules read. No context (the session summary
// carries the latest one) and no extra.
inline constexpr const char* diagnosis_events = R"sql(
SELECT event_id, ts, type, severity, page, message, attrs, issue_key, app_version
FROM events WHERE sid = ?1 ORDER BY ts DESC, rowid DESC LIMIT ?2)sql";

inline constexpr const char* session_row = R"sql(
SELECT first_seen, last_seen, event_count, context, app_version FROM sessions
WHERE session_id = ?1)sql";

inline constexpr const char* session_type_counts = R"sql(
SELECT type, count(*) FROM events WHERE sid = ?1 GROUP BY type ORDER BY type)sql";

// Blast radius, step 1: the problem's buckets in the window (at most window / bucket rows).
inline constexpr const char* blast_buckets = R"sql(
SELECT bucket_start, sessions, first_ms, first_session, runner_ms FROM issue_buckets
WHERE issue_key = ?1 AND bucket_start >= ?2 ORDER BY bucket_start DESC)sql";

// Blast radius, step 2: the sessions of one bucket, at most ?3 (a key prefix range).
inline constexpr const char* bucket_sessions = R"sql(
SELECT sid FROM issue_bucket_sessions WHERE bucket_start = ?1 AND issue_key = ?2
LIMIT ?3)sql";

inline constexpr const char* bucket_has_session = R"sql(
SELECT 1 FROM issue_bucket_sessions WHERE bucket_start = ?1 AND issue_key = ?2 AND sid = ?3)sql";

// Digests and /top: every problem of a time range, a range of the primary key.
inline constexpr const char* issue_buckets_between = R"sql(
SELECT issue_key, bucket_start, sessions, events, first_ms, last_ms, first_session
FROM issue_buckets WHERE bucket_start >= ?1 AND bucket_start < ?2
ORDER BY bucket_start, issue_key)sql";

// Alerts: one problem's history (its baseline).
inline constexpr const char* issue_history = R"sql(
SELECT issue_key, bucket_start, sessions, events, first_ms, last_ms, first_session
FROM issue_buckets WHERE issue_key = ?1 AND bucket_start >= ?2 AND bucket_start < ?3
ORDER BY bucket_start)sql";

// Alerts: facets of a problem in a (short) range; reads the range's facet rows of all problems.
inline constexpr const char* issue_facets = R"sql(
SELECT kind, value, sum(sessions) AS n FROM issue_bucket_facets
WHERE bucket_start >= ?2 AND bucket_start < ?3 AND issue_key = ?1
GROUP BY kind, value ORDER BY n DESC, kind, value LIMIT 50)sql";

// Release regressions: the app versions of one problem's sessions, each with its first bucket's
// earliest event. The problem's buckets through issue_buckets_key, then each bucket's facet rows
// by a primary-key prefix: bounded by the window's buckets, not by the other problems.
inline constexpr const char* issue_versions = R"sql(
SELECT f.value, sum(f.sessions), min(b.first_ms) AS first FROM issue_buckets b
JOIN issue_bucket_facets f ON f.bucket_start = b.bucket_start AND f.issue_key = b.issue_key
  AND f.kind = 'app_version'
WHERE b.issue_key = ?1 AND b.bucket_start >= ?2 AND b.bucket_start < ?3
GROUP BY f.value ORDER BY first, f.value)sql";

inline constexpr const char* ingest_buckets_between = R"sql(
SELECT bucket_start, events, new_sessions FROM ingest_buckets
WHERE bucket_start >= ?1 AND bucket_start < ?2 ORDER BY bucket_start)sql";

// The lookup log, newest first: by time, by session, by user.
inline constexpr const char* lookups_between = R"sql(
SELECT at_ms, session_id, verdict, issue_key, user_id, platform, channel FROM lookups
WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms DESC LIMIT ?3)sql";
inline constexpr const char* lookups_of_session = R"sql(
SELECT at_ms, session_id, verdict, issue_key, user_id, platform, channel FROM lookups
WHERE session_id = ?4 AND at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms DESC LIMIT ?3)sql";
inline constexpr const char* lookups_of_user = R"sql(
SELECT at_ms, session_id, verdict, issue_key, user_id, platform, channel FROM lookups
WHERE user_id = ?4 AND at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms DESC LIMIT ?3)sql";

inline constexpr const char* get_state = "SELECT value FROM service_state WHERE key = ?1";

// Range scans for similar_sessions; both read only an index (covering).
inline constexpr const char* session_ids_between = R"sql(
SELECT session_id FROM sessions WHERE session_id >= ?1 AND session_id < ?2
ORDER BY session_id LIMIT ?3)sql";
inline constexpr const char* session_ids_from = R"sql(
SELECT session_id FROM sessions WHERE session_id >= ?1 ORDER BY session_id LIMIT ?3)sql";
inline constexpr const char* rev_ids_between = R"sql(
SELECT rev_id FROM sessions WHERE rev_id >= ?1 AND rev_id < ?2 ORDER BY rev_id LIMIT ?3)sql";
inline constexpr const char* rev_ids_from = R"sql(
SELECT rev_id FROM sessions WHERE rev_id >= ?1 ORDER BY rev_id LIMIT ?3)sql";

// Exact lookups of candidate spellings for similar_sessions: one primary-key probe per bound
// id; unused parameters are bound to NULL, which matches nothing.
inline constexpr std::size_t session_ids_in_batch = 32;
inline constexpr const char* session_ids_in = R"sql(
SELECT session_id FROM sessions WHERE session_id IN (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,?32))sql";

inline constexpr const char* app_versions_since = R"sql(
SELECT version, first_seen, last_seen FROM app_versions WHERE last_seen >= ?1
ORDER BY first_seen, version)sql";

}  // namespace sessiondx::store::detail::sql
