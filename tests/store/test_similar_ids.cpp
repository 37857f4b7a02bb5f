#include "store/similar_ids.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::store::detail;

TEST_CASE("store: prefix upper bound is the next string after every extension", "[store]") {
  CHECK(prefix_upper_bound("abc") == std::optional<std::string>("abd"));
  CHECK(prefix_upper_bound("az") == std::optional<std::string>("a{"));
  CHECK(prefix_upper_bound(std::string("a\xff\xff", 3)) == std::optional<std::string>("b"));
  CHECK(prefix_upper_bound(std::string("\x7f")) == std::optional<std::string>("\x80"));
  CHECK_FALSE(prefix_upper_bound("").has_value());
  CHECK_FALSE(prefix_upper_bound(std::string("\xff\xff", 2)).has_value());
  // Every extension sorts below the bound, byte-wise.
  const std::string bound = *prefix_upper_bound("ab\x7f");
  CHECK(std::string("ab\x7f\xff\xff") < bound);
  CHECK(std::string("ab\x7f") < bound);
}

TEST_CASE("store: one_char_difference finds the single differing position", "[store]") {
  CHECK(one_char_difference("abc", "abd") == std::optional<std::size_t>(2));
  CHECK(one_char_difference("abc", "xbc") == std::optional<std::size_t>(0));
  CHECK_FALSE(one_char_difference("abc", "abc").has_value());
  CHECK_FALSE(one_char_difference("abc", "xyc").has_value());
  CHECK_FALSE(one_char_difference("abc", "abcd").has_value());
}

TEST_CASE("store: classic misreads are recognised both ways", "[store]") {
  CHECK(is_classic_misread('0', 'O'));
  CHECK(is_classic_misread('O', '0'));
  CHECK(is_classic_misread('o', '0'));
  CHECK(is_classic_misread('1', 'l'));
  CHECK(is_classic_misread('I', '1'));
  CHECK(is_classic_misread('5', 'S'));
  CHECK(is_classic_misread('B', '8'));
  CHECK(is_classic_misread('2', 'Z'));
  CHECK(is_classic_misread('6', 'G'));
  CHECK(is_classic_misread('u', 'v'));
  CHECK_FALSE(is_classic_misread('a', 'b'));
  CHECK_FALSE(is_classic_misread('0', '1'));
  CHECK_FALSE(is_classic_misread('0', '0'));
}

TEST_CASE("store: the one-char scans split the id in halves", "[store]") {
  const auto scans = one_char_scan_prefixes("abcdef");
  CHECK(scans.session_id_prefix == "abc");
  CHECK(scans.rev_id_prefix == "fed");
  const auto odd = one_char_scan_prefixes("abcde");
  CHECK(odd.session_id_prefix == "ab");
  CHECK(odd.rev_id_prefix == "edc");
  CHECK(reversed("abc") == "cba");
}

TEST_CASE("store: rank_similar puts misreads, then one-char matches, then extensions", "[store]") {
  const auto ranked = rank_similar(
      "AB12O", {"AB12Oxyz", "AB12X", "AB120", "AB12Oa", "XY999", "AB12O", "AB12A", "AB12X"}, 10);
  CHECK(ranked == std::vector<std::string>{"AB120", "AB12A", "AB12X", "AB12Oa", "AB12Oxyz"});
  CHECK(rank_similar("AB12O", {"AB12Oxyz", "AB12X", "AB120"}, 2) ==
        std::vector<std::string>{"AB120", "AB12X"});
}

TEST_CASE("store: misread_count counts differences that are all classic misreads", "[store]") {
  CHECK(misread_count("AB10", "ABlO") == std::optional<std::size_t>(2));
  CHECK(misread_count("AB10", "AB1O") == std::optional<std::size_t>(1));
  CHECK(misread_count("AB10", "AB10") == std::optional<std::size_t>(0));
  CHECK_FALSE(misread_count("AB10", "AX1O").has_value());  // B -> X is no misread
  CHECK_FALSE(misread_count("AB10", "AB1").has_value());
}

TEST_CASE("store: misread_spellings lists one, then two substitutions, bounded", "[store]") {
  // '0' has two look-alikes (O, o), '1' two (l, I); 'x' none.
  const auto all = misread_spellings("x01", 100);
  CHECK(all == std::vector<std::string>{"xO1", "xo1", "x0l", "x0I",    // one
                                        "xOl", "xOI", "xol", "xoI"});  // two
  CHECK(misread_spellings("x01", 3) == std::vector<std::string>{"xO1", "xo1", "x0l"});
  CHECK(misread_spellings("xyz", 100).empty());
  CHECK(misread_spellings("", 100).empty());
  // A 16-character id of confusables only: 2·16 single and 4·C(16, 2) double spellings.
  const std::string typed = "0O1l5S8B2Z0O1l5S";
  const auto many = misread_spellings(typed, 100'000);
  std::size_t expected = 0;
  for (char c : typed) expected += (c == '0' || c == 'O' || c == '1' || c == 'l') ? 2 : 1;
  CHECK(many.size() > expected);
  for (const auto& s : many) {
    const auto count = misread_count(typed, s);
    REQUIRE(count.has_value());
    CHECK((*count == 1 || *count == 2));
  }
  CHECK(misread_spellings(typed, 10).size() == 10);
}

TEST_CASE("store: rank_similar puts two misreads after one-char matches, before extensions",
          "[store]") {
  const auto ranked = rank_similar(
      "AB12O0", {"AB12O0x", "ABl2OO", "AB12OO", "AB1ZOO", "XY12O0", "ABX2OO", "AB12Q0"}, 10);
  // AB12OO one misread, AB12Q0 one other character, AB1ZOO and ABl2OO two misreads, AB12O0x an
  // extension; XY12O0 (two non-misreads) and ABX2OO (a misread and a non-misread) are dropped.
  CHECK(ranked == std::vector<std::string>{"AB12OO", "AB12Q0", "AB1ZOO", "ABl2OO", "AB12O0x"});
}
