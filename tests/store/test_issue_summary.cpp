// The per-problem summary maintained at ingest (schema 3), the lookup log and service state.

#include "store/sqlite_store.hpp"
#include "tests/store/store_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

namespace store = sessiondx::store;
using sessiondx::test::make_event;
using sessiondx::test::temp_dir;
using sessiondx::test::test_settings;

namespace {

constexpr std::int64_t bucket = store::issue_bucket_ms;
constexpr std::int64_t day0 = 1'780'000'000'000 / bucket * bucket;  // a bucket boundary

store::event problem(std::string session, std::string id, std::int64_t ts, std::string key,
                     std::string version = "", std::string context = "") {
  store::event e = make_event(std::move(session), std::move(id), ts, "js_error");
  e.issue_key = std::move(key);
  e.app_version = std::move(version);
  e.context = std::move(context);
  return e;
}

const store::issue_bucket* find(const std::vector<store::issue_bucket>& rows,
                                const std::string& key, std::int64_t start) {
  for (const auto& r : rows)
    if (r.issue_key == key && r.bucket_start_ms == start) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("summary: the writer keeps one row per problem and bucket", "[store][summary]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  REQUIRE_FALSE(s->append_and_wait({
                                       problem("A", "1", day0 + 1000, "js:x"),
                                       problem("A", "2", day0 + 2000, "js:x"),
                                       problem("B", "1", day0 + 500, "js:x"),
                                       problem("B", "2", day0 + bucket + 10, "js:x"),
                                       problem("C", "1", day0 + 3000, "route:GET /a"),
                                       make_event("D", "1", day0 + 4000),
                                   })
                    .error);
  // A second commit: a duplicate, a known session, a new one earlier than all.
  REQUIRE_FALSE(s->append_and_wait({
                                       problem("A", "1", day0 + 1000, "js:x"),  // duplicate
                                       problem("A", "3", day0 + 100, "js:x"),
                                       problem("E", "1", day0 + 50, "js:x"),
                                   })
                    .error);

  const auto rows = s->issue_buckets(day0, day0 + 2 * bucket);
  REQUIRE(rows.size() == 3);
  const auto* x0 = find(rows, "js:x", day0);
  REQUIRE(x0 != nullptr);
  CHECK(x0->sessions == 3);  // A, B, E
  CHECK(x0->events == 5);    // A1 A2 B1 A3 E1, not the duplicate
  CHECK(x0->first_seen_ms == day0 + 50);
  CHECK(x0->last_seen_ms == day0 + 2000);
  CHECK(x0->example_session == "E");
  const auto* x1 = find(rows, "js:x", day0 + bucket);
  REQUIRE(x1 != nullptr);
  CHECK(x1->sessions == 1);
  CHECK(x1->example_session == "B");
  CHECK(find(rows, "route:GET /a", day0) != nullptr);
  // Time order, and the range is half-open.
  CHECK(rows.front().bucket_start_ms == day0);
  CHECK(s->issue_buckets(day0 + bucket, day0 + 2 * bucket).size() == 1);
  CHECK(s->issue_history("js:x", day0, day0 + 10 * bucket).size() == 2);
  CHECK(s->issue_history("js:x", day0 + bucket, day0 + 10 * bucket).front().sessions == 1);

  // Traffic: every event stored, sessions counted once in the bucket of their first event.
  const auto traffic = s->ingest_buckets(day0, day0 + 2 * bucket);
  REQUIRE(traffic.size() == 2);
  CHECK(traffic[0].events == 7);
  CHECK(traffic[0].new_sessions == 5);  // A B C D E
  CHECK(traffic[1].events == 1);
  CHECK(traffic[1].new_sessions == 0);

  // The earliest occurrence in another session follows the first-event merges.
  CHECK(s->other_sessions("js:x", "E", 0).first_seen_ms == day0 + 100);  // A3, runner-up
  CHECK(s->other_sessions("js:x", "A", 0).first_seen_ms == day0 + 50);   // E
  CHECK(s->other_sessions("js:x", "A", 0).other_sessions == 2);          // B, E
  CHECK(s->issue_sessions("js:x", day0, day0 + 2 * bucket, 100) == 3);
  CHECK(s->issue_sessions("js:x", day0, day0 + 2 * bucket, 2) == 2);
}

TEST_CASE("summary: the blast radius is exact up to its read budget, then a lower bound",
          "[store][summary]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  settings.max_blast_entries = 8;
  auto s = store::make_sqlite_store(settings);
  std::vector<store::event> batch;
  // 12 sessions in one bucket, 6 of them again in the next one.
  for (int i = 0; i < 12; ++i) {
    const std::string id = "S" + std::to_string(i);
    batch.push_back(problem(id, "1", day0 + i, "js:big"));
    if (i < 6) batch.push_back(problem(id, "2", day0 + bucket + i, "js:big"));
  }
  REQUIRE_FALSE(s->append_and_wait(batch).error);

  // One bucket: its count is exact whatever the budget.
  const auto one = s->other_sessions("js:big", "S11", day0 + bucket);
  CHECK(one.other_sessions == 6);  // S0..S5; S11 is not in that bucket
  CHECK_FALSE(one.capped);
  // Two buckets, 18 entries > 8: flagged, and a lower bound.
  const auto two = s->other_sessions("js:big", "S0", day0);
  CHECK(two.capped);
  CHECK(two.other_sessions >= 5);  // at least what 8 entries hold
  CHECK(two.other_sessions <= 11);
  CHECK(two.first_seen_ms == day0 + 1);

  settings.max_blast_entries = 100;
  s->close();
  s.reset();
  auto exact = store::make_sqlite_store(settings);
  const auto all = exact->other_sessions("js:big", "S0", day0);
  CHECK_FALSE(all.capped);
  CHECK(all.other_sessions == 11);
}

TEST_CASE("summary: app versions and browsers of a problem's sessions", "[store][summary]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  REQUIRE_FALSE(s
                    ->append_and_wait({
                        problem("A", "1", day0 + 1, "js:x", "2.0", R"({"browser":"Safari 17"})"),
                        problem("A", "2", day0 + 2, "js:x", "2.0", R"({"browser":"Safari 17"})"),
                        problem("B", "1", day0 + 3, "js:x", "2.0", R"({"browser":"Chrome 125"})"),
                        problem("C", "1", day0 + 4, "js:x", "1.9", R"({"os":"iOS"})"),
                        problem("D", "1", day0 + 5, "js:x", "", "not json"),
                    })
                    .error);
  const auto facets = s->issue_facets("js:x", day0, day0 + bucket);
  auto count = [&](const std::string& kind, const std::string& value) -> std::int64_t {
    for (const auto& f : facets)
      if (f.kind == kind && f.value == value) return f.sessions;
    return -1;
  };
  CHECK(count("app_version", "2.0") == 2);
  CHECK(count("app_version", "1.9") == 1);
  CHECK(count("browser", "Safari 17") == 1);  // sessions, not events
  CHECK(count("browser", "Chrome 125") == 1);
  CHECK(facets.size() == 4);
  CHECK(facets.front().sessions == 2);  // most sessions first
}

TEST_CASE("lookup log: recorded, listed newest first by time, session or user",
          "[store][lookups]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  s->record_lookup({day0 + 10, "S1", "broken", "js:x", "U1", "slack", "C1"});
  s->record_lookup({day0 + 20, "S2", "healthy", "", "U2", "shell", "shell"});
  s->record_lookup({day0 + 30, "S1", "broken", "js:x", "U2", "slack", "C2"});
  // The log is written by the writer: an append behind it is committed after it.
  REQUIRE_FALSE(s->append_and_wait({make_event("Z", "1", day0)}).error);

  const auto all = s->lookups({});
  REQUIRE(all.size() == 3);
  CHECK(all[0].at_ms == day0 + 30);
  CHECK(all[0].channel == "C2");
  CHECK(all[1].issue_key.empty());
  CHECK(all[2].user == "U1");
  CHECK(all[2].platform == "slack");
  CHECK(all[2].verdict == "broken");

  store::lookup_query by_session;
  by_session.session_id = "S1";
  CHECK(s->lookups(by_session).size() == 2);
  store::lookup_query by_user;
  by_user.user = "U2";
  const auto u2 = s->lookups(by_user);
  REQUIRE(u2.size() == 2);
  CHECK(u2[0].session_id == "S1");
  CHECK(u2[1].session_id == "S2");
  by_session.user = "U2";
  CHECK(s->lookups(by_session).size() == 1);
  store::lookup_query window;
  window.from_ms = day0 + 15;
  window.to_ms = day0 + 30;
  REQUIRE(s->lookups(window).size() == 1);
  CHECK(s->lookups(window)[0].session_id == "S2");
  window.limit = 0;
  CHECK(s->lookups(window).empty());
}

TEST_CASE("retention prunes the summary and the lookup log with the events", "[store][summary]") {
  temp_dir dir;
  // Retention goes by receipt time: receive each event at its own ts.
  auto settings = test_settings(dir);
  auto received = std::make_shared<std::int64_t>(day0 + 1);
  settings.now_ms = [received] { return *received; };
  auto s = store::make_sqlite_store(settings);
  REQUIRE_FALSE(s->append_and_wait({problem("OLD", "1", day0 + 1, "js:x")}).error);
  *received = day0 + 3 * bucket + 1;
  REQUIRE_FALSE(s->append_and_wait({problem("NEW", "1", day0 + 3 * bucket + 1, "js:x")}).error);
  s->record_lookup({day0 + 1, "OLD", "broken", "js:x", "U", "slack", "C"});
  s->record_lookup({day0 + 3 * bucket + 1, "NEW", "broken", "js:x", "U", "slack", "C"});
  CHECK(s->prune_before(day0 + 2 * bucket + 7, 100) == 1);
  const auto rows = s->issue_buckets(0, day0 + 10 * bucket);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].example_session == "NEW");
  CHECK(s->ingest_buckets(0, day0 + 10 * bucket).size() == 1);
  const auto log = s->lookups({});
  REQUIRE(log.size() == 1);
  CHECK(log[0].session_id == "NEW");
  CHECK(s->other_sessions("js:x", "NEW", 0).other_sessions == 0);
}

TEST_CASE("service state: put, get, overwrite, and kept across a reopen", "[store][state]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  {
    auto s = store::make_sqlite_store(settings);
    CHECK_FALSE(s->get_state("digest.last_run").has_value());
    s->put_state("digest.last_run", "100");
    s->put_state("digest.last_run", "200");
    s->put_state("other", "x");
    CHECK(s->get_state("digest.last_run") == "200");
    s->close();
    CHECK_THROWS_AS(s->put_state("late", "1"), std::runtime_error);
  }
  auto s = store::make_sqlite_store(settings);
  CHECK(s->get_state("digest.last_run") == "200");
  CHECK(s->get_state("other") == "x");
}
