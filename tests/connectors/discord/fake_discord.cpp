#include "tests/connectors/discord/fake_discord.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace sessiondx::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

namespace {
constexpr auto nothrow = net::as_tuple(net::use_awaitable);
/// Text to send; an empty optional with a code closes the socket.
struct out_frame {
  std::string text;
  std::uint16_t close_code = 0;
};
using outbox = net::experimental::channel<void(boost::system::error_code, out_frame)>;

struct fake_socket {
  fake_socket(beast::tcp_stream stream, net::any_io_executor ex)
      : ws(std::move(stream)), out(ex, 256) {}
  websocket::stream<beast::tcp_stream> ws;
  outbox out;
  std::string session;  ///< after Identify/Resume
  int index = 0;
};

struct session_log {
  std::int64_t seq = 0;
  std::vector<std::pair<std::int64_t, std::string>> dispatched;  ///< for replay
};

struct interaction_state {
  int callbacks = 0;
};

bool ok_user_agent(const std::string& ua) { return ua.rfind("DiscordBot (", 0) == 0; }

constexpr int privileged_intents = (1 << 1) | (1 << 8) | (1 << 15);

}  // namespace

struct fake_discord::state {
  mutable std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex:
  std::vector<discord_call> calls;
  std::vector<gateway_frame> frames;
  std::map<std::string, session_log> sessions;
  std::map<std::string, interaction_state> interactions;
  std::map<int, std::uint16_t> client_close;
  std::set<int> ended;
  int heartbeat_interval = 41'250;
  bool ack = true, hold = false;
  int rate_limited = 0;
  double retry_after_s = 0.2;
  int ready_sent = 0, resumed_sent = 0, identifies = 0, resumes = 0, accepted = 0;
  int next_session = 0, next_interaction = 0, next_message = 0;
  std::uint16_t port = 0;

  // Only on the server thread:
  std::vector<std::shared_ptr<fake_socket>> sockets;

  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, pred);
  }
  void notify() { changed.notify_all(); }

  std::shared_ptr<fake_socket> newest() { return sockets.empty() ? nullptr : sockets.back(); }

  /// Numbers `t`/`d` in `session` and sends it unless held. Call on the server thread, unlocked.
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
    for (auto& s : sockets)
      if (s->session == session) s->out.try_send(boost::system::error_code{}, out_frame{text, 0});
  }
};

namespace {

using state = fake_discord::state;

http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                         http::status status, const std::string& body) {
  http::response<http::string_body> res{status, req.version()};
  if (!body.empty()) res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = body;
  res.prepare_payload();
  return res;
}

json error_body(const std::string& message, int code) {
  return {{"message", message}, {"code", code}};
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

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    const auto j = path.find('/', i);
    if (j == std::string::npos) {
      parts.push_back(path.substr(i));
      break;
    }
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

http::response<http::string_body> route(state* st, const http::request<http::string_body>& req) {
  const std::string target(req.target());
  discord_call call;
  call.method = std::string(req.method_string());
  call.path = target.substr(0, target.find('?'));
  call.authorization = std::string(req[http::field::authorization]);
  call.user_agent = std::string(req[http::field::user_agent]);
  call.body = req.body().empty() ? json() : json::parse(req.body(), nullptr, false);
  if (call.body.is_discarded()) call.body = json();
  call.at = clock::now();

  auto record = [&](http::response<http::string_body> res) {
    call.status = res.result_int();
    {
      std::lock_guard lock(st->mutex);
      st->calls.push_back(call);
    }
    st->notify();
    return res;
  };
  const bool bot_auth = call.authorization == std::string("Bot ") + fake_discord::token;

  if (!ok_user_agent(call.user_agent))
    return record(
        answer(req, http::status::bad_request,
               error_body("A User-Agent of DiscordBot (url, version) is required", 0).dump()));
  const auto p = split_path(call.path);
  if (p.size() < 2 || p[0] != "api" || p[1] != "v10")
    return record(answer(req, http::status::not_found, error_body("404: Not Found", 0).dump()));

  // GET /gateway/bot
  if (p.size() == 4 && p[2] == "gateway" && p[3] == "bot" && req.method() == http::verb::get) {
    if (!bot_auth)
      return record(
          answer(req, http::status::unauthorized, error_body("401: Unauthorized", 0).dump()));
    json body{{"url", "ws://127.0.0.1:" + std::to_string(st->port) + "/gateway"},
              {"shards", 1},
              {"session_start_limit",
               {{"total", 1000},
                {"remaining", 999},
                {"reset_after", 14'400'000},
                {"max_concurrency", 1}}}};
    return record(answer(req, http::status::ok, body.dump()));
  }

  // PUT /applications/{app}/commands, PUT /applications/{app}/guilds/{g}/commands
  if (p.size() >= 5 && p[2] == "applications" && p.back() == "commands" &&
      req.method() == http::verb::put) {
    if (!bot_auth)
      return record(
          answer(req, http::status::unauthorized, error_body("401: Unauthorized", 0).dump()));
    if (p[3] != fake_discord::application_id || !call.body.is_array())
      return record(
          answer(req, http::status::bad_request, error_body("Invalid Form Body", 50035).dump()));
    json out = json::array();
    int n = 0;
    for (auto c : call.body) {
      c["id"] = "9" + std::to_string(++n);
      c["application_id"] = fake_discord::application_id;
      c["version"] = "1";
      out.push_back(c);
    }
    return record(answer(req, http::status::ok, out.dump()));
  }

  // POST /interactions/{id}/{token}/callback
  if (p.size() == 6 && p[2] == "interactions" && p[5] == "callback" &&
      req.method() == http::verb::post) {
    std::unique_lock lock(st->mutex);
    auto it = st->interactions.find(p[4]);
    if (it == st->interactions.end()) {
      lock.unlock();
      return record(
          answer(req, http::status::not_found, error_body("Unknown interaction", 10062).dump()));
    }
    if (it->second.callbacks > 0) {
      lock.unlock();
      return record(answer(req, http::status::bad_request,
                           error_body("Interaction has already been acknowledged.", 40060).dump()));
    }
    const int type = call.body.is_object() ? call.body.value("type", 0) : 0;
    if (type != 4 && type != 5 && type != 6 && type != 7) {
      lock.unlock();
      return record(
          answer(req, http::status::bad_request, error_body("Invalid Form Body", 50035).dump()));
    }
    ++it->second.callbacks;
    lock.unlock();
    return record(answer(req, http::status::no_content, ""));
  }

  // PATCH /webhooks/{app}/{token}/messages/@original, POST /webhooks/{app}/{token}
  if (p.size() >= 5 && p[2] == "webhooks") {
    const bool edit = p.size() == 7 && p[5] == "messages" && p[6] == "@original" &&
                      req.method() == http::verb::patch;
    const bool followup = p.size() == 5 && req.method() == http::verb::post;
    if (!edit && !followup)
      return record(answer(req, http::status::not_found, error_body("404: Not Found", 0).dump()));
    std::unique_lock lock(st->mutex);
    if (st->rate_limited > 0) {
      --st->rate_limited;
      auto res = answer(req, http::status::too_many_requests,
                        json{{"message", "You are being rate limited."},
                             {"retry_after", st->retry_after_s},
                             {"global", false}}
                            .dump());
      res.set(http::field::retry_after,
              std::to_string(static_cast<int>(std::ceil(st->retry_after_s))));
      res.set("X-RateLimit-Limit", "5");
      res.set("X-RateLimit-Remaining", "0");
      res.set("X-RateLimit-Reset-After", std::to_string(st->retry_after_s));
      res.set("X-RateLimit-Bucket", "webhook-bucket");
      res.set("X-RateLimit-Scope", "user");
      lock.unlock();
      return record(std::move(res));
    }
    auto it = st->interactions.find(p[4]);
    if (p[3] != fake_discord::application_id || it == st->interactions.end() ||
        it->second.callbacks == 0) {
      lock.unlock();
      return record(
          answer(req, http::status::not_found, error_body("Unknown Webhook", 10015).dump()));
    }
    const auto violation = embed_violation(call.body);
    if (!violation.empty()) {
      lock.unlock();
      return record(answer(req, http::status::bad_request,
                           json{{"message", "Invalid Form Body"},
                                {"code", 50035},
                                {"errors", {{"embeds", violation}}}}
                               .dump()));
    }
    json msg = call.body;
    msg["id"] = "7" + std::to_string(++st->next_message);
    lock.unlock();
    auto res = answer(req, http::status::ok, msg.dump());
    res.set("X-RateLimit-Limit", "5");
    res.set("X-RateLimit-Remaining", "4");
    res.set("X-RateLimit-Reset-After", "1.000");
    res.set("X-RateLimit-Bucket", "webhook-bucket");
    return record(std::move(res));
  }
  return record(answer(req, http::status::not_found, error_body("404: Not Found", 0).dump()));
}

net::awaitable<void> write_frames(std::shared_ptr<fake_socket> s) {
  for (;;) {
    auto [ec, frame] = co_await s->out.async_receive(nothrow);
    if (ec) co_return;
    if (frame.close_code != 0) {
      auto [cec] = co_await s->ws.async_close(websocket::close_reason(frame.close_code), nothrow);
      (void)cec;
      co_return;
    }
    auto [wec, n] = co_await s->ws.async_write(net::buffer(frame.text), nothrow);
    if (wec) co_return;
  }
}

void send(const std::shared_ptr<fake_socket>& s, const json& j) {
  s->out.try_send(boost::system::error_code{}, out_frame{j.dump(), 0});
}

void close(const std::shared_ptr<fake_socket>& s, std::uint16_t code) {
  s->out.try_send(boost::system::error_code{}, out_frame{{}, code});
}

void on_payload(state* st, const std::shared_ptr<fake_socket>& s, const json& p) {
  const int op = p.value("op", -1);
  if (op == 1) {
    bool ack = false;
    {
      std::lock_guard lock(st->mutex);
      ack = st->ack;
    }
    if (ack) send(s, {{"op", 11}, {"d", nullptr}, {"s", nullptr}, {"t", nullptr}});
    return;
  }
  if (op == 2) {
    const auto& d = p["d"];
    if (!d.is_object() || d.value("token", "") != fake_discord::token) {
      close(s, 4004);
      return;
    }
    if (d.value("intents", 0) & privileged_intents) {
      close(s, 4014);
      return;
    }
    std::string id;
    {
      std::lock_guard lock(st->mutex);
      ++st->identifies;
      id = "sess-" + std::to_string(++st->next_session);
      st->sessions[id] = {};
    }
    s->session = id;
    st->dispatch(id, "READY",
                 {{"v", 10},
                  {"user", {{"id", "111"}, {"username", "sessiondx"}, {"bot", true}}},
                  {"guilds", json::array({{{"id", "290926798626357999"}, {"unavailable", true}}})},
                  {"session_id", id},
                  {"resume_gateway_url", "ws://127.0.0.1:" + std::to_string(st->port) + "/resume"},
                  {"application", {{"id", fake_discord::application_id}, {"flags", 0}}}});
    return;
  }
  if (op == 6) {
    const auto& d = p["d"];
    const std::string id = d.is_object() ? d.value("session_id", "") : "";
    std::vector<std::string> replay;
    bool known = false;
    {
      std::lock_guard lock(st->mutex);
      ++st->resumes;
      auto it = st->sessions.find(id);
      known = it != st->sessions.end() && d.value("token", "") == fake_discord::token &&
              d.contains("seq") && d["seq"].is_number_integer();
      if (known) {
        const auto seq = d["seq"].get<std::int64_t>();
        for (const auto& [n, text] : it->second.dispatched)
          if (n > seq) replay.push_back(text);
      }
    }
    if (!known) {
      send(s, {{"op", 9}, {"d", false}, {"s", nullptr}, {"t", nullptr}});
      return;
    }
    s->session = id;
    for (auto& text : replay) s->out.try_send(boost::system::error_code{}, out_frame{text, 0});
    {
      std::lock_guard lock(st->mutex);
      st->hold = false;  // the link is alive again
    }
    st->dispatch(id, "RESUMED", json(nullptr));
    return;
  }
}

net::awaitable<void> run_socket(state* st, beast::tcp_stream stream,
                                http::request<http::string_body> req) {
  const std::string target(req.target());
  auto ex = stream.get_executor();
  auto s = std::make_shared<fake_socket>(std::move(stream), ex);
  beast::get_lowest_layer(s->ws).expires_never();
  auto [aec] = co_await s->ws.async_accept(req, nothrow);
  if (aec) co_return;
  s->index = static_cast<int>(st->sockets.size());
  st->sockets.push_back(s);
  net::co_spawn(ex, write_frames(s), net::detached);
  int interval = 0;
  {
    std::lock_guard lock(st->mutex);
    ++st->accepted;
    interval = st->heartbeat_interval;
  }
  st->notify();
  if (target.find("v=10") == std::string::npos ||
      target.find("encoding=json") == std::string::npos) {
    close(s, 4012);
  } else {
    send(s,
         {{"op", 10}, {"d", {{"heartbeat_interval", interval}}}, {"s", nullptr}, {"t", nullptr}});
  }
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await s->ws.async_read(buffer, nothrow);
    if (ec) {
      std::lock_guard lock(st->mutex);
      if (ec == websocket::error::closed)
        st->client_close[s->index] = static_cast<std::uint16_t>(s->ws.reason().code);
      st->ended.insert(s->index);
      st->notify();
      break;
    }
    const auto p = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
    buffer.consume(buffer.size());
    if (!p.is_object()) {
      close(s, 4002);  // decode error, as Discord does
      continue;
    }
    {
      std::lock_guard lock(st->mutex);
      st->frames.push_back({s->index, p});
    }
    st->notify();
    on_payload(st, s, p);
  }
  s->out.close();
}

net::awaitable<void> serve(state* st, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, nothrow);
    if (ec) co_return;
    if (websocket::is_upgrade(req)) {
      co_await run_socket(st, std::move(stream), std::move(req));
      co_return;
    }
    auto res = route(st, req);
    auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
    if (wec || !res.keep_alive()) co_return;
  }
}

net::awaitable<void> accept_loop(state* st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor->async_accept(nothrow);
    if (ec) co_return;
    // As the real servers do (Go's net package sets TCP_NODELAY by default): without it two
    // small frames written back to back wait ~40 ms for the peer's delayed ACK (Nagle).
    boost::system::error_code ignored;
    socket.set_option(net::ip::tcp::no_delay(true), ignored);
    net::co_spawn(st->acceptor->get_executor(), serve(st, std::move(socket)), net::detached);
  }
}

}  // namespace

fake_discord::fake_discord() : state_(std::make_shared<state>()) {
  auto* st = state_.get();
  st->acceptor = std::make_unique<tcp::acceptor>(
      *st->ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  st->port = st->acceptor->local_endpoint().port();
  net::co_spawn(*st->ioc, accept_loop(st), net::detached);
  st->thread = std::thread([st] { st->ioc->run(); });
}

fake_discord::~fake_discord() {
  auto* st = state_.get();
  st->ioc->stop();
  st->thread.join();
  st->sockets.clear();
  st->acceptor.reset();
  st->ioc.reset();
}

std::string fake_discord::api_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/api/v10";
}

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
  state_->rate_limited = count;
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
  net::post(*st->ioc, [st, t, d] {
    auto s = st->newest();
    if (!s || s->session.empty()) return;
    st->dispatch(s->session, t, d);
  });
}

void fake_discord::send_raw(std::string text) {
  auto* st = state_.get();
  net::post(*st->ioc, [st, text = std::move(text)] {
    if (auto s = st->newest()) s->out.try_send(boost::system::error_code{}, out_frame{text, 0});
  });
}

void fake_discord::close_socket(std::uint16_t code) {
  auto* st = state_.get();
  net::post(*st->ioc, [st, code] {
    if (auto s = st->newest()) close(s, code);
  });
}

void fake_discord::invalidate_session() {
  auto* st = state_.get();
  net::post(*st->ioc, [st] {
    {
      std::lock_guard lock(st->mutex);
      st->sessions.clear();
    }
    if (auto s = st->newest()) send(s, {{"op", 9}, {"d", false}, {"s", nullptr}, {"t", nullptr}});
  });
}

void fake_discord::forget_sessions() {
  std::lock_guard lock(state_->mutex);
  state_->sessions.clear();
}

void fake_discord::send_reconnect() {
  auto* st = state_.get();
  net::post(*st->ioc, [st] {
    if (auto s = st->newest()) send(s, {{"op", 7}, {"d", nullptr}, {"s", nullptr}, {"t", nullptr}});
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
}  // namespace

bool fake_discord::wait_for_edits(std::size_t n, ms timeout) {
  return state_->wait(
      [&] {
        std::size_t k = 0;
        for (const auto& c : state_->calls)
          if (is_edit(c)) ++k;
        return k >= n;
      },
      timeout);
}

bool fake_discord::wait_for_calls(const std::string& method, const std::string& path_part,
                                  std::size_t n, ms timeout) {
  return state_->wait(
      [&] {
        std::size_t k = 0;
        for (const auto& c : state_->calls)
          if (c.method == method && c.path.find(path_part) != std::string::npos) ++k;
        return k >= n;
      },
      timeout);
}

bool fake_discord::wait_for_frames(int op, std::size_t n, ms timeout) {
  return state_->wait(
      [&] {
        std::size_t k = 0;
        for (const auto& f : state_->frames)
          if (f.payload.value("op", -1) == op) ++k;
        return k >= n;
      },
      timeout);
}

bool fake_discord::wait_closed(int socket, ms timeout) {
  return state_->wait([&] { return state_->ended.count(socket) != 0; }, timeout);
}

std::vector<discord_call> fake_discord::calls(const std::string& path_part) const {
  std::lock_guard lock(state_->mutex);
  std::vector<discord_call> out;
  for (const auto& c : state_->calls)
    if (path_part.empty() || c.path.find(path_part) != std::string::npos) out.push_back(c);
  return out;
}

std::vector<discord_call> fake_discord::edits() const {
  std::lock_guard lock(state_->mutex);
  std::vector<discord_call> out;
  for (const auto& c : state_->calls)
    if (is_edit(c)) out.push_back(c);
  return out;
}

std::vector<gateway_frame> fake_discord::frames(int op) const {
  std::lock_guard lock(state_->mutex);
  std::vector<gateway_frame> out;
  for (const auto& f : state_->frames)
    if (op < 0 || f.payload.value("op", -1) == op) out.push_back(f);
  return out;
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
