#include "connectors/chat/errc.hpp"
#include "connectors/chat/url.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::chat;

TEST_CASE("wss and https URLs parse with default ports") {
  boost::system::error_code ec;
  auto e = parse_endpoint("wss://wss-primary.slack.com/link/?ticket=abc&app_id=A1", false, ec);
  REQUIRE_FALSE(ec);
  CHECK(e.tls);
  CHECK(e.websocket);
  CHECK(e.host == "wss-primary.slack.com");
  CHECK(e.port == "443");
  CHECK(e.target == "/link/?ticket=abc&app_id=A1");
  CHECK(e.host_header() == "wss-primary.slack.com");

  e = parse_endpoint("https://slack.com/api/chat.postMessage", false, ec);
  REQUIRE_FALSE(ec);
  CHECK_FALSE(e.websocket);
  CHECK(e.target == "/api/chat.postMessage");
  CHECK(e.origin() == "https://slack.com:443");
}

TEST_CASE("plain ws and http are refused unless allowed") {
  boost::system::error_code ec;
  parse_endpoint("ws://127.0.0.1:9000/link", false, ec);
  CHECK(ec == errc::plaintext_refused);
  parse_endpoint("http://127.0.0.1:9000/api/", false, ec);
  CHECK(ec == errc::plaintext_refused);
  auto e = parse_endpoint("http://127.0.0.1:9000/api/x", true, ec);
  REQUIRE_FALSE(ec);
  CHECK_FALSE(e.tls);
  CHECK(e.port == "9000");
  CHECK(e.host_header() == "127.0.0.1:9000");
  CHECK(ec.message().empty() == false);
}

TEST_CASE("other URLs are bad URLs") {
  boost::system::error_code ec;
  for (const char* url : {"ftp://example.com/", "not a url", "https://", "/relative/path", ""}) {
    parse_endpoint(url, true, ec);
    CHECK(ec == errc::bad_url);
  }
  auto e = parse_endpoint("https://[::1]:8443/x", true, ec);
  REQUIRE_FALSE(ec);
  CHECK(e.host == "::1");
  CHECK(e.host_header() == "[::1]:8443");
}

TEST_CASE("join_url adds one slash") {
  CHECK(join_url("https://slack.com/api/", "chat.postMessage") ==
        "https://slack.com/api/chat.postMessage");
  CHECK(join_url("http://127.0.0.1:1/api", "apps.connections.open") ==
        "http://127.0.0.1:1/api/apps.connections.open");
}
