#include "tests/connectors/slack/fake_slack.hpp"

#include "tests/support/fake_server.hpp"

#include <cstdlib>
#include <map>
#include <set>

namespace sessiondx::test {

using json = nlohmann::json;
using clock = std::chrono::steady_clock;
namespace http = fake::http;
using fake::answer;

struct fake_slack::state final : fake::server {
  // Guarded by mutex:
  std::map<std::string, clock::time_point> sent_envelopes;
  std::set<int> unused_tickets;
  int next_ticket = 0;
  int hello_sent = 0;
  int bad_tickets = 0;
  std::string connections_open_error, post_error;
  int rate_limited = 0, retry_after_s = 1;
  bool send_hello = true;
  int next_ts = 0;

  state() { outbox_capacity = 64; }
  ~state() override { stop(); }

  fake::response route(const fake::request& req, recorded_request& call) override;
  std::optional<fake::response> check_upgrade(const fake::request& req) override;
  void on_open(fake::socket& s, const fake::request& req) override;
};

fake::response fake_slack::state::route(const fake::request& req, recorded_request& call) {
  const std::string& target = call.target;
  constexpr const char* json_type = "application/json; charset=utf-8";
  if (target.rfind("/response/", 0) == 0) {
    call.api_method = "response_url";
    return answer(req, http::status::ok, "ok", "text/plain");
  }
  if (target.rfind("/api/", 0) != 0 || req.method() != http::verb::post) {
    call.api_method = target;
    return answer(req, http::status::not_found, R"({"ok":false,"error":"unknown_method"})",
                  json_type);
  }
  call.api_method = call.path.substr(5);
  std::lock_guard lock(mutex);
  if (call.api_method == "apps.connections.open") {
    if (call.authorization.rfind("Bearer ", 0) != 0)
      return answer(req, http::status::ok, R"({"ok":false,"error":"not_authed"})", json_type);
    if (call.authorization.rfind("Bearer xapp-", 0) != 0)
      return answer(req, http::status::ok, R"({"ok":false,"error":"not_allowed_token_type"})",
                    json_type);
    if (!connections_open_error.empty())
      return answer(req, http::status::ok,
                    json{{"ok", false}, {"error", connections_open_error}}.dump(), json_type);
    const int ticket = ++next_ticket;
    unused_tickets.insert(ticket);
    const std::string url =
        base_url("ws") + "/link/?ticket=" + std::to_string(ticket) + "&app_id=A111";
    return answer(req, http::status::ok, json{{"ok", true}, {"url", url}}.dump(), json_type);
  }
  if (call.api_method == "chat.postMessage" || call.api_method == "chat.postEphemeral") {
    if (rate_limited > 0) {
      --rate_limited;
      auto res = answer(req, http::status::too_many_requests,
                        R"({"ok":false,"error":"ratelimited"})", json_type);
      res.set(http::field::retry_after, std::to_string(retry_after_s));
      return res;
    }
    std::string error;
    if (call.authorization.rfind("Bearer xoxb-", 0) != 0)
      error = "invalid_auth";
    else if (call.content_type.rfind("application/json", 0) != 0 || !call.body.is_object())
      error = "invalid_arguments";
    else if (!call.body.contains("channel"))
      error = "channel_not_found";
    else if (!call.body.contains("text") && !call.body.contains("blocks"))
      error = "no_text";
    else if (call.api_method == "chat.postEphemeral" && !call.body.contains("user"))
      error = "user_not_in_channel";
    else if (call.api_method == "chat.postMessage" && !post_error.empty())
      error = post_error;
    json body;
    if (error.empty()) {
      const std::string ts = "1700000000." + std::to_string(100000 + ++next_ts);
      body = call.api_method == "chat.postMessage"
                 ? json{{"ok", true},
                        {"channel", call.body["channel"]},
                        {"ts", ts},
                        {"message", {{"text", call.body.value("text", "")}}}}
                 : json{{"ok", true}, {"message_ts", ts}};
    } else {
      body = json{{"ok", false}, {"error", error}};
    }
    return answer(req, http::status::ok, body.dump(), json_type);
  }
  return answer(req, http::status::ok, R"({"ok":false,"error":"unknown_method"})", json_type);
}

std::optional<fake::response> fake_slack::state::check_upgrade(const fake::request& req) {
  // Tickets are single use, as Slack's are.
  const std::string target(req.target());
  const std::string ticket_text = fake::query_value(target, "ticket");
  const int ticket = ticket_text.empty() ? -1 : std::atoi(ticket_text.c_str());
  bool valid = false;
  {
    std::lock_guard lock(mutex);
    valid = target.rfind("/link", 0) == 0 && unused_tickets.erase(ticket) != 0;
    if (!valid) ++bad_tickets;
  }
  if (valid) return std::nullopt;
  notify();
  return answer(req, http::status::unauthorized, R"({"ok":false,"error":"invalid_ticket"})",
                "application/json; charset=utf-8");
}

void fake_slack::state::on_open(fake::socket& s, const fake::request&) {
  std::lock_guard lock(mutex);
  if (!send_hello) return;
  s.send(json{
      {"type", "hello"},
      {"num_connections", 1},
      {"debug_info",
       {{"host", "applink-fake"}, {"build_number", 10}, {"approximate_connection_time", 18060}}},
      {"connection_info", {{"app_id", "A111"}}}});
  ++hello_sent;
}

namespace {
bool is_post(const recorded_request& c) {
  return c.api_method == "chat.postMessage" || c.api_method == "chat.postEphemeral";
}
}  // namespace

fake_slack::fake_slack() : state_(std::make_shared<state>()) { state_->start(); }

fake_slack::~fake_slack() { state_->stop(); }

std::string fake_slack::api_url() const { return state_->base_url() + "/api/"; }

std::string fake_slack::response_url() const { return state_->base_url() + "/response/T111/1/xyz"; }

void fake_slack::fail_connections_open(std::string error) {
  std::lock_guard lock(state_->mutex);
  state_->connections_open_error = std::move(error);
}

void fake_slack::rate_limit_posts(int count, int retry_after_s) {
  std::lock_guard lock(state_->mutex);
  state_->rate_limited = count;
  state_->retry_after_s = retry_after_s;
}

void fake_slack::fail_post_message(std::string error) {
  std::lock_guard lock(state_->mutex);
  state_->post_error = std::move(error);
}

void fake_slack::send_hello(bool yes) {
  std::lock_guard lock(state_->mutex);
  state_->send_hello = yes;
}

void fake_slack::send(int socket, const json& frame) {
  if (frame.contains("envelope_id")) {
    std::lock_guard lock(state_->mutex);
    state_->sent_envelopes[frame["envelope_id"].get<std::string>()] = clock::now();
  }
  send_text(socket, frame.dump());
}

void fake_slack::send_text(int socket, std::string text) {
  auto* st = state_.get();
  st->on_server([st, socket, text = std::move(text)]() mutable {
    if (auto s = st->at(socket)) s->send(std::move(text));
  });
}

void fake_slack::drop(int socket) {
  auto* st = state_.get();
  st->on_server([st, socket] {
    if (auto s = st->at(socket)) s->drop();
  });
}

bool fake_slack::wait_for_sockets(int n, ms timeout) {
  return state_->wait([&] { return state_->hello_sent >= n; }, timeout);
}

bool fake_slack::wait_for_ack(const std::string& envelope_id, ms timeout) {
  const std::string ack = json{{"envelope_id", envelope_id}}.dump();
  return state_->wait(
      [&] {
        for (const auto& f : state_->frames) {
          auto j = json::parse(f.text, nullptr, false);
          if (j.is_object() && j.value("envelope_id", "") == envelope_id) return true;
        }
        return false;
      },
      timeout);
}

bool fake_slack::wait_for_posts(std::size_t n, ms timeout) {
  return state_->wait_for_requests(
      [](const recorded_request& c) { return is_post(c) && c.status == 200; }, n, timeout);
}

bool fake_slack::wait_for_calls(const std::string& method, std::size_t n, ms timeout) {
  return state_->wait_for_requests(
      [&](const recorded_request& c) { return c.api_method == method; }, n, timeout);
}

bool fake_slack::wait_closed(int socket, ms timeout) { return state_->wait_ended(socket, timeout); }

std::vector<api_call> fake_slack::calls(const std::string& method) const {
  return state_->requests_where(
      [&](const recorded_request& c) { return method.empty() || c.api_method == method; });
}

std::vector<api_call> fake_slack::posts() const {
  return state_->requests_where([](const recorded_request& c) {
    return is_post(c) && c.status == 200 && c.body.is_object();
  });
}

std::vector<socket_frame> fake_slack::frames(int socket) const {
  std::lock_guard lock(state_->mutex);
  std::vector<socket_frame> out;
  for (const auto& f : state_->frames)
    if (socket < 0 || f.socket == socket) out.push_back(f);
  return out;
}

fake_slack::ms fake_slack::ack_delay(const std::string& envelope_id) const {
  std::lock_guard lock(state_->mutex);
  const auto sent = state_->sent_envelopes.find(envelope_id);
  if (sent == state_->sent_envelopes.end()) return ms::max();
  for (const auto& f : state_->frames) {
    auto j = json::parse(f.text, nullptr, false);
    if (j.is_object() && j.value("envelope_id", "") == envelope_id)
      return std::chrono::duration_cast<ms>(f.at - sent->second);
  }
  return ms::max();
}

int fake_slack::sockets() const {
  std::lock_guard lock(state_->mutex);
  return state_->hello_sent;
}

int fake_slack::bad_tickets() const {
  std::lock_guard lock(state_->mutex);
  return state_->bad_tickets;
}

bool fake_slack::closed_by_client(int socket) const {
  std::lock_guard lock(state_->mutex);
  return state_->client_close.count(socket) != 0;
}

namespace slack_frames {

json slash_command(const std::string& envelope_id, const std::string& command,
                   const std::string& text, const std::string& channel, const std::string& user,
                   const std::string& response_url) {
  return {{"envelope_id", envelope_id},
          {"type", "slash_commands"},
          {"accepts_response_payload", true},
          {"payload",
           {{"token", "verification-token"},
            {"team_id", "T111"},
            {"team_domain", "acme"},
            {"channel_id", channel},
            {"channel_name", "support"},
            {"user_id", user},
            {"user_name", "agent"},
            {"command", command},
            {"text", text},
            {"api_app_id", "A111"},
            {"is_enterprise_install", "false"},
            {"response_url", response_url},
            {"trigger_id", "111.222.xxx"}}}};
}

namespace {
json event_envelope(const std::string& envelope_id, const std::string& event_id, json event,
                    int retry_attempt) {
  json e{{"envelope_id", envelope_id},
         {"type", "events_api"},
         {"accepts_response_payload", false},
         {"retry_attempt", retry_attempt},
         {"retry_reason", retry_attempt > 0 ? "timeout" : ""},
         {"payload",
          {{"token", "verification-token"},
           {"team_id", "T111"},
           {"api_app_id", "A111"},
           {"event", std::move(event)},
           {"type", "event_callback"},
           {"event_id", event_id},
           {"event_time", 1700000000},
           {"authorizations", json::array({{{"enterprise_id", nullptr},
                                            {"team_id", "T111"},
                                            {"user_id", bot_user},
                                            {"is_bot", true},
                                            {"is_enterprise_install", false}}})},
           {"is_ext_shared_channel", false},
           {"event_context", "4-eyJldCI6ImFwcF9tZW50aW9uIn0"}}}};
  return e;
}
}  // namespace

json app_mention(const std::string& envelope_id, const std::string& event_id,
                 const std::string& text, const std::string& channel, const std::string& user,
                 const std::string& thread_ts, int retry_attempt) {
  json ev{{"type", "app_mention"}, {"user", user},
          {"text", text},          {"ts", "1700000001.000100"},
          {"channel", channel},    {"event_ts", "1700000001.000100"},
          {"team", "T111"}};
  if (!thread_ts.empty()) ev["thread_ts"] = thread_ts;
  return event_envelope(envelope_id, event_id, std::move(ev), retry_attempt);
}

json direct_message(const std::string& envelope_id, const std::string& event_id,
                    const std::string& text, const std::string& user, bool from_bot) {
  json ev{{"type", "message"},
          {"channel", "D0DM0001"},
          {"user", user},
          {"text", text},
          {"ts", "1700000002.000200"},
          {"event_ts", "1700000002.000200"},
          {"channel_type", "im"},
          {"team", "T111"}};
  if (from_bot) {
    ev["bot_id"] = "B0BOT001";
    ev["subtype"] = "bot_message";
  }
  return event_envelope(envelope_id, event_id, std::move(ev), 0);
}

json share_click(const std::string& envelope_id, const std::string& value,
                 const std::string& channel, const std::string& user) {
  return {
      {"envelope_id", envelope_id},
      {"type", "interactive"},
      {"accepts_response_payload", false},
      {"payload",
       {{"type", "block_actions"},
        {"user", {{"id", user}, {"username", "agent"}, {"team_id", "T111"}}},
        {"api_app_id", "A111"},
        {"token", "verification-token"},
        {"container",
         {{"type", "message"},
          {"message_ts", "1700000003.000300"},
          {"channel_id", channel},
          {"is_ephemeral", true}}},
        {"trigger_id", "111.222.yyy"},
        {"team", {{"id", "T111"}, {"domain", "acme"}}},
        {"channel", {{"id", channel}, {"name", "support"}}},
        {"response_url", "https://hooks.slack.com/actions/T111/1/zzz"},
        {"actions", json::array({{{"action_id", "share_in_channel"},
                                  {"block_id", "b1"},
                                  {"text", {{"type", "plain_text"}, {"text", "Share in channel"}}},
                                  {"value", value},
                                  {"type", "button"},
                                  {"action_ts", "1700000004.000400"}}})}}}};
}

json disconnect(const std::string& reason) {
  return {
      {"type", "disconnect"}, {"reason", reason}, {"debug_info", {{"host", "wss-111.slack.com"}}}};
}

}  // namespace slack_frames

}  // namespace sessiondx::test
