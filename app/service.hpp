#pragma once

#include "app/settings.hpp"

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

/// Posts the demo sessions to the webhook at `url`, signed with the configured secret if any.
/// Returns a human-readable list of the demo session ids; throws on HTTP failures.
std::string post_demo_data(const std::string& url, const app_settings& settings);

}  // namespace sessiondx::app
