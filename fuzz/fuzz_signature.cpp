// The signature verifier: secret, headers and body from the input (split at newlines). Checks:
// no crash; a signature made with sign() always verifies.
#include "connectors/webhook/signature.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace sessiondx::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[5];
  for (auto& part : parts) {
    const auto nl = in.find('\n');
    part = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  }
  // parts: secret, id, timestamp, signature header, body (the rest of the input).
  const std::string_view body = in.empty() ? parts[4] : in;
  constexpr std::int64_t now = 1'700'000'000;
  auto secret = webhook_secret::parse(parts[0]);
  if (!secret) secret = webhook_secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  (void)verify(*secret, parts[1], parts[2], parts[3], body, now);
  // Round trip over a timestamp that is in range: must be valid.
  const std::string ts = std::to_string(now);
  const std::string id = parts[1].empty() ? "msg" : std::string(parts[1]);
  const std::string header = std::string(parts[3]) + " " + sign(*secret, id, ts, body);
  if (verify(*secret, id, ts, header, body, now) != signature_status::valid) std::abort();
  return 0;
}
