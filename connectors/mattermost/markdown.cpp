#include "connectors/mattermost/markdown.hpp"

#include "bot/render/limits.hpp"
#include "bot/render/markdown.hpp"
#include "bot/render/neutralize.hpp"
#include "bot/render/reply.hpp"
#include "connectors/mattermost/events.hpp"

#include <utility>

namespace sessiondx::mattermost {

namespace render = bot::render;

namespace {

/// Inline text as Mattermost Markdown (GFM-like; :emoji: shortcodes render).
constexpr render::markdown_dialect mattermost_markdown{.strong = "**", .marker = ":warning:"};

std::string md(const render::rich& r) { return render::markdown_of(r, mattermost_markdown); }
std::string md(const render::labeled& l) { return render::markdown_of(l, mattermost_markdown); }

render::rich not_strong(render::rich r) {
  for (auto& x : r.runs) x.strong = false;
  return r;
}

/// One item: lines that stay together in one post. `gap` puts an empty line before it.
struct item {
  std::vector<std::string> lines;
  bool gap = false;
};

std::size_t length_of(const item& i) {
  std::size_t n = i.gap ? 1 : 0;
  for (const auto& l : i.lines) n += render::text_length(l) + 1;
  return n;
}

class post_layout {
 public:
  void add(std::vector<std::string> lines, bool gap = false) {
    std::erase_if(lines, [](const std::string& l) { return l.empty(); });
    if (!lines.empty()) items_.push_back({std::move(lines), gap});
  }
  void add(const std::string& line, bool gap = false) { add(std::vector<std::string>{line}, gap); }

  /// The escalation: a fenced block, several when it alone is longer than a post may be.
  void escalation(const render::escalation_block& e, std::size_t limit) {
    if (e.empty()) return;
    const std::string fence = "```";
    std::vector<std::string> lines{md(e.label), fence};
    std::size_t used = render::text_length(lines[0]) + fence.size() + 2;
    for (const auto& raw : e.items) {
      const std::string text = render::block_text(raw);
      const std::size_t c = render::text_length(text) + 1;
      if (lines.size() > 2 && used + c + fence.size() + 1 > limit) {
        lines.push_back(fence);
        add(std::move(lines));
        lines = {fence};
        used = fence.size() + 1;
      }
      lines.push_back(text);
      used += c;
    }
    lines.push_back(fence);
    add(std::move(lines));
  }

  std::vector<std::string> pack(const post_limits& l, const std::string& session_id) const {
    // Items too long for a post alone become one item per line (lines are bounded by the
    // document's field caps).
    std::vector<item> all;
    for (const auto& i : items_) {
      if (length_of(i) <= l.message_chars) {
        all.push_back(i);
        continue;
      }
      for (std::size_t k = 0; k < i.lines.size(); ++k)
        all.push_back({{i.lines[k]}, k == 0 && i.gap});
    }
    std::vector<std::string> posts;
    std::string current;
    std::size_t used = 0;
    constexpr std::size_t note_room = 300;
    for (std::size_t n = 0; n < all.size(); ++n) {
      const bool last_post = posts.size() + 1 >= l.posts;
      const std::size_t room =
          last_post && l.message_chars > note_room ? l.message_chars - note_room : l.message_chars;
      const auto& i = all[n];
      const std::size_t c = length_of(i) - (current.empty() && i.gap ? 1 : 0);
      if (used + c > room && (!current.empty() || last_post)) {
        if (last_post) {
          std::size_t lines_left = 0;
          for (std::size_t k = n; k < all.size(); ++k) lines_left += all[k].lines.size();
          current += (current.empty() ? "" : "\n") +
                     md(render::cut_note(l.message_chars, lines_left, session_id)) + "\n";
          posts.push_back(std::move(current));
          return posts;
        }
        posts.push_back(std::move(current));
        current.clear();
        used = 0;
      }
      if (i.gap && !current.empty()) {
        current += "\n";
        ++used;
      }
      for (const auto& line : i.lines) {
        // A single line longer than a post (only with unusual limits): cut between characters.
        std::string text = line;
        if (render::text_length(text) + 1 > l.message_chars)
          text =
              text.substr(0, render::detail::prefix_within(text, l.message_chars - 2)) + "\u2026";
        current += text + "\n";
        used += render::text_length(text) + 1;
      }
    }
    if (!current.empty()) posts.push_back(std::move(current));
    return posts;
  }

 private:
  std::vector<item> items_;
};

void header(post_layout& p, const render::reply_document& d) {
  p.add("#### " + md(not_strong(d.title)));
  std::vector<std::string> lines{md(render::join(d.facts, " \u00B7 "))};
  if (!d.headline.empty()) lines.push_back(md(d.headline));
  for (const auto& n : d.notes) lines.push_back("_" + md(n) + "_");
  p.add(std::move(lines));
}

void customer_next_escalation(post_layout& p, const render::reply_document& d,
                              const post_limits& l) {
  if (!d.customer.empty())
    p.add(md(d.customer.label) + " " +
              md(render::rich().data(d.customer.text, render::detail_field_chars)),
          true);
  if (!d.next_step.empty()) p.add(md(d.next_step), d.customer.empty());
  p.escalation(d.escalation, l.message_chars);
}

void context(post_layout& p, const render::reply_document& d) {
  if (!d.context.empty()) p.add("> " + md(d.context), true);
}

void timeline(post_layout& p, const render::reply_document& d) {
  // The heading travels with the first entry, so a post never ends with a bare heading.
  std::vector<std::string> first{md(d.timeline_heading)};
  if (!d.timeline_empty.empty()) first.push_back(md(d.timeline_empty));
  for (std::size_t i = 0; i < d.timeline.size(); ++i) {
    const auto& e = d.timeline[i];
    std::string line =
        "- " + (e.problem ? md(render::rich().marker()) + " " : std::string()) + md(e.line);
    if (i == 0) {
      first.push_back(std::move(line));
      p.add(std::move(first), true);
    } else {
      p.add(std::move(line));
    }
  }
  if (d.timeline.empty()) p.add(std::move(first), true);
}

void summary_view(post_layout& p, const render::reply_document& d, const post_limits& l) {
  header(p, d);
  if (d.findings.empty()) {
    p.add(md(d.empty_note), true);
    if (!d.checked.empty()) p.add(md(d.checked));
  } else {
    for (std::size_t i = 0; i < d.findings.size(); ++i) {
      const auto& f = d.findings[i];
      std::vector<std::string> lines;
      if (i == 0) lines.push_back(md(d.findings_heading));  // the heading with the first one
      lines.push_back(
          std::to_string(i + 1) + ". " +
          md(render::join({render::strong(f.title), f.labels, f.seen, f.blast}, " \u00B7 ")));
      p.add(std::move(lines), i == 0);
    }
    if (!d.more_findings.empty()) p.add("_" + md(d.more_findings) + "_");
  }
  customer_next_escalation(p, d, l);
  context(p, d);
}

void full_view(post_layout& p, const render::reply_document& d, const post_limits& l) {
  header(p, d);
  customer_next_escalation(p, d, l);
  context(p, d);
  if (d.findings.empty()) p.add(md(d.empty_note), true);
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    // The heading travels with the first finding.
    std::vector<std::string> lines;
    if (i == 0) lines.push_back(md(d.findings_heading));
    lines.push_back(std::to_string(i + 1) + ". " + md(render::strong(f.title)));
    for (const auto& x : f.details) lines.push_back("   " + md(x));
    for (const auto& e : f.evidence) lines.push_back("   - " + md(e));
    p.add(std::move(lines), i == 0);
  }
  if (!d.checked.empty()) p.add(md(d.checked), true);
  timeline(p, d);
}

}  // namespace

std::vector<std::string> render_posts(const bot::reply& r, const markdown_options& o) {
  std::vector<std::string> posts;
  // Digests and /top arrive already worded as Markdown (bot/digest_text).
  if (const auto* report = std::get_if<bot::report_reply>(&r)) {
    posts = split_reply(report->markdown, o.limits.message_chars, o.limits.posts);
  } else {
    render::reply_options ro;
    ro.summary_findings = o.summary_findings;
    ro.example_id = o.example_id;
    ro.now_ms = o.now_ms;
    ro.team_language = o.team_language;
    const render::reply_document d = render::build_reply(r, ro);
    post_layout p;
    if (d.kind == render::document_kind::diagnosis) {
      switch (d.view) {
        case bot::view::summary:
          summary_view(p, d, o.limits);
          break;
        case bot::view::timeline:
          header(p, d);
          timeline(p, d);
          context(p, d);
          break;
        case bot::view::full:
          full_view(p, d, o.limits);
          break;
      }
    } else {
      std::vector<std::string> body;
      for (const auto& x : d.body) body.push_back(md(x));
      p.add(std::move(body));
      for (std::size_t i = 0; i < d.footer.size(); ++i) p.add("_" + md(d.footer[i]) + "_", i == 0);
    }
    posts = p.pack(o.limits, d.kind == render::document_kind::diagnosis ? d.session_id : "");
  }
  // No post property suppresses @here/@channel/@all in Mattermost: the text itself must not
  // hold them (customer text is neutralised already; this covers everything else too).
  for (auto& post : posts) {
    while (!post.empty() && post.back() == '\n') post.pop_back();
    post = neutralize_mass_mentions(std::move(post));
  }
  return posts;
}

}  // namespace sessiondx::mattermost
