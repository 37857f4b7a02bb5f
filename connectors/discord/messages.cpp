#include "connectors/discord/messages.hpp"

#include "bot/render/reply.hpp"

namespace sessiondx::discord {

using json = nlohmann::json;

namespace {

constexpr int ephemeral_flag = 64;

std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  return j[key].get<std::string>();
}

}  // namespace

json command_definitions() {
  json views = json::array();
  for (const char* v : {"summary", "timeline", "full"})
    views.push_back({{"name", v}, {"value", v}});
  return json::array(
      {{{"name", "session"},
        {"type", 1},
        {"description", "Diagnose a customer's session"},
        {"options", json::array({{{"type", 3},
                                  {"name", "id"},
                                  {"description", "The session id the customer gave you"},
                                  {"required", true}},
                                 {{"type", 3},
                                  {"name", "view"},
                                  {"description", "How much to show (default: summary)"},
                                  {"required", false},
                                  {"choices", views}}})}},
       {{"name", "digest"},
        {"type", 1},
        {"description", "For leads: recurring and new problems, what support looked up"},
        {"options",
         json::array({{{"type", 3},
                       {"name", "window"},
                       {"description", "The window (default: 24h)"},
                       {"required", false},
                       {"choices", json::array({{{"name", "24h"}, {"value", "24h"}},
                                                {{"name", "7d"}, {"value", "7d"}}})}}})}},
       {{"name", "top"},
        {"type", 1},
        {"description", "The top problems right now, each with an example session"},
        {"options",
         json::array({{{"type", 3},
                       {"name", "window"},
                       {"description", "The window (default: 1h)"},
                       {"required", false},
                       {"choices", json::array({{{"name", "1h"}, {"value", "1h"}},
                                                {{"name", "24h"}, {"value", "24h"}}})}}})}},
       {{"name", "help"}, {"type", 1}, {"description", "How to use sessiondx"}}});
}

std::variant<interaction, ignored_interaction> parse_interaction(const json& d) {
  if (!d.is_object()) return ignored_interaction{"not an object"};
  interaction out;
  out.id = str(d, "id");
  out.token = str(d, "token");
  out.application_id = str(d, "application_id");
  out.channel_id = str(d, "channel_id");
  if (out.channel_id.empty() && d.contains("channel")) out.channel_id = str(d["channel"], "id");
  out.guild_id = str(d, "guild_id");
  if (d.contains("member") && d["member"].is_object() && d["member"].contains("user"))
    out.user_id = str(d["member"]["user"], "id");
  if (d.contains("member") && d["member"].is_object() && d["member"].contains("roles") &&
      d["member"]["roles"].is_array())
    for (const auto& role : d["member"]["roles"])
      if (role.is_string()) out.role_ids.push_back(role.get<std::string>());
  if (out.user_id.empty() && d.contains("user")) out.user_id = str(d["user"], "id");
  out.direct_message = out.guild_id.empty();
  if (out.id.empty() || out.token.empty()) return ignored_interaction{"no id or token"};
  if (out.channel_id.empty()) return ignored_interaction{"no channel"};

  const int type = d.contains("type") && d["type"].is_number_integer() ? d["type"].get<int>() : 0;
  const json empty = json::object();
  const json& data = d.contains("data") && d["data"].is_object() ? d["data"] : empty;
  if (type == 2) {  // APPLICATION_COMMAND
    const std::string name = str(data, "name");
    if (name == "help") {
      out.text = "/help";
      return out;
    }
    if (name == "digest" || name == "top") {
      // The leads' commands take one optional window; bot/commands parses and checks it.
      out.text = "/" + name;
      if (data.contains("options") && data["options"].is_array())
        for (const auto& o : data["options"])
          if (str(o, "name") == "window") out.text += " " + str(o, "value");
      return out;
    }
    if (name != "session") return ignored_interaction{"unknown command /" + name};
    std::string id, view;
    if (data.contains("options") && data["options"].is_array())
      for (const auto& o : data["options"]) {
        if (str(o, "name") == "id") id = str(o, "value");
        if (str(o, "name") == "view") view = str(o, "value");
      }
    out.text = "/session " + id;
    if (!view.empty()) out.text += " " + view;
    return out;
  }
  if (type == 3) {  // MESSAGE_COMPONENT
    const std::string custom = str(data, "custom_id");
    if (custom.rfind("share:", 0) != 0) return ignored_interaction{"unknown component " + custom};
    const std::string rest = custom.substr(6);
    const auto colon = rest.rfind(':');
    out.kind = interaction_kind::share_button;
    out.text =
        "/session " +
        (colon == std::string::npos ? rest : rest.substr(0, colon) + " " + rest.substr(colon + 1));
    return out;
  }
  return ignored_interaction{"interaction type " + std::to_string(type)};
}

std::string share_custom_id(const bot::reply& r) {
  const auto* d = std::get_if<bot::diagnosis_reply>(&r);
  if (d == nullptr) return {};
  std::string id = "share:" + d->diagnosis.session_id + ":" + std::string(bot::to_string(d->view));
  return id.size() <= 100 ? id : std::string();
}

void make_ephemeral(json& message) { message["flags"] = ephemeral_flag; }

void add_share_button(json& message, const std::string& custom_id) {
  message["components"] = json::array(
      {{{"type", 1},
        {"components", json::array({{{"type", 2},
                                     {"style", 2},
                                     {"label", std::string(bot::render::share_in_channel_label)},
                                     {"custom_id", custom_id}}})}}});
}

json deferred_response(bool ephemeral) {
  json r{{"type", 5}};
  if (ephemeral) r["data"] = {{"flags", ephemeral_flag}};
  return r;
}

}  // namespace sessiondx::discord
