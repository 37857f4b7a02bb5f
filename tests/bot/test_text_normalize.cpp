#include "bot/text/normalize.hpp"

#include <catch2/catch.hpp>

#include <string>

using sessiondx::bot::text::normalize_for_display;
using sessiondx::bot::text::normalize_for_display_in_place;

TEST_CASE("normalize: controls are removed, line breaks become \\n, spaces become ' '",
          "[normalize]") {
  CHECK(normalize_for_display(std::string("a\0b", 3)) == "ab");
  CHECK(normalize_for_display("esc\x1B[31m del\x7F") == "esc[31m del");
  CHECK(normalize_for_display("c1\xC2\x9B x") == "c1 x");
  CHECK(normalize_for_display("a\r\nb\rc\nd\ve\ff") == "a\nb\nc\nd\ne\nf");
  CHECK(normalize_for_display("nel\xC2\x85ls\u2028ps\u2029") == "nel\nls\nps\n");
  CHECK(normalize_for_display("tab\there") == "tab here");
  CHECK(normalize_for_display("nb\u00A0sp\u2009thin\u202Fnarrow\u3000ideo") ==
        "nb sp thin narrow ideo");
}

TEST_CASE("normalize: bidi controls and invisible format characters are removed", "[normalize]") {
  CHECK(normalize_for_display("evil\u202Egnp.exe") == "evilgnp.exe");
  CHECK(normalize_for_display("iso\u2066late\u2069 \u2067x\u2068") == "isolate x");
  CHECK(normalize_for_display("l\u200Er\u200Fa\u061C") == "lra");
  CHECK(normalize_for_display("ja\u200Bne\u200C@\u200Dex\u2060am\uFEFFple\u00AD.com") ==
        "jane@example.com");
  CHECK(normalize_for_display("4111\u034F1111\u180E1111\uFFF91111") == "4111111111111111");
  CHECK(normalize_for_display("a\U000E0041b\U000E0100c\uFE0Fd") == "abcd");
}

TEST_CASE("normalize: emoji sequences keep their joiners", "[normalize]") {
  const std::string technologist = "\U0001F469\u200D\U0001F4BB";
  CHECK(normalize_for_display(technologist) == technologist);
  const std::string heart = "\u2764\uFE0F";
  CHECK(normalize_for_display(heart) == heart);
  const std::string scotland =
      "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F";
  CHECK(normalize_for_display(scotland) == scotland);
  // After ASCII, the same characters are dropped, however many there are.
  CHECK(normalize_for_display("a\u200D\u200D\uFE0F@b") == "a@b");
}

TEST_CASE("normalize: invalid UTF-8 becomes U+FFFD per byte", "[normalize]") {
  CHECK(normalize_for_display("a\xFFz") == "a\uFFFDz");
  CHECK(normalize_for_display("\xC0\xAF") == "\uFFFD\uFFFD");
  CHECK(normalize_for_display("\xED\xA0\x80") == "\uFFFD\uFFFD\uFFFD");
  CHECK(normalize_for_display("\xE2\x82") == "\uFFFD\uFFFD");
  CHECK(normalize_for_display("ok \xC3\xA9 \U0001F600") == "ok \xC3\xA9 \U0001F600");
}

TEST_CASE("normalize: clean text is unchanged, and normalising twice changes nothing",
          "[normalize]") {
  std::string clean = "GET /api/orders/123 -> 500\nat f (app.js:1:2)";
  CHECK_FALSE(normalize_for_display_in_place(clean));
  std::string dirty = "x\u200By\r\n";
  CHECK(normalize_for_display_in_place(dirty));
  CHECK(dirty == "xy\n");
  const std::string inputs[] = {"\xFF\xC2", "a\u200D\u200Db", "\U0001F469\u200B\u200D",
                                "\r\r\n\n", "\xE2\x80",       std::string("\0\u202E\0", 5)};
  for (const std::string& in : inputs) {
    CAPTURE(in);
    const std::string once = normalize_for_display(in);
    CHECK(normalize_for_display(once) == once);
  }
}
