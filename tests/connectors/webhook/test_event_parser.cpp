#include "connectors/webhook/event_parser.hpp"
// The keys the parser is expected to fill:
#include "bot/issue_key.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

using nlohmann::json;
using namespace sessiondx::webhook;

namespace {

json valid_event(std::string id = "evt-1") {
  return json{{"id", std::move(id)},
              {"session_id", "abcd1234efgh5678"},
              {"ts", "2024-05-01T10:02:33.123Z"},
              {"type", "page_view"}};
}

parsed_batch ok(const event_parser& p, std::string_view body,
                body_format format = body_format::json) {
  auto result = p.parse(body, format);
  if (auto* err = std::get_if<body_error>(&result)) FAIL("unexpected body_error: " << err->message);
  return std::get<parsed_batch>(std::move(result));
}

std::string body_err(const event_parser& p, std::string_view body,
                     body_format format = body_format::json) {
  auto result = p.parse(body, format);
  if (auto* err = std::get_if<body_error>(&result)) return err->message;
  FAIL("expected a body_error");
  return "";
}

// The single rejection of a one-event body after `mutate` changed the valid event.
template <class F>
std::string rejection(F mutate) {
  event_parser p{ingest_settings{}};
  json ev = valid_event();
  mutate(ev);
  auto batch = ok(p, ev.dump());
  REQUIRE(batch.events.empty());
  REQUIRE(batch.rejected.size() == 1);
  CHECK(batch.rejected[0].index == 0);
  return batch.rejected[0].error;
}

std::int64_t ts_of(const json& ts) {
  event_parser p{ingest_settings{}};
  json ev = valid_event();
  ev["ts"] = ts;
  auto batch = ok(p, ev.dump());
  if (batch.events.size() != 1) FAIL("rejected: " << batch.rejected.at(0).error);
  return batch.events[0].ts_ms;
}

}  // namespace

TEST_CASE("event_parser: a single object") {
  event_parser p{ingest_settings{}};
  auto batch = ok(p, valid_event().dump());
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.indexes == std::vector<std::size_t>{0});
  CHECK(batch.rejected.empty());
  const auto& ev = batch.events[0];
  CHECK(ev.id == "evt-1");
  CHECK(ev.session_id == "abcd1234efgh5678");
  CHECK(ev.ts_ms == 1714557753123);
  CHECK(ev.type == "page_view");
  CHECK(ev.severity.empty());
  CHECK(ev.page.empty());
  CHECK(ev.message.empty());
  CHECK(ev.attrs.empty());
  CHECK(ev.context.empty());
  CHECK(ev.extra.empty());
  CHECK(ev.issue_key.empty());
  CHECK(ev.app_version.empty());
}

TEST_CASE("event_parser: an array, partial rejection with indexes and errors") {
  event_parser p{ingest_settings{}};
  json body = json::array();
  body.push_back(valid_event("a"));
  json bad_ts = valid_event("b");
  bad_ts["ts"] = "yesterday";
  body.push_back(bad_ts);
  body.push_back(valid_event("c"));
  json no_id = valid_event();
  no_id.erase("id");
  body.push_back(no_id);
  body.push_back(42);
  auto batch = ok(p, body.dump(2));
  REQUIRE(batch.events.size() == 2);
  CHECK(batch.events[0].id == "a");
  CHECK(batch.events[1].id == "c");
  CHECK(batch.indexes == std::vector<std::size_t>{0, 2});
  REQUIRE(batch.rejected.size() == 3);
  CHECK(batch.rejected[0].index == 1);
  CHECK(batch.rejected[0].error == "ts: not RFC 3339 or epoch milliseconds");
  CHECK(batch.rejected[1].index == 3);
  CHECK(batch.rejected[1].error == "id: missing");
  CHECK(batch.rejected[2].index == 4);
  CHECK(batch.rejected[2].error == "event: must be an object");
}

TEST_CASE("event_parser: empty array is an empty batch, empty body is a body error") {
  event_parser p{ingest_settings{}};
  auto batch = ok(p, " [ ] ");
  CHECK(batch.events.empty());
  CHECK(batch.rejected.empty());
  CHECK(body_err(p, "") == "body: empty");
  CHECK(body_err(p, " \n\t") == "body: empty");
  CHECK(body_err(p, "\n\n", body_format::ndjson) == "body: empty");
}

TEST_CASE("event_parser: bodies that are not JSON") {
  event_parser p{ingest_settings{}};
  CHECK(body_err(p, "{\"id\": ").starts_with("body: not valid JSON (parse error at line 1"));
  CHECK(body_err(p, "hello").starts_with("body: not valid JSON ("));
  CHECK(body_err(p, "[1, 2").starts_with("body: not valid JSON ("));
  CHECK(body_err(p, "\"just a string\"") == "body: expected an event object or an array of events");
  CHECK(body_err(p, "42") == "body: expected an event object or an array of events");
  // Invalid UTF-8: a clear message that is itself printable ASCII.
  std::string bad_utf8 = R"({"id":"x","message":")" + std::string("\xff\xfe") + R"("})";
  auto msg = body_err(p, bad_utf8);
  CHECK(msg.starts_with("body: not valid JSON ("));
  CHECK(msg.find("UTF-8") != std::string::npos);
  for (char c : msg) CHECK((c >= 0x20 && c < 0x7f));
}

TEST_CASE("event_parser: NDJSON counts events by non-empty line") {
  event_parser p{ingest_settings{}};
  std::string body = valid_event("a").dump() + "\n\n" + "{not json}\r\n" + valid_event("c").dump() +
                     "\n   \n" + "[]\n" + valid_event("e").dump();
  auto batch = ok(p, body, body_format::ndjson);
  REQUIRE(batch.events.size() == 3);
  CHECK(batch.events[2].id == "e");
  CHECK(batch.indexes == std::vector<std::size_t>{0, 2, 4});
  REQUIRE(batch.rejected.size() == 2);
  CHECK(batch.rejected[0].index == 1);
  CHECK(batch.rejected[0].error.starts_with("event: not valid JSON (parse error at line 1"));
  CHECK(batch.rejected[1].index == 3);
  CHECK(batch.rejected[1].error == "event: must be an object");

  CHECK(body_err(p, "nope\n{bad\n", body_format::ndjson)
            .starts_with("body: no line is valid JSON (first error: not valid JSON (parse error"));
  // Invalid UTF-8 on one line only rejects that line.
  std::string mixed = valid_event("a").dump() + "\n{\"id\":\"\xc3\x28\"}\n";
  auto mixed_batch = ok(p, mixed, body_format::ndjson);
  CHECK(mixed_batch.events.size() == 1);
  REQUIRE(mixed_batch.rejected.size() == 1);
  CHECK(mixed_batch.rejected[0].error.find("UTF-8") != std::string::npos);
}

TEST_CASE("event_parser: limits") {
  ingest_settings settings;
  settings.max_events_per_request = 2;
  settings.max_event_bytes = 300;
  event_parser p{settings};
  json three = json::array({valid_event("a"), valid_event("b"), valid_event("c")});
  CHECK(body_err(p, three.dump()) == "body: more than the limit of 2 events per request");
  CHECK(body_err(p, "{}\n{}\n{}", body_format::ndjson) ==
        "body: more than the limit of 2 events per request");

  json big = valid_event("big");
  big["message"] = std::string(400, 'x');
  json two = json::array({big, valid_event("small")});
  auto batch = ok(p, two.dump());
  REQUIRE(batch.rejected.size() == 1);
  CHECK(batch.rejected[0].index == 0);
  CHECK(batch.rejected[0].error == "event: larger than 300 bytes");
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].id == "small");

  auto single = ok(p, big.dump());
  REQUIRE(single.rejected.size() == 1);
  CHECK(single.rejected[0].error == "event: larger than 300 bytes");
  auto line = ok(p, big.dump() + "\n" + valid_event("x").dump(), body_format::ndjson);
  REQUIRE(line.rejected.size() == 1);
  CHECK(line.rejected[0].error == "event: larger than 300 bytes");
  CHECK(line.events.size() == 1);
}

TEST_CASE("event_parser: id validation") {
  CHECK(rejection([](json& e) { e.erase("id"); }) == "id: missing");
  CHECK(rejection([](json& e) { e["id"] = 7; }) == "id: must be a string");
  CHECK(rejection([](json& e) { e["id"] = ""; }) == "id: empty");
  CHECK(rejection([](json& e) { e["id"] = std::string(129, 'a'); }) == "id: longer than 128 bytes");
  CHECK(rejection([](json& e) { e["id"] = "a b"; }) ==
        "id: must be printable ASCII without spaces");
  CHECK(rejection([](json& e) { e["id"] = "caf\xc3\xa9"; }) ==
        "id: must be printable ASCII without spaces");
  event_parser p{ingest_settings{}};
  CHECK(ok(p, valid_event(std::string(128, 'a')).dump()).events.size() == 1);
}

TEST_CASE("event_parser: session_id validation") {
  CHECK(rejection([](json& e) { e.erase("session_id"); }) == "session_id: missing");
  CHECK(rejection([](json& e) { e["session_id"] = 12345678; }) == "session_id: must be a string");
  CHECK(rejection([](json& e) { e["session_id"] = "short"; }) ==
        "session_id: does not match ^[A-Za-z0-9_-]{8,64}$");
  CHECK(rejection([](json& e) { e["session_id"] = "abcd1234 efgh"; }) ==
        "session_id: does not match ^[A-Za-z0-9_-]{8,64}$");

  ingest_settings custom;
  custom.session_id_pattern = "^S-[0-9]{4}$";
  event_parser p{custom};
  json ev = valid_event();
  ev["session_id"] = "S-0042";
  CHECK(ok(p, ev.dump()).events.size() == 1);
  ev["session_id"] = "abcd1234efgh5678";
  auto batch = ok(p, ev.dump());
  REQUIRE(batch.rejected.size() == 1);
  CHECK(batch.rejected[0].error == "session_id: does not match ^S-[0-9]{4}$");
}

TEST_CASE("event_parser: an invalid session_id pattern throws naming it") {
  ingest_settings bad;
  bad.session_id_pattern = "^[a-z";
  try {
    event_parser p{bad};
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("^[a-z") != std::string::npos);
  }
}

TEST_CASE("event_parser: RFC 3339 timestamps") {
  CHECK(ts_of("2024-05-01T10:02:33Z") == 1714557753000);
  CHECK(ts_of("2024-05-01T10:02:33.1Z") == 1714557753100);
  CHECK(ts_of("2024-05-01T10:02:33.123Z") == 1714557753123);
  CHECK(ts_of("2024-05-01T10:02:33.123456Z") == 1714557753123);
  CHECK(ts_of("2024-05-01T10:02:33.999999999Z") == 1714557753999);
  CHECK(ts_of("2024-05-01T12:02:33.123+02:00") == 1714557753123);
  CHECK(ts_of("2024-05-01T05:32:33.123-04:30") == 1714557753123);
  CHECK(ts_of("2024-05-01t10:02:33z") == 1714557753000);
  CHECK(ts_of("2024-05-01 10:02:33Z") == 1714557753000);
  CHECK(ts_of("2000-01-01T00:00:00Z") == 946684800000);
  CHECK(ts_of("2024-02-29T00:00:00Z") == 1709164800000);
  CHECK(ts_of("2024-12-31T23:59:59.999Z") == 1735689599999);

  CHECK(parse_rfc3339_ms("1970-01-01T00:00:00Z") == 0);
  const char* invalid[] = {
      "2024-05-01T10:02:33",        // no time zone
      "2024-05-01",                 // no time
      "2024-13-01T00:00:00Z",       // month
      "2023-02-29T00:00:00Z",       // not a leap year
      "2024-04-31T00:00:00Z",       // day
      "2024-05-01T24:00:00Z",       // hour
      "2024-05-01T10:60:00Z",       // minute
      "2024-05-01T10:02:33.Z",      // empty fraction
      "2024-05-01T10:02:33+0200",   // offset without colon
      "2024-05-01T10:02:33+24:00",  // offset hours
      "2024-05-01T10:02:33Z ",      // trailing bytes
      "24-05-01T10:02:33Z",
      "2024/05/01T10:02:33Z",
      "",
  };
  for (const char* s : invalid) {
    CAPTURE(s);
    CHECK_FALSE(parse_rfc3339_ms(s).has_value());
    CHECK(rejection([&](json& e) { e["ts"] = s; }) == "ts: not RFC 3339 or epoch milliseconds");
  }
}

TEST_CASE("event_parser: epoch milliseconds and the seconds hint") {
  CHECK(ts_of(1714557753123) == 1714557753123);
  CHECK(ts_of(946684800000) == 946684800000);
  CHECK(rejection([](json& e) { e["ts"] = 1714557753; }) ==
        "ts: looks like seconds, not milliseconds (expected epoch milliseconds)");
  CHECK(rejection([](json& e) { e["ts"] = 12345; }) == "ts: before the year 2000");
  CHECK(rejection([](json& e) { e["ts"] = -5; }) == "ts: before the year 2000");
  CHECK(rejection([](json& e) { e["ts"] = "1999-12-31T23:59:59Z"; }) == "ts: before the year 2000");
  CHECK(rejection([](json& e) { e["ts"] = 1714557753123.5; }) ==
        "ts: not RFC 3339 or epoch milliseconds");
  CHECK(rejection([](json& e) { e["ts"] = true; }) == "ts: not RFC 3339 or epoch milliseconds");
  CHECK(rejection([](json& e) { e["ts"] = 18446744073709551615ULL; }) == "ts: after the year 9999");
  CHECK(rejection([](json& e) { e.erase("ts"); }) == "ts: missing");
}

TEST_CASE("event_parser: type, severity, page, message, attrs, context validation") {
  CHECK(rejection([](json& e) { e.erase("type"); }) == "type: missing");
  CHECK(rejection([](json& e) { e["type"] = ""; }) == "type: empty");
  CHECK(rejection([](json& e) { e["type"] = 3; }) == "type: must be a string");
  CHECK(rejection([](json& e) { e["type"] = std::string(65, 't'); }) ==
        "type: longer than 64 bytes");
  CHECK(rejection([](json& e) { e["severity"] = "fatal"; }) ==
        "severity: must be one of debug, info, warning, error, critical");
  CHECK(rejection([](json& e) { e["severity"] = 3; }) ==
        "severity: must be one of debug, info, warning, error, critical");
  CHECK(rejection([](json& e) { e["page"] = json::array(); }) == "page: must be a string");
  CHECK(rejection([](json& e) { e["message"] = 5; }) == "message: must be a string");
  CHECK(rejection([](json& e) { e["attrs"] = "x"; }) == "attrs: must be an object");
  CHECK(rejection([](json& e) { e["attrs"] = json::array(); }) == "attrs: must be an object");
  CHECK(rejection([](json& e) { e["context"] = 1; }) == "context: must be an object");
  CHECK(rejection([](json& e) {
          e["context"] = {{"browser", 120}};
        }) == "context.browser: must be a string");

  event_parser p{ingest_settings{}};
  for (const char* s : {"debug", "info", "warning", "error", "critical"}) {
    json ev = valid_event();
    ev["severity"] = s;
    auto batch = ok(p, ev.dump());
    REQUIRE(batch.events.size() == 1);
    CHECK(batch.events[0].severity == s);
  }
  // Optional fields given as null are absent; empty objects are kept as "{}".
  json ev = valid_event();
  ev["severity"] = nullptr;
  ev["message"] = nullptr;
  ev["attrs"] = json::object();
  ev["context"] = {{"screen", 1080}, {"browser", nullptr}};
  auto batch = ok(p, ev.dump());
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].severity.empty());
  CHECK(batch.events[0].attrs == "{}");
  CHECK(batch.events[0].context == R"({"browser":null,"screen":1080})");
}

TEST_CASE("event_parser: unknown types and extra fields are kept") {
  event_parser p{ingest_settings{}};
  json ev = valid_event();
  ev["type"] = "checkout_step";
  ev["attrs"] = {{"step", 3}, {"custom", {{"deep", true}}}};
  ev["release"] = "2024.05";
  ev["tags"] = json::array({"beta", "mail jane@example.com"});
  auto batch = ok(p, ev.dump());
  REQUIRE(batch.events.size() == 1);
  const auto& e = batch.events[0];
  CHECK(e.type == "checkout_step");
  CHECK(e.attrs == R"({"custom":{"deep":true},"step":3})");
  CHECK(e.extra == R"({"release":"2024.05","tags":["beta","mail [email]"]})");
  CHECK(e.issue_key.empty());
}

TEST_CASE("event_parser: scrubbing reaches every free-text value, not the identifiers") {
  event_parser p{ingest_settings{}};
  json ev = valid_event("id-jane@example.com");
  ev["type"] = "http_request";
  ev["page"] = "/reset?token=abc123&step=2";
  ev["message"] = "login failed for jane@example.com from 203.0.113.7";
  ev["attrs"] = {{"url", "https://shop.example/api/login?password=hunter2"},
                 {"status", 500},
                 {"headers", {{"authorization", "Bearer abcdef0123456789"}}},
                 {"cards", json::array({"4111 1111 1111 1111", {{"n", "ip 10.1.2.3"}}})}};
  ev["context"] = {
      {"browser", "Firefox 126"}, {"region", "client 2001:db8::1"}, {"app_version", "2.14.0.1"}};
  ev["note"] = {{"who", "bob@example.org"}};
  auto batch = ok(p, ev.dump());
  REQUIRE(batch.events.size() == 1);
  const auto& e = batch.events[0];
  CHECK(e.id == "id-jane@example.com");
  CHECK(e.page == "/reset?token=[secret]&step=2");
  CHECK(e.message == "login failed for [email] from [ip]");
  const json attrs = json::parse(e.attrs);
  CHECK(attrs["url"] == "https://shop.example/api/login?password=[secret]");
  CHECK(attrs["status"] == 500);
  CHECK(attrs["headers"]["authorization"] == "Bearer [secret]");
  CHECK(attrs["cards"][0] == "[card]");
  CHECK(attrs["cards"][1]["n"] == "ip [ip]");
  const json context = json::parse(e.context);
  CHECK(context["browser"] == "Firefox 126");
  CHECK(context["region"] == "client [ip]");
  CHECK(context["app_version"] == "2.14.0.1");
  CHECK(e.app_version == "2.14.0.1");
  CHECK(json::parse(e.extra)["note"]["who"] == "[email]");
  CHECK(e.issue_key == "route:GET /api/login");
}

TEST_CASE("event_parser: issue_key uses the best message available") {
  event_parser p{ingest_settings{}};
  json js = valid_event();
  js["type"] = "js_error";
  js["attrs"] = {{"message", "x is undefined"}, {"stack", "at f (app.js:1:2)"}};
  json ui = valid_event("ui");
  ui["type"] = "ui_message";
  ui["attrs"] = {{"level", "error"}, {"text", "Payment failed"}};
  json fp = valid_event("fp");
  fp["type"] = "js_error";
  fp["attrs"] = {{"fingerprint", "f00d"}};
  auto batch = ok(p, json::array({js, ui, fp}).dump());
  REQUIRE(batch.events.size() == 3);
  CHECK(batch.events[0].issue_key ==
        "js:" + sessiondx::bot::js_error_fingerprint("x is undefined", "at f (app.js:1:2)"));
  CHECK(batch.events[1].issue_key ==
        "ui:" + sessiondx::bot::js_error_fingerprint("Payment failed", ""));
  CHECK(batch.events[2].issue_key == "js:f00d");
}

TEST_CASE("event_parser: unicode and a very long message") {
  event_parser p{ingest_settings{}};
  json ev = valid_event();
  ev["message"] = "Zahlung fehlgeschlagen – 支付失败 🙁";
  ev["page"] = "/käse";
  auto batch = ok(p, ev.dump());
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].message == "Zahlung fehlgeschlagen – 支付失败 🙁");
  CHECK(batch.events[0].page == "/käse");

  // Escaped unicode decodes; a long message survives intact within the event size limit.
  batch = ok(p, R"({"id":"u","session_id":"abcd1234efgh5678","ts":1714557753123,"type":"t",)"
                R"("message":"caf\u00e9 \ud83d\ude00"})");
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].message == "café 😀");

  std::string long_message;
  for (int i = 0; i < 20000; ++i) long_message += "word ";
  ev["message"] = long_message;
  batch = ok(p, ev.dump());
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].message == long_message);
}

TEST_CASE("event_parser: deep nesting is refused before parsing") {
  event_parser p{ingest_settings{}};
  std::string deep =
      R"({"id":"d","session_id":"abcd1234efgh5678","ts":1714557753123,"type":"t","attrs":)";
  for (int i = 0; i < 100; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 100; ++i) deep += "}";
  deep += "}";
  CHECK(body_err(p, deep) == "body: nested deeper than 64 levels");
  CHECK(body_err(p, deep, body_format::ndjson) == "body: nested deeper than 64 levels");
  std::string brackets(100000, '[');
  CHECK(body_err(p, brackets) == "body: nested deeper than 64 levels");
  // Brackets inside strings do not count.
  json ev = valid_event();
  ev["message"] = std::string(200, '[');
  CHECK(ok(p, ev.dump()).events.size() == 1);
  // 60 levels are fine.
  json nested = 1;
  for (int i = 0; i < 60; ++i) nested = json{{"a", nested}};
  ev["attrs"] = nested;
  CHECK(ok(p, ev.dump()).events.size() == 1);
}

TEST_CASE("event_parser: escapes in strings do not confuse the structure scan") {
  ingest_settings settings;
  settings.max_event_bytes = 400;
  event_parser p{settings};
  json a = valid_event("a");
  a["message"] = "quote \" backslash \\ bracket [ { ] } end\\";
  json b = valid_event("b");
  b["message"] = std::string(300, '\n');  // 600 bytes once escaped
  json c = valid_event("c");
  c["attrs"] = {{"s", "\\\"\\\\"}};
  auto batch = ok(p, json::array({a, b, c}).dump());
  CHECK(batch.indexes == std::vector<std::size_t>{0, 2});
  REQUIRE(batch.rejected.size() == 1);
  CHECK(batch.rejected[0].index == 1);
  CHECK(batch.rejected[0].error == "event: larger than 400 bytes");
  REQUIRE(batch.events.size() == 2);
  CHECK(batch.events[0].message == "quote \" backslash \\ bracket [ { ] } end\\");

  // Many escapes stay linear (this would take minutes if quadratic).
  json big = valid_event("big");
  big["message"] = std::string(100000, '"');  // 200 KB escaped
  event_parser roomy{ingest_settings{}};
  CHECK(ok(roomy, big.dump()).events.size() == 1);
  CHECK(body_err(roomy, R"(["unterminated \")").starts_with("body: not valid JSON"));
}

TEST_CASE("event_parser: the element count is refused by the pre-scan, before any DOM") {
  ingest_settings settings;
  settings.max_events_per_request = 10;
  event_parser p{settings};
  // Not valid JSON past the limit: only a scan that stops at the count can answer "too many".
  std::string body = "[";
  for (int i = 0; i < 11; ++i) body += "{},";
  body += "{\"broken";
  CHECK(body_err(p, body) == "body: more than the limit of 10 events per request");
  // Exactly at the limit is fine (each event rejected on its own).
  std::string ten = "[{}";
  for (int i = 1; i < 10; ++i) ten += ",{}";
  ten += "]";
  CHECK(ok(p, ten).rejected.size() == 10);
}

TEST_CASE("event_parser: a number out of range rejects its event, naming the field") {
  event_parser p{ingest_settings{}};
  json good = valid_event("good");
  std::string bad = valid_event("bad").dump();
  bad.insert(bad.size() - 1, R"(,"attrs":{"timing":{"duration":1e400}})");

  SECTION("in an array: the other events are kept") {
    const std::string body = "[" + good.dump() + "," + bad + "," + valid_event("g2").dump() + "]";
    const auto batch = ok(p, body);
    REQUIRE(batch.events.size() == 2);
    CHECK(batch.events[0].id == "good");
    CHECK(batch.events[1].id == "g2");
    CHECK(batch.indexes == std::vector<std::size_t>{0, 2});
    REQUIRE(batch.rejected.size() == 1);
    CHECK(batch.rejected[0].index == 1);
    CHECK(batch.rejected[0].error == "attrs.timing.duration: number out of range");
  }
  SECTION("a single event") {
    const auto batch = ok(p, bad);
    CHECK(batch.events.empty());
    REQUIRE(batch.rejected.size() == 1);
    CHECK(batch.rejected[0].error == "attrs.timing.duration: number out of range");
  }
  SECTION("negative, huge integers, and ts itself") {
    std::string t = valid_event("t").dump();
    t.insert(t.size() - 1, R"(,"n":-2e308)");
    CHECK(ok(p, t).rejected.at(0).error == "n: number out of range");
    json ts = valid_event("ts");
    const std::string huge = "1" + std::string(400, '0');
    std::string ts_text = ts.dump();
    ts_text.replace(ts_text.find("\"2024-05-01T10:02:33.123Z\""), 26, huge);
    CHECK(ok(p, ts_text).rejected.at(0).error == "ts: number out of range");
  }
  SECTION("in NDJSON") {
    const auto batch = ok(p, good.dump() + "\n" + bad + "\n", body_format::ndjson);
    CHECK(batch.events.size() == 1);
    REQUIRE(batch.rejected.size() == 1);
    CHECK(batch.rejected[0].index == 1);
    CHECK(batch.rejected[0].error == "attrs.timing.duration: number out of range");
  }
  SECTION("small and tiny numbers are fine") {
    std::string t = valid_event("t").dump();
    t.insert(t.size() - 1, R"(,"attrs":{"a":1e300,"b":1e-400,"c":-0.5E+3})");
    CHECK(ok(p, t).events.size() == 1);
  }
  SECTION("in a string it is only text") {
    json t = valid_event("t");
    t["message"] = "1e400";
    CHECK(ok(p, t.dump()).events.size() == 1);
  }
}
