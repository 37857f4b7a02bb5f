#include "tests/connectors/discord/fake_discord.hpp"

#include "tests/support/fake_server.hpp"

#include <cmath>
#include <map>

namespace sessiondx::test {

using json = nlohmann::json;
namespace http = fake::http;
using fake::answer;

namespace {

struct session_log {
  std::int64_t seq = 0;
  std::vector<std::pair<std::int64_t, std::string>> dispatched;  ///< for replay
};

struct interaction_state {
  int callbacks = 0;
};

bool ok_user_agent(const std::string& ua) { return ua.rfind("DiscordBot (", 0) == 0; }

constexpr int privileged_intents = (1 << 1) | (1 << 8) | (1 << 15);

json error_body(const std::string& message, int code) {
  return {{"message", message}, {"code", code}};
}

json op(int code, json d) {
  return {{"op", code}, {"d", std::move(d)}, {"s", nullptr}, {"t", nullptr}};
}

/// Discord's embed limits; the first violation, "" when none.
std::string embed_violation(const json& body) {
  if (!body.is_object()) return "body is not an object";
  if (!body.contains("embeds")) return "";
  const auto& embeds = body["embeds"];
  if (!embeds.is_array() || embeds.size() > 10) return "embeds: at most 10";
  std::size_t total = 0;
  auto len = [](const json& s) {
    // Code points approximate Discord's count for the ASCII-heavy text of the tests.
    std::size_t n = 0;
    for (unsigned char c : s.get<std::string>())
      if ((c & 0xC0) != 0x80) ++n;
    return n;
  };
  for (const auto& e : embeds) {
    if (e.contains("title")) {
      if (len(e["title"]) > 256) return "title over 256";
      total += len(e["title"]);
    }
    if (e.contains("description")) {
      if (len(e["description"]) > 4096) return "description over 4096";
      total += len(e["description"]);
    }
    if (e.contains("fields")) {
      if (e["fields"].size() > 25) return "more than 25 fields";
      for (const auto& f : e["fields"]) {
        if (len(f["value"]) > 1024) return "field value over 1024";
        total += len(f["name"]) + len(f["value"]);
      }
    }
    if (e.contains("footer")) {
      if (len(e["footer"]["text"]) > 2048) return "footer over 2048";
      total += len(e["footer"]["text"]);
    }
  }
  if (total > 6000) return "embeds over 6000 characters in all";
  return "";
}

/// Discord's per-route rate-limit headers (rate-limits.mdx): the bucket's size, what is left,
/// when it refills (epoch seconds and seconds from now, fractional) and its hash.
void rate_limit_headers(fake::response& res, int limit, int remaining, double reset_after,
                        const std::string& bucket) {
  const double epoch =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  res.set("X-RateLimit-Limit", std::to_string(limit));
  res.set("X-RateLimit-Remaining", std::to_string(remaining));
  res.set("X-RateLimit-Reset", std::to_string(epoch + reset_after));
  res.set("X-RateLimit-Reset-After", std::to_string(reset_after));
  res.set("X-RateLimit-Bucket", bucket);
}

fake::response rate_limited(const fake::request& req, double retry_after_s,
                            const std::string& bucket) {
  auto res = answer(req, http::status::too_many_requests,
                    json{{"message", "You are being rate limited."},
                         {"retry_after", retry_after_s},
                         {"global", false}}
                        .dump());
  res.set(http::field::retry_after, std::to_string(static_cast<int>(std::ceil(retry_after_s))));
  rate_limit_headers(res, 5, 0, retry_after_s, bucket);
  res.set("X-RateLimit-Scope", "user");
  return res;
}

}  // namespace

struct fake_discord::state final : fake::server {
  // Guarded by mutex:
  std::map<std::string, session_log> sessions;
  std::map<std::string, interaction_state> interactions;
  std::map<std::string, std::string> channel_messages;  ///< message id -> channel id
  int heartbeat_interval = 41'250;
  bool ack = true, hold = false;
  int webhooks_limited = 0, channel_messages_limited = 0;
  double retry_after_s = 0.2;
  int ready_sent = 0, resumed_sent = 0, identifies = 0, resumes = 0;
  int next_session = 0, next_interaction = 0, next_message = 0;
  std::int64_t next_channel_message = 0;

  ~state() override { stop(); }

  fake::response route(const fake::request& req, recorded_request& call) override;
  fake::response create_message(const fake::request& req, const recorded_request& call,
                                const std::string& channel);
  void on_open(fake::socket& s, const fake::request& req) override;
  void on_message(fake::socket& s, const std::string& text) override;
  void on_payload(fake::socket& s, const json& p);

  /// Numbers `t`/`d` in `session` and sends it unless held. Server thread, unlocked.
  void dispatch(const std::string& session, const std::string& t, const json& d) {
    std::string text;
    bool held = false;
    {
      std::lock_guard lock(mutex);
      auto& log = sessions[session];
      const auto s = ++log.seq;
      text = json{{"op", 0}, {"t", t}, {"s", s}, {"d", d}}.dump();
      log.dispatched.emplace_back(s, text);
      held = hold;
      if (t == "READY") ++ready_sent;
      if (t == "RESUMED") ++resumed_sent;
    }
    notify();
    if (held && t != "READY" && t != "RESUMED") return;
    for (auto& s : sockets())
      if (s->session == session) s->send(text);
  }
};

fake::response fake_discord::state::route(const fake::request& req, recorded_request& call) {
  const bool bot_auth = call.authorization == std::string("Bot ") + fake_discord::token;
  if (!ok_user_agent(call.user_agent))
    return answer(req, http::status::bad_request,
                  error_body("A User-Agent of DiscordBot (url, version) is required", 0).dump());
  const auto p = fake::split_path(call.path);
  if (p.size() < 2 || p[0] != "api" || p[1] != "v10")
    return answer(req, http::status::not_found, error_body("404: Not Found", 0).dump());
  const auto unauthorized = [&] {
    return answer(req, http::status::unauthorized, error_body("401: Unauthorized", 0).dump());
  };

  // GET /gateway/bot
  if (p.size() == 4 && p[2] == "gateway" && p[3] == "bot" && req.method() == http::verb::get) {
    if (!bot_auth) return unauthorized();
    json body{{"url", base_url("ws") + "/gateway"},
              {"shards", 1},
              {"session_start_limit",
               {{"total", 1000},
                {"remaining", 999},
                {"reset_after", 14'400'000},
                {"max_concurrency", 1}}}};
    return answer(req, http::status::ok, body.dump());
  }

  // PUT /applications/{app}/commands, PUT /applications/{app}/guilds/{g}/commands
  if (p.size() >= 5 && p[2] == "applications" && p.back() == "commands" &&
      req.method() == http::verb::put) {
    if (!bot_auth) return unauthorized();
    if (p[3] != fake_discord::application_id || !call.body.is_array())
      return answer(req, http::status::bad_request, error_body("Invalid Form Body", 50035).dump());
    json out = json::array();
    int n = 0;
    for (auto c : call.body) {
      c["id"] = "9" + std::to_string(++n);
      c["application_id"] = fake_discord::application_id;
      c["version"] = "1";
      out.push_back(c);
    }
    return answer(req, http::status::ok, out.dump());
  }

  // POST /channels/{id}/messages (Create Message)
  if (p.size() == 5 && p[2] == "channels" && p[4] == "messages" &&
      req.method() == http::verb::post) {
    if (!bot_auth) return unauthorized();
    return create_message(req, call, p[3]);
  }

  // POST /interactions/{id}/{token}/callback
  if (p.size() == 6 && p[2] == "interactions" && p[5] == "callback" &&
      req.method() == http::verb::post) {
    std::lock_guard lock(mutex);
    auto it = interactions.find(p[4]);
    if (it == interactions.end())
      return answer(req, http::status::not_found, error_body("Unknown interaction", 10062).dump());
    if (it->second.callbacks > 0)
      return answer(req, http::status::bad_request,
                    error_body("Interaction has already been acknowledged.", 40060).dump());
    const int type = call.body.is_object() ? call.body.value("type", 0) : 0;
    if (type != 4 && type != 5 && type != 6 && type != 7)
      return answer(req, http::status::bad_request, error_body("Invalid Form Body", 50035).dump());
    ++it->second.callbacks;
    return answer(req, http::status::no_content, "", "");
  }

  // PATCH /webhooks/{app}/{token}/messages/@original, POST /webhooks/{app}/{token}
  if (p.size() >= 5 && p[2] == "webhooks") {
    const bool edit = p.size() == 7 && p[5] == "messages" && p[6] == "@original" &&
                      req.method() == http::verb::patch;
    const bool followup = p.size() == 5 && req.method() == http::verb::post;
    if (!edit && !followup)
      return answer(req, http::status::not_found, error_body("404: Not Found", 0).dump());
    std::lock_guard lock(mutex);
    if (webhooks_limited > 0) {
      --webhooks_limited;
      return rate_limited(req, retry_after_s, "webhook-bucket");
    }
    auto it = interactions.find(p[4]);
    if (p[3] != fake_discord::application_id || it == interactions.end() ||
        it->second.callbacks == 0)
      return answer(req, http::status::not_found, error_body("Unknown Webhook", 10015).dump());
    const auto violation = embed_violation(call.body);
    if (!violation.empty())
      return answer(req, http::status::bad_request,
                    json{{"message", "Invalid Form Body"},
                         {"code", 50035},
                         {"errors", {{"embeds", violation}}}}
                        .dump());
    json msg = call.body;
    msg["id"] = "7" + std::to_string(++next_message);
    auto res = answer(req, http::status::ok, msg.dump());
    rate_limit_headers(res, 5, 4, 1.0, "webhook-bucket");
    return res;
  }
  return answer(req, http::status::not_found, error_body("404: Not Found", 0).dump());
}

fake::response fake_discord::state::create_message(const fake::request& req,
                                                   const recorded_request& call,
                                                   const std::string& channel) {
  std::lock_guard lock(mutex);
  const std::string bucket = "channel-" + channel;
  if (channel_messages_limited > 0) {
    --channel_messages_limited;
    return rate_limited(req, retry_after_s, bucket);
  }
  const auto& b = call.body;
  if (!b.is_object() || (!b.contains("content") && !b.contains("embeds")))
    return answer(req, http::status::bad_request,
                  error_body("Cannot send an empty message", 50006).dump());
  if (b.contains("content") && b["content"].is_string() &&
      b["content"].get<std::string>().size() > 2000 * 4)
    return answer(req, http::status::bad_request, error_body("Invalid Form Body", 50035).dump());
  const auto violation = embed_violation(b);
  if (!violation.empty())
    return answer(
        req, http::status::bad_request,
        json{{"message", "Invalid Form Body"}, {"code", 50035}, {"errors", {{"embeds", violation}}}}
            .dump());
  json reference = nullptr;
  if (b.contains("message_reference") && b["message_reference"].is_object()) {
    const auto& r = b["message_reference"];
    const std::string ref = r.value("message_id", "");
    const auto it = channel_messages.find(ref);
    if (it == channel_messages.end() || it->second != channel) {
      // fail_if_not_exists defaults to true; false sends the message as a plain one.
      if (r.value("fail_if_not_exists", true))
        return answer(
            req, http::status::bad_request,
            json{{"message", "Invalid Form Body"},
                 {"code", 50035},
                 {"errors",
                  {{"message_reference",
                    {{"_errors", json::array({{{"code", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE"},
                                               {"message", "Unknown message"}}})}}}}}}
                .dump());
    } else {
      reference = {{"type", 0}, {"message_id", ref}, {"channel_id", channel}};
    }
  }
  // A snowflake-sized id, increasing; ids are strings in the API.
  const std::string id = std::to_string(1'200'000'000'000'000'000LL + next_channel_message++);
  channel_messages[id] = channel;
  json msg{{"id", id},
           {"type", reference.is_null() ? 0 : 19},  // DEFAULT, or REPLY
           {"channel_id", channel},
           {"author", {{"id", "111"}, {"username", "sessiondx"}, {"bot", true}}},
           {"content", b.value("content", "")},
           {"embeds", b.value("embeds", json::array())},
           {"mentions", json::array()},
           {"mention_everyone", false},
           {"timestamp", "2025-01-13T08:01:00.000000+00:00"},
           {"tts", false},
           {"pinned", false}};
  if (!reference.is_null()) msg["message_reference"] = reference;
  auto res = answer(req, http::status::ok, msg.dump());
  rate_limit_headers(res, 5, 4, 5.0, bucket);
  return res;
}

void fake_discord::state::on_open(fake::socket& s, const fake::request& req) {
  const std::string target(req.target());
  int interval = 0;
  {
    std::lock_guard lock(mutex);
    interval = heartbeat_interval;
  }
  if (target.find("v=10") == std::string::npos || target.find("encoding=json") == std::string::npos)
    s.close(4012);
  else
    s.send(op(10, {{"heartbeat_interval", interval}}));
}

void fake_discord::state::on_message(fake::socket& s, const std::string& text) {
  const auto p = json::parse(text, nullptr, false);
  if (!p.is_object()) {
    s.close(4002);  // decode error, as Discord does
    return;
  }
  on_payload(s, p);
}

void fake_discord::state::on_payload(fake::socket& s, const json& p) {
  const int code = p.value("op", -1);
  if (code == 1) {
    bool acked = false;
    {
      std::lock_guard lock(mutex);
      acked = ack;
    }
    if (acked) s.send(op(11, nullptr));
    return;
  }
  if (code == 2) {
    const auto& d = p["d"];
    if (!d.is_object() || d.value("token", "") != fake_discord::token) {
      s.close(4004);
      return;
    }
    if (d.value("intents", 0) & privileged_intents) {
      s.close(4014);
      return;
    }
    std::string id;
    {
      std::lock_guard lock(mutex);
      ++identifies;
      id = "sess-" + std::to_string(++next_session);
      sessions[id] = {};
    }
    s.session = id;
    dispatch(id, "READY",
             {{"v", 10},
              {"user", {{"id", "111"}, {"username", "sessiondx"}, {"bot", true}}},
              {"guilds", json::array({{{"id", "290926798626357999"}, {"unavailable", true}}})},
              {"session_id", id},
              {"resume_gateway_url", base_url("ws") + "/resume"},
              {"application", {{"id", fake_discord::application_id}, {"flags", 0}}}});
    return;
  }
  if (code == 6) {
    const auto& d = p["d"];
    const std::string id = d.is_object() ? d.value("session_id", "") : "";
    std::vector<std::string> replay;
    bool known = false;
    {
      std::lock_guard lock(mutex);
      ++resumes;
      auto it = sessions.find(id);
      known = it != sessions.end() && d.value("token", "") == fake_discord::token &&
              d.contains("seq") && d["seq"].is_number_integer();
      if (known) {
        const auto seq = d["seq"].get<std::int64_t>();
        for (const auto& [n, text] : it->second.dispatched)
          if (n > seq) replay.push_back(text);
      }
    }
    if (!known) {
      s.send(op(9, false));
      return;
    }
    s.session = id;
    for (auto& text : replay) s.send(text);
    {
      std::lock_guard lock(mutex);
      hold = false;  // the link is alive again
    }
    dispatch(id, "RESUMED", json(nullptr));
  }
}

fake_discord::fake_discord() : state_(std::make_shared<state>()) { state_->start(); }

fake_discord::~fake_discord() { state_->stop(); }

std::string fake_discord::api_url() const { return state_->base_url() + "/api/v10"; }

void fake_discord::set_heartbeat_interval(int ms) {
  std::lock_guard lock(state_->mutex);
  state_->heartbeat_interval = ms;
}

void fake_discord::ack_heartbeats(bool yes) {
  std::lock_guard lock(state_->mutex);
  state_->ack = yes;
}

void fake_discord::hold_dispatches(bool yes) {
  std::lock_guard lock(state_->mutex);
  state_->hold = yes;
}

void fake_discord::rate_limit_webhooks(int count, double retry_after_s) {
  std::lock_guard lock(state_->mutex);
  state_->webhooks_limited = count;
  state_->retry_after_s = retry_after_s;
}

void fake_discord::rate_limit_channel_messages(int count, double retry_after_s) {
  std::lock_guard lock(state_->mutex);
  state_->channel_messages_limited = count;
  state_->retry_after_s = retry_after_s;
}

std::string fake_discord::send_command(const std::string& session_id, const std::string& view,
                                       const std::string& channel) {
  std::string id, tok;
  {
    std::lock_guard lock(state_->mutex);
    const int n = ++state_->next_interaction;
    id = "78600872971521" + std::to_string(1000 + n);
    tok = "interaction-token-" + std::to_string(n);
    state_->interactions[tok] = {};
  }
  json options = json::array({{{"type", 3}, {"name", "id"}, {"value", session_id}}});
  if (!view.empty()) options.push_back({{"type", 3}, {"name", "view"}, {"value", view}});
  json d{{"id", id},
         {"application_id", application_id},
         {"type", 2},
         {"token", tok},
         {"version", 1},
         {"guild_id", "290926798626357999"},
         {"channel_id", channel},
         {"member",
          {{"user", {{"id", "53908232506183680"}, {"username", "agent"}}},
           {"roles", json::array()},
           {"permissions", "2147483647"}}},
         {"data",
          {{"id", "771825006014889984"}, {"name", "session"}, {"type", 1}, {"options", options}}},
         {"app_permissions", "442368"},
         {"locale", "en-US"},
         {"entitlements", json::array()},
         {"context", 0}};
  send_dispatch("INTERACTION_CREATE", d);
  return tok;
}

void fake_discord::send_dispatch(const std::string& t, const json& d) {
  auto* st = state_.get();
  if (t == "INTERACTION_CREATE" && d.contains("token")) {
    std::lock_guard lock(st->mutex);
    st->interactions.emplace(d["token"].get<std::string>(), interaction_state{});
  }
  st->on_server([st, t, d] {
    auto s = st->newest();
    if (!s || s->session.empty()) return;
    st->dispatch(s->session, t, d);
  });
}

void fake_discord::send_raw(std::string text) {
  auto* st = state_.get();
  st->on_server([st, text = std::move(text)] {
    if (auto s = st->newest()) s->send(text);
  });
}

void fake_discord::close_socket(std::uint16_t code) {
  auto* st = state_.get();
  st->on_server([st, code] {
    if (auto s = st->newest()) s->close(code);
  });
}

void fake_discord::invalidate_session() {
  auto* st = state_.get();
  st->on_server([st] {
    {
      std::lock_guard lock(st->mutex);
      st->sessions.clear();
    }
    if (auto s = st->newest()) s->send(op(9, false));
  });
}

void fake_discord::forget_sessions() {
  std::lock_guard lock(state_->mutex);
  state_->sessions.clear();
}

void fake_discord::send_reconnect() {
  auto* st = state_.get();
  st->on_server([st] {
    if (auto s = st->newest()) s->send(op(7, nullptr));
  });
}

bool fake_discord::wait_for_ready(int n, ms timeout) {
  return state_->wait([&] { return state_->ready_sent >= n; }, timeout);
}

bool fake_discord::wait_for_resumed(int n, ms timeout) {
  return state_->wait([&] { return state_->resumed_sent >= n; }, timeout);
}

namespace {
bool is_edit(const discord_call& c) {
  return c.status == 200 && c.path.find("/webhooks/") != std::string::npos;
}

/// The gateway payloads among the frames received (a frame that is not a JSON object is not one).
std::vector<gateway_frame> payloads(const std::vector<received_frame>& frames, int op) {
  std::vector<gateway_frame> out;
  for (const auto& f : frames) {
    auto p = json::parse(f.text, nullptr, false);
    if (!p.is_object()) continue;
    if (op < 0 || p.value("op", -1) == op) out.push_back({f.socket, std::move(p)});
  }
  return out;
}
}  // namespace

bool fake_discord::wait_for_edits(std::size_t n, ms timeout) {
  return state_->wait_for_requests(is_edit, n, timeout);
}

bool fake_discord::wait_for_calls(const std::string& method, const std::string& path_part,
                                  std::size_t n, ms timeout) {
  return state_->wait_for_requests(
      [&](const discord_call& c) {
        return c.method == method && c.path.find(path_part) != std::string::npos;
      },
      n, timeout);
}

bool fake_discord::wait_for_frames(int op, std::size_t n, ms timeout) {
  return state_->wait([&] { return payloads(state_->frames, op).size() >= n; }, timeout);
}

bool fake_discord::wait_closed(int socket, ms timeout) {
  return state_->wait_ended(socket, timeout);
}

std::vector<discord_call> fake_discord::calls(const std::string& path_part) const {
  return state_->requests_where([&](const discord_call& c) {
    return path_part.empty() || c.path.find(path_part) != std::string::npos;
  });
}

std::vector<discord_call> fake_discord::edits() const { return state_->requests_where(is_edit); }

std::vector<discord_call> fake_discord::channel_messages() const {
  return state_->requests_where([](const discord_call& c) {
    return c.method == "POST" && c.path.find("/channels/") != std::string::npos &&
           c.path.ends_with("/messages");
  });
}

std::vector<gateway_frame> fake_discord::frames(int op) const {
  std::lock_guard lock(state_->mutex);
  return payloads(state_->frames, op);
}

int fake_discord::sockets() const {
  std::lock_guard lock(state_->mutex);
  return state_->accepted;
}

int fake_discord::identifies() const {
  std::lock_guard lock(state_->mutex);
  return state_->identifies;
}

int fake_discord::resumes() const {
  std::lock_guard lock(state_->mutex);
  return state_->resumes;
}

std::uint16_t fake_discord::client_close_code(int socket) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->client_close.find(socket);
  return it == state_->client_close.end() ? 0 : it->second;
}

}  // namespace sessiondx::test
