#include "connectors/slack/blocks.hpp"

#include "bot/render/limits.hpp"
#include "bot/render/markdown.hpp"
#include "bot/render/neutralize.hpp"
#include "bot/render/reply.hpp"
#include "connectors/slack/socket_mode_frames.hpp"

#include <algorithm>
#include <cctype>

namespace sessiondx::slack {

using json = nlohmann::json;
namespace render = bot::render;

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

/// Our own literal text as code; & < > still need their entities inside a code span.
std::string code(std::string_view s) { return "`" + escape_reserved(s) + "`"; }

/// The reply document's inline text as mrkdwn: single-star bold, & < > as entities everywhere.
constexpr render::markdown_dialect slack_mrkdwn{.strong = "*",
                                                .marker = ":warning:",
                                                .text = escape_reserved,
                                                .code = code,
                                                .data = mrkdwn_text};

std::string mrkdwn(const render::rich& r) { return render::markdown_of(r, slack_mrkdwn); }
std::string mrkdwn(const render::labeled& l) { return render::markdown_of(l, slack_mrkdwn); }

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (l.empty()) continue;
    if (!out.empty()) out += "\n";
    out += l;
  }
  return out;
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
      plain = plain.substr(0, render::detail::prefix_within(plain, o_.limits.header_chars - 1)) +
              "\u2026";
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
      if (out.size() > 1) text += render::part_note(i + 1, out.size());
      out[i].text = render::cut_at_limit(text, o_.limits.text_chars,
                                         [](std::size_t) { return std::string("\u2026"); });
    }
    return out;
  }

 private:
  const block_options& o_;
  std::vector<json> blocks_;
};

void top(layout& l, const render::reply_document& d) {
  l.header(d.plain_title);
  std::vector<std::string> lines;
  if (!d.headline.empty()) lines.push_back(mrkdwn(d.headline));
  for (const auto& n : d.notes) lines.push_back("_" + mrkdwn(n) + "_");
  l.section(join_lines(lines));
}

std::vector<std::string> context_items(const render::reply_document& d) {
  return {mrkdwn(render::join(d.facts, " \u00B7 ")),
          mrkdwn(render::join(d.context_items, " \u00B7 "))};
}

void labeled_section(layout& l, const render::labeled& x) {
  if (!x.empty()) l.section(mrkdwn(x));
}

/// The escalation in code blocks the agent can copy whole: as many sections as it needs, each
/// cut between items, never inside one.
void escalation(layout& l, const block_options& o, const render::reply_document& d) {
  const auto& e = d.escalation;
  if (e.empty()) return;
  const std::string fence = "```";
  std::string text = mrkdwn(e.label) + "\n" + fence;
  bool open_items = false;
  for (const auto& raw : e.items) {
    const std::string item = escape_reserved(render::block_text(raw));
    const bool fits = render::text_length(text) + 1 + render::text_length(item) + fence.size() <=
                      o.limits.section_chars;
    if (!fits && open_items) {
      l.section(text + fence);
      text = fence;
      open_items = false;
    }
    text += (open_items ? "\n" : "") + item;
    open_items = true;
  }
  l.section(text + fence);
}

void customer(layout& l, const render::reply_document& d) {
  if (!d.customer.empty()) {
    l.section(mrkdwn(d.customer.label) + " " +
              mrkdwn(render::rich().data(d.customer.text, render::detail_field_chars)));
  }
}

void summary_view(layout& l, const block_options& o, const render::reply_document& d) {
  top(l, d);
  if (d.findings.empty()) {
    if (!d.empty_note.empty()) l.section(mrkdwn(d.empty_note));
    labeled_section(l, d.checked);
  } else {
    std::vector<std::string> lines{mrkdwn(d.findings_heading)};
    for (std::size_t i = 0; i < d.findings.size(); ++i) {
      const auto& f = d.findings[i];
      lines.push_back(
          std::to_string(i + 1) + ". " +
          mrkdwn(render::join({render::strong(f.title), f.labels, f.seen, f.blast}, " \u00B7 ")));
    }
    if (!d.more_findings.empty()) lines.push_back(mrkdwn(d.more_findings));
    l.section(join_lines(lines));
  }
  customer(l, d);
  labeled_section(l, d.next_step);
  escalation(l, o, d);
  l.context(context_items(d));
}

std::string timeline_text(const render::reply_document& d) {
  std::vector<std::string> lines{mrkdwn(d.timeline_heading)};
  if (!d.timeline_empty.empty()) lines.push_back(mrkdwn(d.timeline_empty));
  for (const auto& e : d.timeline) {
    lines.push_back((e.problem ? mrkdwn(render::rich().marker()) + " " : std::string()) +
                    mrkdwn(e.line));
  }
  return join_lines(lines);
}

void full_view(layout& l, const block_options& o, const render::reply_document& d) {
  top(l, d);
  customer(l, d);
  labeled_section(l, d.next_step);
  escalation(l, o, d);
  if (!d.empty_note.empty()) l.section(mrkdwn(d.empty_note));
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    std::vector<std::string> lines{std::to_string(i + 1) + ". " + mrkdwn(render::strong(f.title))};
    for (const auto& x : f.details) lines.push_back(mrkdwn(x));
    for (const auto& e : f.evidence) lines.push_back("\u2022 " + mrkdwn(e));
    l.section(join_lines(lines));
  }
  labeled_section(l, d.checked);
  l.divider();
  l.section(timeline_text(d));
  l.context(context_items(d));
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
  render::reply_options ro;
  ro.summary_findings = o.summary_findings;
  ro.example_id = o.example_id;
  ro.now_ms = o.now_ms;
  ro.team_language = o.team_language;
  const render::reply_document d = render::build_reply(r, ro);
  layout l(o);
  if (d.kind == render::document_kind::diagnosis) {
    switch (d.view) {
      case bot::view::summary:
        summary_view(l, o, d);
        break;
      case bot::view::timeline:
        top(l, d);
        l.section(timeline_text(d));
        l.context(context_items(d));
        break;
      case bot::view::full:
        full_view(l, o, d);
        break;
    }
  } else {
    std::vector<std::string> lines;
    for (const auto& x : d.body) lines.push_back(mrkdwn(x));
    l.section(join_lines(lines));
    std::vector<std::string> small;
    for (const auto& x : d.footer) small.push_back(mrkdwn(x));
    l.context(small);
  }
  return l.pack(mrkdwn(d.fallback));
}

slack_message looking_up_message(const std::string& session_id) {
  slack_message m;
  const std::string id = mrkdwn(render::rich().token(session_id));
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
                                  {"text",
                                   {{"type", "plain_text"},
                                    {"text", std::string(render::share_in_channel_label)}}},
                                  {"value", value}}})}});
}

}  // namespace sessiondx::slack
