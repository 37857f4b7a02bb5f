// The attrs parser of the rules (bot/rules/attrs.cpp): its byte-scanning fast path must give
// exactly what nlohmann's parser gives, for the attrs events carry and for everything else (where
// it hands over to nlohmann's SAX parser). Checked against a DOM parse of the same text.
#include "bot/rules/engine.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

using sessiondx::bot::detail::attr_value;
using sessiondx::bot::detail::flat_attrs;
using sessiondx::bot::detail::lazy_attrs;

namespace {

/// What a DOM parse says the flat attributes are: empty unless the text is one JSON object.
void check_against_dom(const std::string& text) {
  INFO(text);
  const flat_attrs flat = flat_attrs::parse(text);
  const auto dom = nlohmann::json::parse(text, nullptr, false);
  if (text.empty() || dom.is_discarded() || !dom.is_object()) {
    CHECK(flat.empty());
    return;
  }
  CHECK(flat.empty() == dom.empty());
  for (const auto& [key, v] : dom.items()) {
    INFO(key);
    const attr_value* a = flat.find(key);
    REQUIRE(a != nullptr);
    if (v.is_string()) {
      CHECK(a->type == attr_value::kind::string);
      CHECK(a->text == v.get<std::string>());
    } else if (v.is_number()) {
      CHECK(a->type == attr_value::kind::number);
      CHECK(a->number == v.get<double>());
      CHECK(std::signbit(a->number) == std::signbit(v.get<double>()));
    } else if (v.is_boolean()) {
      CHECK(a->type == attr_value::kind::boolean);
      CHECK(a->boolean == v.get<bool>());
    } else if (v.is_null()) {
      CHECK(a->type == attr_value::kind::null);
    } else {
      CHECK(a->type == attr_value::kind::structured);
    }
  }
}

}  // namespace

TEST_CASE("attrs: the fast path reads what nlohmann reads", "[rules][attrs]") {
  const std::vector<std::string> texts{
      // As events carry them.
      R"({"method":"POST","route":"/api/checkout/confirm","status":503,"duration_ms":2100})",
      R"({"ttfb_ms":180,"fcp_ms":900,"lcp_ms":1700})",
      R"({"target":"button#pay","text":"Pay now"})",
      R"({"level":"error","component":"PaymentForm"})",
      R"j({"stack":"TypeError: x\n    at f (a.js:1:2)","source":"a.js","line":1,"col":20417})j",
      R"( { "a" : 1 , "b" : [1, {"c": [true, false, null]}], "d": {} , "e": [] } )",
      "{\"a\":\t1,\r\n\"b\":2}",
      R"({"x":1,"x":"two"})",  // the last one wins, as in a DOM
      R"({})",
      R"({"n":null,"t":true,"f":false})",
      // Numbers.
      R"({"a":-0,"b":0,"c":-0.0,"d":1E+2,"e":1e-2,"f":0.1,"g":-12.5e3})",
      R"({"big":12345678901234567890123,"i64":9223372036854775807,"u64":18446744073709551615})",
      R"({"tiny":1e-400})",
      R"({"huge":1e400})",
      // What the fast path hands over: escapes, non-ASCII, control characters.
      R"({"msg":"say \"hi\"","u":"\u00e9t\u00e9","s":"\ud83d\ude00"})",
      "{\"caf\xc3\xa9\":\"cr\xc3\xa8me\"}",
      "{\"bad\":\"\xff\"}",
      "{\"ctl\":\"a\x01\"}",
      R"({"nested":{"k\"ey":"v"}})",
      // Not attrs: malformed, or not an object.
      R"({"a":1,})",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":.5})",
      R"({"a":+1})",
      R"({"a":1e})",
      R"({"a":"x)",
      R"({"a":1} x)",
      R"({"a":1}{})",
      R"({"a" 1})",
      R"({a:1})",
      R"({"a":tru})",
      R"({"a":[1,]})",
      R"({"a":[1 2]})",
      R"({"a":{"b"}})",
      R"([1,2])",
      R"(42)",
      R"("s")",
      R"(null)",
      "{",
      "",
      " ",
  };
  for (const auto& text : texts) check_against_dom(text);
  // Deep nesting: past the fast path's depth, the SAX parser decides.
  std::string deep = R"({"d":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  check_against_dom(deep + "}");
}

TEST_CASE("attrs: parsed when first read, and the message key found without parsing",
          "[rules][attrs]") {
  const std::string text = R"({"message":"boom","status":500})";
  const lazy_attrs lazy(text);
  CHECK(lazy.may_hold("message"));
  CHECK(lazy.may_hold("status"));
  CHECK_FALSE(lazy.may_hold("mess"));  // a part of a key is not the key
  CHECK_FALSE(lazy.may_hold("route"));
  CHECK(lazy.find("status")->number == 500);
  CHECK(lazy.find("route") == nullptr);
  CHECK_FALSE(lazy.may_hold("route"));
  // A key written with escapes may be any key: parsed to tell.
  const std::string escaped = R"({"m\u0065ssage":"boom"})";
  CHECK(lazy_attrs(escaped).may_hold("message"));
  CHECK(lazy_attrs(escaped).find("message")->text == "boom");
  CHECK(lazy_attrs(std::string_view()).empty());
}
