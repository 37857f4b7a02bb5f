#include "bot/session_id.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using sessiondx::bot::clean_session_id;
using sessiondx::bot::session_id_format;

namespace {
std::string id_of(std::string_view text) {
  auto r = clean_session_id(text);
  INFO("error: " << r.error);
  REQUIRE(r.id);
  return *r.id;
}
}  // namespace

TEST_CASE("clean_session_id strips what a paste drags along", "[session_id]") {
  CHECK(id_of("abcd1234efgh5678") == "abcd1234efgh5678");
  CHECK(id_of("  abcd1234efgh5678\t\n") == "abcd1234efgh5678");
  CHECK(id_of("`abcd1234efgh5678`") == "abcd1234efgh5678");
  CHECK(id_of("```abcd1234efgh5678```") == "abcd1234efgh5678");
  CHECK(id_of("'abcd1234efgh5678'") == "abcd1234efgh5678");
  CHECK(id_of("\"abcd1234efgh5678\"") == "abcd1234efgh5678");
  CHECK(id_of("\u2018abcd1234efgh5678\u2019") == "abcd1234efgh5678");
  CHECK(id_of("\u201Cabcd1234efgh5678\u201D") == "abcd1234efgh5678");
  CHECK(id_of("<abcd1234efgh5678>") == "abcd1234efgh5678");
  CHECK(id_of("abcd1234efgh5678.") == "abcd1234efgh5678");
  CHECK(id_of("abcd1234efgh5678,") == "abcd1234efgh5678");
  CHECK(id_of("(\u201Cabcd1234efgh5678\u201D).") == "abcd1234efgh5678");
  CHECK(id_of("\u00A0\u200Babcd1234efgh5678\uFEFF") == "abcd1234efgh5678");
  CHECK(id_of("Ab-_9876zz") == "Ab-_9876zz");
}

TEST_CASE("clean_session_id keeps the case and inner characters", "[session_id]") {
  CHECK(id_of("ABCD1234efgh") == "ABCD1234efgh");
  CHECK_FALSE(clean_session_id("abcd 1234efgh").id);
  CHECK_FALSE(clean_session_id("abcd.1234efgh").id);
}

TEST_CASE("clean_session_id rejects what is not an id, saying what an id looks like",
          "[session_id]") {
  for (const std::string& bad :
       std::vector<std::string>{"abc", "'; DROP TABLE sessions; --", "abcd1234efgh\u00E9",
                                std::string("sess\0ion12", 10), std::string(65, 'a'),
                                "../../etc/passwd", "abcd%201234"}) {
    auto r = clean_session_id(bad);
    INFO(bad);
    CHECK_FALSE(r.id);
    CHECK(r.error.find("is not a session id") != std::string::npos);
    CHECK(r.error.find("8\u201364 letters, digits, '-' or '_'") != std::string::npos);
    CHECK(r.error.find("website footer") != std::string::npos);
  }
  CHECK(clean_session_id("abc").error ==
        "\u201Cabc\u201D is not a session id. A session id is 8\u201364 letters, digits, '-' or "
        "'_' (e.g. abcd1234efgh5678); the customer finds it in the website footer.");
}

TEST_CASE("clean_session_id on empty input and on wrappers only", "[session_id]") {
  for (std::string_view empty : {"", "   ", "``", "\u201C\u201D", "<>", "."}) {
    auto r = clean_session_id(empty);
    CHECK_FALSE(r.id);
    CHECK(r.error.starts_with("No session id given."));
  }
}

TEST_CASE("clean_session_id shortens very long input in the message", "[session_id]") {
  std::string long_text(100'000, 'x');
  auto r = clean_session_id(long_text);
  REQUIRE_FALSE(r.id);
  CHECK(r.error.size() < 300);
  // A multi-byte character at the cut is not split.
  auto u = clean_session_id(std::string(39, 'a') + "\u00E9\u00E9\u00E9");
  REQUIRE_FALSE(u.id);
  CHECK(u.error.find("a\u2026") != std::string::npos);
}

TEST_CASE("session_id_format takes a custom pattern", "[session_id]") {
  session_id_format uuid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                         "a lowercase UUID", "0b6d8f4e-2c1a-4f7e-9b3d-5a6c7e8f9a0b");
  CHECK(uuid.matches("0b6d8f4e-2c1a-4f7e-9b3d-5a6c7e8f9a0b"));
  CHECK_FALSE(uuid.matches("abcd1234efgh5678"));
  auto r = clean_session_id("\u201C0b6d8f4e-2c1a-4f7e-9b3d-5a6c7e8f9a0b\u201D.", uuid);
  REQUIRE(r.id);
  auto bad = clean_session_id("abcd1234efgh5678", uuid);
  CHECK(bad.error.find("A session id is a lowercase UUID (e.g. 0b6d8f4e-") != std::string::npos);
  CHECK_THROWS_AS(session_id_format("([", "", ""), std::invalid_argument);
  CHECK_FALSE(session_id_format().matches(std::string(10'000, 'a')));
}

TEST_CASE("clean_session_id keeps confusable ASCII as typed, for the store to suggest",
          "[session_id]") {
  // O for 0 and l for 1: a valid id as typed; the store's similar_sessions finds the real one.
  CHECK(id_of("K7QX2MOAlb5S8BZz") == "K7QX2MOAlb5S8BZz");
  CHECK(id_of("`K7QX2M0A1b5S8BZz`.") == "K7QX2M0A1b5S8BZz");
}

TEST_CASE("clean_session_id maps look-alike letters of other scripts and full width",
          "[session_id]") {
  // Cyrillic К, М, А and Greek Ο typed for Latin K, M, A, O.
  CHECK(id_of("\u041A7QX2\u041C0\u0410") == "K7QX2M0A");
  CHECK(id_of("abcd\u039F234efgh") == "abcdO234efgh");
  // Full-width digits and letters (an East Asian input method).
  CHECK(id_of("\uFF41\uFF42\uFF43\uFF44\uFF11\uFF12\uFF13\uFF14") == "abcd1234");
  CHECK(id_of("abcd\u2010efgh") == "abcd-efgh");
  // Other non-ASCII letters still make the id invalid, with the usual message.
  auto r = clean_session_id("abcd1234efgh\u00E9");
  CHECK_FALSE(r.id);
  CHECK(r.error.find("is not a session id") != std::string::npos);
  // A pattern that accepts the letters as they are keeps them.
  session_id_format any("^.{4,}$", "anything", "abcd");
  CHECK(clean_session_id("\u041A\u041C\u0410\u041E", any).id ==
        std::optional<std::string>("\u041A\u041C\u0410\u041E"));
}
