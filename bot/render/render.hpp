#pragma once

// Renderers of a command reply: plain text (terminal), generic chat Markdown, and JSON with a
// stable schema (docs/reply-json.md). Pure functions; connectors pick one and split the result
// with split_for_limit when a platform needs several messages.

#include "bot/commands.hpp"
#include "bot/render/limits.hpp"
#include "bot/render/neutralize.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace sessiondx::bot::render {

struct render_options {
  /// The platform's message limit in characters (see text_length); 0 = unlimited. Longer
  /// output is cut on a line boundary with a note saying how much was left out.
  std::size_t max_chars = 0;
  /// Findings listed in the summary view before "N more findings".
  std::size_t summary_findings = 5;
  /// The example id in help and usage texts.
  std::string example_id = "abcd1234efgh5678";
  /// The render time (UTC epoch ms) for relative times in the customer line; 0 = unknown.
  std::int64_t now_ms = 0;
  /// The team's language (`bot.language`) for agent-facing text; the customer line falls back
  /// to it when the customer's locale has no catalog.
  std::string team_language = "en";
};

std::string render_text(const reply& r, const render_options& options = {});
std::string render_markdown(const reply& r, const render_options& options = {});

/// The JSON document of docs/reply-json.md. All strings are valid UTF-8; nothing is cut.
nlohmann::json to_json(const reply& r, const render_options& options = {});
/// to_json(r) serialised with two-space indentation and a final newline; `max_chars` is ignored
/// (JSON is for machines, which take it whole).
std::string render_json(const reply& r, const render_options& options = {});

}  // namespace sessiondx::bot::render
