#include "connectors/discord/rate_limits.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::discord;
using namespace std::chrono_literals;
using clock_type = rate_limiter::clock;

TEST_CASE("429 bodies and headers are read, fractional seconds kept") {
  const auto info = parse_rate_limit(
      429, {{"retry-after", "65"}, {"x-ratelimit-scope", "user"}},
      R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})");
  CHECK(info.limited);
  CHECK_FALSE(info.global);
  REQUIRE(info.retry_after_s);
  CHECK(*info.retry_after_s == Approx(64.57));
  const auto global =
      parse_rate_limit(429, {{"X-RateLimit-Global", "true"}, {"Retry-After", "2"}}, "not json");
  CHECK(global.global);
  CHECK(*global.retry_after_s == Approx(2.0));
  const auto ok = parse_rate_limit(200,
                                   {{"X-RateLimit-Bucket", "abcd"},
                                    {"X-RateLimit-Remaining", "0"},
                                    {"X-RateLimit-Reset-After", "1.5"}},
                                   "{}");
  CHECK_FALSE(ok.limited);
  CHECK(ok.bucket == "abcd");
  CHECK(ok.remaining == 0);
  CHECK(*ok.reset_after_s == Approx(1.5));
}

TEST_CASE("an exhausted bucket holds its routes until the reset; others go") {
  rate_limiter r;
  const auto t0 = clock_type::time_point{} + 1h;
  CHECK(r.wait_before("PATCH /a", t0) == 0ms);
  r.update("PATCH /a",
           parse_rate_limit(200,
                            {{"X-RateLimit-Bucket", "b1"},
                             {"X-RateLimit-Remaining", "0"},
                             {"X-RateLimit-Reset-After", "0.25"}},
                            ""),
           t0);
  CHECK(r.wait_before("PATCH /a", t0) == 250ms);
  CHECK(r.wait_before("PATCH /a", t0 + 100ms) == 150ms);
  CHECK(r.wait_before("PATCH /a", t0 + 300ms) == 0ms);
  CHECK(r.wait_before("POST /b", t0) == 0ms);
  // A route learnt to share the bucket waits with it.
  r.update("POST /c", parse_rate_limit(200, {{"X-RateLimit-Bucket", "b1"}}, ""), t0);
  CHECK(r.wait_before("POST /c", t0) == 250ms);
}

TEST_CASE("429 holds the route for retry_after; a global one holds every route") {
  rate_limiter r;
  const auto t0 = clock_type::time_point{} + 1h;
  r.update("PATCH /a", parse_rate_limit(429, {}, R"({"retry_after":0.3,"global":false})"), t0);
  CHECK(r.wait_before("PATCH /a", t0) == 300ms);
  CHECK(r.wait_before("POST /b", t0) == 0ms);
  r.update("POST /b", parse_rate_limit(429, {}, R"({"retry_after":2,"global":true})"), t0);
  CHECK(r.wait_before("GET /x", t0 + 1s) == 1000ms);
}
