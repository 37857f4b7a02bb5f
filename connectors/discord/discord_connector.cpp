#include "connectors/discord/discord_connector.hpp"

#include "connectors/chat/connector_state.hpp"
#include "connectors/chat/https_client.hpp"
#include "connectors/chat/lookup_runner.hpp"
#include "connectors/chat/ordered_delivery.hpp"
#include "connectors/chat/reconnect_policy.hpp"
#include "connectors/chat/url.hpp"
#include "connectors/chat/websocket_client.hpp"
#include "connectors/discord/gateway.hpp"
#include "connectors/discord/messages.hpp"
#include "connectors/discord/rate_limits.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <set>

namespace sessiondx::discord {

namespace net = boost::asio;
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

chat::http_settings http_settings_of(const discord_settings& s) {
  chat::http_settings h;
  h.allow_plaintext = s.allow_plaintext;
  h.timeout = s.request_timeout;
  h.user_agent = user_agent(s);
  return h;
}

gateway_settings gateway_settings_of(const discord_settings& s) {
  gateway_settings g;
  g.token = s.bot_token;
  g.invalid_session_min = s.invalid_session_min;
  g.invalid_session_max = s.invalid_session_max;
  g.identify_window = s.identify_window;
  return g;
}

void log_exception(std::string_view what, std::exception_ptr e) {
  chat::log_failure("discord", what, std::move(e));
}

/// One gateway socket and its heartbeat timer.
struct link {
  link(std::shared_ptr<chat::websocket_connection> s, net::any_io_executor ex)
      : socket(std::move(s)), heartbeat(ex, clock::time_point::max()) {}
  std::shared_ptr<chat::websocket_connection> socket;
  net::steady_timer heartbeat;
  bool ended = false;
};

}  // namespace

struct discord_connector::impl : std::enable_shared_from_this<discord_connector::impl> {
  impl(net::io_context& ioc, discord_settings s, const bot::command_handler& h,
       std::function<void(const stop_reason&)> stopped)
      : strand(net::make_strand(ioc)),
        settings(std::move(s)),
        jitter(settings.jitter ? settings.jitter : chat::default_jitter()),
        handler(h),
        on_stopped(std::move(stopped)),
        lookups(h, settings.lookup_threads, "discord"),
        http(http_settings_of(settings)),
        delivery(strand, settings.delivery),
        policy(settings.backoff, jitter),
        gateway(gateway_settings_of(settings), jitter),
        backoff_timer(strand) {}

  net::strand<net::io_context::executor_type> strand;
  discord_settings settings;
  std::function<double()> jitter;
  const bot::command_handler& handler;
  std::function<void(const stop_reason&)> on_stopped;
  chat::lookup_runner lookups;
  chat::connector_metrics metrics{"discord"};
  chat::https_client http;
  chat::ordered_delivery delivery;
  chat::reconnect_policy policy;
  gateway_session gateway;
  rate_limiter limits;
  net::steady_timer backoff_timer;
  std::shared_ptr<link> current;
  bool stopping = false;
  bool stopped_reported = false;
  bool commands_registered = false;
  std::string gateway_url;
  // Interaction ids already answered (a replay after resume must not answer twice).
  std::set<std::string> seen;
  std::deque<std::string> seen_order;

  bool first_time(const std::string& id) {
    if (!seen.insert(id).second) return false;
    seen_order.push_back(id);
    if (seen_order.size() > 4096) {
      seen.erase(seen_order.front());
      seen_order.pop_front();
    }
    return true;
  }

  std::string application_id() const {
    if (!settings.application_id.empty()) return settings.application_id;
    return gateway.application_id();
  }

  void report_stop(stop_reason why) {
    if (stopped_reported) return;
    stopped_reported = true;
    chat::set_link_state(metrics, why.fatal ? chat::link_state::fatal : chat::link_state::stopped,
                         why.message);
    if (on_stopped) on_stopped(why);
  }
};

namespace {

using connector_impl = std::shared_ptr<discord_connector::impl>;

// ---- REST ----

struct rest_call {
  std::string method, path;
  json body;             ///< null: no body
  bool bot_auth = true;  ///< interaction and webhook routes are authorised by their token
};

/// Waits out the route's rate limit, sends the call once, records the limits of the answer.
net::awaitable<chat::http_response> rest_once(connector_impl self, rest_call call) {
  const std::string route = call.method + " " + call.path;
  const auto wait = self->limits.wait_before(route, clock::now());
  if (wait.count() > 0) {
    net::steady_timer timer(self->strand, wait);
    co_await timer.async_wait(nothrow);
  }
  chat::header_list headers{{"Content-Type", "application/json"}};
  if (call.bot_auth) headers.emplace_back("Authorization", "Bot " + self->settings.bot_token);
  std::string url = self->settings.api_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += call.path;
  // Named arguments, not temporaries in the co_await expression: GCC 12 destroys those twice.
  std::string body;
  if (!call.body.is_null()) body = call.body.dump();
  std::string method = call.method;
  auto answer = co_await self->http.request(method, url, headers, body);
  const auto info = parse_rate_limit(answer.status, answer.headers, answer.body);
  self->limits.update(route, info, clock::now());
  if (answer.status == 429)
    spdlog::warn("discord: {} rate limited ({}retry after {:.3f} s)", route,
                 info.global ? "global, " : "", info.retry_after_s.value_or(1.0));
  co_return answer;
}

/// One message edit or follow-up, for ordered_delivery: 429s retried (the limiter holds the
/// exact wait), other failures logged.
net::awaitable<chat::delivery_attempt> deliver_once(connector_impl self, rest_call call) {
  chat::delivery_attempt attempt;
  try {
    const auto answer = co_await rest_once(self, call);
    attempt.status = answer.status;
    if (answer.status == 429) {
      attempt.retry_after = std::chrono::seconds(0);  // rest_once waits the precise delay
    } else if (answer.status >= 300) {
      spdlog::error("discord: {} {} answered HTTP {}: {}", call.method,
                    call.path.substr(0, call.path.find('/', 1)), answer.status,
                    answer.body.substr(0, 300));
    }
  } catch (const boost::system::system_error& e) {
    spdlog::warn("discord: {} failed: {}", call.method, e.code().message());
    attempt.status = 0;
  }
  co_return attempt;
}

/// The deferred response, at once (Discord allows 3 s); a 429 is waited out once.
net::awaitable<bool> defer(connector_impl self, interaction it, bool ephemeral) {
  rest_call call{"POST", "/interactions/" + it.id + "/" + it.token + "/callback",
                 deferred_response(ephemeral), false};
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      const auto answer = co_await rest_once(self, call);
      if (answer.status >= 200 && answer.status < 300) co_return true;
      if (answer.status != 429) {
        spdlog::error("discord: the deferred response to interaction {} answered HTTP {}: {}",
                      it.id, answer.status, answer.body.substr(0, 300));
        co_return false;
      }
    } catch (const boost::system::system_error& e) {
      spdlog::warn("discord: the deferred response to interaction {} failed: {}", it.id,
                   e.code().message());
    }
  }
  co_return false;
}

net::awaitable<void> answer_interaction(connector_impl self, interaction it,
                                        chat::ordered_delivery::slot slot) {
  const bool ephemeral = self->settings.visibility == reply_visibility::ephemeral &&
                         it.kind != interaction_kind::share_button && !it.direct_message;
  const auto started = clock::now();
  bot::command_input input{it.user_id, it.channel_id, it.text, "discord", it.role_ids};
  // The deferred response (within Discord's 3 s) and the lookup at the same time.
  using namespace net::experimental::awaitable_operators;
  // Named, not temporaries inside the co_await expression: GCC 12 destroys those twice.
  auto deferral = defer(self, it, ephemeral);
  auto lookup = self->lookups.run(std::move(input));
  auto both = std::move(deferral) && std::move(lookup);
  std::tuple<bool, bot::reply> answered = co_await std::move(both);
  const bool deferred = std::get<0>(answered);
  const bot::reply& reply = std::get<1>(answered);
  if (!deferred) {
    self->metrics.reply(chat::reply_outcome::failed, clock::now() - started);
    slot.finish();
    co_return;
  }

  embed_options options;
  options.example_id = self->lookups.example_id();
  options.team_language = self->settings.team_language;
  options.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto messages = render_embeds(reply, options);
  const std::string share = ephemeral ? share_custom_id(reply) : std::string();
  if (!share.empty()) add_share_button(messages.back(), share);
  std::string app = it.application_id.empty() ? self->application_id() : it.application_id;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    rest_call call;
    if (i == 0) {
      call = {"PATCH", "/webhooks/" + app + "/" + it.token + "/messages/@original", messages[i],
              false};
    } else {
      if (ephemeral) make_ephemeral(messages[i]);
      call = {"POST", "/webhooks/" + app + "/" + it.token, messages[i], false};
    }
    slot.push([self, call] { return deliver_once(self, call); });
  }
  slot.on_done([self, started](bool every_message_sent) {
    self->metrics.reply(
        every_message_sent ? chat::reply_outcome::sent : chat::reply_outcome::failed,
        clock::now() - started);
  });
  slot.finish();
}

net::awaitable<void> register_commands(connector_impl self) {
  const std::string app = self->application_id();
  if (app.empty()) {
    spdlog::error("discord: no application id (READY carried none); commands not registered");
    co_return;
  }
  std::vector<std::string> paths;
  if (self->settings.guild_ids.empty()) {
    paths.push_back("/applications/" + app + "/commands");
  } else {
    for (const auto& g : self->settings.guild_ids)
      paths.push_back("/applications/" + app + "/guilds/" + g + "/commands");
  }
  for (const auto& path : paths) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      try {
        rest_call put{"PUT", path, command_definitions(), true};
        const auto answer = co_await rest_once(self, put);
        if (answer.status == 429) continue;  // rest_once waits the limit out next time
        if (answer.status >= 200 && answer.status < 300) {
          spdlog::info("discord: /session and /help registered ({})",
                       path.find("/guilds/") == std::string::npos ? "globally" : path);
        } else {
          spdlog::error(
              "discord: registering the commands ({}) answered HTTP {}: {} — was the bot invited "
              "with the applications.commands scope?",
              path, answer.status, answer.body.substr(0, 300));
        }
        break;
      } catch (const boost::system::system_error& e) {
        spdlog::warn("discord: registering the commands failed: {}", e.code().message());
      }
    }
  }
}

// ---- the gateway ----

void on_dispatch(const connector_impl& self, const gateway_action& a) {
  if (a.event == "READY") {
    chat::set_link_state(self->metrics, chat::link_state::connected,
                         "READY, session " + self->gateway.session_id() + ", bot user " +
                             self->gateway.bot_user_id());
    if (!self->commands_registered) {
      self->commands_registered = true;
      net::co_spawn(self->strand, register_commands(self),
                    [](std::exception_ptr e) { log_exception("registering the commands", e); });
    }
    return;
  }
  if (a.event == "RESUMED") {
    chat::set_link_state(self->metrics, chat::link_state::connected,
                         "RESUMED session " + self->gateway.session_id());
    return;
  }
  if (a.event != "INTERACTION_CREATE") return;
  auto parsed = parse_interaction(a.data);
  if (auto* ignored = std::get_if<ignored_interaction>(&parsed)) {
    spdlog::debug("discord: ignoring an interaction: {}", ignored->reason);
    return;
  }
  auto& it = std::get<interaction>(parsed);
  if (!self->first_time(it.id)) {
    spdlog::debug("discord: interaction {} delivered again; already answered", it.id);
    return;
  }
  spdlog::info("discord: {} from {} in {}: {}",
               it.kind == interaction_kind::command ? "command" : "share", it.user_id,
               it.channel_id, it.text);
  auto slot = self->delivery.reserve(it.channel_id);
  net::co_spawn(self->strand, answer_interaction(self, std::move(it), std::move(slot)),
                [](std::exception_ptr e) { log_exception("answering an interaction", e); });
}

void apply(const connector_impl& self, const std::shared_ptr<link>& l,
           const std::vector<gateway_action>& actions) {
  for (const auto& a : actions) {
    switch (a.what) {
      case gateway_action::kind::send:
        if (!l->socket->send(a.payload)) spdlog::warn("discord: could not queue a gateway payload");
        break;
      case gateway_action::kind::heartbeat_timer:
        l->heartbeat.expires_after(a.delay);
        break;
      case gateway_action::kind::close:
        spdlog::info("discord: closing the gateway socket ({})", a.close_code);
        l->socket->close(a.close_code);
        break;
      case gateway_action::kind::connected:
        self->policy.connected(clock::now());
        break;
      case gateway_action::kind::dispatch:
        on_dispatch(self, a);
        break;
    }
  }
}

net::awaitable<void> heartbeat_loop(connector_impl self, std::shared_ptr<link> l) {
  for (;;) {
    auto [ec] = co_await l->heartbeat.async_wait(nothrow);
    if (l->ended || self->stopping) co_return;
    if (ec) continue;  // re-armed
    l->heartbeat.expires_at(clock::time_point::max());
    auto actions = self->gateway.on_heartbeat_due();
    if (actions.size() == 1 && actions[0].what == gateway_action::kind::close)
      spdlog::warn("discord: no heartbeat ACK since the last beat: zombie link, resuming");
    apply(self, l, actions);
  }
}

/// GET /gateway/bot. Returns false after a fatal answer (the connector stops).
net::awaitable<bool> fetch_gateway(connector_impl self, stop_reason& why) {
  for (;;) {
    if (self->stopping) co_return false;
    try {
      rest_call get{"GET", "/gateway/bot", json(), true};
      const auto answer = co_await rest_once(self, get);
      if (answer.status == 401 || answer.status == 403) {
        why = {true, "GET /gateway/bot answered HTTP " + std::to_string(answer.status) +
                         ": DISCORD_BOT_TOKEN is wrong or was reset; not retrying"};
        co_return false;
      }
      const auto j = json::parse(answer.body, nullptr, false);
      if (answer.status == 200 && j.is_object() && j.contains("url") && j["url"].is_string()) {
        self->gateway_url = j["url"].get<std::string>();
        self->gateway.set_gateway_url(self->gateway_url);
        if (j.contains("session_start_limit") && j["session_start_limit"].is_object()) {
          const auto& l = j["session_start_limit"];
          if (l.contains("max_concurrency") && l["max_concurrency"].is_number_integer())
            self->gateway.set_max_concurrency(l["max_concurrency"].get<int>());
          if (l.contains("remaining") && l["remaining"].is_number_integer() &&
              l["remaining"].get<int>() < 10)
            spdlog::warn("discord: only {} identifies left today", l["remaining"].get<int>());
        }
        co_return true;
      }
      spdlog::warn("discord: GET /gateway/bot answered HTTP {}", answer.status);
    } catch (const boost::system::system_error& e) {
      spdlog::warn("discord: GET /gateway/bot failed: {}", e.code().message());
    }
    const auto delay = self->policy.next_delay(clock::now());
    self->backoff_timer.expires_after(delay);
    co_await self->backoff_timer.async_wait(nothrow);
  }
}

net::awaitable<void> supervise(connector_impl self) {
  stop_reason why{false, "stop requested"};
  std::chrono::milliseconds delay{0};
  const bool have_gateway = co_await fetch_gateway(self, why);  // not in a condition: GCC 12
  if (have_gateway) {
    for (;;) {
      if (delay.count() > 0) {
        spdlog::info("discord: reconnecting in {} ms", delay.count());
        self->backoff_timer.expires_after(delay);
        co_await self->backoff_timer.async_wait(nothrow);
      }
      if (self->stopping) break;
      const gateway_next next = self->gateway.next_connection();
      std::shared_ptr<chat::websocket_connection> socket;
      try {
        chat::websocket_settings ws;
        ws.allow_plaintext = self->settings.allow_plaintext;
        ws.handshake_timeout = self->settings.request_timeout;
        ws.idle_timeout = self->settings.idle_timeout;
        ws.user_agent = user_agent(self->settings);
        socket = co_await chat::open_websocket(self->settings.open_websocket, next.url, ws);
      } catch (const boost::system::system_error& e) {
        spdlog::warn("discord: connecting to the gateway failed: {}", e.code().message());
      } catch (const std::exception& e) {
        spdlog::warn("discord: connecting to the gateway failed: {}", e.what());
      }
      if (!socket) {
        chat::set_link_state(self->metrics, chat::link_state::reconnecting,
                             "could not open the gateway socket");
        delay = self->policy.next_delay(clock::now());
        continue;
      }
      if (self->stopping) socket->close();
      spdlog::info("discord: gateway socket open ({}), {}", socket->label(),
                   next.what == gateway_next::kind::resume ? "resuming" : "identifying");
      self->gateway.opened();
      auto l = std::make_shared<link>(socket, self->strand);
      self->current = l;
      net::co_spawn(self->strand, heartbeat_loop(self, l), net::detached);
      chat::websocket_connection::message_handler on_message = [self, l](std::string text) {
        apply(self, l, self->gateway.on_frame(text, clock::now()));
      };
      const auto ec = co_await socket->run(std::move(on_message));
      l->ended = true;
      l->heartbeat.cancel();
      self->current.reset();
      const auto code = socket->peer_close_code();
      if (self->stopping) break;
      const gateway_next after = self->gateway.on_closed(code, clock::now());
      if (after.what == gateway_next::kind::stop) {
        why = {true, "the gateway closed the connection: " + after.message + "; not reconnecting"};
        break;
      }
      chat::set_link_state(
          self->metrics, chat::link_state::reconnecting,
          "gateway socket ended: " +
              (code != 0 ? "close code " + std::to_string(code)
                         : (ec ? ec.message() : std::string("closed"))) +
              "; will " + (after.what == gateway_next::kind::resume ? "resume" : "identify anew"));
      delay = std::max(self->policy.next_delay(clock::now()), after.min_delay);
    }
  }
  self->stopping = true;
  self->delivery.stop();
  self->report_stop(why);
}

}  // namespace

discord_connector::discord_connector(net::io_context& ioc, discord_settings settings,
                                     const bot::command_handler& handler,
                                     std::function<void(const stop_reason&)> on_stopped)
    : impl_(std::make_shared<impl>(ioc, std::move(settings), handler, std::move(on_stopped))) {}

discord_connector::~discord_connector() {
  stop();
  impl_->lookups.join();
}

bool discord_connector::connected() const { return impl_->metrics.up(); }

const chat::connector_metrics& discord_connector::metrics() const { return impl_->metrics; }

void discord_connector::start() {
  net::co_spawn(impl_->strand, supervise(impl_),
                [](std::exception_ptr e) { log_exception("the gateway supervisor", e); });
}

void discord_connector::stop() {
  net::post(impl_->strand, [self = impl_] {
    if (self->stopping) return;
    self->stopping = true;
    self->backoff_timer.cancel();
    if (self->current) self->current->socket->close(1000);
  });
}

}  // namespace sessiondx::discord
