#pragma once

// Discord payloads, pure: the application commands to register, interactions read from
// INTERACTION_CREATE, and replies as embeds within Discord's limits. No I/O.

#include "bot/commands.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace sessiondx::discord {

/// Discord's documented embed limits (message resource, "Embed Limits"), in characters.
struct embed_limits {
  std::size_t title = 256;
  std::size_t description = 4096;
  std::size_t fields = 25;
  std::size_t field_name = 256;
  std::size_t field_value = 1024;
  std::size_t footer = 2048;
  std::size_t total = 6000;  ///< across every embed of one message
  std::size_t embeds = 10;   ///< per message
  /// Messages one reply may take (the original response and follow-ups); what does not fit is
  /// cut as whole items, with a note.
  std::size_t messages = 5;
};

/// The body of a bulk overwrite (PUT /applications/{id}/commands): /session with a required
/// `id` string and a `view` choice, and /help.
nlohmann::json command_definitions();

enum class interaction_kind { command, share_button };

/// One INTERACTION_CREATE worth answering.
struct interaction {
  interaction_kind kind = interaction_kind::command;
  std::string id, token, application_id;
  std::string channel_id, guild_id, user_id;
  std::vector<std::string> role_ids;  ///< member.roles (in a guild), for the access allow lists
  std::string text;                   ///< for bot::parse_command: "/session abc full", "/help"
  bool direct_message = false;
};
struct ignored_interaction {
  std::string reason;
};

/// Reads an INTERACTION_CREATE `d`. Application commands named session or help, and our
/// "Share in channel" button; everything else is ignored (with the reason, for the log).
std::variant<interaction, ignored_interaction> parse_interaction(const nlohmann::json& d);

/// custom_id of the Share button for this command ("share:<id>:<view>"), "" when it would not
/// fit in Discord's 100 characters.
std::string share_custom_id(const bot::reply& r);

struct embed_options {
  embed_limits limits;
  std::string example_id = "abcd1234efgh5678";
  std::size_t summary_findings = 5;
  std::int64_t now_ms = 0;           ///< the render time (relative times in the customer line)
  std::string team_language = "en";  ///< bot.language
};

/// A reply as message bodies (content, embeds, allowed_mentions {parse: []}); the first goes
/// into the original response, the others into follow-ups. Emitted from the reply document
/// (bot/render/reply.hpp): the title and verdict colour, the headline and findings in the
/// description, the customer line, next step and escalation (a code block) as fields, each
/// finding of the full view as a field, the timeline in its own embed, facts and context in the
/// footer. Every limit of `o.limits` holds; what does not fit is cut as whole items (lines,
/// fields, evidence lines, escalation items) with a note, never inside one.
std::vector<nlohmann::json> render_embeds(const bot::reply& r, const embed_options& o = {});

/// Adds flag 64 (only the caller sees it).
void make_ephemeral(nlohmann::json& message);
/// Appends an action row with the "Share in channel" button.
void add_share_button(nlohmann::json& message, const std::string& custom_id);

/// The deferred response (callback type 5), ephemeral or not.
nlohmann::json deferred_response(bool ephemeral);

/// Characters of one message's embeds as Discord counts them toward `total`.
std::size_t embed_chars(const nlohmann::json& message);

}  // namespace sessiondx::discord
