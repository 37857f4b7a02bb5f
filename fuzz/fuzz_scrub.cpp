// The scrubber, through its public header only: any text. Checks: no crash, the in-place
// variant agrees with the copying one and reports whether it changed anything.
#include "connectors/webhook/scrub.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace sessiondx::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string copy = scrub(text);
  std::string in_place = text;
  const bool changed = scrub_in_place(in_place);
  if (in_place != copy) std::abort();
  if (changed != (copy != text)) std::abort();
  return 0;
}
