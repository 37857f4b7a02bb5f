#pragma once

// Every SQL statement the store runs after migration, in one place, so that tests can check
// their query plans (EXPLAIN QUERY PLAN) against the indexes of schema.cpp.

#include <cstddef>

namespace sessiondx::store::detail::sql {

// --- writer ---------------------------------------------------------------------------------

inline constexpr const char* insert_event = R"sql(
INSERT OR IGNORE INTO events(session_id, event_id, ts, type, severity, page, message, attrs,
                             context, extra, issue_key, app_version, received_ms)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))sql";

// One per distinct session per commit, with the aggregate of the events that commit inserted.
// In DO UPDATE SET the bare column names are the values before the update.
inline constexpr const char* upsert_session = R"sql(
INSERT INTO sessions(session_id, first_seen, last_seen, event_count, context, app_version, rev_id,
                     context_ts, app_version_ts)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT(session_id) DO UPDATE SET
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen),
  event_count = event_count + excluded.event_count,
  context = CASE WHEN excluded.context_ts >= coalesce(context_ts, excluded.context_ts)
                 THEN excluded.context ELSE context END,
  context_ts = CASE WHEN excluded.context_ts >= coalesce(context_ts, excluded.context_ts)
                    THEN excluded.context_ts ELSE context_ts END,
  app_version = CASE WHEN excluded.app_version_ts >= coalesce(app_version_ts, excluded.app_version_ts)
                     THEN excluded.app_version ELSE app_version END,
  app_version_ts = CASE WHEN excluded.app_version_ts >= coalesce(app_version_ts, excluded.app_version_ts)
                        THEN excluded.app_version_ts ELSE app_version_ts END)sql";

// One per distinct (issue key, session) per commit.
inline constexpr const char* upsert_issue_session = R"sql(
INSERT INTO issue_sessions(issue_key, session_id, last_seen) VALUES(?1, ?2, ?3)
ON CONFLICT(issue_key, session_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen))sql";

inline constexpr const char* upsert_app_version = R"sql(
INSERT INTO app_versions(version, first_seen, last_seen) VALUES(?1, ?2, ?3)
ON CONFLICT(version) DO UPDATE SET
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen))sql";

// Retention: the oldest first, through the ts index, at most ?2 rows per transaction.
inline constexpr const char* prune_events = R"sql(
DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE ts < ?1 ORDER BY ts LIMIT ?2)
RETURNING session_id)sql";

inline constexpr const char* session_first_ts = "SELECT min(ts) FROM events WHERE session_id = ?1";

inline constexpr const char* shrink_session = R"sql(
UPDATE sessions SET event_count = max(event_count - ?2, 0), first_seen = ?3
WHERE session_id = ?1)sql";

inline constexpr const char* forget_session = "DELETE FROM sessions WHERE session_id = ?1";

inline constexpr const char* prune_app_versions = "DELETE FROM app_versions WHERE last_seen < ?1";

inline constexpr const char* prune_issue_sessions =
    "DELETE FROM issue_sessions WHERE last_seen < ?1";

// --- readers --------------------------------------------------------------------------------

// The most recent ?2 events, newest first; the caller reverses them. The (session_id, ts) index
// ends with the rowid, so this ORDER BY is a backward index walk with no sort.
inline constexpr const char* session_events = R"sql(
SELECT event_id, session_id, ts, type, severity, page, message, attrs, context, extra, issue_key,
       app_version
FROM events WHERE session_id = ?1 ORDER BY ts DESC, rowid DESC LIMIT ?2)sql";

inline constexpr const char* session_row = R"sql(
SELECT first_seen, last_seen, event_count, context, app_version FROM sessions
WHERE session_id = ?1)sql";

inline constexpr const char* session_type_counts = R"sql(
SELECT type, count(*) FROM events WHERE session_id = ?1 GROUP BY type ORDER BY type)sql";

// Reads only issue_sessions' primary key range of the problem: one entry per session.
inline constexpr const char* other_sessions = R"sql(
SELECT count(*) FROM issue_sessions
WHERE issue_key = ?1 AND last_seen >= ?2 AND session_id <> ?3)sql";

// The earliest occurrence in another session: a forward walk of (issue_key, ts) that stops at
// the first row of another session.
inline constexpr const char* other_sessions_since = R"sql(
SELECT ts FROM events WHERE issue_key = ?1 AND ts >= ?2 AND session_id <> ?3
ORDER BY ts LIMIT 1)sql";

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
