#pragma once

// The one display normalisation of customer text, shared by ingest (before scrubbing) and every
// renderer (before neutralising), so that what is shown is exactly what was scrubbed: a character
// the display would drop can never hide personal data from the scrubber. Pure, no allocation when
// nothing changes. A target of its own (sessiondx_text) so the webhook links only this.

#include <string>
#include <string_view>

namespace sessiondx::bot::text {

/// The one UTF-8 decoder of the project (normalisation, neutralisation): decodes the code point
/// at `i` and advances `i` past it. Invalid input (overlong, surrogate, truncated, a stray
/// continuation byte, > U+10FFFF) yields U+FFFD and advances one byte. Requires i < s.size().
char32_t decode_utf8(std::string_view s, std::size_t& i);

/// Appends the UTF-8 encoding of `cp` (a Unicode scalar value) to `out`.
void append_utf8(char32_t cp, std::string& out);

/// `s` as every display shows it:
///  - invalid UTF-8 (overlong, surrogate, truncated, > U+10FFFF) -> one U+FFFD per bad byte;
///  - line breaks (CR LF, CR, VT, FF, U+0085 NEL, U+2028, U+2029) -> "\n"; the renderers then
///    show "\n" as a space, the store keeps it so stack traces keep their lines;
///  - tab and the Unicode space separators (U+00A0, U+1680, U+2000-200A, U+202F, U+205F,
///    U+3000) -> " ";
///  - removed: every other C0/C1 control, DEL, the bidirectional controls (U+061C, U+200E/200F,
///    U+202A-202E, U+2066-2069), invisible format characters (U+00AD soft hyphen, U+034F,
///    U+180E, U+200B-200D, U+2060-2064, U+206A-206F, U+FEFF, U+FFF9-FFFB, U+E0000-E007F tags)
///    and variation selectors (U+FE00-FE0F, U+E0100-E01EF);
///  - except that U+200D (zero-width joiner), variation selectors and tag characters are kept
///    right after a non-ASCII character, where they build emoji sequences (👩‍💻,
///    🏴󠁧󠁢󠁳󠁣󠁴󠁿) and cannot join ASCII text.
/// Idempotent: normalize_for_display(normalize_for_display(s)) == normalize_for_display(s).
std::string normalize_for_display(std::string_view s);

/// In-place variant; returns true when `s` changed.
bool normalize_for_display_in_place(std::string& s);

}  // namespace sessiondx::bot::text
