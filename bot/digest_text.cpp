#include "bot/digest_text.hpp"

#include "bot/utc_time.hpp"

#include <nlohmann/json.hpp>

namespace sessiondx::bot {

namespace {

// Text from the store (issue keys carry routes and messages' fingerprints; session ids are
// validated at ingest) loses what could format, link or mention: & < > become entities in
// mrkdwn, backticks and line breaks become harmless look-alikes everywhere.
std::string literal(std::string_view text, text_flavor flavor) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '`') {
      out += "\u02CB";
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (flavor == text_flavor::mrkdwn && c == '&') {
      out += "&amp;";
    } else if (flavor == text_flavor::mrkdwn && c == '<') {
      out += "&lt;";
    } else if (flavor == text_flavor::mrkdwn && c == '>') {
      out += "&gt;";
    } else if (flavor == text_flavor::markdown && c == '<') {
      out += "\u2039";
    } else if (flavor == text_flavor::markdown && c == '>') {
      out += "\u203A";
    } else {
      out += c;
    }
  }
  return out;
}

std::string code(std::string_view text, text_flavor flavor) {
  if (flavor == text_flavor::plain) return literal(text, flavor);
  return "`" + literal(text, flavor) + "`";
}

std::string bold(std::string_view text, text_flavor flavor) {
  switch (flavor) {
    case text_flavor::plain:
      return std::string(text);
    case text_flavor::markdown:
      return "**" + std::string(text) + "**";
    case text_flavor::mrkdwn:
      return "*" + std::string(text) + "*";
  }
  return std::string(text);
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string when(std::int64_t ms) { return utc_date(ms) + " " + utc_minutes(ms) + " UTC"; }

std::string line_of(const problem_line& p, text_flavor flavor, bool with_spark) {
  std::string s = "\u2022 " + code(p.issue_key, flavor) + " \u2014 " +
                  plural(p.sessions, "session", "sessions");
  s += " " + std::string(trend_mark(p.trend));
  if (p.trend != trend::new_problem) s += " (was " + std::to_string(p.previous_sessions) + ")";
  if (with_spark && !p.spark.empty()) s += "  " + sparkline(p.spark);
  s += "\n    first " + when(p.first_seen_ms) + ", last " + when(p.last_seen_ms);
  if (p.lookups > 0) s += ", looked up " + plural(p.lookups, "time", "times");
  s += "; e.g. " + code("/session " + p.example_session, flavor);
  return s + "\n";
}

std::string heading(std::string_view text, text_flavor flavor) {
  return "\n" + bold(text, flavor) + "\n";
}

}  // namespace

std::string window_name(std::int64_t window_ms) {
  if (window_ms % 86'400'000 == 0 && window_ms > 86'400'000)
    return std::to_string(window_ms / 86'400'000) + " d";
  if (window_ms % 3'600'000 == 0) return std::to_string(window_ms / 3'600'000) + " h";
  return std::to_string(window_ms / 60'000) + " min";
}

std::string digest_title(const digest& d) {
  return "sessiondx digest \u2014 last " + window_name(d.to_ms - d.from_ms) + " (to " +
         when(d.to_ms) + ")";
}

std::string render_digest(const digest& d, text_flavor flavor) {
  std::string s = bold(digest_title(d), flavor) + "\n";
  s += plural(d.sessions_received, "session", "sessions") + " received (" +
       plural(d.events_received, "event", "events") + "), " +
       plural(d.sessions_looked_up, "session", "sessions") + " looked up (" +
       plural(d.lookups, "lookup", "lookups") + ")";
  if (!d.verdicts.empty()) {
    s += ": ";
    for (std::size_t i = 0; i < d.verdicts.size(); ++i) {
      if (i > 0) s += ", ";
      s += std::to_string(d.verdicts[i].lookups) + " " + d.verdicts[i].verdict;
    }
  }
  s += "\n";
  s += heading("Top problems", flavor);
  if (d.top.empty()) s += "No problem seen in this window.\n";
  for (const auto& p : d.top) s += line_of(p, flavor, true);
  s += heading("New problems", flavor);
  if (d.new_problems.empty()) s += "None: every problem was seen in the previous window too.\n";
  for (const auto& p : d.new_problems) s += line_of(p, flavor, true);
  s += heading("Most looked up", flavor);
  if (d.most_looked_up.empty()) s += "No lookup found a known problem.\n";
  for (const auto& p : d.most_looked_up) s += line_of(p, flavor, false);
  return s;
}

std::string render_top(const std::vector<problem_line>& top, std::int64_t window_ms,
                       text_flavor flavor) {
  std::string s = bold("Top problems \u2014 last " + window_name(window_ms), flavor) + "\n";
  if (top.empty()) return s + "No problem seen in this window.\n";
  for (const auto& p : top) s += line_of(p, flavor, true);
  return s;
}

std::string render_digest_json(const digest& d) {
  using json = nlohmann::json;
  auto lines = [](const std::vector<problem_line>& ps) {
    json out = json::array();
    for (const auto& p : ps) {
      out.push_back({{"issue_key", p.issue_key},
                     {"sessions", p.sessions},
                     {"previous_sessions", p.previous_sessions},
                     {"events", p.events},
                     {"trend", to_string(p.trend)},
                     {"first_seen", rfc3339(p.first_seen_ms)},
                     {"last_seen", rfc3339(p.last_seen_ms)},
                     {"lookups", p.lookups},
                     {"example_session", p.example_session},
                     {"spark", p.spark}});
    }
    return out;
  };
  json verdicts = json::object();
  for (const auto& v : d.verdicts) verdicts[v.verdict] = v.lookups;
  json out{{"type", "digest"},
           {"from", rfc3339(d.from_ms)},
           {"to", rfc3339(d.to_ms)},
           {"sessions_received", d.sessions_received},
           {"events_received", d.events_received},
           {"lookups", d.lookups},
           {"sessions_looked_up", d.sessions_looked_up},
           {"verdicts", verdicts},
           {"top", lines(d.top)},
           {"new_problems", lines(d.new_problems)},
           {"most_looked_up", lines(d.most_looked_up)}};
  // Keys and ids may hold any bytes the sender gave: replace invalid UTF-8 rather than throw.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string render_alert(const alert_action& a, text_flavor flavor) {
  std::string s;
  switch (a.kind) {
    case alert_kind::opened:
      s = bold("\u26A0 Possible incident: ", flavor) + code(a.issue_key, flavor) + "\n" +
          plural(a.sessions, "session", "sessions") + " affected since " + when(a.since_ms);
      if (a.rate_ratio > 0) {
        s += " (" + std::to_string(static_cast<long long>(a.rate_ratio + 0.5)) +
             "\u00D7 its rate of the previous day)";
      } else {
        s += " (not seen the previous day)";
      }
      s += "\n";
      break;
    case alert_kind::grew:
      s = bold("\u2191 Growing: ", flavor) + code(a.issue_key, flavor) + " \u2014 " +
          plural(a.sessions, "session", "sessions") + " in the last window (was " +
          std::to_string(a.previous_sessions) + ")\n";
      break;
    case alert_kind::resolved:
      return bold("\u2713 Back to normal: ", flavor) + code(a.issue_key, flavor) +
             " \u2014 quiet since the incident of " + when(a.since_ms) + " (peak " +
             plural(a.sessions, "session", "sessions") + ")\n";
  }
  std::string versions, browsers;
  for (const auto& f : a.facets) {
    std::string& list = f.kind == "browser" ? browsers : versions;
    if (!list.empty()) list += ", ";
    list += literal(f.value, flavor) + " (" + std::to_string(f.sessions) + ")";
  }
  if (!versions.empty()) s += "App versions: " + versions + "\n";
  if (!browsers.empty()) s += "Browsers: " + browsers + "\n";
  if (!a.trend.empty()) s += "Last hour: " + sparkline(a.trend) + "\n";
  if (!a.example_session.empty())
    s += "Example: " + code("/session " + a.example_session, flavor) + "\n";
  return s;
}

report_reply digest_report(const digest& d, std::string_view note) {
  report_reply r{digest_title(d), render_digest(d, text_flavor::plain),
                 render_digest(d, text_flavor::markdown), render_digest(d, text_flavor::mrkdwn)};
  if (!note.empty()) {
    r.title = std::string(note) + " \u2014 " + r.title;
    r.text = std::string(note) + "\n" + r.text;
    r.markdown = "_" + literal(note, text_flavor::markdown) + "_\n" + r.markdown;
    r.mrkdwn = "_" + literal(note, text_flavor::mrkdwn) + "_\n" + r.mrkdwn;
  }
  return r;
}

report_reply alert_report(const alert_action& a) {
  std::string title;
  switch (a.kind) {
    case alert_kind::opened:
      title = "Possible incident: " + a.issue_key + " (" +
              plural(a.sessions, "session", "sessions") + ")";
      break;
    case alert_kind::grew:
      title = "Growing: " + a.issue_key + " (" + plural(a.sessions, "session", "sessions") + ")";
      break;
    case alert_kind::resolved:
      title = "Back to normal: " + a.issue_key;
      break;
  }
  return {title, render_alert(a, text_flavor::plain), render_alert(a, text_flavor::markdown),
          render_alert(a, text_flavor::mrkdwn)};
}

}  // namespace sessiondx::bot
