#pragma once

// How the service's log lines look: human-readable (the default) or JSON lines
// (`--log-format json`), one object per line with ts, level and msg, the message escaped.

#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>

namespace sessiondx::app {

enum class log_format { text, json };

/// "text" or "json"; nullopt for anything else.
std::optional<log_format> parse_log_format(const std::string& name);

/// Sets the pattern of `logger` (UTC timestamps with milliseconds in both formats).
void apply_log_format(spdlog::logger& logger, log_format format);

}  // namespace sessiondx::app
