#include "bot/leads.hpp"

#include "bot/digest_text.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace sessiondx::bot {

namespace {

// Distinct sessions are counted for the lines shown up to this many (the summary's sums count
// a session once per bucket it was active in).
constexpr std::int64_t distinct_cap = 100'000;

// The window ends with the bucket holding `now` (still filling); it starts window_ms earlier,
// at a bucket boundary.
std::pair<std::int64_t, std::int64_t> window_of(std::int64_t now_ms, std::int64_t window_ms) {
  const std::int64_t to = store::bucket_of(now_ms) + store::issue_bucket_ms;
  return {to - window_ms / store::issue_bucket_ms * store::issue_bucket_ms, to};
}

}  // namespace

lead_reports::lead_reports(store::event_store& store, digest_settings settings,
                           incident_settings incidents)
    : store_(store), settings_(std::move(settings)), incidents_(std::move(incidents)) {}

digest lead_reports::build(std::int64_t now_ms, std::int64_t window_ms) const {
  const auto [from, to] = window_of(now_ms, window_ms);
  digest_input in;
  in.from_ms = from;
  in.to_ms = to;
  in.current = store_.issue_buckets(from, to);
  in.previous = store_.issue_buckets(from - (to - from), from);
  in.traffic = store_.ingest_buckets(from, to);
  store::lookup_query q;
  q.from_ms = from;
  q.to_ms = to;
  q.limit = 100'000;
  in.lookups = store_.lookups(q);
  digest d = build_digest(in, settings_);
  for (auto* lines : {&d.top, &d.new_problems, &d.most_looked_up}) {
    for (auto& p : *lines) p.sessions = store_.issue_sessions(p.issue_key, from, to, distinct_cap);
  }
  return d;
}

std::vector<problem_line> lead_reports::top(std::int64_t now_ms, std::int64_t window_ms) const {
  const auto [from, to] = window_of(now_ms, window_ms);
  digest_input in;
  in.from_ms = from;
  in.to_ms = to;
  in.current = store_.issue_buckets(from, to);
  in.previous = store_.issue_buckets(from - (to - from), from);
  auto lines = top_problems(in, settings_);
  for (auto& p : lines) p.sessions = store_.issue_sessions(p.issue_key, from, to, distinct_cap);
  return lines;
}

std::vector<problem_rate> lead_reports::rates(std::int64_t now_ms) const {
  const auto [from, to] = window_of(now_ms, incidents_.window_ms);
  std::map<std::string, problem_rate> by_key;
  for (const auto& b : store_.issue_buckets(from, to)) {
    problem_rate& r = by_key[b.issue_key];
    if (r.issue_key.empty()) {
      r.issue_key = b.issue_key;
      r.first_seen_ms = b.first_seen_ms;
    }
    r.window_sessions += b.sessions;  // an upper bound of the distinct count
    r.first_seen_ms = std::min(r.first_seen_ms, b.first_seen_ms);
    r.example_session = b.example_session;  // buckets come in time order: the latest
  }
  std::vector<problem_rate> out;
  for (auto& [key, r] : by_key) {
    // Only problems that may cross the threshold cost more reads: distinct sessions (bounded),
    // the baseline (one problem's buckets over a day) and the facets.
    if (r.window_sessions >= incidents_.min_sessions) {
      r.window_sessions = store_.issue_sessions(key, from, to, distinct_cap);
      for (const auto& b : store_.issue_history(key, from - incidents_.baseline_ms, from))
        r.baseline_sessions += b.sessions;
      r.facets = store_.issue_facets(key, from, to);
    }
    out.push_back(std::move(r));
  }
  return out;
}

report_reply lead_reports::answer(const command& cmd, std::int64_t now_ms) const {
  if (const auto* d = std::get_if<digest_command>(&cmd)) {
    const digest built = build(now_ms, d->window_ms);
    return {digest_title(built), render_digest(built, text_flavor::plain),
            render_digest(built, text_flavor::markdown), render_digest(built, text_flavor::mrkdwn)};
  }
  const std::int64_t window = std::get<top_command>(cmd).window_ms;
  const auto lines = top(now_ms, window);
  return {"Top problems \u2014 last " + window_name(window),
          render_top(lines, window, text_flavor::plain),
          render_top(lines, window, text_flavor::markdown),
          render_top(lines, window, text_flavor::mrkdwn)};
}

}  // namespace sessiondx::bot
