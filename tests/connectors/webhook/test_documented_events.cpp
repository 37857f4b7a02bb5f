#include "connectors/webhook/event_parser.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

// The examples in docs/events.md are what senders copy: the real parser must accept every one.
// Same selection rule as tests/docs/validate_examples.py: every ```json / ```ndjson block unless
// the line before it is <!-- not-an-event -->.

using namespace sessiondx::webhook;

namespace {

struct example {
  std::size_t line = 0;
  body_format format = body_format::json;
  std::string text;
};

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<example> documented_examples() {
  std::ifstream in(std::string(SESSIONDX_SOURCE_DIR) + "/docs/events.md");
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  std::vector<example> out;
  std::string previous;  // last non-blank line before the current one
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string t = trimmed(lines[i]);
    if (t == "```json" || t == "```ndjson") {
      example ex;
      ex.line = i + 1;
      ex.format = t == "```json" ? body_format::json : body_format::ndjson;
      std::size_t j = i + 1;
      for (; j < lines.size() && trimmed(lines[j]) != "```"; ++j) ex.text += lines[j] + "\n";
      if (previous != "<!-- not-an-event -->") out.push_back(std::move(ex));
      i = j;
      previous = "```";
      continue;
    }
    if (t.starts_with("```")) {
      // Another fenced block (sh, js, ...): skip its content.
      std::size_t j = i + 1;
      while (j < lines.size() && trimmed(lines[j]) != "```") ++j;
      i = j;
      previous = "```";
      continue;
    }
    if (!t.empty()) previous = t;
  }
  return out;
}

}  // namespace

TEST_CASE("docs: every documented event is accepted by the parser") {
  const auto examples = documented_examples();
  REQUIRE(examples.size() >= 14);
  event_parser parser{ingest_settings{}};
  std::size_t events = 0;
  for (const auto& ex : examples) {
    CAPTURE(ex.line, ex.text);
    auto result = parser.parse(ex.text, ex.format);
    if (auto* err = std::get_if<body_error>(&result)) FAIL(err->message);
    const auto& batch = std::get<parsed_batch>(result);
    for (const auto& r : batch.rejected) {
      CAPTURE(r.index);
      FAIL_CHECK(r.error);
    }
    CHECK(batch.rejected.empty());
    CHECK_FALSE(batch.events.empty());
    events += batch.events.size();
  }
  CHECK(events >= 17);
}

TEST_CASE("docs: the documented problem events get issue keys") {
  event_parser parser{ingest_settings{}};
  std::size_t keyed = 0;
  for (const auto& ex : documented_examples()) {
    auto result = parser.parse(ex.text, ex.format);
    REQUIRE(std::holds_alternative<parsed_batch>(result));
    for (const auto& ev : std::get<parsed_batch>(result).events) {
      CAPTURE(ev.id, ev.type);
      if (ev.type == "js_error" || ev.type == "resource_error" || ev.type == "backend_error" ||
          ev.type == "ui_message") {
        CHECK_FALSE(ev.issue_key.empty());
        ++keyed;
      }
      if (ev.id == "evt_01HXA9Q6P3T4") CHECK(ev.issue_key == "route:POST /api/payments");
      if (ev.id == "evt_01HXA9Q6P3T5") CHECK(ev.issue_key == "route:GET /api/orders/:id");
      if (ev.id == "evt_01HXA9Q6P3TH") CHECK(ev.issue_key.empty());  // a 200
    }
  }
  CHECK(keyed == 4);
}
