#include "connectors/webhook/signature.hpp"

#include <catch2/catch.hpp>

using namespace sessiondx::webhook;

namespace {
// The Standard Webhooks specification's own example (spec/standard-webhooks.md).
constexpr const char* spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* spec_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr const char* spec_ts = "1614265330";
constexpr const char* spec_body = R"({"test": 2432232314})";
constexpr const char* spec_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
}  // namespace

TEST_CASE("signing reproduces the Standard Webhooks example", "[signature]") {
  const auto secret = webhook_secret::parse(spec_secret);
  REQUIRE(secret);
  CHECK(sign(*secret, spec_id, spec_ts, spec_body) == spec_signature);
}

TEST_CASE("secrets must be base64 of a real key", "[signature]") {
  CHECK_FALSE(webhook_secret::parse("whsec_"));
  CHECK_FALSE(webhook_secret::parse("whsec_not base64!"));
  CHECK_FALSE(webhook_secret::parse("whsec_c2hvcnQ="));              // "short": under 16 bytes
  CHECK(webhook_secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // prefix optional
}

TEST_CASE("verification", "[signature]") {
  const auto secret = *webhook_secret::parse(spec_secret);
  const std::int64_t now = 1614265330;
  const auto check_at = [&](std::string_view sigs, std::int64_t at) {
    return verify(secret, spec_id, spec_ts, sigs, spec_body, at);
  };
  const auto check = [&](std::string_view sigs) { return check_at(sigs, now); };
  CHECK(check(spec_signature) == signature_status::valid);
  CHECK(check(std::string("v1,bm90IGl0 ") + spec_signature) == signature_status::valid);
  CHECK(check("v1a,whatever v2,x") == signature_status::no_matching_signature);
  // One bit of the MAC flipped (the first character; the last one carries padding bits).
  CHECK(check("v1,h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") ==
        signature_status::no_matching_signature);
  CHECK(check_at(spec_signature, now + 301) == signature_status::timestamp_too_old);
  CHECK(check_at(spec_signature, now - 301) == signature_status::timestamp_too_new);
  CHECK(check_at(spec_signature, now + 300) == signature_status::valid);
  CHECK(verify(secret, spec_id, "16142x", spec_signature, spec_body, now) ==
        signature_status::bad_timestamp);
  CHECK(verify(secret, "", spec_ts, spec_signature, spec_body, now) ==
        signature_status::missing_headers);
  CHECK(verify(secret, spec_id, spec_ts, spec_signature, R"({"test": 2432232315})", now) ==
        signature_status::no_matching_signature);
}
