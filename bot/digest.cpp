#include "bot/digest.hpp"

#include "bot/issue_key.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace sessiondx::bot {

namespace {

struct aggregate {
  problem_line line;
  bool seen_before = false;
};

bool noise(const digest_settings& settings, std::string_view key) {
  return settings.is_noise ? settings.is_noise(key) : is_noise_issue(key);
}

trend trend_of(std::int64_t now, std::int64_t before, double flat_band) {
  if (before == 0) return trend::new_problem;
  const double change = static_cast<double>(now - before) / static_cast<double>(before);
  if (change > flat_band) return trend::up;
  if (change < -flat_band) return trend::down;
  return trend::flat;
}

// Most sessions first; ties by the most recent, then the key, so the order is stable.
bool by_sessions(const problem_line& a, const problem_line& b) {
  if (a.sessions != b.sessions) return a.sessions > b.sessions;
  if (a.last_seen_ms != b.last_seen_ms) return a.last_seen_ms > b.last_seen_ms;
  return a.issue_key < b.issue_key;
}

std::vector<problem_line> aggregate_problems(const digest_input& in,
                                             const digest_settings& settings) {
  std::map<std::string, aggregate, std::less<>> problems;
  const std::int64_t span = std::max<std::int64_t>(in.to_ms - in.from_ms, 1);
  const std::size_t slots = std::max<std::size_t>(settings.spark_slots, 1);
  for (const auto& b : in.current) {
    if (b.bucket_start_ms < in.from_ms || b.bucket_start_ms >= in.to_ms) continue;
    if (noise(settings, b.issue_key)) continue;
    auto [it, fresh] = problems.try_emplace(b.issue_key);
    problem_line& p = it->second.line;
    if (fresh) {
      p.issue_key = b.issue_key;
      p.first_seen_ms = b.first_seen_ms;
      p.last_seen_ms = b.last_seen_ms;
      p.example_session = b.example_session;
      p.spark.assign(slots, 0);
    }
    p.sessions += b.sessions;
    p.events += b.events;
    if (b.first_seen_ms < p.first_seen_ms) {
      p.first_seen_ms = b.first_seen_ms;
    }
    if (b.last_seen_ms >= p.last_seen_ms) {
      p.last_seen_ms = b.last_seen_ms;
      p.example_session = b.example_session;  // the freshest example
    }
    const auto slot = static_cast<std::size_t>((b.bucket_start_ms - in.from_ms) *
                                               static_cast<std::int64_t>(slots) / span);
    p.spark[std::min(slot, slots - 1)] += b.sessions;
  }
  for (const auto& b : in.previous) {
    if (auto it = problems.find(b.issue_key); it != problems.end()) {
      it->second.line.previous_sessions += b.sessions;
    }
  }
  std::unordered_map<std::string_view, std::int64_t> looked_up;
  for (const auto& l : in.lookups)
    if (!l.issue_key.empty()) ++looked_up[l.issue_key];
  std::vector<problem_line> out;
  out.reserve(problems.size());
  for (auto& [key, a] : problems) {
    a.line.trend = trend_of(a.line.sessions, a.line.previous_sessions, settings.flat_band);
    if (auto it = looked_up.find(key); it != looked_up.end()) a.line.lookups = it->second;
    out.push_back(std::move(a.line));
  }
  std::sort(out.begin(), out.end(), by_sessions);
  return out;
}

}  // namespace

std::string_view to_string(trend t) {
  switch (t) {
    case trend::up:
      return "up";
    case trend::down:
      return "down";
    case trend::flat:
      return "flat";
    case trend::new_problem:
      return "new";
  }
  return "flat";
}

std::string_view trend_mark(trend t) {
  switch (t) {
    case trend::up:
      return "\u2191";
    case trend::down:
      return "\u2193";
    case trend::flat:
      return "\u2192";
    case trend::new_problem:
      return "new";
  }
  return "";
}

bool is_noise_issue(std::string_view issue_key) {
  // Noise events carry no issue key at ingest; third-party failures never make an incident.
  return issue_key_is_third_party(issue_key);
}

std::string sparkline(const std::vector<std::int64_t>& values) {
  static constexpr std::string_view blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                                "\u2585", "\u2586", "\u2587", "\u2588"};
  const std::int64_t top = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  std::string out;
  for (const std::int64_t v : values) {
    if (v <= 0 || top <= 0) {
      out += "\u2581";  // the baseline: a gap would make the width uneven in chat fonts
      continue;
    }
    const auto level = static_cast<std::size_t>((v * 7 + top - 1) / top);  // 1..7, max -> 7
    out += blocks[std::min<std::size_t>(level, 7)];
  }
  return out;
}

std::vector<problem_line> top_problems(const digest_input& in, const digest_settings& settings) {
  auto all = aggregate_problems(in, settings);
  if (all.size() > settings.top) all.resize(settings.top);
  return all;
}

digest build_digest(const digest_input& in, const digest_settings& settings) {
  digest d;
  d.from_ms = in.from_ms;
  d.to_ms = in.to_ms;
  for (const auto& t : in.traffic) {
    if (t.bucket_start_ms < in.from_ms || t.bucket_start_ms >= in.to_ms) continue;
    d.events_received += t.events;
    d.sessions_received += t.new_sessions;
  }
  std::set<std::string_view> sessions;
  std::map<std::string, std::int64_t> verdicts;
  for (const auto& l : in.lookups) {
    ++d.lookups;
    sessions.insert(l.session_id);
    ++verdicts[l.verdict];
  }
  d.sessions_looked_up = static_cast<std::int64_t>(sessions.size());
  for (auto& [verdict, n] : verdicts) d.verdicts.push_back({verdict, n});
  std::stable_sort(
      d.verdicts.begin(), d.verdicts.end(),
      [](const verdict_count& a, const verdict_count& b) { return a.lookups > b.lookups; });

  auto all = aggregate_problems(in, settings);
  for (const auto& p : all) {
    if (p.trend == trend::new_problem && d.new_problems.size() < settings.top)
      d.new_problems.push_back(p);
  }
  std::vector<problem_line> looked;
  for (const auto& p : all)
    if (p.lookups > 0) looked.push_back(p);
  std::stable_sort(looked.begin(), looked.end(), [](const problem_line& a, const problem_line& b) {
    return a.lookups > b.lookups;
  });
  if (looked.size() > settings.top) looked.resize(settings.top);
  d.most_looked_up = std::move(looked);
  if (all.size() > settings.top) all.resize(settings.top);
  d.top = std::move(all);
  return d;
}

}  // namespace sessiondx::bot
