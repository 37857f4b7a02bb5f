#include "store/sqlite_store.hpp"
#include "tests/store/store_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>

namespace store = sessiondx::store;
using sessiondx::test::make_event;
using sessiondx::test::temp_dir;
using sessiondx::test::test_settings;
using store::append_outcome;

namespace {

store::event full_event() {
  store::event e = make_event("S-ünï-✓", "evt-1", 1'700'000'000'123, "js_error");
  e.severity = "error";
  e.page = "/checkout/äöü";
  e.message = "TypeError: x is undefined — «quoted» 日本語 😀";
  e.attrs = R"j({"stack":"at f (a.js:1:2)","status":500})j";
  e.context = R"({"browser":"Firefox 121","locale":"de-CH","app_version":"2.3.1"})";
  e.extra = R"({"custom":true})";
  e.issue_key = "js:abc123";
  e.app_version = "2.3.1";
  return e;
}

void check_same(const store::event& a, const store::event& b) {
  CHECK(a.id == b.id);
  CHECK(a.session_id == b.session_id);
  CHECK(a.ts_ms == b.ts_ms);
  CHECK(a.type == b.type);
  CHECK(a.severity == b.severity);
  CHECK(a.page == b.page);
  CHECK(a.message == b.message);
  CHECK(a.attrs == b.attrs);
  CHECK(a.context == b.context);
  CHECK(a.extra == b.extra);
  CHECK(a.issue_key == b.issue_key);
  CHECK(a.app_version == b.app_version);
}

std::vector<std::string> ids_of(const std::vector<store::event>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.id);
  return ids;
}

}  // namespace

TEST_CASE("store: events read back in time order with every field intact", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  const store::event full = full_event();
  store::event early = make_event(full.session_id, "evt-0", full.ts_ms - 5000);
  store::event same_ts = make_event(full.session_id, "evt-2", full.ts_ms, "http_request");
  // Out of time order on purpose; same_ts arrives after `full` and has the same ts.
  const auto result = s->append_and_wait({full, early, same_ts});
  REQUIRE_FALSE(result.error);
  CHECK(result.outcomes ==
        std::vector{append_outcome::stored, append_outcome::stored, append_outcome::stored});

  const auto events = s->session_events(full.session_id, 100);
  REQUIRE(events.size() == 3);
  CHECK(ids_of(events) == std::vector<std::string>{"evt-0", "evt-1", "evt-2"});
  check_same(events[1], full);
  // Empty optional fields come back empty.
  check_same(events[0], early);
  CHECK(s->session_events("someone-else", 100).empty());
  CHECK(s->stats().committed_events == 3);
  CHECK(s->stats().commits >= 1);
}

TEST_CASE("store: limit returns the most recent events in ascending order", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  std::vector<store::event> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(make_event("S1", "e" + std::to_string(i), 1000 + i));
  batch.push_back(make_event("S2", "other", 5000));
  REQUIRE_FALSE(s->append_and_wait(batch).error);

  CHECK(ids_of(s->session_events("S1", 3)) == std::vector<std::string>{"e7", "e8", "e9"});
  CHECK(s->session_events("S1", 10).size() == 10);
  CHECK(s->session_events("S1", 1000).size() == 10);
  CHECK(s->session_events("S1", 0).empty());
}

TEST_CASE("store: duplicates are reported and stored once", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  const auto first = s->append_and_wait(
      {make_event("S1", "a", 1), make_event("S1", "b", 2), make_event("S1", "a", 3)});
  REQUIRE_FALSE(first.error);
  CHECK(first.outcomes ==
        std::vector{append_outcome::stored, append_outcome::stored, append_outcome::duplicate});

  // The same event id in another session is a different event.
  const auto second = s->append_and_wait(
      {make_event("S1", "b", 2), make_event("S2", "a", 1), make_event("S1", "c", 4)});
  REQUIRE_FALSE(second.error);
  CHECK(second.outcomes ==
        std::vector{append_outcome::duplicate, append_outcome::stored, append_outcome::stored});

  CHECK(ids_of(s->session_events("S1", 100)) == std::vector<std::string>{"a", "b", "c"});
  const auto stats = s->stats();
  CHECK(stats.committed_events == 4);
  CHECK(stats.duplicate_events == 2);
  // Duplicates do not count in the session either.
  REQUIRE(s->summary("S1").has_value());
  CHECK(s->summary("S1")->event_count == 3);
}

TEST_CASE("store: data survives close and reopen", "[store]") {
  temp_dir dir;
  const auto settings = test_settings(dir);
  {
    auto s = store::make_sqlite_store(settings);
    REQUIRE_FALSE(s->append_and_wait({full_event()}).error);
    s->close();
    // The final checkpoint left an empty WAL behind.
    const auto wal = std::filesystem::path(settings.path.string() + "-wal");
    CHECK((!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0));
  }
  auto s = store::make_sqlite_store(settings);
  const auto events = s->session_events(full_event().session_id, 10);
  REQUIRE(events.size() == 1);
  check_same(events[0], full_event());
  // The dedup key survives too.
  CHECK(s->append_and_wait({full_event()}).outcomes == std::vector{append_outcome::duplicate});
}

TEST_CASE("store: summary counts by type and keeps first/last seen and the latest context",
          "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  auto with_context = [](store::event e, std::string context, std::string version) {
    e.context = std::move(context);
    e.app_version = std::move(version);
    return e;
  };
  REQUIRE_FALSE(s->append_and_wait({with_context(make_event("S1", "a", 2000), "{\"v\":2}", "2.0"),
                                    make_event("S1", "b", 1000, "js_error"),
                                    make_event("S1", "c", 1500, "http_request")})
                    .error);
  // Later commits: an older event with a context must not replace the newer one; a newer event
  // without a context keeps it; a newer one with a context replaces it.
  REQUIRE_FALSE(
      s->append_and_wait({with_context(make_event("S1", "d", 500), "{\"v\":0}", "1.0")}).error);
  REQUIRE_FALSE(s->append_and_wait({make_event("S1", "e", 2500, "js_error")}).error);
  auto summary = s->summary("S1");
  REQUIRE(summary.has_value());
  CHECK(summary->session_id == "S1");
  CHECK(summary->first_seen_ms == 500);
  CHECK(summary->last_seen_ms == 2500);
  CHECK(summary->event_count == 5);
  CHECK(summary->context == "{\"v\":2}");
  CHECK(summary->app_version == "2.0");
  using count = std::pair<std::string, std::int64_t>;
  CHECK(s->type_counts("S1") ==
        std::vector<count>{{"http_request", 1}, {"js_error", 2}, {"page_view", 2}});

  REQUIRE_FALSE(
      s->append_and_wait({with_context(make_event("S1", "f", 3000), "{\"v\":3}", "3.0")}).error);
  summary = s->summary("S1");
  REQUIRE(summary.has_value());
  CHECK(summary->context == "{\"v\":3}");
  CHECK(summary->app_version == "3.0");
  CHECK_FALSE(s->summary("unknown").has_value());
}

TEST_CASE("store: other_sessions counts distinct other sessions within the window", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  // The window starts at a summary bucket boundary: times in tenths of a bucket.
  constexpr std::int64_t t = store::issue_bucket_ms / 10;
  auto problem = [](std::string session, std::string id, std::int64_t ts, std::string key) {
    store::event e = make_event(std::move(session), std::move(id), ts, "js_error");
    e.issue_key = std::move(key);
    return e;
  };
  REQUIRE_FALSE(
      s->append_and_wait({
                             problem("ME", "1", 50 * t, "js:x"),  // the asking session
                             problem("ME", "2", 1 * t, "js:x"), problem("A", "1", 30 * t, "js:x"),
                             problem("A", "2", 40 * t, "js:x"), problem("B", "1", 25 * t, "js:x"),
                             problem("C", "1", 10 * t, "js:x"),  // before the window
                             problem("D", "1", 30 * t, "js:other"),
                             make_event("E", "1", 30 * t),  // no issue at all
                         })
          .error);
  const auto radius = s->other_sessions("js:x", "ME", 20 * t);
  CHECK(radius.issue_key == "js:x");
  CHECK(radius.other_sessions == 2);
  CHECK(radius.first_seen_ms == 25 * t);
  CHECK_FALSE(radius.capped);

  const auto nobody = s->other_sessions("js:x", "ME", 100 * t);
  CHECK(nobody.other_sessions == 0);
  CHECK(nobody.first_seen_ms == 0);
  CHECK(s->other_sessions("js:x", "A", 0).other_sessions == 3);  // ME, B, C
  CHECK(s->other_sessions("js:x", "A", 0).first_seen_ms == 1 * t);
  CHECK(s->other_sessions("", "ME", 0).other_sessions == 0);
  // Only ME's events in its bucket: ME itself is not another session.
  CHECK(s->other_sessions("js:x", "C", 0).first_seen_ms == 1 * t);
  CHECK(s->other_sessions("js:x", "ME", 50 * t).other_sessions == 0);
}

TEST_CASE("store: similar_sessions finds ids two misreads away, in either half", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  std::vector<store::event> batch;
  int n = 0;
  for (const char* id : {"K7QX2M0A1b5S8BZz",     // the real id
                         "K7QX2M0A1b5S8BZy",     // one other character from the typed id
                         "K7QXZM0AlbSS8BZz",     // three misreads from the typed id: not returned
                         "P7QX2M0A1b5S8BZq"}) {  // two non-misreads: not returned
    batch.push_back(make_event(id, "e" + std::to_string(n++), 1000));
  }
  REQUIRE_FALSE(s->append_and_wait(batch).error);
  // Read out with O for 0 (first half) and l for 1 (second half): no half is shared with the
  // real id, so only the primary-key probes of the spellings find it.
  CHECK(s->similar_sessions("K7QX2MOAlb5S8BZz", 10) ==
        std::vector<std::string>{"K7QX2M0A1b5S8BZz"});
  // Both misreads in the second half: found by the range scan and by the probes, once.
  CHECK(s->similar_sessions("K7QX2M0Alb5SBBZz", 10) ==
        std::vector<std::string>{"K7QX2M0A1b5S8BZz"});
  // A known id: its one-character neighbour, not itself, nor ids three misreads away.
  CHECK(s->similar_sessions("K7QX2M0A1b5S8BZz", 10) ==
        std::vector<std::string>{"K7QX2M0A1b5S8BZy"});
  // Two misreads and the other last character: only the id that differs by misreads alone.
  CHECK(s->similar_sessions("K7QX2MOAlb5S8BZy", 10) ==
        std::vector<std::string>{"K7QX2M0A1b5S8BZy"});
}

TEST_CASE("store: similar_sessions finds prefixes, misreads and one-char differences", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  std::vector<store::event> batch;
  int n = 0;
  for (const char* id : {"K7QX2MOA",    // the typed id with its 0 read as O
                         "K7QX2M9A",    // one char away in the second half
                         "K7QX2M0C",    // one char away in the second half
                         "P7QX2M0A",    // one char away in the first half
                         "K7QY2M0B",    // two chars away: not returned
                         "K7QX2M0A77",  // extends the typed id
                         "K7QX2M0Aab",  // extends it too
                         "ZZZZZZZZ",    // unrelated
                         "K7QX2M0"}) {  // shorter: a prefix of the typed id, not an extension
    batch.push_back(make_event(id, "e" + std::to_string(n++), 1000));
  }
  REQUIRE_FALSE(s->append_and_wait(batch).error);

  CHECK(s->similar_sessions("K7QX2M0A", 10) ==
        std::vector<std::string>{"K7QX2MOA",                          // classic misread first
                                 "K7QX2M0C", "K7QX2M9A", "P7QX2M0A",  // then one-char
                                 "K7QX2M0A77", "K7QX2M0Aab"});        // then extensions
  CHECK(s->similar_sessions("K7QX2M0A", 2) == std::vector<std::string>{"K7QX2MOA", "K7QX2M0C"});
  // A known id is not similar to itself, but its neighbours are.
  const auto around_known = s->similar_sessions("K7QX2MOA", 10);
  CHECK(std::find(around_known.begin(), around_known.end(), "K7QX2MOA") == around_known.end());
  CHECK(std::find(around_known.begin(), around_known.end(), "K7QX2M9A") != around_known.end());
  // A one-char difference in the first half of the id (found through rev_id).
  CHECK(s->similar_sessions("X7QX2M9A", 10) == std::vector<std::string>{"K7QX2M9A"});
  // Prefix only.
  CHECK(s->similar_sessions("K7QX2M0A7", 10) == std::vector<std::string>{"K7QX2M0A77"});
  // Too short for a prefix search.
  CHECK(s->similar_sessions("K7", 10).empty());
  CHECK(s->similar_sessions("nothing-like-it", 10).empty());
  CHECK(s->similar_sessions("", 10).empty());
}

TEST_CASE("store: app_versions lists versions seen since a time", "[store]") {
  temp_dir dir;
  auto s = store::make_sqlite_store(test_settings(dir));
  auto versioned = [](std::string session, std::string id, std::int64_t ts, std::string v) {
    store::event e = make_event(std::move(session), std::move(id), ts);
    e.app_version = std::move(v);
    return e;
  };
  REQUIRE_FALSE(
      s->append_and_wait({versioned("A", "1", 1000, "1.0"), versioned("A", "2", 1500, "1.0"),
                          versioned("B", "1", 3000, "2.0"), make_event("C", "1", 4000)})
          .error);
  REQUIRE_FALSE(s->append_and_wait({versioned("D", "1", 5000, "2.0")}).error);
  const auto all = s->app_versions(0);
  REQUIRE(all.size() == 2);
  CHECK(all[0].version == "1.0");
  CHECK(all[0].first_seen_ms == 1000);
  CHECK(all[0].last_seen_ms == 1500);
  CHECK(all[1].version == "2.0");
  CHECK(all[1].first_seen_ms == 3000);
  CHECK(all[1].last_seen_ms == 5000);
  const auto recent = s->app_versions(2000);
  REQUIRE(recent.size() == 1);
  CHECK(recent[0].version == "2.0");
}

TEST_CASE(
    "store: prune_before deletes only events received before the cutoff and forgets emptied "
    "sessions",
    "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  auto clock = std::make_shared<std::atomic<std::int64_t>>(500);
  settings.now_ms = [clock] { return clock->load(); };
  auto s = store::make_sqlite_store(settings);
  store::event old_a = make_event("OLD", "1", 100);
  old_a.app_version = "0.9";
  // Received at 500.
  REQUIRE_FALSE(
      s->append_and_wait({old_a, make_event("OLD", "2", 200), make_event("MIX", "1", 300)}).error);
  // Received at 6000; the ts of "NEW" says 100, as from a clock far behind: kept all the same.
  clock->store(6000);
  REQUIRE_FALSE(
      s->append_and_wait({make_event("MIX", "2", 5000), make_event("NEW", "1", 100)}).error);
  // In batches: two rows, then the rest.
  CHECK(s->prune_before(1000, 2) == 2);
  CHECK(s->prune_before(1000, 2) == 1);
  CHECK(s->prune_before(1000, 2) == 0);
  CHECK(s->stats().pruned_events == 3);

  CHECK(s->session_events("OLD", 10).empty());
  CHECK_FALSE(s->summary("OLD").has_value());
  REQUIRE(s->summary("MIX").has_value());
  CHECK(s->summary("MIX")->event_count == 1);
  CHECK(s->summary("MIX")->first_seen_ms == 5000);
  CHECK(ids_of(s->session_events("MIX", 10)) == std::vector<std::string>{"2"});
  CHECK(s->session_events("NEW", 10).size() == 1);
  CHECK(s->app_versions(0).empty());
  // A pruned session id is no longer suggested.
  CHECK(s->similar_sessions("OLX", 10).empty());
  CHECK(s->similar_sessions("NEX", 10) == std::vector<std::string>{"NEW"});
}

TEST_CASE("store: opening a file that is not a database fails naming the path", "[store]") {
  temp_dir dir;
  auto settings = test_settings(dir);
  {
    std::ofstream junk(settings.path);
    junk << std::string(8192, 'x');
  }
  try {
    store::make_sqlite_store(settings);
    FAIL("opened a file that is not a database");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find(settings.path.string()) != std::string::npos);
    CHECK(what.find("not a database") != std::string::npos);
  }
  settings.path = dir / "no" / "such" / "dir" / "events.db";
  CHECK_THROWS_WITH(store::make_sqlite_store(settings),
                    Catch::Contains(settings.path.string()) && Catch::Contains("unable to open"));
}
