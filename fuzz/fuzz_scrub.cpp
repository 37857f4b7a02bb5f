// The scrubber, through its public header only: any text. Checks: no crash; the in-place
// variant agrees with the copying one and reports whether it changed anything; scrubbing is
// idempotent (the stored text, scrubbed again, finds nothing); the ingest scrubber (display
// normalisation, then the rules) is idempotent too and reports its changes exactly.
#include "connectors/webhook/scrub.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace sessiondx::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const scrubber ingest;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string copy = scrub(text);
  std::string in_place = text;
  const bool changed = scrub_in_place(in_place);
  if (in_place != copy) std::abort();
  if (changed != (copy != text)) std::abort();
  if (scrub(copy) != copy) std::abort();

  std::string stored = text;
  const bool cleaned = ingest.clean(stored);
  if (cleaned != (stored != text)) std::abort();
  std::string again = stored;
  if (ingest.clean(again) || again != stored) std::abort();
  return 0;
}
