#include "tests/connectors/mattermost/fake_mattermost.hpp"

#include "tests/support/fake_server.hpp"

#include <map>

namespace sessiondx::test {

using json = nlohmann::json;
namespace http = fake::http;
using fake::answer;

namespace {

/// One logical connection: its events, numbered from 0 (hello).
struct connection_log {
  std::int64_t next_seq = 0;
  std::vector<std::pair<std::int64_t, std::string>> events;
};

}  // namespace

struct fake_mattermost::state final : fake::server {
  // Guarded by mutex:
  std::vector<std::string> targets, auths;
  std::map<std::string, connection_log> connections;
  std::map<std::string, std::vector<json>> channel_posts;  ///< oldest first
  bool hold = false;
  int rate_limited = 0, retry_after = 1;
  int hellos = 0, next_id = 0;
  std::int64_t clock_ms = 1'700'000'000'000;

  ~state() override { stop(); }

  fake::response route(const fake::request& req, recorded_request& call) override;
  void on_open(fake::socket& s, const fake::request& req) override;

  std::string new_id(const char* prefix) {
    // 26 characters like Mattermost's ids, the number right-aligned ("p0…010"), so that no two
    // ids are the same (padding on the right made p1 and p10 one id).
    const std::string n = std::to_string(++next_id);
    std::string id = prefix;
    id.append(26 - id.size() - n.size(), '0');
    return id + n;
  }

  /// Creates a post (locked by the caller) and returns it.
  json make_post(const std::string& user, const std::string& channel, const std::string& message,
                 const std::string& root_id, bool from_bot) {
    json p{{"id", new_id("p")},
           {"create_at", ++clock_ms},
           {"update_at", clock_ms},
           {"edit_at", 0},
           {"delete_at", 0},
           {"is_pinned", false},
           {"user_id", user},
           {"channel_id", channel},
           {"root_id", root_id},
           {"original_id", ""},
           {"message", message},
           {"type", ""},
           {"props", json::object()},
           {"hashtags", ""},
           {"pending_post_id", ""},
           {"reply_count", 0},
           {"last_reply_at", 0},
           {"participants", nullptr},
           {"metadata", json::object()}};
    if (from_bot) p["props"]["from_bot"] = "true";
    channel_posts[channel].push_back(p);
    return p;
  }

  /// Broadcasts a `posted` event to every connection (server thread, unlocked).
  void broadcast(const json& post, const std::string& channel_type,
                 const std::vector<std::string>& mentions) {
    std::vector<std::pair<std::shared_ptr<fake::socket>, std::string>> sends;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, log] : connections) {
        json data{{"channel_display_name", "Support"},
                  {"channel_name", "support"},
                  {"channel_type", channel_type},
                  {"post", post.dump()},
                  {"sender_name", "@agent"},
                  {"set_online", true},
                  {"team_id", channel_type == "D" ? "" : "team1"}};
        if (!mentions.empty()) data["mentions"] = json(mentions).dump();
        const json ev{{"event", "posted"},
                      {"data", data},
                      {"broadcast",
                       {{"omit_users", nullptr},
                        {"user_id", ""},
                        {"channel_id", post["channel_id"]},
                        {"team_id", ""},
                        {"connection_id", ""},
                        {"omit_connection_id", ""}}},
                      {"seq", log.next_seq}};
        log.events.emplace_back(log.next_seq++, ev.dump());
        if (hold) continue;
        for (auto& s : sockets())
          if (s->session == id) sends.emplace_back(s, ev.dump());
      }
    }
    for (auto& [s, text] : sends) s->send(text);
  }
};

namespace {

json error(const std::string& id, const std::string& message, int status) {
  return {{"id", id},
          {"message", message},
          {"detailed_error", ""},
          {"request_id", "req1"},
          {"status_code", status}};
}

}  // namespace

fake::response fake_mattermost::state::route(const fake::request& req, recorded_request& call) {
  auto* st = this;
  auto record = [](fake::response res) { return res; };
  if (call.authorization != std::string("Bearer ") + fake_mattermost::token)
    return record(answer(
        req, http::status::unauthorized,
        error("api.context.session_expired.app_error", "Invalid or expired session", 401).dump()));
  const std::string path = call.target.substr(0, call.target.find('?'));
  if (path == "/api/v4/users/me" && req.method() == http::verb::get)
    return record(answer(req, http::status::ok,
                         json{{"id", fake_mattermost::bot_id},
                              {"username", fake_mattermost::bot_name},
                              {"is_bot", true}}
                             .dump()));
  if (path == "/api/v4/posts" && req.method() == http::verb::post) {
    std::unique_lock lock(st->mutex);
    if (st->rate_limited > 0) {
      --st->rate_limited;
      auto res = answer(req, http::status::too_many_requests, "limit exceeded\n",
                        "text/plain; charset=utf-8");
      res.set(http::field::retry_after, std::to_string(st->retry_after));
      res.set("X-Ratelimit-Limit", "10");
      res.set("X-Ratelimit-Remaining", "0");
      res.set("X-Ratelimit-Reset", std::to_string(st->retry_after));
      lock.unlock();
      return record(std::move(res));
    }
    const auto& b = call.body;
    if (!b.is_object() || !b.contains("channel_id") || !b.contains("message")) {
      lock.unlock();
      return record(
          answer(req, http::status::bad_request,
                 error("api.context.invalid_body_param.app_error", "Invalid post", 400).dump()));
    }
    const std::string root = b.value("root_id", "");
    if (!root.empty()) {
      bool root_ok = false;
      for (const auto& p : st->channel_posts[b["channel_id"].get<std::string>()])
        if (p["id"] == root && p["root_id"] == "") root_ok = true;
      if (!root_ok) {
        lock.unlock();
        return record(
            answer(req, http::status::bad_request,
                   error("api.post.create_post.root_id.app_error", "Invalid RootId parameter", 400)
                       .dump()));
      }
    }
    const std::string msg = b["message"].get<std::string>();
    if (msg.size() > 16383 * 4) {
      lock.unlock();
      return record(
          answer(req, http::status::bad_request,
                 error("model.post.is_valid.msg.app_error", "Invalid message", 400).dump()));
    }
    json p = st->make_post(fake_mattermost::bot_id, b["channel_id"], msg, root, true);
    lock.unlock();
    // The bot's own post comes back to it over the websocket, as on a real server.
    // Posted behind this answer on the server thread, so the answer goes out first.
    st->on_server([st, p] { st->broadcast(p, "O", {}); });
    return record(answer(req, http::status::created, p.dump()));
  }
  if (path.rfind("/api/v4/channels/", 0) == 0 && req.method() == http::verb::get) {
    const std::string rest = path.substr(17);
    const std::string channel = rest.substr(0, rest.find('/'));
    const std::string since_text = fake::query_value(call.target, "since");
    const std::int64_t since = since_text.empty() ? 0 : std::stoll(since_text);
    json order = json::array(), posts = json::object();
    {
      std::lock_guard lock(st->mutex);
      const auto& all = st->channel_posts[channel];
      for (auto it = all.rbegin(); it != all.rend(); ++it)
        if ((*it)["create_at"].get<std::int64_t>() > since) {
          order.push_back((*it)["id"]);
          posts[(*it)["id"].get<std::string>()] = *it;
        }
    }
    return record(
        answer(req, http::status::ok,
               json{{"order", order}, {"posts", posts}, {"next_post_id", ""}, {"prev_post_id", ""}}
                   .dump()));
  }
  return record(
      answer(req, http::status::not_found,
             error("api.context.404.app_error", "Sorry, we could not find the page.", 404).dump()));
}

void fake_mattermost::state::on_open(fake::socket& s, const fake::request& req) {
  const std::string target(req.target());
  const std::string auth(req[http::field::authorization]);
  const bool authed = auth == std::string("Bearer ") + fake_mattermost::token;
  std::vector<std::string> replay;
  {
    std::lock_guard lock(mutex);
    targets.push_back(target);
    auths.push_back(auth);
    if (authed) {
      const std::string cid = fake::query_value(target, "connection_id");
      const std::string seq_text = fake::query_value(target, "sequence_number");
      auto it = connections.find(cid);
      if (!cid.empty() && it != connections.end() && !seq_text.empty()) {
        const std::int64_t from = std::stoll(seq_text);
        s.session = cid;
        for (const auto& [n, text] : it->second.events)
          if (n >= from) replay.push_back(text);
      } else {
        const std::string id = new_id("conn");
        s.session = id;
        auto& log = connections[id];
        const json h{{"event", "hello"},
                     {"data",
                      {{"connection_id", id},
                       {"server_version", "9.11.0.9.11.0.fake.true"},
                       {"server_hostname", "mm-fake-0"}}},
                     {"broadcast",
                      {{"omit_users", nullptr},
                       {"user_id", fake_mattermost::bot_id},
                       {"channel_id", ""},
                       {"team_id", ""},
                       {"connection_id", ""},
                       {"omit_connection_id", ""}}},
                     {"seq", log.next_seq}};
        log.events.emplace_back(log.next_seq++, h.dump());
        replay.push_back(h.dump());
        ++hellos;
      }
      hold = false;
    }
  }
  // No challenge in this fake: a socket without the header is closed, as a bad token is.
  if (!authed) {
    s.drop();
    return;
  }
  for (auto& text : replay) s.send(text);
}

fake_mattermost::fake_mattermost() : state_(std::make_shared<state>()) { state_->start(); }

fake_mattermost::~fake_mattermost() { state_->stop(); }

std::string fake_mattermost::url() const { return state_->base_url(); }

std::string fake_mattermost::user_posts(const std::string& message, const std::string& channel,
                                        const std::string& channel_type,
                                        const std::string& root_id) {
  auto* st = state_.get();
  json p;
  {
    std::lock_guard lock(st->mutex);
    p = st->make_post("useragent000000000000000001", channel, message, root_id, false);
  }
  std::vector<std::string> mentions;
  if (message.find(std::string("@") + bot_name) != std::string::npos) mentions.push_back(bot_id);
  st->on_server([st, p, channel_type, mentions] { st->broadcast(p, channel_type, mentions); });
  return p["id"].get<std::string>();
}

void fake_mattermost::hold_events(bool yes) {
  std::lock_guard lock(state_->mutex);
  state_->hold = yes;
}

void fake_mattermost::drop_socket() {
  auto* st = state_.get();
  st->on_server([st] {
    if (auto s = st->newest()) s->drop();
  });
}

void fake_mattermost::forget_connections() {
  std::lock_guard lock(state_->mutex);
  state_->connections.clear();
}

void fake_mattermost::rate_limit_posts(int count, int seconds) {
  std::lock_guard lock(state_->mutex);
  state_->rate_limited = count;
  state_->retry_after = seconds;
}

void fake_mattermost::send_raw(std::string text) {
  auto* st = state_.get();
  st->on_server([st, text = std::move(text)] {
    if (auto s = st->newest()) s->send(text);
  });
}

bool fake_mattermost::wait_for_hellos(int n, ms timeout) {
  return state_->wait([&] { return state_->hellos >= n; }, timeout);
}

bool fake_mattermost::wait_for_sockets(int n, ms timeout) {
  return state_->wait([&] { return state_->accepted >= n; }, timeout);
}

namespace {
bool is_reply(const mm_call& c) {
  return c.method == "POST" && c.target == "/api/v4/posts" && c.status == 201;
}
}  // namespace

bool fake_mattermost::wait_for_replies(std::size_t n, ms timeout) {
  return state_->wait_for_requests(is_reply, n, timeout);
}

std::vector<mm_call> fake_mattermost::calls(const std::string& part) const {
  return state_->requests_where(
      [&](const mm_call& c) { return part.empty() || c.target.find(part) != std::string::npos; });
}

std::vector<mm_call> fake_mattermost::replies() const { return state_->requests_where(is_reply); }

std::vector<std::string> fake_mattermost::upgrade_targets() const {
  std::lock_guard lock(state_->mutex);
  return state_->targets;
}

std::vector<std::string> fake_mattermost::upgrade_authorizations() const {
  std::lock_guard lock(state_->mutex);
  return state_->auths;
}

int fake_mattermost::hellos() const {
  std::lock_guard lock(state_->mutex);
  return state_->hellos;
}

}  // namespace sessiondx::test
