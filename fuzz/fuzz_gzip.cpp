// The bounded gzip reader: any bytes. Checks: no crash, never more than the limit, and data it
// compresses itself comes back unchanged.
#include "connectors/webhook/gzip.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace sessiondx::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t limit = 1 << 20;
  const auto result = gunzip(in, limit);
  if (result.data.size() > limit) std::abort();
  if (result.status != gunzip_status::ok && !result.data.empty()) std::abort();
  const auto round = gunzip(gzip(in), limit);
  if (size <= limit && (round.status != gunzip_status::ok || round.data != in)) std::abort();
  return 0;
}
