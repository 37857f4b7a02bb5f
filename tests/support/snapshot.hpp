#pragma once

// Snapshot comparison for emitter tests: `actual` against a reviewed file. To accept a
// deliberate change, run with SESSIONDX_UPDATE_SNAPSHOTS=1, review the diff and commit it.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace sessiondx::test {

inline void check_snapshot_file(const std::filesystem::path& path, const std::string& actual) {
  const char* update = std::getenv("SESSIONDX_UPDATE_SNAPSHOTS");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("snapshot written: " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("missing snapshot " << path << " (run with SESSIONDX_UPDATE_SNAPSHOTS=1)");
  std::stringstream expected;
  expected << in.rdbuf();
  INFO("snapshot " << path);
  CHECK(actual == expected.str());
}

}  // namespace sessiondx::test
