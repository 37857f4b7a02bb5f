// Incident alerts, golden scenarios on generated data: a summary filled bucket by bucket, the
// detector evaluated every minute as the service does, the posts it asks for checked.

#include "bot/digest_text.hpp"
#include "bot/incident.hpp"
#include "bot/leads.hpp"
#include "tests/bot/summary_fake.hpp"

#include <catch2/catch.hpp>

#include <ostream>

namespace bot = sessiondx::bot;
namespace store = sessiondx::store;
using sessiondx::test::summary_fake;

namespace sessiondx::bot {
std::ostream& operator<<(std::ostream& os, const alert_action& a) {
  return os << to_string(a.kind) << " " << a.issue_key << " sessions=" << a.sessions
            << " previous=" << a.previous_sessions << " at=" << a.at_ms;
}
}  // namespace sessiondx::bot

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t bucket = store::issue_bucket_ms;
constexpr std::int64_t t0 = 1'780'000'000'000 / hour * hour;  // the spike starts here

/// Sessions per 5-minute bucket of each scenario problem, as a function of the bucket's start.
std::int64_t spike(std::int64_t start) {
  if (start < t0) return (start / bucket) % 12 == 0 ? 1 : 0;  // one session an hour
  if (start < t0 + 20 * minute) return 6;                     // 18 in 15 min
  if (start < t0 + 40 * minute) return 20;                    // then 60 in 15 min
  return 0;                                                   // fixed
}
std::int64_t steady(std::int64_t) { return 30; }  // 90 in 15 min, every day
std::int64_t tracker(std::int64_t start) { return start >= t0 ? 50 : 0; }

struct run {
  std::vector<bot::alert_action> actions;
};

/// Evaluates every minute from t0 - 1 h to t0 + 3 h; the summary holds each bucket once its
/// time has come (with all its sessions: a bucket's count only grows).
run simulate(bot::incident_settings settings) {
  summary_fake store;
  for (std::int64_t start = t0 - 2 * 24 * hour; start < t0 - hour; start += bucket) {
    store.add("js:spike", start + 1, spike(start));
    store.add("js:steady", start + 1, steady(start));
    store.add("resource:tracker", start + 1, tracker(start));
  }
  bot::lead_reports reports(store, {}, settings);
  bot::incident_detector detector(settings);
  run r;
  for (std::int64_t now = t0 - hour; now < t0 + 3 * hour; now += minute) {
    if (now % bucket == 0) {
      store.add("js:spike", now + 1, spike(now), now < t0 + 30 * minute ? "3.1" : "3.2");
      store.add("js:steady", now + 1, steady(now));
      store.add("resource:tracker", now + 1, tracker(now));
    }
    for (auto& a : detector.evaluate(now, reports.rates(now, detector.records())))
      r.actions.push_back(std::move(a));
  }
  return r;
}

bot::incident_settings with_tracker_noise() {
  bot::incident_settings s;
  s.is_noise = [](std::string_view key) { return key.starts_with("resource:tracker"); };
  return s;
}

}  // namespace

TEST_CASE("incidents: a spike alerts once, grows, and recovers in the same thread", "[incident]") {
  const run r = simulate(with_tracker_noise());
  for (const auto& a : r.actions) INFO(a);
  REQUIRE(r.actions.size() == 3);
  const auto& opened = r.actions[0];
  // 6 sessions a bucket: the window (the bucket now filling and the two before) holds 12 at
  // t0 + 5 min, 18 at t0 + 10 min; 10 sessions are first reached at t0 + 5 min.
  CHECK(opened.kind == bot::alert_kind::opened);
  CHECK(opened.issue_key == "js:spike");
  CHECK(opened.at_ms == t0 + 5 * minute);
  CHECK(opened.sessions == 12);
  CHECK(opened.since_ms == t0 + 1);
  CHECK(opened.rate_ratio > 5.0);
  CHECK(opened.example_session.starts_with("js:spike-"));
  REQUIRE_FALSE(opened.facets.empty());

  const auto& grew = r.actions[1];
  CHECK(grew.kind == bot::alert_kind::grew);
  CHECK(grew.previous_sessions == 12);
  CHECK(grew.sessions >= 24);
  CHECK(grew.at_ms == t0 + 20 * minute);  // 6+6+20 = 32 sessions

  const auto& resolved = r.actions[2];
  CHECK(resolved.kind == bot::alert_kind::resolved);
  CHECK(resolved.issue_key == "js:spike");
  CHECK(resolved.sessions == 60);  // the peak: three buckets of 20
  CHECK(resolved.since_ms == t0 + 1);
  // The last spike bucket leaves the window 20 minutes after it starts (t0 + 55 min); below
  // the threshold from t0 + 50 min (one bucket of 20 is at least 10), quiet for 30 min after.
  CHECK(resolved.at_ms > t0 + 40 * minute + 30 * minute);
  CHECK(resolved.at_ms <= t0 + 60 * minute + 30 * minute);
}

TEST_CASE("incidents: a steady high-volume problem does not alert", "[incident]") {
  for (const auto& a : simulate(with_tracker_noise()).actions) CHECK(a.issue_key != "js:steady");
  // It crosses the absolute threshold, but not its own baseline.
  bot::incident_detector d;
  bot::problem_rate steady_rate{"js:steady", 90, 30 * 12 * 24, 0, "S", {}};
  CHECK_FALSE(d.crosses(steady_rate));
  steady_rate.window_sessions = 9 * 90;
  CHECK(d.crosses(steady_rate));
}

TEST_CASE("incidents: tracker noise does not alert", "[incident]") {
  const run quiet = simulate(with_tracker_noise());
  for (const auto& a : quiet.actions) CHECK(a.issue_key != "resource:tracker");
  // Without the noise rule the same data would alert: the test data can fail the test.
  bot::incident_settings plain;
  plain.is_noise = [](std::string_view) { return false; };
  const run noisy = simulate(plain);
  bool tracker_alerted = false;
  for (const auto& a : noisy.actions)
    tracker_alerted = tracker_alerted || a.issue_key == "resource:tracker";
  CHECK(tracker_alerted);
}

TEST_CASE("incidents: one alert per incident while it stays above", "[incident]") {
  bot::incident_detector d;
  bot::problem_rate r{"js:x", 12, 0, 1000, "S1", {}};
  CHECK(d.evaluate(0, {r}).size() == 1);
  r.window_sessions = 20;  // below the growth factor of 2
  CHECK(d.evaluate(minute, {r}).empty());
  r.window_sessions = 24;
  const auto grew = d.evaluate(2 * minute, {r});
  REQUIRE(grew.size() == 1);
  CHECK(grew[0] == bot::alert_action{
                       bot::alert_kind::grew, "js:x", 24, 12, 1000, 2 * minute, 0.0, "S1", {}, {}});
  // Quiet: resolved once 30 min have passed since it was last above the threshold.
  CHECK(d.evaluate(3 * minute, {}).empty());
  CHECK(d.evaluate(31 * minute, {}).empty());
  const auto resolved = d.evaluate(32 * minute, {});
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].kind == bot::alert_kind::resolved);
  CHECK(resolved[0].sessions == 24);
  CHECK(d.open_incidents().empty());
  // And a new incident after that is a new alert.
  CHECK(d.evaluate(40 * minute, {r}).at(0).kind == bot::alert_kind::opened);
}

TEST_CASE("incidents: alert texts name the problem, the sessions and an example", "[incident]") {
  bot::alert_action a{bot::alert_kind::opened,
                      "route:POST /api/<pay>",
                      42,
                      0,
                      t0,
                      t0 + 10 * minute,
                      12.4,
                      "abc123",
                      {{"app_version", "3.1", 40}, {"browser", "Safari 17", 30}},
                      {0, 0, 1, 4, 9, 12}};
  const std::string mrkdwn = bot::render_alert(a, bot::text_flavor::mrkdwn);
  CHECK(mrkdwn.find("*\u26A0 Possible incident: *`route:POST /api/&lt;pay&gt;`") !=
        std::string::npos);
  CHECK(mrkdwn.find("42 sessions affected since") != std::string::npos);
  CHECK(mrkdwn.find("12\u00D7") != std::string::npos);
  CHECK(mrkdwn.find("App versions: 3.1 (40)") != std::string::npos);
  CHECK(mrkdwn.find("Browsers: Safari 17 (30)") != std::string::npos);
  CHECK(mrkdwn.find("`/session abc123`") != std::string::npos);
  CHECK(mrkdwn.find("Last hour: \u2581\u2581\u2582\u2584\u2587\u2588") != std::string::npos);
  a.kind = bot::alert_kind::resolved;
  CHECK(bot::render_alert(a, bot::text_flavor::plain).starts_with("\u2713 Back to normal: "));
}

TEST_CASE("incidents: a restart neither repeats nor forgets an open incident", "[incident]") {
  bot::problem_rate r{"js:x", 12, 0, 1000, "S1", {}};
  bot::incident_state saved;
  {
    bot::incident_detector before;
    REQUIRE(before.evaluate(0, {r}).size() == 1);
    saved.open = before.records();
    saved.threads["js:x"]["slack"] = "1700000001.000100";
  }
  // The state goes through the store as JSON.
  const bot::incident_state back = bot::incident_state_from_json(bot::to_json(saved));
  CHECK(back == saved);
  REQUIRE(back.open.size() == 1);
  CHECK(back.open[0] == bot::incident_record{"js:x", 1000, 12, 12, 0});

  bot::incident_detector after;
  after.restore(back.open);
  CHECK(after.evaluate(minute, {r}).empty());  // still above: not announced again
  // It ends while the service is down: "back to normal" comes on the first evaluation after.
  const auto resolved = after.evaluate(45 * minute, {});
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].kind == bot::alert_kind::resolved);
  CHECK(resolved[0].since_ms == 1000);
}

TEST_CASE("incidents: a damaged state is refused naming the field", "[incident]") {
  CHECK_THROWS_WITH(bot::incident_state_from_json("[1]"), "incident state: not a JSON object");
  CHECK_THROWS_WITH(bot::incident_state_from_json(R"({"open":[{"issue_key":"k"}]})"),
                    "incident state: since_ms is not an integer");
  CHECK_THROWS_WITH(bot::incident_state_from_json(R"({"threads":{"k":{"slack":1}}})"),
                    "incident state: threads.k.slack is not a string");
  CHECK(bot::incident_state_from_json("{}").open.empty());
}

TEST_CASE("incidents: the summary's bounds spare the exact counts of steady problems",
          "[incident]") {
  summary_fake store;
  // A steady problem far above min_sessions but at its usual rate, for two days.
  for (std::int64_t start = t0 - 2 * 24 * hour; start < t0 + hour; start += bucket)
    store.add("js:steady", start + 1, steady(start));
  const bot::incident_settings settings;
  bot::lead_reports reports(store, {}, settings);
  bot::incident_detector detector(settings);
  for (std::int64_t now = t0; now < t0 + hour; now += minute)
    CHECK(detector.evaluate(now, reports.rates(now, detector.records())).empty());
  CHECK(store.exact_counts == 0);  // the upper bound already misses the rate rule

  // An open incident that holds steady: counted when opened, then left to the bounds.
  summary_fake spiking;
  for (std::int64_t start = t0; start < t0 + hour; start += bucket)
    spiking.add("js:spike", start + 1, 12);  // every bucket alone above min_sessions
  bot::lead_reports spike_reports(spiking, {}, settings);
  bot::incident_detector spike_detector(settings);
  int opened = 0;
  for (std::int64_t now = t0 + 15 * minute; now < t0 + hour; now += minute)
    for (const auto& a :
         spike_detector.evaluate(now, spike_reports.rates(now, spike_detector.records())))
      opened += a.kind == bot::alert_kind::opened ? 1 : 0;
  CHECK(opened == 1);
  CHECK(spike_detector.open_incidents() == std::vector<std::string>{"js:spike"});
  // 45 evaluations, one exact count: when it opened. Afterwards the largest bucket keeps it above
  // and the sum can reach neither the growth factor nor a new peak.
  CHECK(spiking.exact_counts == 1);
}

TEST_CASE("incidents: bucket sums that over-count do not alert below the threshold", "[incident]") {
  // Five customers retrying for 15 minutes: each bucket counts them, the sum says 15, but only 5
  // distinct sessions are affected. The decision depends on the exact count, so it is read.
  summary_fake store;
  const std::vector<std::string> five{"s1", "s2", "s3", "s4", "s5"};
  for (std::int64_t start = t0; start < t0 + 15 * minute; start += bucket)
    store.add_named("js:retry", start + 1, five);
  const bot::incident_settings settings;
  bot::lead_reports reports(store, {}, settings);
  bot::incident_detector detector(settings);
  const std::int64_t now = t0 + 10 * minute + 30'000;  // the window: buckets t0 .. t0 + 10 min
  const auto rates = reports.rates(now, detector.records());
  REQUIRE(rates.size() == 1);
  CHECK(rates[0].window_sessions == 5);
  CHECK(store.exact_counts == 1);
  CHECK(store.largest_cap <= 15);  // never more than the upper bound, never the whole incident
  CHECK(detector.evaluate(now, rates).empty());

  // Five more customers in the newest bucket: ten distinct sessions, it alerts with the exact
  // figure.
  store.add_named("js:retry", t0 + 10 * minute + 2, {"s6", "s7", "s8", "s9", "s10"});
  const auto more = detector.evaluate(now, reports.rates(now, detector.records()));
  REQUIRE(more.size() == 1);
  CHECK(more[0].kind == bot::alert_kind::opened);
  CHECK(more[0].sessions == 10);
}

TEST_CASE("incidents: a big incident is decided from the summary, whatever its size",
          "[incident]") {
  bot::incident_settings settings;
  settings.exact_cap = 200;
  summary_fake store;
  // 40 problems start at once, 5,000 sessions a bucket each: the largest bucket alone is above
  // the cap, so no distinct count is read, and the figure is that lower bound.
  for (int p = 0; p < 40; ++p)
    for (std::int64_t start = t0; start < t0 + 15 * minute; start += bucket)
      store.add("js:big-" + std::to_string(p), start + 1, 5'000);
  bot::lead_reports reports(store, {}, settings);
  bot::incident_detector detector(settings);
  const std::int64_t now = t0 + 10 * minute + 30'000;
  const auto opened = detector.evaluate(now, reports.rates(now, detector.records()));
  REQUIRE(opened.size() == 40);
  for (const auto& a : opened) {
    CHECK(a.kind == bot::alert_kind::opened);
    CHECK(a.sessions == 5'000);  // at least the largest bucket; exact up to the cap only
  }
  CHECK(store.exact_counts == 0);
  // The minutes after: they stay open, no repeat, still no count.
  for (std::int64_t m = 1; m < 5; ++m)
    CHECK(detector.evaluate(now + m * minute, reports.rates(now + m * minute, detector.records()))
              .empty());
  CHECK(store.exact_counts == 0);
  // One of them doubles within a bucket: the largest bucket says so, an update is posted.
  store.add("js:big-7", t0 + 10 * minute + 3, 5'000);
  const auto grew =
      detector.evaluate(now + 5 * minute, reports.rates(now + 5 * minute, detector.records()));
  REQUIRE(grew.size() == 1);
  CHECK(grew[0].kind == bot::alert_kind::grew);
  CHECK(grew[0].issue_key == "js:big-7");
  CHECK(grew[0].sessions == 10'000);
  CHECK(grew[0].previous_sessions == 5'000);
}

TEST_CASE("incidents: a medium incident is counted up to the cap, not to its size", "[incident]") {
  bot::incident_settings settings;
  settings.exact_cap = 50;
  summary_fake store;
  // 40 sessions a bucket: the largest bucket (40) is below the cap, the sum (120) above it.
  for (std::int64_t start = t0; start < t0 + 15 * minute; start += bucket)
    store.add("js:medium", start + 1, 40);
  bot::lead_reports reports(store, {}, settings);
  bot::incident_detector detector(settings);
  const std::int64_t now = t0 + 10 * minute + 30'000;
  const auto opened = detector.evaluate(now, reports.rates(now, detector.records()));
  REQUIRE(opened.size() == 1);
  CHECK(opened[0].sessions == 50);  // "at least 50": the count stopped at the cap
  CHECK(store.exact_counts == 1);
  CHECK(store.largest_cap == 50);
}

TEST_CASE("incidents: the threshold a baseline sets is counted up to, exactly", "[incident]") {
  // 2 sessions a bucket for a day: 576 in the baseline, so the window needs 5 x 576 x 15/1440
  // = 30 distinct sessions. The sum of the window reaches 45 but only 29 sessions are distinct.
  summary_fake store;
  for (std::int64_t start = t0 - 24 * hour; start < t0; start += bucket)
    store.add("js:usual", start + 1, 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 15; ++i) ids.push_back("a" + std::to_string(i));
  store.add_named("js:usual", t0 + 1, ids);
  store.add_named("js:usual", t0 + bucket + 1, ids);
  ids.clear();
  for (int i = 0; i < 14; ++i) ids.push_back("b" + std::to_string(i));
  store.add_named("js:usual", t0 + 2 * bucket + 1, ids);
  const bot::incident_settings settings;
  bot::lead_reports reports(store, {}, settings);
  bot::incident_detector detector(settings);
  const std::int64_t now = t0 + 10 * minute + 30'000;
  const auto rates = reports.rates(now, detector.records());
  REQUIRE(rates.size() == 1);
  CHECK(rates[0].baseline_sessions == 576);
  CHECK(rates[0].window_sessions == 29);
  CHECK(detector.evaluate(now, rates).empty());
  store.add_named("js:usual", t0 + 2 * bucket + 2, {"b99"});
  const auto opened = detector.evaluate(now, reports.rates(now, detector.records()));
  REQUIRE(opened.size() == 1);
  CHECK(opened[0].sessions == 30);
}
