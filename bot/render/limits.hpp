#pragma once

// Message length limits of chat platforms: measuring, cutting and splitting rendered text.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::bot::render {

/// Length as chat platforms count it, in UTF-16 code units: what Discord counts, and never less
/// than the code points Slack and Mattermost count, so a text within a limit here is within it
/// everywhere. Invalid UTF-8 bytes count one each.
std::size_t text_length(std::string_view s);

/// Splits `text` into messages of at most `max_chars` (text_length) each, on line boundaries;
/// a single line longer than the limit is split between characters. Nothing is lost: the parts
/// concatenated are exactly `text` (each part keeps the newline it ends with). `max_chars` 0
/// means no limit (one part). Empty text gives no parts.
std::vector<std::string> split_for_limit(std::string_view text, std::size_t max_chars);

/// `text` if it fits in `max_chars` (0 = unlimited); otherwise as many whole lines as fit
/// followed by `note(n)`, where n is the number of lines left out. The note counts toward the
/// limit. If not even one line fits with the note, the first line is cut between characters.
template <class Note>
std::string cut_at_limit(std::string_view text, std::size_t max_chars, Note note);

/// "4,000" — a count with thousands separators.
std::string with_thousands(std::size_t n);

// ---- implementation ----

namespace detail {
std::vector<std::string_view> lines(std::string_view text);            ///< each without its '\n'
std::size_t prefix_within(std::string_view s, std::size_t max_chars);  ///< bytes that fit
}  // namespace detail

template <class Note>
std::string cut_at_limit(std::string_view text, std::size_t max_chars, Note note) {
  if (max_chars == 0 || text_length(text) <= max_chars) return std::string(text);
  auto all = detail::lines(text);
  std::string kept;
  std::size_t used = 0;
  std::size_t n = 0;
  // Keep whole lines while the rest still has room for the note about the lines left out.
  for (; n < all.size(); ++n) {
    std::size_t line = text_length(all[n]) + 1;
    std::string tail = note(all.size() - n - 1);
    if (used + line + text_length(tail) > max_chars) break;
    kept.append(all[n]).append("\n");
    used += line;
  }
  std::string tail = note(all.size() - n);
  if (n == 0) {
    std::size_t room = max_chars > text_length(tail) + 1 ? max_chars - text_length(tail) - 1 : 0;
    kept = std::string(all[0].substr(0, detail::prefix_within(all[0], room))) + "\n";
  }
  std::string out = kept + tail;
  return text_length(out) <= max_chars ? out : out.substr(0, detail::prefix_within(out, max_chars));
}

}  // namespace sessiondx::bot::render
