#include "connectors/discord/messages.hpp"

#include "bot/render/limits.hpp"
#include "bot/render/render.hpp"
#include "bot/render/reply.hpp"

namespace sessiondx::discord {

using json = nlohmann::json;
namespace render = bot::render;

namespace {

constexpr int ephemeral_flag = 64;

std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  return j[key].get<std::string>();
}

int colour_of(bot::verdict v) {
  switch (v) {
    case bot::verdict::healthy:
      return 0x2EB67D;
    case bot::verdict::degraded:
      return 0xECB22E;
    case bot::verdict::broken:
      return 0xE01E5A;
    case bot::verdict::unknown:
      break;
  }
  return 0x8D8D8D;
}

}  // namespace

json command_definitions() {
  json views = json::array();
  for (const char* v : {"summary", "timeline", "full"}) views.push_back({{"name", v}, {"value", v}});
  return json::array(
      {{{"name", "session"},
        {"type", 1},
        {"description", "Diagnose a customer's session"},
        {"options",
         json::array({{{"type", 3},
                       {"name", "id"},
                       {"description", "The session id the customer gave you"},
                       {"required", true}},
                      {{"type", 3},
                       {"name", "view"},
                       {"description", "How much to show (default: summary)"},
                       {"required", false},
                       {"choices", views}}})}},
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
    out.text = "/session " + (colon == std::string::npos
                                  ? rest
                                  : rest.substr(0, colon) + " " + rest.substr(colon + 1));
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

std::size_t embed_chars(const json& message) {
  std::size_t n = 0;
  if (!message.contains("embeds")) return 0;
  for (const auto& e : message["embeds"]) {
    if (e.contains("title")) n += render::text_length(e["title"].get<std::string>());
    if (e.contains("description")) n += render::text_length(e["description"].get<std::string>());
    if (e.contains("footer")) n += render::text_length(e["footer"]["text"].get<std::string>());
    if (e.contains("fields"))
      for (const auto& f : e["fields"])
        n += render::text_length(f["name"].get<std::string>()) +
             render::text_length(f["value"].get<std::string>());
  }
  return n;
}

std::vector<json> render_embeds(const bot::reply& r, const embed_options& o) {
  render::render_options ro;
  ro.example_id = o.example_id;
  std::string markdown = render::render_markdown(r, ro);

  std::string title;
  int colour = 0x5865F2;
  if (const auto* d = std::get_if<bot::diagnosis_reply>(&r)) {
    // The first line (session, verdict, span) becomes the title; the rest the description.
    // The reply document's header text: the one wording every platform shows.
    render::reply_options doc_options;
    doc_options.example_id = o.example_id;
    title = render::build_reply(r, doc_options).plain_title;
    if (render::text_length(title) > o.limits.title)
      title = render::cut_at_limit(title, o.limits.title, [](std::size_t) { return ""; });
    colour = colour_of(d->diagnosis.verdict);
  }
  while (!markdown.empty() && markdown.back() == '\n') markdown.pop_back();

  // Each embed at most `description`, each message at most `total` characters and `embeds`.
  const std::size_t per_message = o.limits.total;
  const std::size_t room = std::min(o.limits.description, per_message - render::text_length(title));
  std::vector<json> messages;
  json current = json::array();
  std::size_t used = 0;
  auto flush = [&] {
    if (current.empty()) return;
    messages.push_back({{"content", ""},
                        {"embeds", current},
                        {"allowed_mentions", {{"parse", json::array()}}}});
    current = json::array();
    used = 0;
  };
  bool first = true;
  for (auto& part : render::split_for_limit(markdown, room)) {
    while (!part.empty() && part.back() == '\n') part.pop_back();
    if (part.empty()) part = "\u200b";
    json embed{{"description", part}, {"color", colour}};
    std::size_t chars = render::text_length(part);
    if (first && !title.empty()) {
      embed["title"] = title;
      chars += render::text_length(title);
    }
    first = false;
    if (used + chars > per_message || current.size() == o.limits.embeds) flush();
    current.push_back(std::move(embed));
    used += chars;
  }
  if (current.empty() && messages.empty()) {
    json embed{{"description", "\u200b"}, {"color", colour}};
    if (!title.empty()) embed["title"] = title;
    current.push_back(std::move(embed));
  }
  flush();
  return messages;
}

void make_ephemeral(json& message) { message["flags"] = ephemeral_flag; }

void add_share_button(json& message, const std::string& custom_id) {
  message["components"] = json::array({{{"type", 1},
                                        {"components",
                                         json::array({{{"type", 2},
                                                       {"style", 2},
                                                       {"label", "Share in channel"},
                                                       {"custom_id", custom_id}}})}}});
}

json deferred_response(bool ephemeral) {
  json r{{"type", 5}};
  if (ephemeral) r["data"] = {{"flags", ephemeral_flag}};
  return r;
}

}  // namespace sessiondx::discord
