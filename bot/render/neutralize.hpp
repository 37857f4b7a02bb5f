#pragma once

// Makes text that comes from event data (customer browsers, backends) safe to show: it cannot
// ping a channel, inject formatting, links or code blocks, break a line, or reorder text.

#include <cstddef>
#include <string>
#include <string_view>

namespace sessiondx::bot::render {

enum class target {
  text,      ///< terminal / plain chat text: control characters and mentions only
  markdown,  ///< generic chat Markdown (Discord, Mattermost, CommonMark): also escapes syntax
};

/// Field length limits (in characters) used by the renderers.
inline constexpr std::size_t summary_field_chars = 300;
inline constexpr std::size_t detail_field_chars = 1000;

/// `s` with every invalid UTF-8 sequence (overlong, surrogate, truncated, > U+10FFFF) replaced by
/// U+FFFD. Used for JSON, which otherwise keeps text as it came.
std::string valid_utf8(std::string_view s);

/// One field of customer text, made safe for `t`:
///  - first bot::text::normalize_for_display, the normalisation ingest applied before scrubbing
///    (invalid UTF-8 becomes U+FFFD; controls, bidi and invisible format characters dropped;
///    Unicode spaces become spaces), and its line breaks become spaces;
///  - longer than `max_chars` characters (0 = no limit): cut, ending with "…";
///  - mass mentions (@everyone, @here, @channel, @all, <!channel>, <!here>, <!everyone>) and
///    <@…>/<#…> tokens get a zero-width space so no platform resolves them;
///  - markdown also: every @mention gets the zero-width space, and \ ` * _ ~ | [ ] ( ) # < > and
///    a leading list marker ("- ", "+ ", "1. ") are backslash-escaped, so the field renders
///    literally.
std::string neutralize(std::string_view field, target t,
                       std::size_t max_chars = summary_field_chars);

/// Whether `s` can go verbatim into a Markdown code span: non-empty, only [A-Za-z0-9._:-].
bool is_plain_token(std::string_view s);

}  // namespace sessiondx::bot::render
