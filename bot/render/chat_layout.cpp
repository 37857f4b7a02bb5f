// Plain text and Markdown emitters of the reply document (reply.hpp): one layout, a `target`
// decides how bold, code and customer text look in each. No wording here.

#include "bot/render/render.hpp"
#include "bot/render/reply.hpp"

#include <string_view>
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
  if (!d.customer.empty()) {
    p.line(s(d.customer.label) + " " + s(rich().data(d.customer.text, detail_field_chars)));
  }
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
  return cut_at_limit(p.str(), o.max_chars,
                      [&](std::size_t n) { return s(cut_note(o.max_chars, n, id)) + "\n"; });
}

}  // namespace

std::string render_text(const reply& r, const render_options& options) {
  return render_chat(r, options, target::text);
}

std::string render_markdown(const reply& r, const render_options& options) {
  return render_chat(r, options, target::markdown);
}

}  // namespace sessiondx::bot::render
