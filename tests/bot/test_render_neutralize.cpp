#include "bot/render/neutralize.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace sessiondx::bot::render;

namespace {
const std::string zw = "\u200B";
}

TEST_CASE("neutralize: control characters, line breaks and bidi overrides", "[neutralize]") {
  for (auto t : {target::text, target::markdown}) {
    CHECK(neutralize("a\nb\r\nc\td", t) == "a b c d");  // CR LF is one line break
    CHECK(neutralize(std::string("nul\0x", 5), t) == "nulx");
    CHECK(neutralize("esc\x1B[31mred", t).find('\x1B') == std::string::npos);
    CHECK(neutralize("del\x7F", t) == "del");
    CHECK(neutralize("c1\xC2\x85\xC2\x9B", t) == "c1 ");
    CHECK(neutralize("line\u2028sep", t) == "line sep");
    CHECK(neutralize("evil\u202Egnp.exe", t) == "evilgnp.exe");
    CHECK(neutralize("iso\u2066late\u2069", t) == "isolate");
  }
}

TEST_CASE("neutralize: invalid UTF-8 becomes U+FFFD", "[neutralize]") {
  CHECK(valid_utf8("ok \xC3\xA9") == "ok \xC3\xA9");
  CHECK(valid_utf8("\xC3\x28") == "\uFFFD(");
  CHECK(valid_utf8("\xFF") == "\uFFFD");
  CHECK(valid_utf8("\xC0\xAF") == "\uFFFD\uFFFD");                      // overlong '/'
  CHECK(valid_utf8("\xED\xA0\x80") == "\uFFFD\uFFFD\uFFFD");            // surrogate
  CHECK(valid_utf8("\xF4\x90\x80\x80") == "\uFFFD\uFFFD\uFFFD\uFFFD");  // > U+10FFFF
  CHECK(valid_utf8("\xE2\x82") == "\uFFFD\uFFFD");                      // truncated
  CHECK(valid_utf8("\xF0\x9F\x98\x80") == "\U0001F600");
  CHECK(neutralize("a\xFFz", target::text) == "a\uFFFDz");
}

TEST_CASE("neutralize: mass mentions are broken in every target", "[neutralize]") {
  for (auto t : {target::text, target::markdown}) {
    for (std::string_view m : {"@everyone", "@here", "@channel", "@all", "@EVERYONE"}) {
      auto out = neutralize(std::string("hi ") + std::string(m), t);
      INFO(out);
      CHECK(out.find(m) == std::string::npos);
      CHECK(out.find("@" + zw) != std::string::npos);
    }
    for (std::string_view m : {"<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C1|x>"}) {
      auto out = neutralize(m, t);
      INFO(out);
      CHECK(out.find(m.substr(0, 2)) == std::string::npos);
    }
  }
  // Plain text keeps ordinary addresses and handles as they are.
  CHECK(neutralize("mail ops@example.com or @alice", target::text) ==
        "mail ops@example.com or @alice");
}

TEST_CASE("neutralize: Markdown metacharacters are escaped", "[neutralize]") {
  CHECK(neutralize("**bold** [link](http://x)", target::markdown) ==
        "\\*\\*bold\\*\\* \\[link\\]\\(http://x\\)");
  CHECK(neutralize("`code` ```block```", target::markdown) == "\\`code\\` \\`\\`\\`block\\`\\`\\`");
  CHECK(neutralize("a_b ~c~ ||s|| #h > q \\", target::markdown) ==
        "a\\_b \\~c\\~ \\|\\|s\\|\\| \\#h \\> q \\\\");
  CHECK(neutralize("<script>", target::markdown) == "\\<script\\>");
  CHECK(neutralize("- item", target::markdown) == "\\- item");
  CHECK(neutralize("+ item", target::markdown) == "\\+ item");
  CHECK(neutralize("12. item", target::markdown) == "12\\. item");
  CHECK(neutralize("3) item", target::markdown) == "3\\) item");
  CHECK(neutralize("502 from 1.2.3.4", target::markdown) == "502 from 1.2.3.4");
  CHECK(neutralize("a-b + c", target::markdown) == "a-b + c");
  CHECK(neutralize("3.4.1", target::markdown) == "3.4.1");
  CHECK(neutralize("-5 ms", target::markdown) == "-5 ms");
  CHECK(neutralize("-", target::markdown) == "\\-");
  // Every @mention, not only mass mentions, and not e-mail addresses.
  CHECK(neutralize("@alice", target::markdown) == "@" + zw + "alice");
  CHECK(neutralize("ops@example.com", target::markdown) == "ops@example.com");
  // Plain text leaves Markdown alone.
  CHECK(neutralize("**bold** [l](x)", target::text) == "**bold** [l](x)");
}

TEST_CASE("neutralize: overlong fields are cut with an ellipsis", "[neutralize]") {
  std::string long_text(1000, 'x');
  auto out = neutralize(long_text, target::text);
  CHECK(out == std::string(299, 'x') + "\u2026");
  CHECK(neutralize(long_text, target::text, 0) == long_text);
  // Cut by characters, never inside a UTF-8 sequence; escapes are added after the cut.
  std::string accents;
  for (int i = 0; i < 20; ++i) accents += "\u00E9";
  CHECK(neutralize(accents, target::text, 10) == std::string("\u00E9\u00E9\u00E9\u00E9\u00E9"
                                                             "\u00E9\u00E9\u00E9\u00E9\u2026"));
  CHECK(neutralize(std::string(20, '*'), target::markdown, 5) == "\\*\\*\\*\\*\u2026");
}

TEST_CASE("is_plain_token", "[neutralize]") {
  CHECK(is_plain_token("abcd1234efgh5678"));
  CHECK(is_plain_token("web_vital.lcp"));
  CHECK_FALSE(is_plain_token(""));
  CHECK_FALSE(is_plain_token("a`b"));
  CHECK_FALSE(is_plain_token("route:POST /api"));
}
