// Builds the reply document (reply.hpp): every word an agent reads is chosen here.

#include "bot/render/reply.hpp"

#include "bot/i18n/catalog.hpp"
#include "bot/i18n/customer_line.hpp"
#include "bot/render/limits.hpp"
#include "bot/utc_time.hpp"

#include <algorithm>
#include <cmath>
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

// Stands for a rich part inside a formatted message: never in a catalog, never in our own text.
constexpr char part_mark = '\x1F';

// Agent-facing wording from the message catalogs (i18n/*.po, keys "agent.*") in the team
// language (bot.language; English when it has no catalog).
class words {
 public:
  explicit words(std::string_view team_language)
      : language_(i18n::pick_language(team_language, "en")) {}

  const std::string& language() const { return language_; }

  std::string operator()(std::string_view key, const i18n::arguments& args = {}) const {
    return i18n::format(language_, key, args);
  }

  /// The message `key` as rich text: every placeholder named in `parts` becomes that rich
  /// (a token, a code span, customer data), the rest is our own text (`strong` when asked).
  rich compose(std::string_view key, i18n::arguments args,
               const std::vector<std::pair<std::string, rich>>& parts, bool strong = false) const {
    for (std::size_t k = 0; k < parts.size(); ++k) {
      args.emplace_back(parts[k].first, std::string{part_mark, static_cast<char>('A' + k)});
    }
    const std::string s = i18n::format(language_, key, args);
    rich out;
    std::size_t from = 0;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      if (s[i] != part_mark) continue;
      const auto k = static_cast<std::size_t>(s[i + 1] - 'A');
      if (k >= parts.size()) continue;
      if (i > from) out.text(s.substr(from, i - from), strong);
      out.append(parts[k].second);
      from = i + 2;
      ++i;
    }
    if (from < s.size()) out.text(s.substr(from), strong);
    return out;
  }

  /// A rules message (diagnosis.hpp) in the team language: counts through the catalog's plural
  /// rules and digits, durations and decimals with the language's decimal separator, data as
  /// data runs (neutralised by the emitters exactly as the English string field is), nested
  /// messages rendered the same way.
  rich render(const message& m) const {
    i18n::arguments args;
    std::vector<std::pair<std::string, rich>> parts;
    for (const message_arg& a : m.args) {
      switch (a.type) {
        case message_arg::kind::count:
          args.emplace_back(a.name, a.count);
          break;
        case message_arg::kind::literal:
          args.emplace_back(a.name, a.text);
          break;
        case message_arg::kind::data:
          parts.emplace_back(a.name, rich().data(a.text, detail_field_chars));
          break;
        case message_arg::kind::duration:
          args.emplace_back(a.name, duration(a.value));
          break;
        case message_arg::kind::decimal:
          args.emplace_back(a.name, i18n::format_decimal(language_, a.value, a.decimals));
          break;
        case message_arg::kind::list: {
          rich joined;
          for (std::size_t i = 0; i < a.items.size(); ++i) {
            if (i > 0) joined.text(", ");
            joined.append(render(a.items[i]));
          }
          parts.emplace_back(a.name, std::move(joined));
          break;
        }
      }
    }
    return compose(m.id, std::move(args), parts);
  }

  /// "812 ms", "7,4 s": as the rules' fmt_duration, with the language's decimal separator.
  std::string duration(double ms) const {
    if (ms < 1000) return i18n::format_decimal(language_, std::round(ms), 0) + " ms";
    return i18n::format_decimal(language_, ms / 1000.0, 1) + " s";
  }

  /// Whether rules text should come from its message: in every language but English, whose
  /// text the rules already hold (so English replies stay exactly as they were).
  bool localize(const message& m) const { return language_ != "en" && !m.empty(); }

 private:
  std::string language_;
};

i18n::argument number(std::size_t n) { return static_cast<std::int64_t>(n); }

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

rich cut_note(std::size_t max_chars, std::size_t lines_left_out, const std::string& session_id,
              std::string_view language) {
  const words w(language);
  rich r;
  r.text(w("agent.cut", {{"chars", number(max_chars)}, {"n", number(lines_left_out)}}));
  if (session_id.empty()) return r;
  const std::string shown = is_plain_token(session_id) ? session_id : "<id>";
  r.append(w.compose("agent.cut.command", {},
                     {{"command", rich().code("sessiondx diagnose " + shown)}}));
  return r;
}

rich more_note(std::size_t n, std::string_view one, std::string_view many) {
  return rich().text(count_of(static_cast<std::int64_t>(n), one, many) + " not shown");
}

rich left_out_note(std::size_t n, std::string_view language) {
  return rich().text(words(language)("agent.left_out", {{"n", number(n)}}));
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

std::string part_note(std::size_t part, std::size_t parts, std::string_view language) {
  return words(language)("agent.part", {{"part", number(part)}, {"parts", number(parts)}});
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

// "09:58 UTC", with the date when not the day of `reference_ms` (as the rules word it).
std::string utc_since(std::int64_t ms, std::int64_t reference_ms) {
  if (!different_days(ms, reference_ms)) return utc_minutes(ms) + " UTC";
  return utc_date(ms) + " " + utc_minutes(ms) + " UTC";
}

// The blast radius: worded from the catalog when the rules said what it means (blast.kind),
// else the rules' own assessment, else from the numbers.
rich blast_text(const words& w, const clock& t, const finding& f, std::int64_t reference_ms) {
  rich r;
  if (!f.other_sessions) return r;
  const auto& b = *f.other_sessions;
  const auto others = [&](std::string_view time) {
    const i18n::argument n = static_cast<std::int64_t>(b.other_sessions < 0 ? 0 : b.other_sessions);
    return b.since_ms != 0 ? w("agent.blast.since", {{"n", n}, {"time", std::string(time)}})
                           : w("agent.blast.count", {{"n", n}});
  };
  switch (b.kind) {
    case blast::meaning::unset:
      break;
    case blast::meaning::only_this_customer:
      return r.text(w("agent.blast.only_this"));
    case blast::meaning::only_this_server_side:
      return r.text(w("agent.blast.only_this_server"));
    case blast::meaning::some:
      return r.text(others(utc_since(b.since_ms, reference_ms)));
    case blast::meaning::incident:
      return r.text(
          w("agent.blast.incident", {{"others", others(utc_since(b.since_ms, reference_ms))}}));
    case blast::meaning::third_party:
      return r.text(
          w("agent.blast.third_party", {{"others", others(utc_since(b.since_ms, reference_ms))}}));
  }
  if (!b.assessment.empty()) return r.data(b.assessment, 160);
  if (b.other_sessions == 0) return r.text(w("agent.blast.none"));
  return r.text(others(b.since_ms != 0 ? t.at(b.since_ms) : std::string()));
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

rich event_line(const words& w, const clock& t, const evidence& e) {
  if (!w.localize(e.summary_msg)) return event_line(t, e.ts_ms, e.type, e.summary);
  return rich()
      .code(t.bare(e.ts_ms))
      .text(" ")
      .data(e.type, 60)
      .text(" \u2014 ")
      .append(w.render(e.summary_msg));
}

// A headline is a sentence: its first letter upper case (ASCII, as the rules do in English).
rich sentence(rich r) {
  for (auto& x : r.runs) {
    if (x.text.empty()) continue;
    if (x.kind == run::kind::text && x.text[0] >= 'a' && x.text[0] <= 'z') {
      x.text[0] = static_cast<char>(x.text[0] - 'a' + 'A');
    }
    break;
  }
  return r;
}

std::string severity_word(const words& w, severity s) {
  return w("agent.severity." + std::string(to_string(s)));
}
std::string category_word(const words& w, category c) {
  return w("agent.category." + std::string(to_string(c)));
}

// A rules text in the team language when its message can be shown there, else the rules'
// English string (customer data as it came).
rich localized(const words& w, const message& msg, const std::string& english) {
  return w.localize(msg) ? w.render(msg) : rich().data(english);
}

finding_item item_of(const words& w, const clock& t, const finding& f, bool details,
                     std::int64_t reference_ms) {
  finding_item it;
  const std::string labels =
      severity_word(w, f.severity) + std::string(dot) + category_word(w, f.category);
  const std::string first = t.at(f.first_seen_ms);
  if (w.localize(f.title_msg)) {
    it.title = w.render(f.title_msg);
  } else {
    it.title.data(f.title);
  }
  it.labels.text(labels);
  it.seen.text(f.count > 1 ? w("agent.seen.repeated", {{"n", f.count}, {"time", first}})
                           : w("agent.seen.once", {{"time", first}}));
  it.blast = blast_text(w, t, f, reference_ms);
  if (!details) return it;
  it.details.push_back(
      rich()
          .text(labels + std::string(dot))
          .append(w.compose("agent.detail.rule", {}, {{"rule", rich().token(f.rule)}})));
  if (!f.threshold.empty()) {
    it.details.push_back(w.compose("agent.detail.threshold", {},
                                   {{"threshold", localized(w, f.threshold_msg, f.threshold)}}));
  }
  it.details.push_back(
      rich().text(f.count == 1 ? w("agent.detail.seen_once", {{"time", first}})
                               : w("agent.detail.seen_times", {{"n", f.count}, {"time", first}})));
  if (!it.blast.empty()) {
    it.details.push_back(w.compose("agent.detail.other_sessions", {}, {{"blast", it.blast}}));
  }
  if (!f.caused_by.empty()) {
    it.details.push_back(w.compose("agent.detail.caused_by", {},
                                   {{"cause", localized(w, f.caused_by_msg, f.caused_by)}}));
  }
  if (!f.issue_key.empty()) {
    it.details.push_back(
        w.compose("agent.detail.issue_key", {}, {{"key", rich().token(f.issue_key)}}));
  }
  for (const auto& e : f.evidence) it.evidence.push_back(event_line(w, t, e));
  return it;
}

labeled label(std::string l, rich value) {
  return {rich().text(std::move(l), true), std::move(value)};
}

std::vector<rich> context_of(const words& w, const session_context& c) {
  rich app;
  if (!c.app_version.empty()) {
    const rich version = rich().data(c.app_version, 60);
    if (!c.outdated_app) {
      app = w.compose("agent.context.app", {}, {{"version", version}});
    } else if (c.newest_app_version.empty()) {
      app = w.compose("agent.context.outdated", {}, {{"version", version}});
    } else {
      app = w.compose("agent.context.outdated_newest", {},
                      {{"version", version}, {"newest", rich().data(c.newest_app_version, 60)}});
    }
  }
  std::vector<rich> items{rich().data(c.browser, 80), rich().data(c.os, 80),
                          rich().data(c.device, 80),  app,
                          rich().data(c.locale, 40),  rich().data(c.region, 60)};
  std::erase_if(items, blank);
  return items;
}

// The advice of the next step without the escalation payload the rules append to it in words
// ("…escalate to engineering with: a; b; c", "… For reference: a; b"): the payload comes whole
// from diagnosis.escalation in a block of its own, so the sentence points below instead.
std::string advice_of(const std::string& next) {
  constexpr std::string_view escalate = "scalate to engineering with: ";
  constexpr std::string_view reference = "For reference: ";
  if (const auto pos = next.find(escalate); pos != std::string::npos && pos > 0) {
    return next.substr(0, pos + escalate.size() - 6) + "with the details below.";
  }
  if (const auto pos = next.find(reference); pos != std::string::npos && pos > 0) {
    return next.substr(0, pos) + "For reference, see the details below.";
  }
  return next;
}

// The time window of an escalation as the rules word it: "2024-05-03 10:02:33–10:03:10 UTC".
std::string window_of(const escalation& e) {
  if (e.from_ms == 0) return {};
  if (utc_clock(e.from_ms) == utc_clock(e.to_ms) || e.to_ms == 0) {
    return utc_date(e.from_ms) + " " + utc_clock(e.from_ms) + " UTC";
  }
  if (different_days(e.from_ms, e.to_ms)) {
    return utc_date(e.from_ms) + " " + utc_clock(e.from_ms) + " UTC \u2013 " + utc_date(e.to_ms) +
           " " + utc_clock(e.to_ms) + " UTC";
  }
  return utc_date(e.from_ms) + " " + utc_clock(e.from_ms) + "\u2013" + utc_clock(e.to_ms) + " UTC";
}

}  // namespace

std::vector<std::string> escalation_items(const escalation& e) {
  std::vector<std::string> items;
  if (e.empty()) return items;
  items.push_back("session " + e.session_id);
  if (!e.problem.empty()) items.push_back(e.problem);
  if (!e.symptom.empty()) items.push_back("then " + e.symptom);
  if (auto w = window_of(e); !w.empty()) items.push_back(std::move(w));
  if (!e.trace_ids.empty()) {
    std::string t = "trace_id ";
    for (std::size_t i = 0; i < e.trace_ids.size(); ++i) t += (i == 0 ? "" : ", ") + e.trace_ids[i];
    items.push_back(std::move(t));
  }
  if (!e.issue_key.empty()) items.push_back("issue key " + e.issue_key);
  if (!e.blast_radius.empty()) items.push_back(e.blast_radius);
  std::string app = e.app_version.empty() ? std::string() : "app " + e.app_version;
  if (!e.browser.empty()) app += (app.empty() ? "" : ", ") + e.browser;
  if (!app.empty()) items.push_back(std::move(app));
  return items;
}

namespace {

// The next step: in English the rules' own sentence (its advice, when the escalation has a
// block of its own); in another team language the playbook from the catalog
// (agent.next.<playbook>), with the app update first when the app is outdated.
rich next_step_of(const words& w, const diagnosis& d, bool escalate) {
  const auto& plan = d.next_plan;
  if (w.language() == "en" || plan.playbook.empty()) {
    return rich().data(escalate ? advice_of(d.next_step) : d.next_step);
  }
  const auto& c = d.context;
  const bool update = plan.update_app && !c.app_version.empty() && !c.newest_app_version.empty();
  const std::vector<std::pair<std::string, rich>> versions{
      {"current", rich().data(c.app_version, 60)},
      {"newest", rich().data(c.newest_app_version, 60)}};
  rich playbook = rich().text(w("agent.next." + plan.playbook));
  if (!update) return playbook;
  if (plan.playbook == "nothing_found") {
    return playbook.text(" ").append(w.compose("agent.next.update_suffix", {}, versions));
  }
  return w.compose("agent.next.update_prefix", {}, versions).text(" ").append(playbook);
}

std::string id_or_placeholder(const std::string& id) { return is_plain_token(id) ? id : "<id>"; }

void diagnosis_document(reply_document& doc, const diagnosis_reply& r, const reply_options& o) {
  const diagnosis& d = r.diagnosis;
  const words w(o.team_language);
  const clock t(d);
  const bool full = r.view == view::full;
  doc.kind = document_kind::diagnosis;
  doc.view = r.view;
  doc.session_id = d.session_id;

  const std::string verdict = w("agent.verdict." + std::string(to_string(d.verdict)));
  doc.title = w.compose("agent.title", {{"verdict", verdict}},
                        {{"id", rich().token(d.session_id, true)}}, true);
  doc.plain_title =
      w("agent.title", {{"id", is_plain_token(d.session_id) ? d.session_id : w("agent.unusual_id")},
                        {"verdict", verdict}});
  if (auto s = span(d); !s.empty()) doc.facts.push_back(rich().text(s));
  doc.facts.push_back(rich().text(w("agent.events", {{"n", d.event_count}})));
  const bool local_headline = !d.headline.empty() && w.localize(d.headline_msg);
  if (local_headline) {
    doc.headline = sentence(w.render(d.headline_msg));
  } else if (!d.headline.empty()) {
    doc.headline.data(d.headline);
  }
  if (d.events_truncated) doc.notes.push_back(rich().text(w("agent.truncated")));

  doc.fallback.text(doc.plain_title);
  if (local_headline) {
    doc.fallback.text(" \u2014 ").data(emit_plain(doc.headline), 200);
  } else if (!d.headline.empty()) {
    doc.fallback.text(" \u2014 ").data(d.headline, 200);
  }

  doc.context_items = context_of(w, d.context);
  doc.context = label(w("agent.label.context"), join(doc.context_items, dot));
  const bool escalate = r.view != view::timeline && !d.escalation.empty();
  if (!d.next_step.empty()) {
    doc.next_step = label(w("agent.label.next_step"), next_step_of(w, d, escalate));
  }
  if (escalate) {
    doc.escalation.label.text(w("agent.label.engineering"), true);
    doc.escalation.items = escalation_items(d.escalation);
  }
  if (r.view != view::timeline && i18n::has_notice(d)) {
    const auto line = i18n::word_customer_line(d, o.team_language, o.now_ms);
    doc.customer.label.text(line.label, true);
    doc.customer.language = line.language;
    doc.customer.language_name = line.language_name;
    doc.customer.text = line.text;
  } else if (full && !d.customer_summary.empty()) {
    // Rules that do not fill the notice yet: their English summary, as before.
    doc.customer.label.text(w("agent.label.customer"), true);
    doc.customer.text = d.customer_summary;
  }

  if (r.view != view::timeline) {
    if (d.findings.empty()) {
      if (d.headline.empty()) doc.empty_note.text(w("agent.no_problems"));
    } else {
      doc.findings_heading.text(w("agent.findings"), true)
          .text(" (" + with_thousands(d.findings.size()) + ")");
      const std::size_t shown =
          full ? d.findings.size() : std::min(d.findings.size(), o.summary_findings);
      for (std::size_t i = 0; i < shown; ++i)
        doc.findings.push_back(item_of(w, t, d.findings[i], full, d.last_seen_ms));
      if (shown < d.findings.size()) {
        doc.more_findings = w.compose(
            "agent.more_findings", {{"n", number(d.findings.size() - shown)}},
            {{"command", rich().code("/session " + id_or_placeholder(d.session_id) + " full")}});
      }
    }
    if (!d.checked.empty() && (full || d.findings.empty())) {
      std::vector<rich> items;
      const bool local = d.checked_msgs.size() == d.checked.size();
      for (std::size_t i = 0; i < d.checked.size(); ++i) {
        if (local && w.localize(d.checked_msgs[i])) {
          items.push_back(w.render(d.checked_msgs[i]));
        } else {
          items.push_back(rich().data(d.checked[i], 120));
        }
      }
      doc.checked = label(w("agent.label.checked"), join(items, ", "));
    }
  }

  if (r.view != view::summary) {
    doc.timeline_heading.text(w("agent.timeline.heading"), true)
        .text(" ")
        .append(w.compose("agent.timeline.legend", {}, {{"marker", rich().marker()}}));
    for (const auto& e : d.timeline) {
      doc.timeline.push_back({e.problem, event_line(t, e.ts_ms, e.type, e.summary)});
    }
    if (d.timeline.empty()) doc.timeline_empty.text(w("agent.timeline.empty"));
  }
  doc.actions.push_back({"share_in_channel", w("agent.share")});
}

void unknown_document(reply_document& doc, const unknown_session_reply& u, const reply_options& o) {
  const words w(o.team_language);
  doc.kind = document_kind::unknown_session;
  doc.session_id = u.session_id;
  const i18n::argument days = u.retention_days;
  const std::string_view key =
      u.retention_days > 0 ? "agent.unknown.no_session_days" : "agent.unknown.no_session";
  doc.body.push_back(
      w.compose(key, {{"days", days}}, {{"id", rich().token(u.session_id, true)}}, true));
  if (!u.similar.empty()) {
    std::vector<rich> ids;
    for (const auto& id : u.similar) ids.push_back(rich().token(id));
    doc.body.push_back(w.compose("agent.unknown.did_you_mean", {}, {{"ids", join(ids, ", ")}}));
  }
  std::string hint = w("agent.unknown.hint");
  if (u.retention_days > 0) hint += " " + w("agent.unknown.retention", {{"days", days}});
  doc.body.push_back(rich().text(hint));
  doc.fallback = w.compose(key, {{"days", days}}, {{"id", rich().data(u.session_id, 100)}});
}

rich usage_line(const words& w) {
  return w.compose("agent.usage", {},
                   {{"summary", rich().code("/session <id>")},
                    {"timeline", rich().code("/session <id> timeline")},
                    {"full", rich().code("/session <id> full")},
                    {"help", rich().code("/help")}});
}

void help_document(reply_document& doc, const reply_options& o) {
  const words w(o.team_language);
  doc.kind = document_kind::help;
  const std::string& ex = o.example_id;
  doc.body.push_back(w.compose("agent.help.intro", {}, {{"name", rich().text("sessiondx", true)}}));
  doc.body.push_back(
      w.compose("agent.help.summary", {}, {{"command", rich().code("/session <id>")}}));
  doc.body.push_back(
      w.compose("agent.help.timeline", {}, {{"command", rich().code("/session <id> timeline")}}));
  doc.body.push_back(
      w.compose("agent.help.full", {}, {{"command", rich().code("/session <id> full")}}));
  doc.body.push_back(
      w.compose("agent.help.digest", {}, {{"command", rich().code("/digest [24h|7d]")}}));
  doc.body.push_back(w.compose("agent.help.top", {}, {{"command", rich().code("/top [1h|24h]")}}));
  doc.body.push_back(w.compose("agent.help.help", {}, {{"command", rich().code("/help")}}));
  doc.footer.push_back(w.compose("agent.help.examples", {},
                                 {{"first", rich().code("/session " + ex)},
                                  {"second", rich().code("/session " + ex + " timeline")}}));
  doc.footer.push_back(
      w.compose("agent.help.mention", {}, {{"command", rich().code("@sessiondx session " + ex)}}));
  doc.fallback.text(w(
      "agent.help.fallback",
      {{"commands", "/session <id>, /session <id> timeline, /session <id> full, /digest, /top"}}));
}

void error_document(reply_document& doc, const error_reply& e, const reply_options& o) {
  doc.kind = document_kind::error;
  doc.body.push_back(rich().data(e.message, detail_field_chars));
  if (e.with_usage) doc.body.push_back(usage_line(words(o.team_language)));
  doc.fallback.data(e.message, 200);
}

}  // namespace

reply_document build_reply(const reply& r, const reply_options& options) {
  reply_document doc;
  doc.language = words(options.team_language).language();
  if (const auto* d = std::get_if<diagnosis_reply>(&r)) {
    diagnosis_document(doc, *d, options);
  } else if (const auto* u = std::get_if<unknown_session_reply>(&r)) {
    unknown_document(doc, *u, options);
  } else if (std::holds_alternative<help_reply>(r)) {
    help_document(doc, options);
  } else {
    error_document(doc, std::get<error_reply>(r), options);
  }
  return doc;
}

}  // namespace sessiondx::bot::render
