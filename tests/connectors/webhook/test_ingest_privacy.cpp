// What ingest stores is what every display shows, scrubbed: the scrubber, the extra patterns, the
// issue keys computed from scrubbed text, and a property test through the renderer.
#include "bot/render/neutralize.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "connectors/webhook/scrub.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using nlohmann::json;
using namespace sessiondx::webhook;
namespace render = sessiondx::bot::render;

namespace {

std::vector<sessiondx::store::event> parse_ok(const event_parser& parser, const json& body) {
  auto result = parser.parse(body.dump(), body_format::json);
  REQUIRE(std::holds_alternative<parsed_batch>(result));
  auto batch = std::get<parsed_batch>(std::move(result));
  REQUIRE(batch.rejected.empty());
  return std::move(batch.events);
}

json event(std::string id, std::string type, json attrs, std::string message = "") {
  json e{{"id", std::move(id)},
         {"session_id", "abcd1234efgh5678"},
         {"ts", "2024-05-01T10:02:33.123Z"},
         {"type", std::move(type)},
         {"attrs", std::move(attrs)}};
  if (!message.empty()) e["message"] = std::move(message);
  return e;
}

// What a person reads in a rendered field: without the zero-width spaces the renderer adds
// against mentions and without Markdown's backslash escapes.
std::string as_read(std::string_view rendered, render::target t) {
  const bool markdown = t == render::target::markdown;
  std::string out;
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    if (rendered.substr(i, 3) == "\u200B") {
      i += 2;
      continue;
    }
    if (markdown && rendered[i] == '\\' && i + 1 < rendered.size()) {
      out += rendered[++i];
      continue;
    }
    out += rendered[i];
  }
  return out;
}

}  // namespace

TEST_CASE("scrubber: separators a display drops cannot hide personal data") {
  const scrubber s;
  CHECK(s.cleaned(std::string("jane\0.doe@exa\0mple.com", 22)) == "[email]");
  CHECK(s.cleaned("jane\u200B@\u2060example.com") == "[email]");
  CHECK(s.cleaned("ja\u202Ene@example.com") == "[email]");
  CHECK(s.cleaned("4111\u00AD1111\u200C1111\uFEFF1111") == "[card]");
  CHECK(s.cleaned("4111\u00A01111\u00A01111\u00A01111") == "[card]");
  CHECK(s.cleaned("4111\r\n1111\r\n1111\r\n1111") == "[card]");
  CHECK(s.cleaned("+33\u20096\u200912\u200934\u200956\u200978") == "[phone]");
  CHECK(s.cleaned("06\u200B12\u200B34\u200B56\u200B78") == "[phone]");
  CHECK(s.cleaned("10.\x01"
                  "1.2.3") == "[ip]");
  CHECK(s.cleaned("Bearer\u00A0abc123456789") == "Bearer [secret]");
  // The scrubbed text keeps its line structure (stack traces) and its other characters.
  CHECK(s.cleaned("Error: x\n    at f (app.js:1:2)\r\n    at g") ==
        "Error: x\n    at f (app.js:1:2)\n    at g");
  CHECK(s.cleaned("Überweisung für jane@example.com \U0001F469\u200D\U0001F4BB") ==
        "Überweisung für [email] \U0001F469\u200D\U0001F4BB");
  std::string clean = "GET /api/orders/123 -> 500";
  CHECK_FALSE(s.clean(clean));
}

TEST_CASE("scrubber: extra patterns replace site-specific identifiers") {
  const scrubber whole({{"/api/contacts/[a-z]+-[a-z]+"}});
  CHECK(whole.cleaned("PUT /api/contacts/jean-dupont failed") == "PUT [redacted] failed");
  const scrubber groups({{"/api/contacts/([^/?#\\s]+)", "customer ([A-Z][a-z]+ [A-Z][a-z]+)"}});
  CHECK(groups.cleaned("PUT /api/contacts/jean-dupont/notes?x=1") ==
        "PUT /api/contacts/[redacted]/notes?x=1");
  CHECK(groups.cleaned("customer Jean Dupont and customer Anna Nowak") ==
        "customer [redacted] and customer [redacted]");
  CHECK(groups.cleaned("/api/orders/42") == "/api/orders/42");
  // The built-in rules still apply after the extra patterns.
  CHECK(groups.cleaned("/api/contacts/x mail jane@example.com") ==
        "/api/contacts/[redacted] mail [email]");
  // An empty match replaces nothing and does not loop.
  CHECK(scrubber({{"x*"}}).cleaned("abc") == "abc");
  CHECK_THROWS_AS(scrubber({{"([a-z"}}), std::invalid_argument);
  CHECK_THROWS_WITH(scrubber({{"ok", "(["}}), Catch::Contains("\"([\""));
  CHECK_THROWS_AS(scrubber({{""}}), std::invalid_argument);
}

TEST_CASE("ingest: issue keys and messages come from the scrubbed text") {
  ingest_settings settings;
  settings.privacy.extra_patterns = {"/api/contacts/([a-z]+-[a-z]+)"};
  const event_parser parser(settings);
  const json body = json::array(
      {event("e1", "http_request",
             {{"method", "PUT"},
              {"url", "https://crm.example/api/contacts/jean-dupont"},
              {"status", 500}}),
       event("e2", "http_request",
             {{"method", "PUT"},
              {"url", "https://crm.example/api/contacts/anna-nowak"},
              {"status", 500}}),
       event("e3", "ui_message", {{"level", "error"}},
             "Impossible d'envoyer le code SMS au +33 6 12 34 56 78"),
       event("e4", "ui_message", {{"level", "error"}},
             "Impossible d'envoyer le code SMS au +33 7 98 76 54 32"),
       event("e5", "js_error", {{"stack", "Error: for jane@example.com\n    at pay (app.js:1:2)"}},
             "Error: for jane@example.com"),
       event("e6", "js_error", {{"stack", "Error: for joe@example.org\n    at pay (app.js:1:2)"}},
             "Error: for joe@example.org")});
  const auto events = parse_ok(parser, body);
  REQUIRE(events.size() == 6);
  CHECK(events[0].issue_key == "route:PUT /api/contacts/[redacted]");
  CHECK(events[1].issue_key == events[0].issue_key);
  CHECK(events[0].attrs.find("jean") == std::string::npos);
  CHECK(events[2].message == "Impossible d'envoyer le code SMS au [phone]");
  CHECK(events[3].issue_key == events[2].issue_key);
  CHECK(events[4].message == "Error: for [email]");
  CHECK(events[4].attrs.find("jane") == std::string::npos);
  CHECK(events[5].issue_key == events[4].issue_key);
  // Without the pattern the contacts split the problem per person.
  const auto plain = parse_ok(event_parser(ingest_settings{}), body);
  CHECK(plain[0].issue_key != plain[1].issue_key);
}

TEST_CASE("ingest: secret-named members are replaced whole, control characters removed") {
  const event_parser parser{ingest_settings{}};
  const json body =
      event("e1", "http_request",
            {{"method", "GET"},
             {"url", "/x"},
             {"headers",
              {{"Authorization", "Negotiate abc"}, {"cookie", "a=b"}, {"accept", "text/html"}}},
             {"accessToken", "plain-text-value"},
             {"password", "correct horse battery"},
             {"retries", 2},
             {"note", std::string("ja\0ne@exam\u200Bple.com", 21)}});
  const auto events = parse_ok(parser, body);
  const json attrs = json::parse(events[0].attrs);
  CHECK(attrs["headers"]["Authorization"] == "Negotiate [secret]");
  CHECK(attrs["headers"]["cookie"] == "[secret]");
  CHECK(attrs["headers"]["accept"] == "text/html");
  CHECK(attrs["accessToken"] == "[secret]");
  CHECK(attrs["password"] == "[secret]");
  CHECK(attrs["retries"] == 2);
  CHECK(attrs["note"] == "[email]");
}

TEST_CASE("property: the rendered stored text never shows what the scrubber replaces") {
  // Personal data, the characters displays drop or map (controls, bidi, invisible format
  // characters, odd spaces and line breaks, NUL) and ordinary filler, mixed at random.
  static const std::vector<std::string> data = {"jane.doe@example.com",
                                                "4111111111111111",
                                                "4111 1111 1111 1111",
                                                "+33 6 12 34 56 78",
                                                "06.12.34.56.78",
                                                "020-123 4567",
                                                "10.1.2.3",
                                                "2001:db8::1",
                                                "DE89370400440532013000",
                                                "FR76 3000 6000 0112 3456 7890 189",
                                                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
                                                "token=abc123",
                                                "Bearer abc12345678",
                                                "Cookie: a=1",
                                                "Authorization: Basic dXNlcjpwYXNzd29yZA==",
                                                "jwt=eyJx",
                                                "cc:4111111111111111",
                                                "%40example.com",
                                                "%2B33612345678"};
  static const std::vector<std::string> hiders = {std::string(1, '\0'),
                                                  "\x01",
                                                  "\x1B",
                                                  "\x7F",
                                                  "\xC2\x85",
                                                  "\xC2\x9B",
                                                  "\u200B",
                                                  "\u200C",
                                                  "\u200D",
                                                  "\u2060",
                                                  "\uFEFF",
                                                  "\u00AD",
                                                  "\u202E",
                                                  "\u2066",
                                                  "\u2069",
                                                  "\u200E",
                                                  "\u061C",
                                                  "\r\n",
                                                  "\n",
                                                  "\t",
                                                  "\u00A0",
                                                  "\u2009",
                                                  "\u2028",
                                                  "\uFE0F",
                                                  "\U000E0041",
                                                  "\r",
                                                  "\v"};
  static const std::vector<std::string> filler = {
      " ", "-", ".",          ":",          "@",        "=",      "&",
      "?", "/", "+",          "(",          ")",        "0",      "1",
      "4", "6", "a",          "e",          "x",        "B",      "Z",
      "[", "]", "*",          "_",          "`",        "\\",     "#",
      "%", "é", "\U0001F600", "2024-05-01", "10:02:33", "v1.2.3", "abcd1234efgh5678"};
  const scrubber scrub_at_ingest;
  std::uint32_t state = 20261201;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    const auto parts = 1 + next() % 6;
    for (std::uint32_t p = 0; p < parts; ++p) {
      switch (next() % 3) {
        case 0: {
          // A piece of personal data with hiders inside it.
          std::string piece = data[next() % data.size()];
          const auto hidden = next() % 4;
          for (std::uint32_t h = 0; h < hidden; ++h) {
            const auto at = next() % (piece.size() + 1);
            piece.insert(at, hiders[next() % hiders.size()]);
          }
          input += piece;
          break;
        }
        case 1:
          input += hiders[next() % hiders.size()];
          break;
        default:
          input += filler[next() % filler.size()];
          break;
      }
    }
    const std::string stored = scrub_at_ingest.cleaned(input);
    for (auto t : {render::target::text, render::target::markdown}) {
      const std::string read = as_read(render::neutralize(stored, t, 0), t);
      CAPTURE(input, stored, read);
      CHECK(scrub(read) == read);
    }
    // Scrubbing is idempotent on what was stored.
    CHECK(scrub_at_ingest.cleaned(stored) == stored);
  }
}
