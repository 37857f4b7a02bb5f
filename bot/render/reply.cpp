// Builds the reply document (reply.hpp): every word an agent reads is chosen here.

#include "bot/render/reply.hpp"

#include "bot/i18n/customer_line.hpp"
#include "bot/render/limits.hpp"
#include "bot/utc_time.hpp"

#include <algorithm>
#include <utility>

namespace sessiondx::bot::render {

rich& rich::text(std::string s, bool strong) {
  runs.push_back({run::kind::text, std::move(s), strong, 0});
  return *this;
}
rich& rich::code(std::string s, bool strong) {
  runs.push_back({run::kind::code, std::move(s), strong, 0});
  return *this;
}
rich& rich::data(std::string s, std::size_t max_chars, bool strong) {
  runs.push_back({run::kind::data, std::move(s), strong, max_chars});
  return *this;
}
rich& rich::token(std::string s, bool strong) {
  runs.push_back({run::kind::token, std::move(s), strong, 100});
  return *this;
}
rich& rich::marker() {
  runs.push_back({run::kind::marker, "!", false, 0});
  return *this;
}
rich& rich::append(const rich& r) {
  runs.insert(runs.end(), r.runs.begin(), r.runs.end());
  return *this;
}

namespace {

/// Whether a rich shows anything: data runs can be empty strings.
bool blank(const rich& r) {
  return std::all_of(r.runs.begin(), r.runs.end(), [](const run& x) { return x.text.empty(); });
}

}  // namespace

rich strong(rich r) {
  for (auto& x : r.runs) x.strong = true;
  return r;
}

rich join(const std::vector<rich>& parts, std::string_view sep) {
  rich out;
  for (const auto& p : parts) {
    if (blank(p)) continue;
    if (!out.empty()) out.text(std::string(sep));
    out.append(p);
  }
  return out;
}

std::string emit_plain(const rich& r, std::string_view unusual) {
  std::string out;
  for (const auto& x : r.runs) {
    switch (x.kind) {
      case run::kind::text:
      case run::kind::code:
      case run::kind::marker:
        out += x.text;
        break;
      case run::kind::data:
        out += neutralize(x.text, target::text, x.max_chars);
        break;
      case run::kind::token:
        if (!unusual.empty() && !is_plain_token(x.text)) {
          out += unusual;
        } else {
          out += neutralize(x.text, target::text, x.max_chars);
        }
        break;
    }
  }
  return out;
}

std::string count_of(std::int64_t n, std::string_view one, std::string_view many) {
  return with_thousands(static_cast<std::size_t>(n < 0 ? 0 : n)) + " " +
         std::string(n == 1 ? one : many);
}

rich cut_note(std::size_t max_chars, std::size_t lines_left_out, const std::string& session_id) {
  rich r;
  r.text("\u2026 cut at " + with_thousands(max_chars) + " characters: " +
         count_of(static_cast<std::int64_t>(lines_left_out), "more line", "more lines"));
  if (session_id.empty()) return r;
  const std::string shown = is_plain_token(session_id) ? session_id : "<id>";
  r.text("; use ").code("sessiondx diagnose " + shown).text(" for everything");
  return r;
}

rich more_note(std::size_t n, std::string_view one, std::string_view many) {
  return rich().text(count_of(static_cast<std::int64_t>(n), one, many) + " not shown");
}

rich left_out_note(std::size_t n) {
  return rich().text(count_of(static_cast<std::int64_t>(n), "item", "items") + " left out");
}

std::string block_text(std::string_view item) {
  std::string safe = neutralize(item, target::text, detail_field_chars);
  std::string out;
  out.reserve(safe.size());
  for (char c : safe) {
    if (c == '`') {
      out += "\u02CB";  // a backtick could close the code block
    } else {
      out += c;
    }
  }
  return out;
}

std::string part_note(std::size_t part, std::size_t parts) {
  return " (part " + std::to_string(part) + " of " + std::to_string(parts) + ")";
}

namespace {

// Times within one session: "10:02:33 UTC", or with the date when the session spans days.
class clock {
 public:
  explicit clock(const diagnosis& d)
      : multi_day_(d.first_seen_ms != 0 && different_days(d.first_seen_ms, d.last_seen_ms)) {}
  std::string at(std::int64_t ms) const { return bare(ms) + " UTC"; }
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

constexpr std::string_view dot = " \u00B7 ";

rich blast_text(const clock& t, const finding& f) {
  rich r;
  if (!f.other_sessions) return r;
  const auto& b = *f.other_sessions;
  if (!b.assessment.empty()) return r.data(b.assessment, 160);
  if (b.other_sessions == 0) return r.text("no other sessions");
  std::string out = count_of(b.other_sessions, "other session", "other sessions");
  if (b.since_ms != 0) out += " since " + t.at(b.since_ms);
  return r.text(out);
}

rich event_line(const clock& t, std::int64_t ts, const std::string& type,
                const std::string& summary) {
  return rich()
      .code(t.bare(ts))
      .text(" ")
      .data(type, 60)
      .text(" \u2014 ")
      .data(summary, detail_field_chars);
}

finding_item item_of(const clock& t, const finding& f, bool details) {
  finding_item it;
  it.title.data(f.title);
  it.labels.text(std::string(to_string(f.severity)) + std::string(dot) +
                 std::string(to_string(f.category)));
  it.seen.text(f.count > 1 ? "\u00D7" + with_thousands(static_cast<std::size_t>(f.count)) +
                                 " from " + t.at(f.first_seen_ms)
                           : "at " + t.at(f.first_seen_ms));
  it.blast = blast_text(t, f);
  if (!details) return it;
  it.details.push_back(rich()
                           .text(std::string(to_string(f.severity)) + std::string(dot) +
                                 std::string(to_string(f.category)) + std::string(dot) + "rule ")
                           .token(f.rule));
  if (!f.threshold.empty()) it.details.push_back(rich().text("Threshold: ").data(f.threshold));
  it.details.push_back(rich().text(f.count == 1 ? "Seen once, at " + t.at(f.first_seen_ms)
                                                : "Seen " + count_of(f.count, "time", "times") +
                                                      ", first at " + t.at(f.first_seen_ms)));
  if (!it.blast.empty()) it.details.push_back(rich().text("Other sessions: ").append(it.blast));
  if (!f.caused_by.empty()) it.details.push_back(rich().text("Caused by: ").data(f.caused_by));
  if (!f.issue_key.empty()) it.details.push_back(rich().text("Issue key: ").token(f.issue_key));
  for (const auto& e : f.evidence) it.evidence.push_back(event_line(t, e.ts_ms, e.type, e.summary));
  return it;
}

labeled label(std::string l, rich value) {
  return {rich().text(std::move(l), true), std::move(value)};
}

std::vector<rich> context_of(const session_context& c) {
  rich app;
  if (!c.app_version.empty()) {
    app.text("app ").data(c.app_version, 60);
    if (c.outdated_app) {
      app.text(" (outdated");
      if (!c.newest_app_version.empty()) app.text(", newest ").data(c.newest_app_version, 60);
      app.text(")");
    }
  }
  std::vector<rich> items{rich().data(c.browser, 80), rich().data(c.os, 80),
                          rich().data(c.device, 80),  app,
                          rich().data(c.locale, 40),  rich().data(c.region, 60)};
  std::erase_if(items, blank);
  return items;
}

// The rules end the next step with "…escalate to engineering with: a; b; c". The advice keeps
// its sentence and points below; the items go into the escalation block, whole.
std::pair<std::string, std::vector<std::string>> split_escalation(const std::string& next) {
  constexpr std::string_view marker = "scalate to engineering with: ";
  const auto pos = next.find(marker);
  if (pos == std::string::npos || pos == 0) return {next, {}};
  std::string advice = next.substr(0, pos + marker.size() - 6) + "with the details below.";
  std::vector<std::string> items;
  std::string_view rest = std::string_view(next).substr(pos + marker.size());
  while (!rest.empty()) {
    const auto cut = rest.find("; ");
    std::string_view item = rest.substr(0, cut);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 2);
  }
  if (items.empty()) return {next, {}};
  return {advice, items};
}

std::string id_or_placeholder(const std::string& id) { return is_plain_token(id) ? id : "<id>"; }

void diagnosis_document(reply_document& doc, const diagnosis_reply& r, const reply_options& o) {
  const diagnosis& d = r.diagnosis;
  const clock t(d);
  const bool full = r.view == view::full;
  doc.kind = document_kind::diagnosis;
  doc.view = r.view;
  doc.session_id = d.session_id;

  const std::string verdict(to_string(d.verdict));
  doc.title.text("Session ", true).token(d.session_id, true).text(": " + verdict, true);
  doc.plain_title =
      "Session " + (is_plain_token(d.session_id) ? d.session_id : "(unusual id)") + ": " + verdict;
  if (auto s = span(d); !s.empty()) doc.facts.push_back(rich().text(s));
  doc.facts.push_back(rich().text(count_of(d.event_count, "event", "events")));
  if (!d.headline.empty()) doc.headline.data(d.headline);
  if (d.events_truncated) {
    doc.notes.push_back(rich().text("Only the most recent events of this session were analysed."));
  }

  doc.fallback.text(doc.plain_title);
  if (!d.headline.empty()) doc.fallback.text(" \u2014 ").data(d.headline, 200);

  doc.context_items = context_of(d.context);
  doc.context = label("Context:", join(doc.context_items, dot));
  if (!d.next_step.empty()) {
    auto [advice, items] = split_escalation(d.next_step);
    doc.next_step = label("Next step:", rich().data(advice));
    if (r.view != view::timeline && !items.empty()) {
      doc.escalation.label.text("For engineering:", true);
      doc.escalation.items = std::move(items);
    }
  }
  if (r.view != view::timeline && i18n::has_notice(d)) {
    const auto line = i18n::word_customer_line(d, o.team_language, o.now_ms);
    doc.customer.label.text(line.label, true);
    doc.customer.language = line.language;
    doc.customer.language_name = line.language_name;
    doc.customer.text = line.text;
  } else if (full && !d.customer_summary.empty()) {
    // Rules that do not fill the notice yet: their English summary, as before.
    doc.customer.label.text("For the customer:", true);
    doc.customer.text = d.customer_summary;
  }

  if (r.view != view::timeline) {
    if (d.findings.empty()) {
      if (d.headline.empty()) doc.empty_note.text("No problems found.");
    } else {
      doc.findings_heading.text("Findings", true)
          .text(" (" + with_thousands(d.findings.size()) + ")");
      const std::size_t shown =
          full ? d.findings.size() : std::min(d.findings.size(), o.summary_findings);
      for (std::size_t i = 0; i < shown; ++i)
        doc.findings.push_back(item_of(t, d.findings[i], full));
      if (shown < d.findings.size()) {
        doc.more_findings
            .text(count_of(static_cast<std::int64_t>(d.findings.size() - shown), "more finding",
                           "more findings") +
                  ": ")
            .code("/session " + id_or_placeholder(d.session_id) + " full");
      }
    }
    if (!d.checked.empty() && (full || d.findings.empty())) {
      std::vector<rich> items;
      for (const auto& c : d.checked) items.push_back(rich().data(c, 120));
      doc.checked = label("Checked:", join(items, ", "));
    }
  }

  if (r.view != view::summary) {
    doc.timeline_heading.text("Timeline", true)
        .text(" (UTC; ")
        .marker()
        .text(" = part of a finding)");
    for (const auto& e : d.timeline) {
      doc.timeline.push_back({e.problem, event_line(t, e.ts_ms, e.type, e.summary)});
    }
    if (d.timeline.empty()) doc.timeline_empty.text("No key events.");
  }
  doc.actions.push_back({"share_in_channel", std::string(share_in_channel_label)});
}

void unknown_document(reply_document& doc, const unknown_session_reply& u) {
  doc.kind = document_kind::unknown_session;
  doc.session_id = u.session_id;
  const std::string where =
      u.retention_days > 0 ? " in the last " + count_of(u.retention_days, "day", "days") : "";
  doc.body.push_back(
      rich().text("No session ", true).token(u.session_id, true).text(where + ".", true));
  if (!u.similar.empty()) {
    std::vector<rich> ids;
    for (const auto& id : u.similar) ids.push_back(rich().token(id));
    doc.body.push_back(rich().text("Did you mean ").append(join(ids, ", ")).text("?"));
  }
  std::string hint = "Check the id with the customer: it is in the website footer.";
  if (u.retention_days > 0) {
    hint += " Sessions older than " + count_of(u.retention_days, "day", "days") + " are deleted.";
  }
  doc.body.push_back(rich().text(hint));
  doc.fallback.text("No session ").data(u.session_id, 100).text(where + ".");
}

rich usage_line() {
  return rich()
      .text("Usage: ")
      .code("/session <id>")
      .text(", ")
      .code("/session <id> timeline")
      .text(", ")
      .code("/session <id> full")
      .text(", ")
      .code("/help");
}

void help_document(reply_document& doc, const reply_options& o) {
  doc.kind = document_kind::help;
  const std::string& ex = o.example_id;
  doc.body.push_back(
      rich().text("sessiondx", true).text(" diagnoses a customer's website session."));
  doc.body.push_back(
      rich()
          .code("/session <id>")
          .text(" \u2014 summary: verdict, likely cause, top findings, context, next step"));
  doc.body.push_back(
      rich().code("/session <id> timeline").text(" \u2014 the key events in time order"));
  doc.body.push_back(
      rich()
          .code("/session <id> full")
          .text(" \u2014 every finding with evidence, what was checked, the timeline"));
  doc.body.push_back(
      rich()
          .code("/digest [24h|7d]")
          .text(" \u2014 for leads: recurring and new problems, what support looked up"));
  doc.body.push_back(
      rich().code("/top [1h|24h]").text(" \u2014 the top problems right now, with an example"));
  doc.body.push_back(rich().code("/help").text(" \u2014 this message"));
  doc.footer.push_back(rich()
                           .text("Examples: ")
                           .code("/session " + ex)
                           .text(", ")
                           .code("/session " + ex + " timeline"));
  doc.footer.push_back(rich()
                           .text("The customer finds the session id in the website footer. "
                                 "Commands also work without the slash, after a mention of the "
                                 "bot: ")
                           .code("@sessiondx session " + ex)
                           .text("."));
  doc.fallback.text(
      "sessiondx help: /session <id>, /session <id> timeline, /session <id> full, /digest, /top");
}

void error_document(reply_document& doc, const error_reply& e) {
  doc.kind = document_kind::error;
  doc.body.push_back(rich().data(e.message, detail_field_chars));
  if (e.with_usage) doc.body.push_back(usage_line());
  doc.fallback.data(e.message, 200);
}

}  // namespace

reply_document build_reply(const reply& r, const reply_options& options) {
  reply_document doc;
  if (const auto* d = std::get_if<diagnosis_reply>(&r)) {
    diagnosis_document(doc, *d, options);
  } else if (const auto* u = std::get_if<unknown_session_reply>(&r)) {
    unknown_document(doc, *u);
  } else if (std::holds_alternative<help_reply>(r)) {
    help_document(doc, options);
  } else {
    error_document(doc, std::get<error_reply>(r));
  }
  return doc;
}

}  // namespace sessiondx::bot::render
