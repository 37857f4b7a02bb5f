#include "connectors/slack/blocks.hpp"

#include "bot/render/limits.hpp"
#include "bot/render/neutralize.hpp"
#include "connectors/slack/socket_mode_frames.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace sessiondx::slack {

using json = nlohmann::json;
namespace render = bot::render;

namespace {

// UTC times, as the other renderers show them: "2024-05-03", "10:02:33".
std::chrono::sys_days day_of(std::int64_t ms) {
  return std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
}

std::string utc_date(std::int64_t ms) {
  const std::chrono::year_month_day ymd(day_of(ms));
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

std::string utc_clock(std::int64_t ms) {
  const auto since_midnight =
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)) - day_of(ms);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(since_midnight));
  char out[16];
  std::snprintf(out, sizeof out, "%02d:%02d:%02d", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return out;
}

bool different_days(std::int64_t a_ms, std::int64_t b_ms) { return day_of(a_ms) != day_of(b_ms); }

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

/// Our own fixed text.
std::string bold(std::string_view s) { return "*" + std::string(s) + "*"; }
/// Our own literal text as code; & < > still need their entities inside a code span.
std::string code(std::string_view s) { return "`" + escape_reserved(s) + "`"; }

/// An id from data: a code span when it is a plain token, else escaped text.
std::string token(std::string_view s) {
  return render::is_plain_token(s) ? code(s) : mrkdwn_text(s, 100);
}

std::string field(std::string_view s, std::size_t max = render::summary_field_chars) {
  return mrkdwn_text(s, max);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return render::with_thousands(static_cast<std::size_t>(n < 0 ? 0 : n)) + " " +
         std::string(n == 1 ? one : many);
}

/// A cut between characters must not split an entity such as "&amp;".
std::vector<std::string> split_mrkdwn(const std::string& text, std::size_t limit) {
  auto parts = render::split_for_limit(text, limit);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    auto amp = parts[i].rfind('&');
    if (amp != std::string::npos && parts[i].find(';', amp) == std::string::npos &&
        parts[i].size() - amp < 5) {
      parts[i + 1].insert(0, parts[i].substr(amp));
      parts[i].erase(amp);
    }
  }
  std::erase_if(parts, [](const std::string& p) { return p.empty(); });
  return parts;
}

/// Blocks under construction, packed into messages at the end.
class layout {
 public:
  explicit layout(const block_options& o) : o_(o) {}

  void header(std::string plain) {
    if (render::text_length(plain) > o_.limits.header_chars) {
      plain = plain.substr(0, o_.limits.header_chars - 1) + "\u2026";
    }
    blocks_.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", plain}}}});
  }

  /// A mrkdwn section; split into several when longer than a section may be.
  void section(const std::string& mrkdwn) {
    if (mrkdwn.empty()) return;
    for (auto& part : split_mrkdwn(mrkdwn, o_.limits.section_chars)) {
      while (!part.empty() && part.back() == '\n') part.pop_back();
      if (part.empty()) continue;
      // verbatim: Slack leaves bare URLs and #names in customer text alone.
      blocks_.push_back({{"type", "section"},
                         {"text", {{"type", "mrkdwn"}, {"text", part}, {"verbatim", true}}}});
    }
  }

  void context(const std::vector<std::string>& items) {
    json elements = json::array();
    for (const auto& item : items) {
      if (item.empty()) continue;
      elements.push_back({{"type", "mrkdwn"}, {"text", item}, {"verbatim", true}});
      if (elements.size() == 10) break;  // Slack's maximum per context block
    }
    if (!elements.empty()) blocks_.push_back({{"type", "context"}, {"elements", elements}});
  }

  void divider() { blocks_.push_back({{"type", "divider"}}); }

  std::vector<slack_message> pack(const std::string& fallback) const {
    const std::size_t per_message = std::max<std::size_t>(
        1, o_.limits.max_blocks - std::min(o_.reserved_blocks, o_.limits.max_blocks - 1));
    std::vector<slack_message> out;
    for (std::size_t i = 0; i < blocks_.size(); i += per_message) {
      slack_message m;
      const auto end = std::min(blocks_.size(), i + per_message);
      for (std::size_t b = i; b < end; ++b) m.blocks.push_back(blocks_[b]);
      out.push_back(std::move(m));
    }
    if (out.empty()) out.emplace_back();
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::string text = fallback;
      if (out.size() > 1) {
        text += " (part " + std::to_string(i + 1) + " of " + std::to_string(out.size()) + ")";
      }
      out[i].text = render::cut_at_limit(text, o_.limits.text_chars,
                                         [](std::size_t) { return std::string("\u2026"); });
    }
    return out;
  }

 private:
  const block_options& o_;
  std::vector<json> blocks_;
};

class clock {
 public:
  explicit clock(const bot::diagnosis& d)
      : multi_day_(d.first_seen_ms != 0 && different_days(d.first_seen_ms, d.last_seen_ms)) {}
  std::string at(std::int64_t ms) const {
    return (multi_day_ ? utc_date(ms) + " " : std::string()) + utc_clock(ms) + " UTC";
  }
  std::string bare(std::int64_t ms) const {
    return (multi_day_ ? utc_date(ms) + " " : std::string()) + utc_clock(ms);
  }

 private:
  bool multi_day_;
};

std::string span(const bot::diagnosis& d) {
  if (d.first_seen_ms == 0) return {};
  if (different_days(d.first_seen_ms, d.last_seen_ms)) {
    return utc_date(d.first_seen_ms) + " " + utc_clock(d.first_seen_ms) + " UTC \u2013 " +
           utc_date(d.last_seen_ms) + " " + utc_clock(d.last_seen_ms) + " UTC";
  }
  return utc_date(d.first_seen_ms) + " " + utc_clock(d.first_seen_ms) + "\u2013" +
         utc_clock(d.last_seen_ms) + " UTC";
}

std::string header_text(const bot::diagnosis& d) {
  // Plain text: only a plain-token id goes in verbatim.
  const std::string id = render::is_plain_token(d.session_id) ? d.session_id : "(unusual id)";
  return "Session " + id + ": " + std::string(bot::to_string(d.verdict));
}

std::string fallback_text(const bot::diagnosis& d) {
  std::string text = header_text(d);
  if (!d.headline.empty()) text += " \u2014 " + field(d.headline, 200);
  return text;
}

std::string blast_text(const clock& t, const bot::finding& f) {
  if (!f.other_sessions) return {};
  const auto& b = *f.other_sessions;
  if (!b.assessment.empty()) return field(b.assessment, 160);
  if (b.other_sessions == 0) return "no other sessions";
  std::string out = plural(b.other_sessions, "other session", "other sessions");
  if (b.since_ms != 0) out += " since " + t.at(b.since_ms);
  return out;
}

std::string finding_line(const clock& t, const bot::finding& f) {
  std::string seen = f.count > 1
                         ? "\u00D7" + render::with_thousands(static_cast<std::size_t>(f.count)) +
                               " from " + t.at(f.first_seen_ms)
                         : "at " + t.at(f.first_seen_ms);
  return join({bold(field(f.title)),
               std::string(bot::to_string(f.severity)) + " \u00B7 " +
                   std::string(bot::to_string(f.category)),
               seen, blast_text(t, f)},
              " \u00B7 ");
}

std::vector<std::string> context_items(const bot::diagnosis& d) {
  const auto& c = d.context;
  std::string app;
  if (!c.app_version.empty()) {
    app = "app " + field(c.app_version, 60);
    if (c.outdated_app) {
      app += " (outdated";
      if (!c.newest_app_version.empty()) app += ", newest " + field(c.newest_app_version, 60);
      app += ")";
    }
  }
  std::string device = join({field(c.browser, 80), field(c.os, 80), field(c.device, 80), app,
                             field(c.locale, 40), field(c.region, 60)},
                            " \u00B7 ");
  return {join({span(d), plural(d.event_count, "event", "events")}, " \u00B7 "), device};
}

void top(layout& l, const bot::diagnosis& d) {
  l.header(header_text(d));
  std::vector<std::string> lines;
  if (!d.headline.empty()) lines.push_back(field(d.headline));
  if (d.events_truncated)
    lines.push_back("_Only the most recent events of this session were analysed._");
  l.section(join(lines, "\n"));
}

void next_step(layout& l, const bot::diagnosis& d) {
  if (!d.next_step.empty()) l.section(bold("Next step:") + " " + field(d.next_step));
}

void checked(layout& l, const bot::diagnosis& d) {
  if (d.checked.empty()) return;
  std::vector<std::string> items;
  for (const auto& c : d.checked) items.push_back(field(c, 120));
  l.section(bold("Checked:") + " " + join(items, ", "));
}

void summary_view(layout& l, const block_options& o, const bot::diagnosis& d) {
  clock t(d);
  top(l, d);
  if (d.findings.empty()) {
    if (d.headline.empty()) l.section("No problems found.");
    checked(l, d);
  } else {
    std::string text = bold("Findings") + " (" + render::with_thousands(d.findings.size()) + ")";
    const std::size_t shown = std::min(d.findings.size(), o.summary_findings);
    for (std::size_t i = 0; i < shown; ++i) {
      text += "\n" + std::to_string(i + 1) + ". " + finding_line(t, d.findings[i]);
    }
    if (shown < d.findings.size()) {
      const std::string id = render::is_plain_token(d.session_id) ? d.session_id : "<id>";
      text += "\n" +
              plural(static_cast<std::int64_t>(d.findings.size() - shown), "more finding",
                     "more findings") +
              ": " + code("/session " + id + " full");
    }
    l.section(text);
  }
  next_step(l, d);
  l.context(context_items(d));
}

std::string timeline_text(const bot::diagnosis& d) {
  clock t(d);
  std::string text = bold("Timeline") + " (UTC; :warning: = part of a finding)";
  if (d.timeline.empty()) text += "\nNo key events.";
  for (const auto& e : d.timeline) {
    text += "\n" + std::string(e.problem ? ":warning: " : "") + code(t.bare(e.ts_ms)) + " " +
            field(e.type, 60) + " \u2014 " + field(e.summary, render::detail_field_chars);
  }
  return text;
}

void full_view(layout& l, const bot::diagnosis& d) {
  clock t(d);
  top(l, d);
  if (!d.customer_summary.empty()) {
    l.section(bold("For the customer:") + " " +
              field(d.customer_summary, render::detail_field_chars));
  }
  next_step(l, d);
  if (d.findings.empty() && d.headline.empty()) l.section("No problems found.");
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    std::vector<std::string> lines;
    lines.push_back(std::to_string(i + 1) + ". " + bold(field(f.title)));
    lines.push_back(join({std::string(bot::to_string(f.severity)),
                          std::string(bot::to_string(f.category)), "rule " + token(f.rule)},
                         " \u00B7 "));
    if (!f.threshold.empty()) lines.push_back("Threshold: " + field(f.threshold));
    lines.push_back(f.count == 1 ? "Seen once, at " + t.at(f.first_seen_ms)
                                 : "Seen " + plural(f.count, "time", "times") + ", first at " +
                                       t.at(f.first_seen_ms));
    if (auto b = blast_text(t, f); !b.empty()) lines.push_back("Other sessions: " + b);
    if (!f.caused_by.empty()) lines.push_back("Caused by: " + field(f.caused_by));
    if (!f.issue_key.empty()) lines.push_back("Issue key: " + token(f.issue_key));
    for (const auto& e : f.evidence) {
      lines.push_back("\u2022 " + code(t.bare(e.ts_ms)) + " " + field(e.type, 60) + " \u2014 " +
                      field(e.summary, render::detail_field_chars));
    }
    l.section(join(lines, "\n"));
  }
  checked(l, d);
  l.divider();
  l.section(timeline_text(d));
  l.context(context_items(d));
}

std::string usage() {
  return "Usage: " + code("/session <id>") + ", " + code("/session <id> timeline") + ", " +
         code("/session <id> full") + ", " + code("/help");
}

}  // namespace

std::string escape_reserved(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string mrkdwn_text(std::string_view customer_text, std::size_t max_chars) {
  const std::string safe = render::neutralize(customer_text, render::target::text, max_chars);
  std::string out;
  out.reserve(safe.size() + 16);
  for (std::size_t i = 0; i < safe.size(); ++i) {
    const char c = safe[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      // mrkdwn has no escape character: formatting marks become look-alikes.
      case '*':
        out += "\u2217";
        break;  // ASTERISK OPERATOR
      case '~':
        out += "\u223C";
        break;  // TILDE OPERATOR
      case '`':
        out += "\u02CB";
        break;  // MODIFIER LETTER GRAVE ACCENT
      case '_': {
        // Inside a word (snake_case) an underscore cannot start or end italics; keep it there
        // so identifiers stay searchable.
        const bool inside =
            i > 0 && i + 1 < safe.size() && word_char(safe[i - 1]) && word_char(safe[i + 1]);
        out += inside ? "_" : "\uFF3F";  // FULLWIDTH LOW LINE
        break;
      }
      default:
        out += c;
    }
  }
  return out;
}

std::vector<slack_message> render_blocks(const bot::reply& r, const block_options& o) {
  layout l(o);
  std::string fallback;
  if (const auto* d = std::get_if<bot::diagnosis_reply>(&r)) {
    fallback = fallback_text(d->diagnosis);
    switch (d->view) {
      case bot::view::summary:
        summary_view(l, o, d->diagnosis);
        break;
      case bot::view::timeline:
        top(l, d->diagnosis);
        l.section(timeline_text(d->diagnosis));
        l.context(context_items(d->diagnosis));
        break;
      case bot::view::full:
        full_view(l, d->diagnosis);
        break;
    }
  } else if (const auto* u = std::get_if<bot::unknown_session_reply>(&r)) {
    const std::string where =
        u->retention_days > 0 ? " in the last " + plural(u->retention_days, "day", "days") : "";
    std::vector<std::string> lines{bold("No session " + token(u->session_id) + where + ".")};
    if (!u->similar.empty()) {
      std::vector<std::string> ids;
      for (const auto& id : u->similar) ids.push_back(token(id));
      lines.push_back("Did you mean " + join(ids, ", ") + "?");
    }
    std::string hint = "Check the id with the customer: it is in the website footer.";
    if (u->retention_days > 0) {
      hint += " Sessions older than " + plural(u->retention_days, "day", "days") + " are deleted.";
    }
    lines.push_back(hint);
    l.section(join(lines, "\n"));
    fallback = "No session " + mrkdwn_text(u->session_id, 100) + where + ".";
  } else if (std::holds_alternative<bot::help_reply>(r)) {
    const std::string& ex = o.example_id;
    l.section(bold("sessiondx") + " diagnoses a customer's website session.\n" +
              code("/session <id>") +
              " \u2014 summary: verdict, likely cause, top findings, context, next step\n" +
              code("/session <id> timeline") + " \u2014 the key events in time order\n" +
              code("/session <id> full") +
              " \u2014 every finding with evidence, what was checked, the timeline\n" +
              code("/help") + " \u2014 this message");
    l.context({"Examples: " + code("/session " + ex) + ", " + code("/session " + ex + " timeline"),
               "The customer finds the session id in the website footer. Commands also work "
               "without the slash, after a mention of the bot: " +
                   code("@sessiondx session " + ex) + "."});
    fallback = "sessiondx help: /session <id>, /session <id> timeline, /session <id> full";
    fallback = escape_reserved(fallback);
  } else {
    const auto& e = std::get<bot::error_reply>(r);
    std::string text = field(e.message, render::detail_field_chars);
    if (e.with_usage) text += "\n" + usage();
    l.section(text);
    fallback = field(e.message, 200);
  }
  return l.pack(fallback);
}

slack_message looking_up_message(const std::string& session_id) {
  slack_message m;
  const std::string id = token(session_id);
  m.text = "Looking up " + mrkdwn_text(session_id, 100) + "\u2026";
  m.blocks.push_back(
      {{"type", "context"},
       {"elements",
        json::array({{{"type", "mrkdwn"},
                      {"text", ":hourglass_flowing_sand: Looking up " + id + "\u2026"}}})}});
  return m;
}

void add_share_button(slack_message& m, const std::string& value) {
  m.blocks.push_back(
      {{"type", "actions"},
       {"elements", json::array({{{"type", "button"},
                                  {"action_id", std::string(share_action_id)},
                                  {"text", {{"type", "plain_text"}, {"text", "Share in channel"}}},
                                  {"value", value}}})}});
}

}  // namespace sessiondx::slack
