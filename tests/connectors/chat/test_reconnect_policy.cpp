#include "connectors/chat/reconnect_policy.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::chat;
using namespace std::chrono_literals;
using clock_type = reconnect_policy::clock;

TEST_CASE("reconnect delays double up to the cap (full jitter at its ceiling)") {
  reconnect_policy p({1000ms, 30'000ms, 60'000ms}, [] { return 1.0; });
  const clock_type::time_point t0{};
  CHECK(p.next_delay(t0) == 1000ms);
  CHECK(p.next_delay(t0) == 2000ms);
  CHECK(p.next_delay(t0) == 4000ms);
  CHECK(p.next_delay(t0) == 8000ms);
  CHECK(p.next_delay(t0) == 16000ms);
  CHECK(p.next_delay(t0) == 30000ms);
  for (int i = 0; i < 100; ++i) CHECK(p.next_delay(t0) == 30000ms);  // no overflow
  CHECK(p.failures() == 106);
}

TEST_CASE("full jitter scales the ceiling by the injected random number") {
  double r = 0.0;
  reconnect_policy p({1000ms, 30'000ms, 60'000ms}, [&] { return r; });
  CHECK(p.next_delay({}) == 0ms);
  r = 0.5;
  CHECK(p.next_delay({}) == 1000ms);  // ceiling 2000
  r = 0.25;
  CHECK(p.next_delay({}) == 1000ms);  // ceiling 4000
  r = 7.0;                            // out of range: clamped
  CHECK(p.next_delay({}) == 8000ms);
}

TEST_CASE("a stable connection resets the backoff; a short one does not") {
  reconnect_policy p({100ms, 10'000ms, 60'000ms}, [] { return 1.0; });
  const clock_type::time_point t0{};
  CHECK(p.next_delay(t0) == 100ms);
  CHECK(p.next_delay(t0) == 200ms);
  p.connected(t0);
  CHECK(p.next_delay(t0 + 10s) == 400ms);  // lasted 10 s: not stable
  p.connected(t0 + 20s);
  CHECK(p.next_delay(t0 + 20s + 60s) == 100ms);  // lasted 60 s: stable, start again
  CHECK(p.failures() == 1);
}

TEST_CASE("a failure without a connection in between is not reset by an old connection") {
  reconnect_policy p({100ms, 10'000ms, 1000ms}, [] { return 1.0; });
  const clock_type::time_point t0{};
  p.connected(t0);
  CHECK(p.next_delay(t0 + 5s) == 100ms);
  // The next attempt failed long after the last connection: that connection is already counted.
  CHECK(p.next_delay(t0 + 50s) == 200ms);
}
