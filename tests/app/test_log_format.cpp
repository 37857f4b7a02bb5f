#include "app/log_format.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

using namespace sessiondx;

TEST_CASE("log format json writes one JSON object per line, the message escaped", "[log]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", sink);
  app::apply_log_format(logger, *app::parse_log_format("json"));
  logger.error("store: \"events.db\": disk full\n\tline two \x01 caf\xc3\xa9");
  logger.info("second");
  logger.flush();

  std::istringstream lines(out.str());
  std::string line;
  REQUIRE(std::getline(lines, line));
  const auto first = nlohmann::json::parse(line);
  CHECK(first["level"] == "error");
  CHECK(first["msg"] == "store: \"events.db\": disk full\n\tline two \x01 caf\xc3\xa9");
  CHECK(first["ts"].get<std::string>().size() == 24);  // 2026-12-01T20:00:00.000Z
  REQUIRE(std::getline(lines, line));
  CHECK(nlohmann::json::parse(line)["msg"] == "second");
  CHECK_FALSE(std::getline(lines, line));
}

TEST_CASE("log formats: text and json only", "[log]") {
  CHECK(app::parse_log_format("text") == app::log_format::text);
  CHECK_FALSE(app::parse_log_format("JSON").has_value());
  CHECK_FALSE(app::parse_log_format("").has_value());
}
