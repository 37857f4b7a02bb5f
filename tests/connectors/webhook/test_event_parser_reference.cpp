#include "connectors/webhook/event_parser.hpp"
// The DOM parser the streaming one replaced, as the reference of a differential check:
#include "fuzz/dom_event_parser.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using nlohmann::json;
using namespace sessiondx::webhook;

namespace {

// attrs/context/extra as JSON values: the DOM stored members sorted by name, the streaming
// parser stores them in the order sent.
json value_of(const std::string& text) { return text.empty() ? json() : json::parse(text); }

void same_result(std::string_view body, body_format format) {
  ingest_settings settings;
  settings.max_event_bytes = 600;
  settings.max_events_per_request = 8;
  const event_parser streaming{settings};
  const dom_reference::dom_event_parser dom{settings};
  const auto got = streaming.parse(body, format);
  const auto want = dom.parse(body, format);
  INFO("body: " << body);
  REQUIRE(got.index() == want.index());
  if (const auto* e = std::get_if<body_error>(&got)) {
    CHECK(e->message == std::get<body_error>(want).message);
    return;
  }
  const auto& a = std::get<parsed_batch>(got);
  const auto& b = std::get<parsed_batch>(want);
  CHECK(a.indexes == b.indexes);
  REQUIRE(a.rejected.size() == b.rejected.size());
  for (std::size_t i = 0; i < a.rejected.size(); ++i) {
    CHECK(a.rejected[i].index == b.rejected[i].index);
    CHECK(a.rejected[i].error == b.rejected[i].error);
  }
  REQUIRE(a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    CHECK(x.id == y.id);
    CHECK(x.session_id == y.session_id);
    CHECK(x.ts_ms == y.ts_ms);
    CHECK(x.type == y.type);
    CHECK(x.severity == y.severity);
    CHECK(x.page == y.page);
    CHECK(x.message == y.message);
    CHECK(x.issue_key == y.issue_key);
    CHECK(x.app_version == y.app_version);
    CHECK(value_of(x.attrs) == value_of(y.attrs));
    CHECK(value_of(x.context) == value_of(y.context));
    CHECK(value_of(x.extra) == value_of(y.extra));
  }
}

const std::string k_head = R"({"id":"e1","session_id":"abcd1234efgh5678","ts":1714557753123,)";

}  // namespace

TEST_CASE("event_parser: the streaming parser agrees with the DOM parser it replaced") {
  const std::vector<std::string> bodies = {
      k_head +
          R"j("type":"js_error","attrs":{"message":"x is undefined","stack":"at f (a.js:1:2)"}})j",
      // Members repeated: the last one counts, in attrs for the issue key too.
      k_head + R"("type":"http_request","attrs":{"status":200,"url":"/a","status":503}})",
      k_head + R"("type":"http_request","attrs":{"status":503},"attrs":null})",
      k_head + R"("type":"t","type":"page_view","id":"e2"})",
      // Secrets, scrubbing, nested objects and arrays, app_version exempt.
      k_head + R"("type":"t","attrs":{"token":"abc","headers":{"authorization":"Bearer x"},)"
               R"("list":[{"password":"p"},"mail a@b.example",[1,2.5,-0.0,1e5,true,null]]},)"
               R"("context":{"app_version":"2.14.0.1","region":"10.1.2.3","token":"t",)"
               R"("nested":{"token":"t"}},"note":{"who":"a@b.example"},"plain":"x@y.example"})",
      // Escapes and control characters, Unicode.
      k_head +
          R"("type":"t","message":"\u00e9\t\"q\"\\","attrs":{"s":"\u0001\u001f\/\b\f\n\r","k\"ey":"\ud83d\ude00"}})",
      // Type errors in the order of the checks.
      k_head + R"("type":5,"severity":"loud","page":1})",
      k_head + R"("type":"t","context":{"browser":120,"os":{}}})",
      k_head + R"("type":"t","context":{"app_version":{}}})",
      k_head + R"("type":"t","attrs":[1]})",
      k_head + R"("type":"t","id":{"a":[1,{"b":2}]}})",
      R"({"session_id":"abcd1234efgh5678"})",
      // Batches: non-objects, too large, out of range, nested arrays.
      "[" + k_head + R"("type":"a"},1,"x",null,[{}],)" + k_head + R"("type":"b","attrs":{"pad":")" +
          std::string(700, 'p') + R"("}},)" + k_head + R"("type":"c","attrs":{"t":{"d":1e400}}}])",
      "[]",
      "{}",
      "\"x\"",
      "[1,2",
      k_head + R"("type":"t"} x)",
      "[" + std::string(9, '{') + "]",
  };
  for (const auto& body : bodies) {
    same_result(body, body_format::json);
  }
  // NDJSON: lines that are not JSON, not objects, or JSON followed by garbage.
  same_result(k_head + R"("type":"a"})" + "\n\n[1]\n5\n" + k_head + R"("type":"b"} x)" + "\n{",
              body_format::ndjson);
  same_result("nope\n{", body_format::ndjson);
  same_result(k_head + R"("type":"a","attrs":{"n":1e999}})", body_format::ndjson);
}
