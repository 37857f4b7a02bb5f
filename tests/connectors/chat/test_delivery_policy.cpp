#include "connectors/chat/delivery_policy.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::chat;
using namespace std::chrono_literals;
using step = delivery_decision::step;

TEST_CASE("Retry-After holds delta-seconds") {
  CHECK(parse_retry_after("30") == 30s);
  CHECK(parse_retry_after(" 1 ") == 1s);
  CHECK(parse_retry_after("0") == 0s);
  CHECK_FALSE(parse_retry_after(""));
  CHECK_FALSE(parse_retry_after("-1"));
  CHECK_FALSE(parse_retry_after("1.5"));
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK(parse_retry_after("99999999") == 86400s);
}

TEST_CASE("a 429 is retried after Retry-After, without limit, and pauses the API") {
  delivery_settings s;
  for (int attempt : {1, 5, 50}) {
    const auto d = decide_delivery({429, 7s, attempt}, s);
    CHECK(d.next == step::retry);
    CHECK(d.delay == 7000ms);
    CHECK(d.rate_limited);
  }
  const auto no_header = decide_delivery({429, std::nullopt, 1}, s);
  CHECK(no_header.delay == 1000ms);
}

TEST_CASE("answers other than 429 and 5xx are final") {
  delivery_settings s;
  CHECK(decide_delivery({200, std::nullopt, 1}, s).next == step::done);
  CHECK(decide_delivery({400, std::nullopt, 1}, s).next == step::done);
  CHECK(decide_delivery({404, std::nullopt, 3}, s).next == step::done);
}

TEST_CASE("network failures and 5xx back off, then give up") {
  delivery_settings s;
  s.max_attempts = 4;
  s.retry_delay = 100ms;
  s.max_retry_delay = 250ms;
  CHECK(decide_delivery({0, std::nullopt, 1}, s).delay == 100ms);
  CHECK(decide_delivery({503, std::nullopt, 2}, s).delay == 200ms);
  CHECK(decide_delivery({0, std::nullopt, 3}, s).delay == 250ms);
  CHECK(decide_delivery({503, std::nullopt, 4}, s).next == step::give_up);
  CHECK_FALSE(decide_delivery({0, std::nullopt, 1}, s).rate_limited);
}
