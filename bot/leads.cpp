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

namespace {

/// The fewest distinct sessions in the window that cross the rule against `baseline`.
std::int64_t alert_threshold(const incident_detector& rule, std::int64_t baseline) {
  const incident_settings& s = rule.settings();
  problem_rate r;
  r.baseline_sessions = baseline;
  const double by_rate = s.rate_factor * static_cast<double>(baseline) *
                         static_cast<double>(s.window_ms) / static_cast<double>(s.baseline_ms);
  std::int64_t t = s.min_sessions;
  if (baseline > 0 && by_rate > static_cast<double>(t))
    t = by_rate >= 1e15 ? std::int64_t{1'000'000'000'000'000} : static_cast<std::int64_t>(by_rate);
  // Settle the rounding on crosses() itself, so that the two can never disagree.
  for (r.window_sessions = t; !rule.crosses(r); r.window_sessions = ++t) {
  }
  for (r.window_sessions = t - 1; t > s.min_sessions && rule.crosses(r);
       r.window_sessions = --t - 1) {
  }
  return t;
}

}  // namespace

std::int64_t lead_reports::window_count(const std::string& issue_key, std::int64_t from,
                                        std::int64_t to, std::int64_t lower, std::int64_t upper,
                                        std::int64_t limit) const {
  const std::int64_t cap = std::min(upper, limit);
  // The largest bucket already holds that many distinct sessions: all of them when it is the
  // whole window (lower == upper), else a lower bound at or above the limit.
  if (lower >= cap) return lower;
  // min(distinct, cap): exact below the cap (and when cap == upper), "at least cap" at it.
  return store_.issue_sessions(issue_key, from, to, cap);
}

std::vector<problem_rate> lead_reports::rates(std::int64_t now_ms,
                                              const std::vector<incident_record>& open,
                                              bool with_facets) const {
  // Not a structured binding: the lambda below captures `from` (clang 14 cannot capture one).
  const auto window = window_of(now_ms, incidents_.window_ms);
  const std::int64_t from = window.first, to = window.second;
  struct bounds {
    problem_rate rate;
    std::int64_t lower = 0;  ///< the largest bucket: distinct sessions are at least this
  };
  std::map<std::string, bounds> by_key;
  for (const auto& b : store_.issue_buckets(from, to)) {
    bounds& r = by_key[b.issue_key];
    if (r.rate.issue_key.empty()) {
      r.rate.issue_key = b.issue_key;
      r.rate.first_seen_ms = b.first_seen_ms;
    }
    r.rate.window_sessions += b.sessions;  // an upper bound of the distinct count
    r.lower = std::max(r.lower, b.sessions);
    r.rate.first_seen_ms = std::min(r.rate.first_seen_ms, b.first_seen_ms);
    r.rate.example_session = b.example_session;  // buckets come in time order: the latest
  }
  std::map<std::string_view, const incident_record*> open_by_key;
  for (const auto& o : open) open_by_key.emplace(o.issue_key, &o);
  const incident_detector rule(incidents_);
  const std::int64_t cap = std::max<std::int64_t>(incidents_.exact_cap, 1);
  const auto baseline_of = [&](const std::string& key) {
    std::int64_t sum = 0;
    for (const auto& b : store_.issue_history(key, from - incidents_.baseline_ms, from))
      sum += b.sessions;
    return sum;
  };
  std::vector<problem_rate> out;
  for (auto& [key, r] : by_key) {
    problem_rate& rate = r.rate;
    const std::int64_t upper = rate.window_sessions, lower = r.lower;
    const auto o = open_by_key.find(key);
    if (upper >= incidents_.min_sessions && o == open_by_key.end()) {
      // Not open: it alerts when the distinct count reaches the threshold its baseline sets.
      // Below that the upper bound stays (it cannot alert); otherwise count up to the
      // threshold or the cap, whichever is larger (the figure posted), never the incident.
      rate.baseline_sessions = baseline_of(key);
      const std::int64_t threshold = alert_threshold(rule, rate.baseline_sessions);
      if (upper >= threshold) {
        rate.window_sessions = window_count(key, from, to, lower, upper, std::max(cap, threshold));
        if (with_facets && rule.crosses(rate)) rate.facets = store_.issue_facets(key, from, to);
      }
    } else if (upper >= incidents_.min_sessions) {
      // Open: it stays open, does not grow and sets no new peak whatever the exact count when
      // the largest bucket keeps it above and the sum reaches neither the update nor the peak.
      const incident_record& inc = *o->second;
      const double grow_at = incidents_.growth_factor * static_cast<double>(inc.posted_sessions);
      const bool settled = lower >= incidents_.min_sessions &&
                           static_cast<double>(upper) < grow_at && upper <= inc.peak_sessions;
      if (settled) {
        rate.window_sessions = lower;
      } else {
        // Counted up to the cap: beyond it, the largest bucket alone says whether it grew.
        rate.window_sessions =
            window_count(key, from, to, lower, upper, std::max(cap, incidents_.min_sessions));
        if (static_cast<double>(rate.window_sessions) >= grow_at) {
          rate.baseline_sessions = baseline_of(key);
          if (with_facets) rate.facets = store_.issue_facets(key, from, to);
        }
      }
    }
    out.push_back(std::move(rate));
  }
  return out;
}

std::vector<std::int64_t> lead_reports::trend(const std::string& issue_key,
                                              std::int64_t now_ms) const {
  constexpr std::int64_t slots = 12;
  const auto [from, to] = window_of(now_ms, slots * store::issue_bucket_ms);
  std::vector<std::int64_t> values(slots, 0);
  for (const auto& b : store_.issue_history(issue_key, from, to)) {
    const std::int64_t slot = (b.bucket_start_ms - from) / store::issue_bucket_ms;
    if (slot >= 0 && slot < slots) values[static_cast<std::size_t>(slot)] += b.sessions;
  }
  return values;
}

std::vector<store::facet_count> lead_reports::facets(const std::string& issue_key,
                                                     std::int64_t now_ms) const {
  const auto [from, to] = window_of(now_ms, incidents_.window_ms);
  return store_.issue_facets(issue_key, from, to);
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
