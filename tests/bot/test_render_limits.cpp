#include "bot/render/limits.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace sessiondx::bot::render;

namespace {
std::string concat(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}
}  // namespace

TEST_CASE("text_length counts what platforms count", "[limits]") {
  CHECK(text_length("") == 0);
  CHECK(text_length("abc") == 3);
  CHECK(text_length("\u00E9\u2026") == 2);
  CHECK(text_length("\U0001F600") == 2);  // a surrogate pair in UTF-16
  CHECK(text_length("\xFF") == 1);
}

TEST_CASE("with_thousands", "[limits]") {
  CHECK(with_thousands(0) == "0");
  CHECK(with_thousands(999) == "999");
  CHECK(with_thousands(4000) == "4,000");
  CHECK(with_thousands(1234567) == "1,234,567");
}

TEST_CASE("split_for_limit splits on line boundaries", "[limits]") {
  CHECK(split_for_limit("", 10).empty());
  CHECK(split_for_limit("short\n", 0) == std::vector<std::string>{"short\n"});
  CHECK(split_for_limit("aaa\nbbb\nccc\n", 8) == std::vector<std::string>{"aaa\nbbb\n", "ccc\n"});
  CHECK(split_for_limit("aaa\nbbb", 4) == std::vector<std::string>{"aaa\n", "bbb"});
  // A line longer than the limit is split between characters.
  CHECK(split_for_limit("abcdefghij\nk", 4) == std::vector<std::string>{"abcd", "efgh", "ij\nk"});
  // Never inside a UTF-8 sequence or a surrogate pair.
  auto emoji = split_for_limit("\U0001F600\U0001F600\U0001F600", 3);
  CHECK(emoji == std::vector<std::string>{"\U0001F600", "\U0001F600", "\U0001F600"});
}

TEST_CASE("split_for_limit never exceeds the limit and loses nothing", "[limits]") {
  std::mt19937 rng(42);
  const std::vector<std::string> pieces = {
      "a", "bc", " ", "\n", "\n\n", "\u00E9", "\u2026", "\U0001F600", "longer words here ", "\xFF"};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    auto n = std::uniform_int_distribution<int>(0, 400)(rng);
    for (int i = 0; i < n; ++i) {
      text += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    }
    auto limit = std::uniform_int_distribution<std::size_t>(2, 120)(rng);
    auto parts = split_for_limit(text, limit);
    INFO("round " << round << " limit " << limit);
    CHECK(concat(parts) == text);
    for (const auto& p : parts) {
      CHECK_FALSE(p.empty());
      CHECK(text_length(p) <= limit);
    }
  }
}

TEST_CASE("cut_at_limit keeps whole lines and adds the note", "[limits]") {
  auto note = [](std::size_t n) { return "[" + std::to_string(n) + " more]\n"; };
  CHECK(cut_at_limit("a\nb\n", 0, note) == "a\nb\n");
  CHECK(cut_at_limit("a\nb\n", 4, note) == "a\nb\n");
  CHECK(cut_at_limit("one\ntwo\nthree\nfour\n", 18, note) == "one\ntwo\n[2 more]\n");
  // Not even one line fits next to the note: the first line is cut.
  auto out = cut_at_limit(std::string(50, 'x') + "\nend\n", 20, note);
  CHECK(out == std::string(10, 'x') + "\n[2 more]\n");
  CHECK(text_length(out) <= 20);
}
