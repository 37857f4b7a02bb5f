#include "connectors/webhook/gzip.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::webhook;

TEST_CASE("gzip round trip, including concatenated members", "[gzip]") {
  const std::string text = "{\"id\":\"e1\"}\n";
  auto result = gunzip(gzip(text), 1024);
  REQUIRE(result.status == gunzip_status::ok);
  CHECK(result.data == text);

  result = gunzip(gzip("first ") + gzip("second"), 1024);
  REQUIRE(result.status == gunzip_status::ok);
  CHECK(result.data == "first second");
}

TEST_CASE("gunzip stops at the output limit", "[gzip]") {
  const std::string big(1 << 20, 'x');
  const auto packed = gzip(big);
  CHECK(gunzip(packed, big.size()).status == gunzip_status::ok);
  const auto over = gunzip(packed, big.size() - 1);
  CHECK(over.status == gunzip_status::too_large);
  CHECK(over.data.empty());
}

TEST_CASE("corrupt and truncated input is reported", "[gzip]") {
  CHECK(gunzip("plain text", 1024).status == gunzip_status::corrupt);
  const auto packed = gzip(std::string(4096, 'y'));
  const auto truncated = gunzip(std::string_view(packed).substr(0, packed.size() / 2), 1 << 20);
  CHECK(truncated.status == gunzip_status::corrupt);
  CHECK_FALSE(truncated.error.empty());
}
