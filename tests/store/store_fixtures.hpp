#pragma once

// Small builders shared by the store tests.

#include "store/event.hpp"
#include "store/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <string>
#include <vector>

namespace sessiondx::test {

inline store::event make_event(std::string session_id, std::string id, std::int64_t ts_ms,
                               std::string type = "page_view") {
  store::event e;
  e.session_id = std::move(session_id);
  e.id = std::move(id);
  e.ts_ms = ts_ms;
  e.type = std::move(type);
  return e;
}

/// Settings for a store in `dir` that never prunes by itself unless a test asks for it.
inline store::store_settings test_settings(const temp_dir& dir) {
  store::store_settings settings;
  settings.path = dir / "events.db";
  settings.retention_days = 0;
  settings.read_connections = 2;
  settings.cache_kib = 4096;
  return settings;
}

}  // namespace sessiondx::test
