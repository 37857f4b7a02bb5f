#include "store/similar_ids.hpp"

#include <algorithm>
#include <array>
#include <tuple>

namespace sessiondx::store::detail {

std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xFF) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

std::string reversed(std::string_view s) { return std::string(s.rbegin(), s.rend()); }

std::optional<std::size_t> one_char_difference(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return std::nullopt;
  std::optional<std::size_t> at;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (at) return std::nullopt;
    at = i;
  }
  return at;
}

bool is_classic_misread(char a, char b) {
  static constexpr std::array<std::string_view, 7> groups = {"0Oo", "1lI", "5S", "8B",
                                                             "2Z",  "6G",  "uv"};
  if (a == b) return false;
  return std::any_of(groups.begin(), groups.end(), [&](std::string_view g) {
    return g.find(a) != std::string_view::npos && g.find(b) != std::string_view::npos;
  });
}

one_char_scans one_char_scan_prefixes(std::string_view typed) {
  const std::size_t half = typed.size() / 2;
  return {std::string(typed.substr(0, half)), reversed(typed.substr(half))};
}

std::vector<std::string> rank_similar(std::string_view typed, std::vector<std::string> candidates,
                                      std::size_t limit) {
  enum rank : int { misread = 0, one_char = 1, extension = 2, unrelated = 3 };
  const auto rank_of = [&](const std::string& c) {
    if (const auto at = one_char_difference(typed, c)) {
      return is_classic_misread(typed[*at], c[*at]) ? misread : one_char;
    }
    if (c.size() > typed.size() && c.compare(0, typed.size(), typed) == 0) return extension;
    return unrelated;
  };
  std::vector<std::pair<int, std::string>> ranked;
  ranked.reserve(candidates.size());
  for (auto& c : candidates) {
    const int r = rank_of(c);
    if (r != unrelated) ranked.emplace_back(r, std::move(c));
  }
  std::sort(ranked.begin(), ranked.end());
  ranked.erase(std::unique(ranked.begin(), ranked.end()), ranked.end());
  std::vector<std::string> out;
  out.reserve(std::min(limit, ranked.size()));
  for (auto& [r, id] : ranked) {
    if (out.size() == limit) break;
    out.push_back(std::move(id));
  }
  return out;
}

}  // namespace sessiondx::store::detail
