#include "connectors/slack/socket_mode_frames.hpp"

namespace sessiondx::slack {
namespace {

using json = nlohmann::json;

std::string string_at(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_at(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// Not j.value(key, false): it throws type_error when the field is not a boolean (found by
// fuzz_slack_frames); a malformed frame is read with the default, never an exception.
bool bool_at(const json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

/// The bot user id of this app, from the event envelope's authorizations.
std::string own_bot_user(const json& payload) {
  auto it = payload.find("authorizations");
  if (it == payload.end() || !it->is_array()) return {};
  for (const auto& a : *it) {
    if (bool_at(a, "is_bot")) return string_at(a, "user_id");
  }
  return {};
}

std::variant<incoming_command, ignored_envelope> from_slash_command(const json& p) {
  incoming_command c;
  c.origin = command_origin::slash_command;
  c.user = string_at(p, "user_id");
  c.channel = string_at(p, "channel_id");
  const std::string command = string_at(p, "command");
  if (command.empty() || c.channel.empty())
    return ignored_envelope{"slash command without command or channel_id"};
  c.text = command + " " + string_at(p, "text");
  c.response_url = string_at(p, "response_url");
  return c;
}

std::variant<incoming_command, ignored_envelope> from_event(const json& p) {
  if (string_at(p, "type") != "event_callback") return ignored_envelope{"not an event_callback"};
  const auto it = p.find("event");
  if (it == p.end() || !it->is_object()) return ignored_envelope{"event_callback without event"};
  const json& ev = *it;
  const std::string type = string_at(ev, "type");
  if (type != "app_mention" && type != "message") return ignored_envelope{"event type " + type};
  if (ev.contains("bot_id") || ev.contains("bot_profile"))
    return ignored_envelope{"message from a bot"};
  if (!string_at(ev, "subtype").empty())
    return ignored_envelope{"message subtype " + string_at(ev, "subtype")};
  incoming_command c;
  c.user = string_at(ev, "user");
  if (c.user.empty()) return ignored_envelope{"event without user"};
  if (c.user == own_bot_user(p)) return ignored_envelope{"our own message"};
  if (type == "message" && string_at(ev, "channel_type") != "im")
    return ignored_envelope{"message outside a direct conversation"};
  c.origin = type == "app_mention" ? command_origin::mention : command_origin::direct_message;
  c.channel = string_at(ev, "channel");
  if (c.channel.empty()) return ignored_envelope{"event without channel"};
  c.text = string_at(ev, "text");
  c.thread_ts = string_at(ev, "thread_ts");
  c.event_id = string_at(p, "event_id");
  return c;
}

std::variant<incoming_command, ignored_envelope> from_interaction(const json& p) {
  if (string_at(p, "type") != "block_actions")
    return ignored_envelope{"interaction " + string_at(p, "type")};
  const auto actions = p.find("actions");
  if (actions == p.end() || !actions->is_array() || actions->empty())
    return ignored_envelope{"block_actions without actions"};
  const json& action = actions->front();
  if (string_at(action, "action_id") != share_action_id)
    return ignored_envelope{"action " + string_at(action, "action_id")};
  const json value = json::parse(string_at(action, "value"), nullptr, false);
  if (!value.is_object()) return ignored_envelope{"share button with an unreadable value"};
  incoming_command c;
  c.origin = command_origin::share_button;
  c.user = string_at(p.value("user", json::object()), "id");
  c.channel = string_at(p.value("channel", json::object()), "id");
  if (c.channel.empty()) c.channel = string_at(p.value("container", json::object()), "channel_id");
  c.text = string_at(value, "text");
  c.thread_ts = string_at(value, "thread_ts");
  if (c.channel.empty() || c.text.empty())
    return ignored_envelope{"share button without channel or command"};
  return c;
}

}  // namespace

frame parse_frame(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return malformed_frame{"not JSON"};
  if (!j.is_object()) return malformed_frame{"not a JSON object"};
  const std::string type = string_at(j, "type");
  const std::string envelope_id = string_at(j, "envelope_id");
  if (!envelope_id.empty()) {
    envelope_frame e;
    e.envelope_id = envelope_id;
    e.type = type;
    if (auto it = j.find("payload"); it != j.end()) e.payload = *it;
    e.accepts_response_payload = bool_at(j, "accepts_response_payload");
    e.retry_attempt = static_cast<int>(int_at(j, "retry_attempt"));
    e.retry_reason = string_at(j, "retry_reason");
    return e;
  }
  if (type == "hello") {
    hello_frame h;
    h.num_connections = static_cast<int>(int_at(j, "num_connections"));
    h.approximate_connection_time_s =
        int_at(j.value("debug_info", json::object()), "approximate_connection_time");
    return h;
  }
  if (type == "disconnect") return disconnect_frame{string_at(j, "reason")};
  if (type.empty()) return malformed_frame{"no type and no envelope_id"};
  return unknown_frame{type};
}

std::string ack_frame(const std::string& envelope_id) {
  return json{{"envelope_id", envelope_id}}.dump();
}

std::variant<incoming_command, ignored_envelope> command_from_envelope(const envelope_frame& e) {
  if (!e.payload.is_object()) return ignored_envelope{"envelope without a payload object"};
  if (e.type == "slash_commands") return from_slash_command(e.payload);
  if (e.type == "events_api") return from_event(e.payload);
  if (e.type == "interactive") return from_interaction(e.payload);
  return ignored_envelope{"envelope type " + e.type};
}

std::string share_button_value(const incoming_command& c) {
  json v{{"text", c.text}};
  if (!c.thread_ts.empty()) v["thread_ts"] = c.thread_ts;
  return v.dump();
}

}  // namespace sessiondx::slack
