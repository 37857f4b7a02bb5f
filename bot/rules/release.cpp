// Release regressions: a JavaScript error or a failing route that came with a new app version
// (Sentry's "first seen in release", for one session). Two sources, both pure:
//  1. within the session: the session switched app version (events carry their version) and
//     the problem occurs only with the version it switched to, never with the one before;
//  2. across sessions (the store's per-problem summary, asked by the diagnoser): every version
//     the problem was seen with in the blast-radius window is new in that window, and an older
//     version still in use when the problem first appeared never had it.
// The finding then says "new in 4.12.0, first seen 14:02 UTC, not seen with 4.11.3" in its
// threshold, the escalation summary and the headline. Cost: one pass over the events for the
// session's version runs (only when a candidate finding exists), then O(its events + runs +
// versions) per candidate finding.

#include "bot/rules/engine.hpp"

#include <algorithm>

namespace sessiondx::bot::detail {
namespace {

bool regression_candidate(const draft& d) {
  return (d.rule == rule_id::js_error || d.rule == rule_id::api_failed) && !d.events.empty() &&
         !d.third_party;
}

const std::string& version_of(const session_view& view, std::size_t pos) {
  return view.events[pos].ev->app_version;
}

// The versions of `versions`, newest first, at most two: "4.11.3" or "4.11.3, 4.11.2".
std::string older_list(std::vector<std::string> versions) {
  std::sort(versions.begin(), versions.end(),
            [](const std::string& a, const std::string& b) { return compare_versions(a, b) > 0; });
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  std::string out;
  for (std::size_t i = 0; i < versions.size() && i < 2; ++i) out += (i ? ", " : "") + versions[i];
  return out;
}

// Runs of events of one app version, in time order (events without a version are skipped): the
// session's version switches, computed once.
struct version_run {
  std::size_t start;  ///< position of the run's first event
  std::string_view version;
};

std::vector<version_run> version_runs(const session_view& view) {
  std::vector<version_run> runs;
  for (std::size_t pos = 0; pos < view.events.size(); ++pos) {
    const std::string& v = version_of(view, pos);
    if (!v.empty() && (runs.empty() || runs.back().version != v)) runs.push_back({pos, v});
  }
  return runs;
}

// 1. The session switched version before the problem, and the problem never occurred with the
// version(s) used before the switch.
// A regression found: its English note, its message and its data.
struct found {
  std::string note;
  message msg;
  release_regression info;
  bool empty() const { return note.empty(); }
};

std::vector<std::string> newest_two(std::vector<std::string> versions) {
  std::sort(versions.begin(), versions.end(),
            [](const std::string& a, const std::string& b) { return compare_versions(a, b) > 0; });
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  if (versions.size() > 2) versions.resize(2);
  return versions;
}

found regression(const session_view& view, const std::string& v, std::int64_t first_seen,
                 const std::vector<std::string>& older, std::int64_t switched_ms) {
  found f;
  const std::int64_t ref = view.last_ts_ms;
  const std::string old = older_list(older);
  f.info.version = v;
  f.info.first_seen_ms = first_seen;
  f.info.not_seen_with = newest_two(older);
  message m(switched_ms != 0 ? "rules.release.switched" : "rules.release.new_in");
  m.data("version", clip(v, 40))
      .literal("first_seen", fmt_utc_since(first_seen, ref))
      .data("older", clip(old, 60));
  if (switched_ms != 0) {
    f.info.switched_from = old;
    f.info.switched_ms = switched_ms;
    m.literal("switched_at", fmt_utc_since(switched_ms, ref));
  }
  f.note = english(m);
  f.msg = std::move(m);
  return f;
}

found within_session(const session_view& view, const std::vector<version_run>& runs,
                     const draft& d) {
  if (runs.size() < 2) return {};  // one version all along
  const std::size_t first = d.events.front();
  const std::string& v = version_of(view, first);
  if (v.empty()) return {};
  for (std::size_t pos : d.events) {
    if (version_of(view, pos) != v) return {};  // seen with several versions: not new in one
  }
  std::vector<std::string> before;
  std::size_t switched = npos;  // the first event of v after an event of another version
  for (const version_run& r : runs) {
    if (r.start > first) break;
    if (r.version != v) {
      before.emplace_back(r.version);
      switched = npos;
    } else if (switched == npos && !before.empty()) {
      switched = r.start;
    }
  }
  if (before.empty()) return {};
  if (switched == npos) switched = first;
  return regression(view, v, view.events[first].ev->ts_ms, before, view.events[switched].ev->ts_ms);
}

const store::app_version_seen* find_version(const session_input& in, std::string_view v) {
  for (const auto& s : in.app_versions) {
    if (s.version == v) return &s;
  }
  return nullptr;
}

// 2. Across sessions, from the store's summary of the problem.
found across_sessions(const session_view& view, const draft& d) {
  const session_input& in = view.input;
  if (in.window_start_ms <= 0 || d.f.issue_key.empty()) return {};
  auto it = in.problems.find(d.f.issue_key);
  if (it == in.problems.end() || it->second.versions.empty()) return {};
  const auto& seen_with = it->second.versions;
  std::int64_t first_seen = seen_with.front().first_seen_ms;
  for (const store::issue_version& x : seen_with) {
    // Every version the problem was seen with must be new in the window.
    const store::app_version_seen* global = find_version(in, x.version);
    if (global == nullptr || global->first_seen_ms < in.window_start_ms) return {};
    first_seen = std::min(first_seen, x.first_seen_ms);
  }
  // The version it is new in: this session's, when it is one of them, else the oldest of them.
  std::string v = version_of(view, d.events.front());
  const bool in_list = std::any_of(seen_with.begin(), seen_with.end(),
                                   [&](const store::issue_version& x) { return x.version == v; });
  if (!in_list) {
    v = seen_with.front().version;
    for (const auto& x : seen_with) {
      if (compare_versions(x.version, v) < 0) v = x.version;
    }
  }
  // Older versions still in use when the problem appeared, and never with it.
  std::vector<std::string> older;
  for (const store::app_version_seen& s : in.app_versions) {
    if (s.version.empty() || compare_versions(s.version, v) >= 0) continue;
    if (s.last_seen_ms < first_seen) continue;  // no longer in use: no evidence
    const bool had_it =
        std::any_of(seen_with.begin(), seen_with.end(),
                    [&](const store::issue_version& x) { return x.version == s.version; });
    if (!had_it) older.push_back(s.version);
  }
  if (older.empty()) return {};
  return regression(view, v, first_seen, older, 0);
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view v) {
    if (!v.empty() && (v.front() == 'v' || v.front() == 'V')) v.remove_prefix(1);
    return v;
  };
  auto numeric = [](std::string_view v) {
    if (v.empty() || v.front() == '.' || v.back() == '.') return false;
    return std::all_of(v.begin(), v.end(),
                       [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  };
  std::string_view x = strip(a), y = strip(b);
  if (!numeric(x) || !numeric(y)) return a < b ? -1 : a > b ? 1 : 0;
  while (!x.empty() || !y.empty()) {
    auto next = [](std::string_view& v) {
      const auto dot = v.find('.');
      std::string_view part = v.substr(0, dot);
      v = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
      while (part.size() > 1 && part.front() == '0') part.remove_prefix(1);
      return part;
    };
    std::string_view p = next(x), q = next(y);
    if (p.empty()) p = "0";
    if (q.empty()) q = "0";
    if (p.size() != q.size()) return p.size() < q.size() ? -1 : 1;
    if (p != q) return p < q ? -1 : 1;
  }
  return 0;
}

void detect_releases(session_view& view) {
  std::vector<version_run> runs;
  bool have_runs = false;
  for (draft& d : view.drafts) {
    if (!regression_candidate(d)) continue;
    if (!have_runs) {
      runs = version_runs(view);
      have_runs = true;
    }
    found f = within_session(view, runs, d);
    if (f.empty()) f = across_sessions(view, d);
    if (f.empty()) continue;
    d.f.threshold += "; " + f.note;
    if (!d.f.threshold_msg.empty()) {
      d.f.threshold_msg = std::move(message("rules.threshold.with_release")
                                        .nested("threshold", std::move(d.f.threshold_msg))
                                        .nested("release", f.msg));
    }
    d.escalation += ", " + f.note;
    d.release = std::move(f.note);
    d.release_msg = std::move(f.msg);
    d.release_info = std::move(f.info);
  }
}

}  // namespace sessiondx::bot::detail
