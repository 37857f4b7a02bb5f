// The chat command parser: any text. Checks: no crash, no exception.
#include "bot/commands.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sessiondx::bot::parse_command(text);
  return 0;
}
