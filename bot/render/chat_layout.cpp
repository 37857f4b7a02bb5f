// Plain text and Markdown emitters of the reply document (reply.hpp): one layout, a `target`
// decides how bold, code and customer text look in each. No wording here.

#include "bot/render/render.hpp"
#include "bot/render/reply.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace sessiondx::bot::render {
namespace {

class style {
 public:
  explicit style(target t) : target_(t) {}

  bool markdown() const { return target_ == target::markdown; }

  std::string operator()(const rich& r) const {
    std::string out;
    bool strong = false;
    for (const auto& x : r.runs) {
      if (x.strong != strong && markdown()) out += "**";
      strong = x.strong;
      switch (x.kind) {
        case run::kind::text:
          out += x.text;
          break;
        case run::kind::code:
          out += markdown() ? "`" + x.text + "`" : x.text;
          break;
        case run::kind::data:
          out += neutralize(x.text, target_, x.max_chars);
          break;
        case run::kind::token:
          out += markdown() && is_plain_token(x.text) ? "`" + x.text + "`"
                                                      : neutralize(x.text, target_, x.max_chars);
          break;
        case run::kind::marker:
          out += markdown() ? "**!**" : "!";
          break;
      }
    }
    if (strong && markdown()) out += "**";
    return out;
  }

  std::string operator()(const labeled& l) const {
    return (*this)(l.label) + " " + (*this)(l.value);
  }

 private:
  target target_;
};

// Lines of a reply under construction, with the place where the escalation block goes.
class page {
 public:
  void line(std::string s) { lines_.push_back(std::move(s)); }
  void blank() {
    if (!lines_.empty() && !lines_.back().empty()) lines_.emplace_back();
  }
  void escalation_here() { escalation_at_ = lines_.size(); }
  /// The lines before the escalation block and after it (no trailing empty line).
  std::pair<std::vector<std::string>, std::vector<std::string>> parts() const {
    std::vector<std::string> all = lines_;
    std::size_t at = std::min(escalation_at_, all.size());
    while (!all.empty() && all.back().empty() && all.size() > at) all.pop_back();
    return {std::vector<std::string>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(at)),
            std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(at), all.end())};
  }

 private:
  std::vector<std::string> lines_;
  std::size_t escalation_at_ = static_cast<std::size_t>(-1);
};

std::size_t length_of(const std::vector<std::string>& lines) {
  std::size_t n = 0;
  for (const auto& l : lines) n += text_length(l) + 1;
  return n;
}

void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out.append(l).append("\n");
  return out;
}

/// The escalation block with its first `k` items, and a note for the ones left out.
std::vector<std::string> escalation_lines(const style& s, const escalation_block& e, std::size_t k,
                                          std::string_view language) {
  std::vector<std::string> out;
  if (e.empty()) return out;
  out.push_back(s(e.label));
  if (k > 0) {
    if (s.markdown()) out.emplace_back("```");
    for (std::size_t i = 0; i < k; ++i) {
      out.push_back((s.markdown() ? "" : "  ") + block_text(e.items[i]));
    }
    if (s.markdown()) out.emplace_back("```");
  }
  if (k < e.items.size()) out.push_back(s(left_out_note(e.items.size() - k, language)));
  return out;
}

void header(page& p, const style& s, const reply_document& d) {
  std::vector<rich> top{d.title};
  top.insert(top.end(), d.facts.begin(), d.facts.end());
  p.line(s(join(top, " \u00B7 ")));
  if (!d.headline.empty()) p.line(s(d.headline));
  for (const auto& n : d.notes) p.line(s(n));
}

void context_and_next(page& p, const style& s, const reply_document& d) {
  if (!d.context.empty()) p.line(s(d.context));
  if (!d.next_step.empty()) p.line(s(d.next_step));
  p.escalation_here();
}

void customer(page& p, const style& s, const reply_document& d) {
  if (!d.customer.empty()) {
    p.line(s(d.customer.label) + " " + s(rich().data(d.customer.text, detail_field_chars)));
  }
}

void summary_view(page& p, const style& s, const reply_document& d) {
  header(p, s, d);
  p.blank();
  if (d.findings.empty()) {
    if (!d.empty_note.empty()) p.line(s(d.empty_note));
    if (!d.checked.empty()) p.line(s(d.checked));
  } else {
    p.line(s(d.findings_heading));
    for (std::size_t i = 0; i < d.findings.size(); ++i) {
      const auto& f = d.findings[i];
      p.line(std::to_string(i + 1) + ". " +
             s(join({f.labels, f.title, f.seen, f.blast}, " \u00B7 ")));
    }
    if (!d.more_findings.empty()) p.line(s(d.more_findings));
  }
  p.blank();
  customer(p, s, d);
  context_and_next(p, s, d);
}

void timeline_lines(page& p, const style& s, const reply_document& d) {
  p.line(s(d.timeline_heading));
  if (!d.timeline_empty.empty()) p.line(s(d.timeline_empty));
  for (const auto& e : d.timeline) {
    std::string marker =
        e.problem ? s(rich().marker()) + " " : std::string(s.markdown() ? "" : "  ");
    p.line(marker + s(e.line));
  }
}

void full_view(page& p, const style& s, const reply_document& d) {
  header(p, s, d);
  p.blank();
  customer(p, s, d);
  context_and_next(p, s, d);
  p.blank();
  if (d.findings.empty()) {
    if (!d.empty_note.empty()) p.line(s(d.empty_note));
  } else {
    p.line(s(d.findings_heading));
  }
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    const std::string indent = "   ";
    p.line(std::to_string(i + 1) + ". " + s(strong(f.title)));
    for (const auto& l : f.details) p.line(indent + s(l));
    for (const auto& e : f.evidence) p.line(indent + "- " + s(e));
  }
  p.blank();
  if (!d.checked.empty()) p.line(s(d.checked));
  p.blank();
  timeline_lines(p, s, d);
}

std::string render_chat(const reply& r, const render_options& o, target t) {
  reply_options ro;
  ro.summary_findings = o.summary_findings;
  ro.example_id = o.example_id;
  ro.now_ms = o.now_ms;
  ro.team_language = o.team_language;
  const reply_document d = build_reply(r, ro);
  style s(t);
  page p;
  if (d.kind == document_kind::diagnosis) {
    switch (d.view) {
      case view::summary:
        summary_view(p, s, d);
        break;
      case view::timeline:
        header(p, s, d);
        p.blank();
        timeline_lines(p, s, d);
        break;
      case view::full:
        full_view(p, s, d);
        break;
    }
  } else {
    for (const auto& l : d.body) p.line(s(l));
    for (const auto& l : d.footer) p.line(s(l));
  }
  const std::string id = d.kind == document_kind::diagnosis ? d.session_id : std::string();
  auto [before, after] = p.parts();
  const auto& esc = d.escalation;
  std::vector<std::string> all = before;
  append(all, escalation_lines(s, esc, esc.items.size(), d.language));
  append(all, after);
  const std::size_t max = o.max_chars;
  if (max == 0 || length_of(all) <= max) return joined(all);

  // Too long. The escalation is what an engineer needs whole, so it goes last: first the lines
  // after it, then the lines before it (whole lines from the end, a note where they were), and
  // only then escalation items from the end (whole, with a note).
  // Worded once per count: the search below asks for the same notes many times.
  std::map<std::size_t, std::string> notes;
  auto note = [&](std::size_t n) -> const std::string& {
    auto it = notes.find(n);
    if (it == notes.end()) it = notes.emplace(n, s(cut_note(max, n, id, d.language))).first;
    return it->second;
  };
  auto fits = [&](const std::vector<std::string>& lines, std::size_t dropped) {
    return length_of(lines) + (dropped > 0 ? text_length(note(dropped)) + 1 : 0) <= max;
  };
  for (std::size_t k = esc.items.size() + 1; k-- > 0;) {
    const auto e = escalation_lines(s, esc, k, d.language);
    std::vector<std::string> kept = before;
    append(kept, e);
    if (fits(kept, after.size())) {
      std::size_t n = 0;
      while (n < after.size()) {
        std::vector<std::string> more = kept;
        more.push_back(after[n]);
        if (!fits(more, after.size() - n - 1)) break;
        kept = std::move(more);
        ++n;
      }
      if (n < after.size()) kept.push_back(note(after.size() - n));
      return joined(kept);
    }
    for (std::size_t n = before.size(); n-- > 1;) {
      std::vector<std::string> top(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(n));
      const std::size_t dropped = before.size() - n + after.size();
      std::vector<std::string> with = top;
      append(with, e);
      if (!fits(with, dropped)) continue;
      top.push_back(note(dropped));
      append(top, e);
      return joined(top);
    }
  }
  all = before;
  append(all, escalation_lines(s, esc, 0, d.language));
  append(all, after);
  return cut_at_limit(joined(all), max, [&](std::size_t n) { return note(n) + "\n"; });
}

}  // namespace

std::string render_text(const reply& r, const render_options& options) {
  if (const auto* report = std::get_if<report_reply>(&r)) return report->text;
  return render_chat(r, options, target::text);
}

std::string render_markdown(const reply& r, const render_options& options) {
  // Digests and /top arrive already worded (bot/digest_text): every platform shows them as is.
  if (const auto* report = std::get_if<report_reply>(&r)) return report->markdown;
  return render_chat(r, options, target::markdown);
}

}  // namespace sessiondx::bot::render
