#pragma once

// The structure pre-scan and the error wording shared by the event parser and its DOM reference
// (fuzz/dom_event_parser.cpp): what is refused before any JSON parser sees the body.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::webhook::body_scan {

/// Deeper bodies are refused before nlohmann sees them: dumping or destroying a deep tree
/// recurses, and no real event needs more than a handful of levels.
inline constexpr std::size_t k_max_depth = 64;

inline constexpr std::int64_t k_year_2000_ms = 946'684'800'000;
inline constexpr std::int64_t k_year_10000_ms = 253'402'300'800'000;

// --- structure pre-scan ----------------------------------------------------------------------

/// A number literal outside the range of a double (such as 1e400): nlohmann refuses the whole
/// text with an exception, so the pre-scan finds them and the event holding one is rejected.
struct out_of_range_number {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::size_t element = 0;  ///< top-level array index (0 for a single object or an NDJSON line)
  std::string field;        ///< the keys leading to it, dot-separated ("attrs.duration")
};

struct shape {
  std::size_t max_depth = 0;
  bool top_array = false;
  /// For a top-level array: the byte size of each element's text (whitespace trimmed).
  std::vector<std::size_t> element_sizes;
  /// The top-level array has more elements than allowed: the scan stopped there.
  bool too_many_elements = false;
  std::vector<out_of_range_number> out_of_range;
};

inline bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Depth, top-level element sizes (at most max_elements of them) and out-of-range numbers.
shape scan_shape(std::string_view text, std::size_t max_depth, std::size_t max_elements);

/// The text with every out-of-range number replaced by a 0 of the same width, so that the JSON
/// parser accepts it (the events holding them are rejected).
std::string neutralise_numbers(std::string_view text, const std::vector<out_of_range_number>& bad);

/// Printable ASCII: other bytes as \xHH, so a reply quoting them serialises as JSON.
std::string printable(std::string_view text);

/// nlohmann's message without its tag, cut at 200 characters, printable.
std::string parse_error_text(const nlohmann::json::parse_error& e);

std::string depth_error();

}  // namespace sessiondx::webhook::body_scan
