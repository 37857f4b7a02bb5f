#pragma once

// Pure helpers behind event_store::similar_sessions: which stored session ids a customer probably
// meant when the one they typed is unknown. No SQLite here; sqlite_store.cpp runs the range scans
// these helpers describe and ranks the candidates with them.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sessiondx::store::detail {

/// The smallest string greater than every string that starts with `prefix` (byte-wise order, as
/// SQLite's BINARY collation compares), or nullopt when there is none (empty prefix or all 0xFF).
std::optional<std::string> prefix_upper_bound(std::string_view prefix);

/// The bytes of `s` in reverse order (the sessions.rev_id column).
std::string reversed(std::string_view s);

/// Position of the single differing byte when `a` and `b` have the same length and differ in
/// exactly one byte; nullopt otherwise (equal, different lengths, or two or more differences).
std::optional<std::size_t> one_char_difference(std::string_view a, std::string_view b);

/// True when `a` and `b` are a classic misreading of each other (0/O/o, 1/l/I, 5/S, 8/B, 2/Z,
/// 6/G, u/v).
bool is_classic_misread(char a, char b);

/// Where the one-character candidates of `typed` are found: when the difference lies in the
/// second half, the first half is a shared prefix of session_id; otherwise the second half is
/// shared, i.e. its reverse is a prefix of rev_id. Two range scans cover every position.
struct one_char_scans {
  std::string session_id_prefix;  ///< first half of typed
  std::string rev_id_prefix;      ///< reverse of the second half of typed
};
one_char_scans one_char_scan_prefixes(std::string_view typed);

/// Number of differing positions when `a` and `b` have the same length and every difference is a
/// classic misread (is_classic_misread); nullopt otherwise (different lengths, or one difference
/// that is not a misread). 0 when equal.
std::optional<std::size_t> misread_count(std::string_view a, std::string_view b);

/// Every spelling of `typed` with one or two of its characters replaced by a classic misread
/// (0 for O, l for 1, ...): the one-character spellings first, then the two-character ones, in
/// position order; at most `max` of them (the two-character spellings of a long id are many:
/// 4 · C(n, 2) for n confusable positions). Looked up by primary key, they find the ids two
/// misreads away whose differences lie in both halves (the range scans cover one half).
std::vector<std::string> misread_spellings(std::string_view typed, std::size_t max);

/// Orders candidates: one-character matches that are classic misreads, then other one-character
/// matches, then two-character matches that are both classic misreads, then prefix extensions
/// (by how many characters differ); alphabetical within each group; without duplicates or
/// `typed` itself; at most `limit`. Candidates that are none of these are dropped.
std::vector<std::string> rank_similar(std::string_view typed, std::vector<std::string> candidates,
                                      std::size_t limit);

}  // namespace sessiondx::store::detail
