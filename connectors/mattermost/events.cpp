#include "connectors/mattermost/events.hpp"

#include "bot/render/limits.hpp"

#include <cctype>

namespace sessiondx::mattermost {

using json = nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  return j[key].get<std::string>();
}

std::int64_t integer(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return 0;
  return j[key].get<std::int64_t>();
}

bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(word[i])))
      return false;
  if (text.size() == word.size()) return true;
  const unsigned char next = static_cast<unsigned char>(text[word.size()]);
  return !(std::isalnum(next) || next == '.' || next == '_' || next == '-');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<post> parse_post(const json& j) {
  if (!j.is_object()) return std::nullopt;
  post p;
  p.id = str(j, "id");
  p.user_id = str(j, "user_id");
  p.channel_id = str(j, "channel_id");
  p.root_id = str(j, "root_id");
  p.message = str(j, "message");
  p.create_at = integer(j, "create_at");
  if (j.contains("props") && j["props"].is_object()) {
    const auto& fb = j["props"].contains("from_bot") ? j["props"]["from_bot"] : json();
    p.from_bot =
        (fb.is_string() && fb.get<std::string>() == "true") || (fb.is_boolean() && fb.get<bool>());
  }
  if (p.id.empty() || p.channel_id.empty()) return std::nullopt;
  return p;
}

event parse_event(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return malformed_event{"not a JSON object"};
  if (j.contains("seq_reply")) {
    return action_reply{integer(j, "seq_reply"), str(j, "status")};
  }
  const std::string name = str(j, "event");
  if (name.empty()) return malformed_event{"no event name"};
  const std::int64_t seq = integer(j, "seq");
  const json empty = json::object();
  const json& data = j.contains("data") && j["data"].is_object() ? j["data"] : empty;
  if (name == "hello") {
    const auto id = str(data, "connection_id");
    if (id.empty()) return malformed_event{"hello without connection_id"};
    return hello_event{id};
  }
  if (name == "posted") {
    // data.post (and data.mentions) are JSON documents inside strings: a second parse.
    const json inner = json::parse(str(data, "post"), nullptr, false);
    auto p = parse_post(inner);
    if (!p) return malformed_event{"posted without a readable post"};
    posted_event e;
    e.seq = seq;
    e.post = std::move(*p);
    e.channel_type = str(data, "channel_type");
    const json mentions = json::parse(str(data, "mentions"), nullptr, false);
    if (mentions.is_array())
      for (const auto& m : mentions)
        if (m.is_string()) e.mentions.push_back(m.get<std::string>());
    return e;
  }
  return other_event{seq, name};
}

bool sequence_tracker::on_hello(const std::string& connection_id) {
  const bool lost = !connection_id_.empty() && connection_id != connection_id_;
  connection_id_ = connection_id;
  next_ = 1;  // hello itself is seq 0
  return lost;
}

sequence_tracker::verdict sequence_tracker::on_event(std::int64_t seq) {
  if (seq < next_) return verdict::duplicate;
  if (seq > next_) return verdict::gap;
  ++next_;
  return verdict::fresh;
}

std::string sequence_tracker::target() const {
  if (connection_id_.empty()) return "/api/v4/websocket";
  return "/api/v4/websocket?connection_id=" + connection_id_ +
         "&sequence_number=" + std::to_string(next_);
}

std::optional<std::string> command_text(const posted_event& e, const std::string& bot_user_id,
                                        const std::string& bot_username,
                                        const std::string& prefix) {
  const auto& p = e.post;
  if (p.user_id == bot_user_id || p.from_bot) return std::nullopt;
  std::string_view text = trim(p.message);
  if (!prefix.empty() && text.rfind(prefix, 0) == 0) {
    text.remove_prefix(prefix.size());
    return std::string(trim(text));
  }
  const std::string mention = "@" + bot_username;
  if (!bot_username.empty() && starts_with_word(text, mention)) {
    text.remove_prefix(mention.size());
    while (!text.empty() && (text.front() == ':' || text.front() == ',')) text.remove_prefix(1);
    return std::string(trim(text));
  }
  if (e.channel_type == "D") return std::string(text);
  return std::nullopt;
}

std::string neutralize_mass_mentions(std::string text) {
  static const char* const words[] = {"here", "channel", "all"};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] != '@') continue;
    const std::string_view rest(text.data() + i + 1, text.size() - i - 1);
    for (const char* w : words)
      if (starts_with_word(rest, w)) {
        out += "\u200b";
        break;
      }
  }
  return out;
}

std::vector<std::string> split_reply(const std::string& markdown, std::size_t limit,
                                     std::size_t max_posts) {
  auto parts = bot::render::split_for_limit(markdown, limit);
  if (max_posts == 0 || parts.size() <= max_posts) return parts;
  std::string rest;
  for (std::size_t i = max_posts - 1; i < parts.size(); ++i) rest += parts[i];
  parts.resize(max_posts - 1);
  parts.push_back(bot::render::cut_at_limit(rest, limit, [](std::size_t n) {
    return "_… " + bot::render::with_thousands(n) + " more line" + (n == 1 ? "" : "s") +
           " left out (Mattermost message limit)_\n";
  }));
  return parts;
}

std::string reply_root(const post& p) { return p.root_id.empty() ? p.id : p.root_id; }

}  // namespace sessiondx::mattermost
