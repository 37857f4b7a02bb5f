#include "bot/commands.hpp"

#include <algorithm>
#include <optional>

namespace sessiondx::bot {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Splits on ASCII whitespace and no-break/zero-width spaces (pasted from rich text).
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  auto separator_at = [&](std::size_t pos) -> std::size_t {
    if (is_space(text[pos])) return 1;
    for (std::string_view sep : {"\u00A0", "\u200B", "\u3000", "\uFEFF"}) {
      if (text.substr(pos).starts_with(sep)) return sep.size();
    }
    return 0;
  };
  while (i < text.size()) {
    if (auto n = separator_at(i)) {
      i += n;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && separator_at(i) == 0) ++i;
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::optional<view> view_word(std::string_view w) {
  auto l = lower(w);
  while (!l.empty() && (l.back() == '.' || l.back() == ',' || l.back() == '!')) l.pop_back();
  if (l == "summary") return view::summary;
  if (l == "timeline") return view::timeline;
  if (l == "full") return view::full;
  return std::nullopt;
}

bool is_mention(std::string_view w) {
  return w.size() > 1 && (w.front() == '@' || (w.starts_with("<@") && w.ends_with(">")));
}

// A word made only of wrappers a paste may leave behind on its own: a quote, a backtick...
bool is_wrapper_only(std::string_view w, const session_id_format& format) {
  auto cleaned = clean_session_id(w, format);
  return !cleaned.id && cleaned.error.starts_with("No session id");
}

// Shortened copy of user text for an error message.
std::string quote(std::string_view w) {
  constexpr std::size_t max_bytes = 40;
  std::string s;
  if (w.size() <= max_bytes) {
    s = std::string(w);
  } else {
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(w[end]) & 0xC0) == 0x80) --end;
    s = std::string(w.substr(0, end)) + "\u2026";
  }
  return "\u201C" + s + "\u201D";
}

command parse_session(const std::vector<std::string_view>& args, const session_id_format& format) {
  std::optional<view> chosen;
  std::vector<std::string_view> ids;
  for (auto w : args) {
    if (is_wrapper_only(w, format)) continue;
    if (auto v = view_word(w)) {
      if (chosen && *chosen != *v) {
        return invalid_command{"Choose one view: timeline or full."};
      }
      chosen = v;
      continue;
    }
    ids.push_back(w);
  }
  if (ids.size() == 1 && lower(ids.front()) == "help") return help_command{};
  if (ids.empty()) {
    return invalid_command{"Which session? " + session_id_hint(format)};
  }
  // The id first: "'; DROP TABLE sessions; --" is answered with what an id looks like.
  auto cleaned = clean_session_id(ids.front(), format);
  if (!cleaned.id) return invalid_command{std::move(cleaned.error)};
  if (ids.size() > 1) {
    return invalid_command{"Unexpected " + quote(ids[1]) + " after the session id."};
  }
  return session_command{std::move(*cleaned.id), chosen.value_or(view::summary)};
}

}  // namespace

std::string_view to_string(view v) {
  switch (v) {
    case view::summary:
      return "summary";
    case view::timeline:
      return "timeline";
    case view::full:
      return "full";
  }
  return "summary";
}

command parse_command(std::string_view text, const session_id_format& format) {
  auto w = words(text);
  std::size_t first = 0;
  while (first < w.size() && is_mention(w[first])) ++first;
  if (first == w.size()) return help_command{};

  auto name = lower(w[first]);
  if (!name.empty() && (name.front() == '/' || name.front() == '!')) name.erase(0, 1);
  std::vector<std::string_view> args(w.begin() + static_cast<std::ptrdiff_t>(first) + 1, w.end());
  if (name == "session" || name == "sessions") return parse_session(args, format);
  if (name == "help" || name == "?") return help_command{};
  if (name == "digest" || name == "top") {
    const bool digest = name == "digest";
    std::int64_t window = digest ? digest_command{}.window_ms : top_command{}.window_ms;
    if (args.size() > 1) return invalid_command{"Unexpected " + quote(args[1]) + "."};
    if (!args.empty()) {
      const auto parsed = parse_window(lower(args.front()));
      if (!parsed) {
        return invalid_command{"Unknown window " + quote(args.front()) + ": use " +
                               (digest ? "24h or 7d" : "1h or 24h") + "."};
      }
      window = *parsed;
    }
    if (digest) return digest_command{window};
    return top_command{window};
  }
  return invalid_command{"Unknown command " + quote(w[first]) + "."};
}

std::optional<std::int64_t> parse_window(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    default:
      return std::nullopt;
  }
  std::int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9' || n > 100'000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  const std::int64_t ms = n * unit;
  if (ms <= 0 || ms > 31 * 86'400'000LL) return std::nullopt;
  return ms;
}

command_handler::command_handler(diagnose_function diagnose, session_id_format format)
    : diagnose_(std::move(diagnose)), format_(std::move(format)) {}

reply command_handler::handle(const command_input& input) const {
  auto cmd = parse_command(input.text, format_);
  if (std::holds_alternative<help_command>(cmd)) return help_reply{};
  if (auto* bad = std::get_if<invalid_command>(&cmd)) return error_reply{bad->message, true};
  if (access_) {
    if (auto refusal = access_(cmd, input)) return std::move(*refusal);
  }

  if (std::holds_alternative<digest_command>(cmd) || std::holds_alternative<top_command>(cmd)) {
    if (!reports_) return error_reply{"Digests are not available here.", false};
    return reports_(cmd, input);
  }

  const auto& session = std::get<session_command>(cmd);
  auto result = diagnose_(session.session_id);
  if (auto* unknown = std::get_if<unknown_session>(&result)) {
    if (on_lookup_) on_lookup_({&input, unknown->session_id, "not_found", ""});
    return unknown_session_reply{unknown->session_id, std::move(unknown->similar),
                                 unknown->retention_days};
  }
  auto& d = std::get<diagnosis>(result);
  if (on_lookup_) {
    on_lookup_({&input, d.session_id.empty() ? session.session_id : d.session_id,
                std::string(to_string(d.verdict)),
                d.findings.empty() ? std::string() : d.findings.front().issue_key});
  }
  return diagnosis_reply{std::move(d), session.view};
}

}  // namespace sessiondx::bot
