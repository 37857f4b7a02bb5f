#pragma once

#include "app/settings.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace sessiondx::app {

struct serve_options {
  /// Run the shell connector beside the receiver (no chat platform configured).
  bool shell = false;
  /// The shell talks to a person: banner, prompt, and /quit or end of input stops the service.
  /// Otherwise it answers commands from standard input and keeps serving after its end.
  bool interactive = false;
};

/// Runs the webhook receiver (and the shell, if asked) until SIGINT or SIGTERM, then shuts down
/// cleanly. Returns the process exit code (0 after a clean shutdown). Throws on start-up failures.
int serve(const app_settings& settings, const serve_options& options);

enum class output_format { text, markdown, json };

/// `sessiondx diagnose`: prints the diagnosis of `session_text` from the store. Returns 0 when the
/// session is found, 3 when it is unknown, 2 when the id is malformed.
int diagnose(const app_settings& settings, const std::string& session_text, output_format format,
             const std::string& view);

/// `sessiondx digest`: prints the digest of the last `window_ms`. Returns 0 (1: no store).
int digest(const app_settings& settings, std::int64_t window_ms, output_format format);

/// `sessiondx audit`: prints the lookups of a session or by a user (one of them may be empty) in
/// the last `window_ms`, newest first. Returns 0, or 3 when there is none.
int audit(const app_settings& settings, const std::string& session_id, const std::string& user,
          std::int64_t window_ms);

/// Posts the demo sessions to the webhook at `url`, signed with the configured secret if any.
/// Returns a human-readable list of the demo session ids; throws on HTTP failures.
std::string post_demo_data(const std::string& url, const app_settings& settings);

}  // namespace sessiondx::app
