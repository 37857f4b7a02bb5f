#include "bot/render/markdown.hpp"

#include <catch2/catch.hpp>

namespace render = sessiondx::bot::render;

TEST_CASE("markdown_of: bold runs, code spans, plain tokens, the marker") {
  render::rich r;
  r.marker().text(" Checkout ", true).code("js:x", true).text(" then ").token("sess-42");
  CHECK(render::markdown_of(r) == ":warning:** Checkout `js:x`** then `sess-42`");
  const render::markdown_dialect slack{.strong = "*", .marker = ":rotating_light:"};
  CHECK(render::markdown_of(r, slack) == ":rotating_light:* Checkout `js:x`* then `sess-42`");
}

TEST_CASE("markdown_of: customer data is neutralised unless the dialect escapes it itself") {
  render::rich r;
  r.data("@everyone *hi*", 0);
  const std::string md = render::markdown_of(r);
  CHECK(md.find("@everyone") == std::string::npos);  // the mention is broken
  CHECK(md.find("*hi*") == std::string::npos);       // the markup is escaped
  const render::markdown_dialect upper{
      .data = [](std::string_view s, std::size_t) { return "<" + std::string(s) + ">"; }};
  CHECK(render::markdown_of(r, upper) == "<@everyone *hi*>");
  const render::labeled l{render::rich().text("Next:", true), render::rich().text("retry")};
  CHECK(render::markdown_of(l) == "**Next:** retry");
}
