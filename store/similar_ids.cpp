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

namespace {
constexpr std::array<std::string_view, 7> misread_groups = {"0Oo", "1lI", "5S", "8B",
                                                            "2Z",  "6G",  "uv"};

// The group `c` belongs to, or an empty view.
std::string_view misread_group(char c) {
  for (std::string_view g : misread_groups) {
    if (g.find(c) != std::string_view::npos) return g;
  }
  return {};
}
}  // namespace

bool is_classic_misread(char a, char b) {
  if (a == b) return false;
  const std::string_view g = misread_group(a);
  return g.find(b) != std::string_view::npos;
}

std::optional<std::size_t> misread_count(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return std::nullopt;
  std::size_t count = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (!is_classic_misread(a[i], b[i])) return std::nullopt;
    ++count;
  }
  return count;
}

std::vector<std::string> misread_spellings(std::string_view typed, std::size_t max) {
  std::vector<std::string> out;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < typed.size(); ++i) {
    if (!misread_group(typed[i]).empty()) positions.push_back(i);
  }
  std::string spelling(typed);
  // The other members of the group of typed[i].
  const auto for_each_alternative = [&](std::size_t i, auto fn) {
    for (char c : misread_group(typed[i])) {
      if (c != typed[i]) fn(c);
    }
  };
  for (std::size_t i : positions) {
    for_each_alternative(i, [&](char c) {
      if (out.size() == max) return;
      spelling[i] = c;
      out.push_back(spelling);
      spelling[i] = typed[i];
    });
  }
  for (std::size_t a = 0; a < positions.size() && out.size() < max; ++a) {
    for (std::size_t b = a + 1; b < positions.size() && out.size() < max; ++b) {
      const std::size_t i = positions[a], j = positions[b];
      for_each_alternative(i, [&](char ci) {
        spelling[i] = ci;
        for_each_alternative(j, [&](char cj) {
          if (out.size() == max) return;
          spelling[j] = cj;
          out.push_back(spelling);
          spelling[j] = typed[j];
        });
        spelling[i] = typed[i];
      });
    }
  }
  return out;
}

one_char_scans one_char_scan_prefixes(std::string_view typed) {
  const std::size_t half = typed.size() / 2;
  return {std::string(typed.substr(0, half)), reversed(typed.substr(half))};
}

std::vector<std::string> rank_similar(std::string_view typed, std::vector<std::string> candidates,
                                      std::size_t limit) {
  enum rank : int { misread = 0, one_char = 1, two_misreads = 2, extension = 3, unrelated = 4 };
  const auto rank_of = [&](const std::string& c) {
    if (const auto at = one_char_difference(typed, c)) {
      return is_classic_misread(typed[*at], c[*at]) ? misread : one_char;
    }
    if (misread_count(typed, c) == std::optional<std::size_t>(2)) return two_misreads;
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
