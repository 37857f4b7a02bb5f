// Plain text and Markdown share one layout; a `style` decides how emphasis, code and customer
// text look in each.

#include "bot/render/render.hpp"
#include "bot/utc_time.hpp"

#include <string_view>
#include <vector>

namespace sessiondx::bot::render {
namespace {

class style {
 public:
  explicit style(target t) : target_(t) {}

  bool markdown() const { return target_ == target::markdown; }

  /// Customer or event text.
  std::string field(std::string_view s, std::size_t max = summary_field_chars) const {
    return neutralize(s, target_, max);
  }
  /// Our own text, already safe, made bold.
  std::string bold(std::string_view s) const {
    return markdown() ? "**" + std::string(s) + "**" : std::string(s);
  }
  /// Our own literal text (commands, usage) shown as code.
  std::string literal(std::string_view s) const {
    return markdown() ? "`" + std::string(s) + "`" : std::string(s);
  }
  /// An id or key from data: a code span when that is safe, else neutralised text.
  std::string token(std::string_view s) const {
    if (markdown() && is_plain_token(s)) return literal(s);
    return field(s, 100);
  }

 private:
  target target_;
};

// Lines of a reply under construction.
class page {
 public:
  void line(std::string s) { lines_.push_back(std::move(s)); }
  void blank() {
    if (!lines_.empty() && !lines_.back().empty()) lines_.emplace_back();
  }
  std::string str() const {
    std::string out;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      if (i + 1 == lines_.size() && lines_[i].empty()) break;
      out += lines_[i];
      out += '\n';
    }
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// Times within one session: "10:02:33 UTC", or with the date when the session spans days.
class clock {
 public:
  explicit clock(const diagnosis& d)
      : multi_day_(d.first_seen_ms != 0 && different_days(d.first_seen_ms, d.last_seen_ms)) {}
  std::string at(std::int64_t ms) const {
    return (multi_day_ ? utc_date(ms) + " " : std::string()) + utc_clock(ms) + " UTC";
  }
  std::string bare(std::int64_t ms) const {  ///< for lines under a "(UTC)" heading
    return (multi_day_ ? utc_date(ms) + " " : std::string()) + utc_clock(ms);
  }

 private:
  bool multi_day_;
};

std::string span(const diagnosis& d) {
  if (d.first_seen_ms == 0) return {};
  if (different_days(d.first_seen_ms, d.last_seen_ms)) {
    return utc_date(d.first_seen_ms) + " " + utc_clock(d.first_seen_ms) + " UTC \u2013 " +
           utc_date(d.last_seen_ms) + " " + utc_clock(d.last_seen_ms) + " UTC";
  }
  return utc_date(d.first_seen_ms) + " " + utc_clock(d.first_seen_ms) + "\u2013" +
         utc_clock(d.last_seen_ms) + " UTC";
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return with_thousands(static_cast<std::size_t>(n < 0 ? 0 : n)) + " " +
         std::string(n == 1 ? one : many);
}

void header(page& p, const style& s, const diagnosis& d) {
  std::string title = "Session " + s.token(d.session_id) + ": " + std::string(to_string(d.verdict));
  std::vector<std::string> facts{s.bold(title), span(d), plural(d.event_count, "event", "events")};
  p.line(join(facts, " \u00B7 "));
  if (!d.headline.empty()) p.line(s.field(d.headline));
  if (d.events_truncated) {
    p.line("Only the most recent events of this session were analysed.");
  }
}

std::string context_line(const style& s, const session_context& c) {
  std::string app;
  if (!c.app_version.empty()) {
    app = "app " + s.field(c.app_version, 60);
    if (c.outdated_app) {
      app += " (outdated";
      if (!c.newest_app_version.empty()) app += ", newest " + s.field(c.newest_app_version, 60);
      app += ")";
    }
  }
  return join({s.field(c.browser, 80), s.field(c.os, 80), s.field(c.device, 80), app,
               s.field(c.locale, 40), s.field(c.region, 60)},
              " \u00B7 ");
}

std::string blast_text(const style& s, const clock& t, const finding& f) {
  if (!f.other_sessions) return {};
  const auto& b = *f.other_sessions;
  if (!b.assessment.empty()) return s.field(b.assessment, 160);
  if (b.other_sessions == 0) return "no other sessions";
  std::string out = plural(b.other_sessions, "other session", "other sessions");
  if (b.since_ms != 0) out += " since " + t.at(b.since_ms);
  return out;
}

std::string finding_line(const style& s, const clock& t, const finding& f) {
  std::string seen = f.count > 1 ? "\u00D7" + with_thousands(static_cast<std::size_t>(f.count)) +
                                       " from " + t.at(f.first_seen_ms)
                                 : "at " + t.at(f.first_seen_ms);
  return join({std::string(to_string(f.severity)) + " \u00B7 " + std::string(to_string(f.category)),
               s.field(f.title), seen, blast_text(s, t, f)},
              " \u00B7 ");
}

void context_and_next(page& p, const style& s, const diagnosis& d) {
  auto ctx = context_line(s, d.context);
  if (!ctx.empty()) p.line(s.bold("Context:") + " " + ctx);
  if (!d.next_step.empty()) p.line(s.bold("Next step:") + " " + s.field(d.next_step));
}

void checked_line(page& p, const style& s, const diagnosis& d) {
  if (d.checked.empty()) return;
  std::vector<std::string> items;
  for (const auto& c : d.checked) items.push_back(s.field(c, 120));
  p.line(s.bold("Checked:") + " " + join(items, ", "));
}

// `id` empty: the reply is not about a session (help, errors), so there is no command to point to.
std::string more_lines_note(const style& s, const render_options& o, const std::string& id,
                            std::size_t n) {
  std::string note = "\u2026 cut at " + with_thousands(o.max_chars) + " characters: " +
                     plural(static_cast<std::int64_t>(n), "more line", "more lines");
  if (id.empty()) return note;
  std::string shown = is_plain_token(id) ? id : "<id>";
  return note + "; use " + s.literal("sessiondx diagnose " + shown) + " for everything";
}

void summary_view(page& p, const style& s, const render_options& o, const diagnosis& d) {
  clock t(d);
  header(p, s, d);
  p.blank();
  if (d.findings.empty()) {
    if (d.headline.empty()) p.line("No problems found.");
    checked_line(p, s, d);
  } else {
    p.line(s.bold("Findings") + " (" + with_thousands(d.findings.size()) + ")");
    std::size_t shown = std::min(d.findings.size(), o.summary_findings);
    for (std::size_t i = 0; i < shown; ++i) {
      p.line(std::to_string(i + 1) + ". " + finding_line(s, t, d.findings[i]));
    }
    if (shown < d.findings.size()) {
      std::size_t more = d.findings.size() - shown;
      std::string id = is_plain_token(d.session_id) ? d.session_id : "<id>";
      p.line(plural(static_cast<std::int64_t>(more), "more finding", "more findings") + ": " +
             s.literal("/session " + id + " full"));
    }
  }
  p.blank();
  context_and_next(p, s, d);
}

void timeline_lines(page& p, const style& s, const diagnosis& d) {
  clock t(d);
  p.line(s.bold("Timeline") + " (UTC; " + s.bold("!") + " = part of a finding)");
  if (d.timeline.empty()) p.line("No key events.");
  for (const auto& e : d.timeline) {
    std::string marker = e.problem ? s.bold("!") + " " : std::string(s.markdown() ? "" : "  ");
    p.line(marker + s.literal(t.bare(e.ts_ms)) + " " + s.field(e.type, 60) + " \u2014 " +
           s.field(e.summary, detail_field_chars));
  }
}

void full_view(page& p, const style& s, const diagnosis& d) {
  clock t(d);
  header(p, s, d);
  p.blank();
  if (!d.customer_summary.empty()) {
    p.line(s.bold("For the customer:") + " " + s.field(d.customer_summary, detail_field_chars));
  }
  context_and_next(p, s, d);
  p.blank();
  if (d.findings.empty()) {
    if (d.headline.empty()) p.line("No problems found.");
  } else {
    p.line(s.bold("Findings") + " (" + with_thousands(d.findings.size()) + ")");
  }
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    const std::string indent = "   ";
    p.line(std::to_string(i + 1) + ". " + s.bold(s.field(f.title)));
    p.line(indent + join({std::string(to_string(f.severity)), std::string(to_string(f.category)),
                          "rule " + s.token(f.rule)},
                         " \u00B7 "));
    if (!f.threshold.empty()) p.line(indent + "Threshold: " + s.field(f.threshold));
    std::string seen = f.count == 1 ? "Seen once, at " + t.at(f.first_seen_ms)
                                    : "Seen " + plural(f.count, "time", "times") + ", first at " +
                                          t.at(f.first_seen_ms);
    p.line(indent + seen);
    if (auto b = blast_text(s, t, f); !b.empty()) p.line(indent + "Other sessions: " + b);
    if (!f.caused_by.empty()) p.line(indent + "Caused by: " + s.field(f.caused_by));
    if (!f.issue_key.empty()) p.line(indent + "Issue key: " + s.token(f.issue_key));
    for (const auto& e : f.evidence) {
      p.line(indent + "- " + s.literal(t.bare(e.ts_ms)) + " " + s.field(e.type, 60) + " \u2014 " +
             s.field(e.summary, detail_field_chars));
    }
  }
  p.blank();
  checked_line(p, s, d);
  p.blank();
  timeline_lines(p, s, d);
}

void unknown_view(page& p, const style& s, const unknown_session_reply& u) {
  std::string where =
      u.retention_days > 0 ? " in the last " + plural(u.retention_days, "day", "days") : "";
  p.line(s.bold("No session " + s.token(u.session_id) + where + "."));
  if (!u.similar.empty()) {
    std::vector<std::string> ids;
    for (const auto& id : u.similar) ids.push_back(s.token(id));
    p.line("Did you mean " + join(ids, ", ") + "?");
  }
  std::string hint = "Check the id with the customer: it is in the website footer.";
  if (u.retention_days > 0) {
    hint += " Sessions older than " + plural(u.retention_days, "day", "days") + " are deleted.";
  }
  p.line(hint);
}

void usage_lines(page& p, const style& s) {
  p.line("Usage: " + s.literal("/session <id>") + ", " + s.literal("/session <id> timeline") +
         ", " + s.literal("/session <id> full") + ", " + s.literal("/help"));
}

void help_view(page& p, const style& s, const render_options& o) {
  const std::string& ex = o.example_id;
  p.line(s.bold("sessiondx") + " diagnoses a customer's website session.");
  p.line(s.literal("/session <id>") +
         " \u2014 summary: verdict, likely cause, top findings, context, next step");
  p.line(s.literal("/session <id> timeline") + " \u2014 the key events in time order");
  p.line(s.literal("/session <id> full") +
         " \u2014 every finding with evidence, what was checked, the timeline");
  p.line(s.literal("/help") + " \u2014 this message");
  p.line("Examples: " + s.literal("/session " + ex) + ", " +
         s.literal("/session " + ex + " timeline"));
  p.line(
      "The customer finds the session id in the website footer. Commands also work without "
      "the slash, after a mention of the bot: " +
      s.literal("@sessiondx session " + ex) + ".");
}

std::string render_chat(const reply& r, const render_options& o, target t) {
  style s(t);
  page p;
  std::string id;
  if (const auto* d = std::get_if<diagnosis_reply>(&r)) {
    id = d->diagnosis.session_id;
    switch (d->view) {
      case view::summary:
        summary_view(p, s, o, d->diagnosis);
        break;
      case view::timeline:
        header(p, s, d->diagnosis);
        p.blank();
        timeline_lines(p, s, d->diagnosis);
        break;
      case view::full:
        full_view(p, s, d->diagnosis);
        break;
    }
  } else if (const auto* u = std::get_if<unknown_session_reply>(&r)) {
    unknown_view(p, s, *u);
  } else if (std::holds_alternative<help_reply>(r)) {
    help_view(p, s, o);
  } else {
    const auto& e = std::get<error_reply>(r);
    p.line(s.field(e.message, detail_field_chars));
    if (e.with_usage) usage_lines(p, s);
  }
  return cut_at_limit(p.str(), o.max_chars,
                      [&](std::size_t n) { return more_lines_note(s, o, id, n) + "\n"; });
}

}  // namespace

std::string render_text(const reply& r, const render_options& options) {
  return render_chat(r, options, target::text);
}

std::string render_markdown(const reply& r, const render_options& options) {
  return render_chat(r, options, target::markdown);
}

}  // namespace sessiondx::bot::render
