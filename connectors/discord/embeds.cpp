// The Discord emitter of the reply document (bot/render/reply.hpp): embeds within Discord's
// limits (message resource, "Embed Limits"). No wording here: every sentence comes from the
// document; this file only maps it onto titles, descriptions, fields and footers.

#include "bot/render/limits.hpp"
#include "bot/render/markdown.hpp"
#include "bot/render/neutralize.hpp"
#include "bot/render/reply.hpp"
#include "connectors/discord/messages.hpp"

#include <algorithm>
#include <utility>

namespace sessiondx::discord {

using json = nlohmann::json;
namespace render = bot::render;

namespace {

int colour_of(bot::verdict v) {
  switch (v) {
    case bot::verdict::healthy:
      return 0x2EB67D;
    case bot::verdict::degraded:
      return 0xECB22E;
    case bot::verdict::broken:
      return 0xE01E5A;
    case bot::verdict::unknown:
      break;
  }
  return 0x8D8D8D;
}

constexpr int help_colour = 0x5865F2;
constexpr std::string_view zero_width_space = "\u200b";  // a field value may not be empty

/// Inline text as Discord Markdown. Customer text is neutralised (escaped, mentions broken);
/// mentions are never parsed from embeds anyway, and allowed_mentions says so too. The marker is
/// WARNING SIGN in emoji presentation: bots' :shortcodes: stay text.
constexpr render::markdown_dialect discord_markdown{.strong = "**", .marker = "\u26A0\uFE0F"};

std::string md(const render::rich& r) { return render::markdown_of(r, discord_markdown); }
std::string md(const render::labeled& l) { return render::markdown_of(l, discord_markdown); }

/// Titles, field names and footers take no Markdown.
std::string plain(const render::rich& r) { return render::emit_plain(r); }

/// `s` within `limit`, ending with "…" when cut (titles and names: one line, no item to cut).
std::string within(std::string s, std::size_t limit) {
  if (render::text_length(s) <= limit) return s;
  return s.substr(0, render::detail::prefix_within(s, limit - 1)) + "\u2026";
}

/// `lines` joined, as many whole lines as fit in `limit` with `note(n)` for the n left out.
template <class Note>
std::string whole_lines(const std::vector<std::string>& lines, std::size_t limit, Note note) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string next = out.empty() ? lines[i] : out + "\n" + lines[i];
    const std::size_t left = lines.size() - i - 1;
    const std::string tail = left > 0 ? "\n" + note(left) : std::string();
    if (render::text_length(next) + render::text_length(tail) > limit) {
      const std::string cut =
          out.empty() ? note(lines.size() - i) : out + "\n" + note(lines.size() - i);
      return render::text_length(cut) <= limit ? cut : within(cut, limit);
    }
    out = std::move(next);
  }
  return out;
}

/// Embeds under construction, packed into messages as they grow. Every line and field is one
/// item: it goes whole into the current embed, a new embed or a new message, or - once the
/// reply has used all its messages - is left out and counted for the note at the end.
class embed_layout {
 public:
  embed_layout(const embed_limits& l, int colour, std::string session_id)
      : l_(l), colour_(colour), session_id_(std::move(session_id)) {
    open_embed();
  }

  void title(const std::string& text) {
    const std::string t = within(text, l_.title);
    embed_["title"] = t;
    embed_chars_ += render::text_length(t);
  }

  /// A line of the description. After fields, a new embed (Discord shows fields below the
  /// description).
  void line(std::string text) {
    if (text.empty()) return;
    if (full_) {  // the reply is out of messages: everything after is left out, in order
      ++left_out_;
      return;
    }
    std::string sep = description_.empty() ? "" : (pending_gap_ ? "\n\n" : "\n");
    std::size_t c = render::text_length(text) + sep.size();
    const bool fits = !embed_.contains("fields") && description_chars_ + c <= l_.description &&
                      message_chars_ + embed_chars_ + c <= room();
    if (!fits) {
      if (!next_embed(render::text_length(text))) return;
      sep.clear();
      // Longer than an empty embed may hold: only with limits far below Discord's.
      const std::size_t cap = std::max<std::size_t>(2, std::min(l_.description, free_chars()));
      if (render::text_length(text) > cap) text = within(text, cap);
      c = render::text_length(text);
    }
    description_ += sep + text;
    description_chars_ += c;
    embed_chars_ += c;
    pending_gap_ = false;
  }

  /// An empty line before the next description line of this embed.
  void blank() { pending_gap_ = !description_.empty(); }

  void field(std::string name, std::string value) {
    if (full_) {
      ++left_out_;
      return;
    }
    name = within(name.empty() ? std::string(zero_width_space) : name, l_.field_name);
    if (value.empty()) value = zero_width_space;
    std::size_t c = render::text_length(name) + render::text_length(value);
    const std::size_t fields = embed_.contains("fields") ? embed_["fields"].size() : 0;
    const bool fits = fields < l_.fields && message_chars_ + embed_chars_ + c <= room();
    if (!fits) {
      if (!next_embed(c)) return;
      const std::size_t cap = free_chars();
      if (c > cap) {  // only with limits far below Discord's
        value =
            within(value, std::max<std::size_t>(2, cap - std::min(cap, render::text_length(name))));
        c = render::text_length(name) + render::text_length(value);
      }
    }
    embed_["fields"].push_back({{"name", name}, {"value", value}, {"inline", false}});
    embed_chars_ += c;
  }

  /// Small print under the last embed; left out (and counted) when it does not fit.
  void footer(const std::string& text) { footer_ = within(text, l_.footer); }

  std::vector<json> finish() {
    if (!footer_.empty()) {
      // On the last embed, or on an embed of its own when that one is full.
      const std::size_t c = render::text_length(footer_);
      const bool fits = !full_ && message_chars_ + embed_chars_ + c <= room();
      if (fits || next_embed(c)) {
        embed_["footer"] = {{"text", footer_}};
        embed_chars_ += c;
      }
    }
    close_embed();
    if (left_out_ > 0) {
      // Room for this was kept free in the last message (see room()).
      const std::size_t total = l_.total * l_.messages;
      const std::string note = md(render::cut_note(total, left_out_, session_id_));
      embeds_.push_back({{"description", within(note, l_.description)}, {"color", colour_}});
    }
    close_message();
    if (messages_.empty()) {
      messages_.push_back(message_of(
          json::array({{{"description", std::string(zero_width_space)}, {"color", colour_}}})));
    }
    return std::move(messages_);
  }

 private:
  bool last_message() const { return messages_.size() + 1 >= l_.messages; }
  /// Characters a message may hold; the last one keeps room for the cut note (~150).
  std::size_t room() const {
    const std::size_t note_room = std::min<std::size_t>(300, l_.total / 3);
    return last_message() ? l_.total - note_room : l_.total;
  }
  /// Characters the current (just opened) embed may still take in this message.
  std::size_t free_chars() const {
    const std::size_t used = message_chars_ + embed_chars_;
    return room() > used ? room() - used : 0;
  }
  std::size_t embed_room() const { return last_message() ? l_.embeds - 1 : l_.embeds; }

  static json message_of(json embeds) {
    return {{"content", ""},
            {"embeds", std::move(embeds)},
            {"allowed_mentions", {{"parse", json::array()}}}};
  }

  void open_embed() {
    embed_ = {{"color", colour_}};
    description_.clear();
    description_chars_ = embed_chars_ = 0;
    pending_gap_ = false;
  }

  void close_embed() {
    if (!description_.empty()) embed_["description"] = description_;
    if (embed_.size() > 1) {  // more than the colour
      embeds_.push_back(embed_);
      message_chars_ += embed_chars_;
    }
    open_embed();
  }

  void close_message() {
    if (!embeds_.empty()) messages_.push_back(message_of(std::move(embeds_)));
    embeds_ = json::array();
    message_chars_ = 0;
  }

  /// Starts a new embed (in this message or the next) for an item of `chars`; false when the
  /// reply is out of messages: the item is left out.
  bool next_embed(std::size_t chars) {
    if (full_) {
      ++left_out_;
      return false;
    }
    close_embed();
    if (embeds_.size() >= embed_room() || message_chars_ + chars > room()) {
      if (last_message()) {
        full_ = true;
        ++left_out_;
        return false;
      }
      close_message();
    }
    return true;
  }

 private:
  const embed_limits& l_;
  int colour_;
  std::string session_id_;
  std::vector<json> messages_;
  json embeds_ = json::array();
  std::size_t message_chars_ = 0;
  json embed_;
  std::string description_;
  std::size_t description_chars_ = 0, embed_chars_ = 0;
  std::string footer_;
  bool pending_gap_ = false;
  bool full_ = false;
  std::size_t left_out_ = 0;
};

void header(embed_layout& l, const render::reply_document& d) {
  l.title(d.plain_title);
  l.line(md(d.headline));
  for (const auto& n : d.notes) l.line("*" + md(n) + "*");
}

void customer_and_next(embed_layout& l, const render::reply_document& d) {
  if (!d.customer.empty())
    l.field(plain(d.customer.label),
            md(render::rich().data(d.customer.text, render::detail_field_chars)));
  if (!d.next_step.empty()) l.field(plain(d.next_step.label), md(d.next_step.value));
}

/// The escalation as code blocks the agent copies whole: as many fields as it needs, split
/// between items (an item is at most detail_field_chars, so one always fits a field).
void escalation(embed_layout& l, const embed_limits& limits, const render::reply_document& d) {
  const auto& e = d.escalation;
  if (e.empty()) return;
  const std::string fence = "```";
  std::vector<std::string> values;
  std::string value;
  for (const auto& raw : e.items) {
    const std::string item = render::block_text(raw);
    const std::string next = value.empty() ? item : value + "\n" + item;
    if (!value.empty() && render::text_length(next) + 2 * (fence.size() + 1) > limits.field_value) {
      values.push_back(fence + "\n" + value + "\n" + fence);
      value = item;
    } else {
      value = next;
    }
  }
  values.push_back(fence + "\n" + value + "\n" + fence);
  const std::string name = plain(e.label);
  for (std::size_t i = 0; i < values.size(); ++i)
    l.field(values.size() == 1 ? name : name + render::part_note(i + 1, values.size()), values[i]);
}

std::string footer_text(const render::reply_document& d) {
  std::vector<render::rich> items = d.facts;
  items.insert(items.end(), d.context_items.begin(), d.context_items.end());
  return plain(render::join(items, " \u00B7 "));
}

void summary_view(embed_layout& l, const embed_limits& limits, const render::reply_document& d) {
  header(l, d);
  l.blank();
  if (d.findings.empty()) {
    l.line(md(d.empty_note));
    if (!d.checked.empty()) l.line(md(d.checked));
  } else {
    l.line(md(d.findings_heading));
    for (std::size_t i = 0; i < d.findings.size(); ++i) {
      const auto& f = d.findings[i];
      l.line(std::to_string(i + 1) + ". " +
             md(render::join({render::strong(f.title), f.labels, f.seen, f.blast}, " \u00B7 ")));
    }
    if (!d.more_findings.empty()) l.line("*" + md(d.more_findings) + "*");
  }
  customer_and_next(l, d);
  escalation(l, limits, d);
}

void timeline_lines(embed_layout& l, const render::reply_document& d) {
  l.line(md(d.timeline_heading));
  if (!d.timeline_empty.empty()) l.line(md(d.timeline_empty));
  for (const auto& e : d.timeline)
    l.line((e.problem ? md(render::rich().marker()) + " " : std::string()) + md(e.line));
}

void full_view(embed_layout& l, const embed_limits& limits, const render::reply_document& d) {
  header(l, d);
  l.blank();
  l.line(md(d.findings.empty() ? d.empty_note : d.findings_heading));
  customer_and_next(l, d);
  escalation(l, limits, d);
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    std::vector<std::string> lines;
    for (const auto& x : f.details) lines.push_back(md(x));
    for (const auto& e : f.evidence) lines.push_back("- " + md(e));
    const std::size_t evidence = f.evidence.size();
    l.field(std::to_string(i + 1) + ". " + plain(f.title),
            whole_lines(lines, limits.field_value, [&](std::size_t n) {
              // Whole lines are cut from the end, so they are evidence lines when there is any.
              return "*" +
                     md(n <= evidence
                            ? render::more_note(n, "more evidence line", "more evidence lines")
                            : render::more_note(n, "more line", "more lines")) +
                     "*";
            }));
  }
  if (!d.checked.empty()) l.field(plain(d.checked.label), md(d.checked.value));
  timeline_lines(l, d);
}

}  // namespace

std::size_t embed_chars(const json& message) {
  std::size_t n = 0;
  if (!message.contains("embeds")) return 0;
  for (const auto& e : message["embeds"]) {
    if (e.contains("title")) n += render::text_length(e["title"].get<std::string>());
    if (e.contains("description")) n += render::text_length(e["description"].get<std::string>());
    if (e.contains("footer")) n += render::text_length(e["footer"]["text"].get<std::string>());
    if (e.contains("fields"))
      for (const auto& f : e["fields"])
        n += render::text_length(f["name"].get<std::string>()) +
             render::text_length(f["value"].get<std::string>());
  }
  return n;
}

std::vector<json> render_embeds(const bot::reply& r, const embed_options& o) {
  // Digests and /top arrive already worded as Markdown (bot/digest_text): description lines.
  if (const auto* report = std::get_if<bot::report_reply>(&r)) {
    embed_layout l(o.limits, help_colour, {});
    for (auto line : render::detail::lines(report->markdown)) {
      if (line.empty()) {
        l.blank();
      } else {
        l.line(std::string(line));
      }
    }
    return l.finish();
  }
  render::reply_options ro;
  ro.summary_findings = o.summary_findings;
  ro.example_id = o.example_id;
  ro.now_ms = o.now_ms;
  ro.team_language = o.team_language;
  const render::reply_document d = render::build_reply(r, ro);
  int colour = help_colour;
  if (const auto* diagnosis = std::get_if<bot::diagnosis_reply>(&r))
    colour = colour_of(diagnosis->diagnosis.verdict);
  if (d.kind == render::document_kind::unknown_session) colour = colour_of(bot::verdict::unknown);
  embed_layout l(o.limits, colour, d.session_id);
  if (d.kind == render::document_kind::diagnosis) {
    switch (d.view) {
      case bot::view::summary:
        summary_view(l, o.limits, d);
        break;
      case bot::view::timeline:
        header(l, d);
        l.blank();
        timeline_lines(l, d);
        break;
      case bot::view::full:
        full_view(l, o.limits, d);
        break;
    }
    l.footer(footer_text(d));
  } else {
    for (const auto& x : d.body) l.line(md(x));
    if (!d.footer.empty()) {
      l.blank();
      for (const auto& x : d.footer) l.line("*" + md(x) + "*");
    }
  }
  return l.finish();
}

}  // namespace sessiondx::discord
