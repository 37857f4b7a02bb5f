#include "bot/access_policy.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::bot;

namespace sessiondx::bot {

std::ostream& operator<<(std::ostream& os, const access_decision& d) {
  return os << "{verdict " << static_cast<int>(d.verdict) << ", retry_after_ms " << d.retry_after_ms
            << "}";
}

}  // namespace sessiondx::bot

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

}  // namespace

TEST_CASE("access: empty allow lists let everyone in, up to the rate", "[access]") {
  access_policy policy(access_rules{});
  for (int i = 0; i < 30; ++i) CHECK(policy.decide("U1", "C1", t0) == access_decision{});
  // The 31st lookup in the same instant waits for one token: 2 s at 30 per minute.
  CHECK(policy.decide("U1", "C1", t0) == access_decision{access_verdict::rate_limited, 2000});
  // Another user has a bucket of their own.
  CHECK(policy.decide("U2", "C1", t0) == access_decision{});
  // One token comes back after 2 s, not before.
  CHECK(policy.decide("U1", "C1", t0 + 1999).verdict == access_verdict::rate_limited);
  CHECK(policy.decide("U1", "C1", t0 + 2000) == access_decision{});
  CHECK(policy.decide("U1", "C1", t0 + 2000).verdict == access_verdict::rate_limited);
  // A quiet minute refills the bucket, to its capacity only.
  for (int i = 0; i < 30; ++i) CHECK(policy.decide("U1", "C1", t0 + 600'000) == access_decision{});
  CHECK(policy.decide("U1", "C1", t0 + 600'000).verdict == access_verdict::rate_limited);
}

TEST_CASE("access: allow lists of channels and users", "[access]") {
  access_policy policy(access_rules{{"C-support"}, {"U-alice", "U-bob"}, 30});
  CHECK(policy.decide("U-alice", "C-support", t0) == access_decision{});
  CHECK(policy.decide("U-alice", "C-random", t0).verdict == access_verdict::channel_not_allowed);
  CHECK(policy.decide("U-eve", "C-support", t0).verdict == access_verdict::user_not_allowed);
  // Refusals spend no token.
  access_policy strict(access_rules{{"C-support"}, {}, 1});
  CHECK(strict.decide("U-eve", "C-random", t0).verdict == access_verdict::channel_not_allowed);
  CHECK(strict.decide("U-eve", "C-support", t0) == access_decision{});
}

TEST_CASE("access: 0 lookups per minute means no limit", "[access]") {
  access_policy policy(access_rules{{}, {}, 0});
  for (int i = 0; i < 1000; ++i) REQUIRE(policy.decide("U1", "C1", t0) == access_decision{});
}

TEST_CASE("access: refusals are polite and say nothing about the session", "[access]") {
  CHECK(refusal_text({}).empty());
  const auto limited = refusal_text({access_verdict::rate_limited, 1500});
  CHECK(limited == "You have made many lookups in the last minute. Please try again in 2 seconds.");
  CHECK_THAT(refusal_text({access_verdict::user_not_allowed, 0}), Catch::Contains("Sorry"));
  CHECK_THAT(refusal_text({access_verdict::channel_not_allowed, 0}),
             Catch::Contains("not enabled in this channel"));
}

TEST_CASE("access: roles admit their members beside the listed users", "[access]") {
  access_rules rules;
  rules.allowed_users = {"U-alice"};
  rules.allowed_roles = {"R-support"};
  access_policy policy(rules);
  CHECK(policy.decide("U-alice", "C1", t0) == access_decision{});
  CHECK(policy.decide("U-carol", "C1", t0, {"R-sales", "R-support"}) == access_decision{});
  CHECK(policy.decide("U-eve", "C1", t0, {"R-sales"}).verdict == access_verdict::user_not_allowed);
  CHECK(policy.decide("U-eve", "C1", t0).verdict == access_verdict::user_not_allowed);
  // Roles alone restrict too.
  access_rules only_roles;
  only_roles.allowed_roles = {"R-support"};
  access_policy by_role(only_roles);
  CHECK(by_role.decide("U-alice", "C1", t0).verdict == access_verdict::user_not_allowed);
  CHECK(by_role.decide("U-alice", "C1", t0, {"R-support"}) == access_decision{});
}

TEST_CASE("access: admits checks the allow lists and spends nothing", "[access]") {
  access_policy policy(access_rules{{"C-support"}, {"U-alice"}, 1});
  CHECK(policy.admits("U-alice", "C-support") == access_decision{});
  CHECK(policy.admits("U-alice", "C-random").verdict == access_verdict::channel_not_allowed);
  CHECK(policy.admits("U-eve", "C-support").verdict == access_verdict::user_not_allowed);
  for (int i = 0; i < 5; ++i) CHECK(policy.admits("U-alice", "C-support") == access_decision{});
  // The one token per minute is still there for a lookup.
  CHECK(policy.decide("U-alice", "C-support", t0) == access_decision{});
  CHECK(policy.decide("U-alice", "C-support", t0).verdict == access_verdict::rate_limited);
}
