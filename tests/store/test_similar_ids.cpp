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
