#pragma once

#include "app/settings.hpp"

namespace sessiondx::app {

/// Runs the webhook receiver until SIGINT or SIGTERM, then shuts down cleanly. Returns the
/// process exit code (0 after a clean shutdown). Throws on start-up failures (bind, database).
int serve(const app_settings& settings);

}  // namespace sessiondx::app
