#include "connectors/slack/recent_ids.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::slack;
using namespace std::chrono_literals;

TEST_CASE("ids are duplicates within the TTL only") {
  recent_ids ids(10min);
  const recent_ids::clock::time_point t0{};
  CHECK_FALSE(ids.seen("a", t0));
  CHECK(ids.seen("a", t0 + 1s));
  CHECK(ids.seen("a", t0 + 9min));
  CHECK_FALSE(ids.seen("a", t0 + 10min));  // expired, remembered again
  CHECK_FALSE(ids.seen("", t0));
  CHECK_FALSE(ids.seen("", t0));
}

TEST_CASE("the set is bounded") {
  recent_ids ids(10min, 3);
  const recent_ids::clock::time_point t0{};
  for (const char* id : {"a", "b", "c", "d"}) CHECK_FALSE(ids.seen(id, t0));
  CHECK(ids.size() == 3);
  CHECK_FALSE(ids.seen("a", t0));  // the oldest was forgotten
}
