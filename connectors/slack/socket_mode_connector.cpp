#include "connectors/slack/socket_mode_connector.hpp"

#include "connectors/chat/connector_state.hpp"
#include "connectors/chat/ordered_delivery.hpp"
#include "connectors/chat/reconnect_policy.hpp"
#include "connectors/chat/websocket_client.hpp"
#include "connectors/slack/blocks.hpp"
#include "connectors/slack/recent_ids.hpp"
#include "connectors/slack/report_blocks.hpp"
#include "connectors/slack/socket_mode_frames.hpp"
#include "connectors/slack/supervisor.hpp"
#include "connectors/slack/web_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <random>
#include <set>

namespace sessiondx::slack {

namespace net = boost::asio;
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

/// What the supervisor (the one loop that opens and retires sockets) hears about.
struct socket_event {
  using kind = supervisor_event::kind;
  kind what = kind::stop;
  std::uint64_t socket = 0;
  std::string reason;               ///< disconnect reason
  boost::system::error_code error;  ///< why a socket ended
};

using event_channel = net::experimental::channel<void(boost::system::error_code, socket_event)>;

std::function<double()> default_jitter() {
  auto engine = std::make_shared<std::mt19937>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

chat::http_settings http_settings_of(const slack_settings& s) {
  chat::http_settings h;
  h.allow_plaintext = s.allow_plaintext;
  h.timeout = s.request_timeout;
  return h;
}

void log_exception(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("slack: {} failed: {}", what, ex.what());
  }
}

}  // namespace

struct socket_mode_connector::impl : std::enable_shared_from_this<socket_mode_connector::impl> {
  impl(net::io_context& ioc, slack_settings s, const bot::command_handler& h,
       std::function<void(const stop_reason&)> stopped)
      : strand(net::make_strand(ioc)),
        settings(std::move(s)),
        handler(h),
        on_stopped(std::move(stopped)),
        pool(settings.lookup_threads == 0 ? 1 : settings.lookup_threads),
        api(settings.api_url, settings.app_token, settings.bot_token, http_settings_of(settings)),
        delivery(strand, settings.delivery),
        policy(settings.backoff, settings.jitter ? settings.jitter : default_jitter()),
        seen(settings.dedupe_ttl),
        events(strand, 64),
        backoff_timer(strand) {}

  net::strand<net::io_context::executor_type> strand;
  slack_settings settings;
  const bot::command_handler& handler;
  std::function<void(const stop_reason&)> on_stopped;
  net::thread_pool pool;
  web_api api;
  chat::ordered_delivery delivery;
  chat::reconnect_policy policy;
  recent_ids seen;
  event_channel events;
  net::steady_timer backoff_timer;

  // Sockets by id. The supervisor's `active` answers commands; `pending` waits for hello.
  std::map<std::uint64_t, std::shared_ptr<chat::websocket_connection>> sockets;
  std::uint64_t next_socket = 0;
  slack::supervisor fsm;
  std::map<std::uint64_t, std::shared_ptr<net::steady_timer>> hello_timers;
  bool stopping = false;
  bool stopped_reported = false;
  std::atomic<bool> connected{false};  ///< active != 0, readable from any thread
  chat::connector_metrics metrics{"slack"};

  void cancel_hello_timer(std::uint64_t id) {
    if (auto it = hello_timers.find(id); it != hello_timers.end()) it->second->cancel();
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

using connector_impl = std::shared_ptr<socket_mode_connector::impl>;

// ---- replies ----

/// One message post; the answer decides retry or done (ordered_delivery).
net::awaitable<chat::delivery_attempt> post_once(connector_impl self, std::string method, json body,
                                                 std::string response_url) {
  auto answer = co_await self->api.call(method, body);
  chat::delivery_attempt attempt;
  attempt.status = answer.status;
  attempt.retry_after = answer.retry_after;
  if (answer.status == 200 && !answer.ok) {
    // The bot is not in the channel of a slash command: the command's response_url still works.
    if (!response_url.empty() &&
        (answer.error == "not_in_channel" || answer.error == "channel_not_found")) {
      json reply{{"text", body.value("text", "")},
                 {"blocks", body.value("blocks", json::array())},
                 {"response_type", method == "chat.postEphemeral" ? "ephemeral" : "in_channel"}};
      auto via_url = co_await self->api.respond(response_url, std::move(reply));
      if (via_url.ok) co_return attempt;
      spdlog::error("slack: {} failed ({}), and so did the response_url (HTTP {} {})", method,
                    answer.error, via_url.status, via_url.error);
      co_return attempt;
    }
    spdlog::error("slack: {} to {} failed: {}", method, body.value("channel", ""),
                  answer.error.empty() ? "unreadable answer" : answer.error);
  } else if (answer.status != 200 && answer.status != 429) {
    spdlog::warn("slack: {} answered HTTP {}", method, answer.status);
  }
  co_return attempt;
}

/// Queues `m` in the command's slot, as a channel message or as an ephemeral one for `user`.
void queue_message(const connector_impl& self, chat::ordered_delivery::slot& slot,
                   const incoming_command& cmd, const slack_message& m, bool ephemeral) {
  json body{{"channel", cmd.channel}, {"text", m.text}, {"blocks", m.blocks}};
  if (!cmd.thread_ts.empty()) body["thread_ts"] = cmd.thread_ts;
  std::string method = "chat.postMessage";
  if (ephemeral) {
    method = "chat.postEphemeral";
    body["user"] = cmd.user;
  } else {
    // Never let Slack turn customer text into links or mentions on its own.
    body["unfurl_links"] = false;
    body["unfurl_media"] = false;
  }
  const std::string response_url =
      cmd.origin == command_origin::slash_command ? cmd.response_url : std::string();
  slot.push(
      [self, method, body, response_url] { return post_once(self, method, body, response_url); });
}

struct lookup_state {
  explicit lookup_state(net::any_io_executor ex) : timer(ex) {}
  net::steady_timer timer;
  std::optional<bot::reply> result;
};

/// Runs on the thread pool: the handler reads the store and blocks.
net::awaitable<bot::reply> run_lookup(const bot::command_handler* handler,
                                      bot::command_input input) {
  co_return handler->handle(input);
}

bot::reply failed_lookup_reply() {
  return bot::error_reply{"The lookup failed inside sessiondx; the details are in its log.", false};
}

/// From a parsed command to posted replies. Everything it posts goes into `slot`, which holds
/// this command's place in its channel's queue.
net::awaitable<void> answer_command(connector_impl self, incoming_command cmd,
                                    chat::ordered_delivery::slot slot) {
  const auto parsed = bot::parse_command(cmd.text, self->handler.format());
  std::string session_id;
  if (const auto* s = std::get_if<bot::session_command>(&parsed)) session_id = s->session_id;

  // The share button posts for everyone; direct messages have no one else to hide from.
  const bool ephemeral = self->settings.visibility == reply_visibility::ephemeral &&
                         cmd.origin != command_origin::share_button &&
                         cmd.origin != command_origin::direct_message;

  const auto started = clock::now();
  auto st = std::make_shared<lookup_state>(self->strand);
  bot::command_input input{cmd.user, cmd.channel, cmd.text, "slack"};
  net::co_spawn(self->pool, run_lookup(&self->handler, input),
                net::bind_executor(self->strand, [st](std::exception_ptr e, bot::reply r) {
                  if (e) {
                    log_exception("a lookup", e);
                    r = failed_lookup_reply();
                  }
                  st->result = std::move(r);
                  st->timer.cancel();
                }));

  st->timer.expires_after(self->settings.looking_up_after);
  auto [ec] = co_await st->timer.async_wait(nothrow);
  (void)ec;
  if (!st->result) {
    if (!session_id.empty())
      queue_message(self, slot, cmd, looking_up_message(session_id), ephemeral);
    while (!st->result) {
      st->timer.expires_at(clock::time_point::max());
      auto [wec] = co_await st->timer.async_wait(nothrow);
      (void)wec;
    }
  }

  block_options options;
  options.example_id = self->handler.format().example();
  options.team_language = self->settings.team_language;
  options.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string share_value = share_button_value(cmd);
  const bool with_button = ephemeral && share_value.size() <= 2000;  // Slack's button value limit
  if (with_button) options.reserved_blocks = 1;
  // Digests and /top come rendered as mrkdwn (bot/digest_text), not as a reply document.
  auto messages =
      std::holds_alternative<bot::report_reply>(*st->result)
          ? std::vector<slack_message>{report_message(std::get<bot::report_reply>(*st->result))}
          : render_blocks(*st->result, options);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (with_button && i + 1 == messages.size()) add_share_button(messages[i], share_value);
    queue_message(self, slot, cmd, messages[i], ephemeral);
  }
  slot.on_done([self, started](bool every_message_sent) {
    self->metrics.reply(
        every_message_sent ? chat::reply_outcome::sent : chat::reply_outcome::failed,
        clock::now() - started);
  });
  slot.finish();
}

// ---- frames ----

void on_envelope(const connector_impl& self, chat::websocket_connection& socket, envelope_frame e) {
  // Acknowledge before anything slow: Slack wants it within 3 s, and retries events otherwise.
  if (!socket.send(ack_frame(e.envelope_id)))
    spdlog::warn("slack: could not queue the ack of envelope {}", e.envelope_id);

  const auto now = clock::now();
  if (self->seen.seen("envelope:" + e.envelope_id, now)) {
    spdlog::debug("slack: envelope {} delivered again; already handled", e.envelope_id);
    return;
  }
  auto parsed = command_from_envelope(e);
  if (auto* ignored = std::get_if<ignored_envelope>(&parsed)) {
    spdlog::debug("slack: ignoring {} envelope {}: {}", e.type, e.envelope_id, ignored->reason);
    return;
  }
  auto& cmd = std::get<incoming_command>(parsed);
  if (!cmd.event_id.empty() && self->seen.seen("event:" + cmd.event_id, now)) {
    spdlog::debug("slack: event {} delivered again (retry {}, {}); already handled", cmd.event_id,
                  e.retry_attempt, e.retry_reason);
    return;
  }
  spdlog::info("slack: {} from {} in {}: {}", e.type, cmd.user, cmd.channel, cmd.text);
  // The place in the channel's queue is taken now, so replies keep the commands' order.
  auto slot = self->delivery.reserve(cmd.channel);
  net::co_spawn(self->strand, answer_command(self, std::move(cmd), std::move(slot)),
                [](std::exception_ptr ex) { log_exception("answering a command", ex); });
}

void on_frame(const connector_impl& self, std::uint64_t id, chat::websocket_connection& socket,
              const std::string& text) {
  auto f = parse_frame(text);
  if (auto* e = std::get_if<envelope_frame>(&f)) {
    on_envelope(self, socket, std::move(*e));
  } else if (auto* h = std::get_if<hello_frame>(&f)) {
    spdlog::info("slack: hello on socket {} ({} connection{} for this app)", id, h->num_connections,
                 h->num_connections == 1 ? "" : "s");
    if (!self->events.try_send(boost::system::error_code{},
                               socket_event{socket_event::kind::hello, id, {}, {}}))
      spdlog::error("slack: supervisor queue full; hello of socket {} lost", id);
  } else if (auto* d = std::get_if<disconnect_frame>(&f)) {
    spdlog::info("slack: socket {}: disconnect ({})", id, d->reason);
    if (!self->events.try_send(boost::system::error_code{},
                               socket_event{socket_event::kind::disconnect, id, d->reason, {}}))
      spdlog::error("slack: supervisor queue full; disconnect of socket {} lost", id);
  } else if (auto* u = std::get_if<unknown_frame>(&f)) {
    spdlog::info("slack: socket {}: ignoring a frame of unknown type \"{}\"", id, u->type);
  } else {
    spdlog::warn("slack: socket {}: ignoring a malformed frame ({})", id,
                 std::get<malformed_frame>(f).error);
  }
}

/// The one reader of socket `id`; tells the supervisor when the socket has ended.
net::awaitable<void> read_socket(connector_impl self, std::uint64_t id,
                                 std::shared_ptr<chat::websocket_connection> socket) {
  auto* raw = socket.get();  // alive while run() runs: run() holds a reference
  // Named, not temporaries inside the co_await expressions: GCC 12 destroys those twice.
  chat::websocket_connection::message_handler on_message = [self, id, raw](std::string text) {
    on_frame(self, id, *raw, text);
  };
  const auto ec = co_await socket->run(std::move(on_message));
  socket_event ended{socket_event::kind::ended, id, {}, ec};
  co_await self->events.async_send(boost::system::error_code{}, std::move(ended), nothrow);
}

/// Drops socket `id` if it has not said hello within the timeout (the timer is cancelled when
/// it does, or ends).
net::awaitable<void> hello_watchdog(connector_impl self, std::uint64_t id,
                                    std::shared_ptr<net::steady_timer> timer) {
  auto [ec] = co_await timer->async_wait(nothrow);
  self->hello_timers.erase(id);
  if (!ec && self->fsm.pending() == id) {
    if (auto it = self->sockets.find(id); it != self->sockets.end()) {
      spdlog::warn("slack: socket {} sent no hello within {} ms; dropping it", id,
                   self->settings.hello_timeout.count());
      it->second->abort();
    }
  }
}

// ---- the supervisor: the one place that opens sockets ----

/// Waits out the reconnect delay (at least `at_least`); false when stopping.
net::awaitable<bool> back_off(connector_impl self, std::chrono::milliseconds at_least) {
  auto delay = std::max(self->policy.next_delay(clock::now()), at_least);
  spdlog::info("slack: reconnecting in {} ms (attempt {})", delay.count(), self->policy.failures());
  self->backoff_timer.expires_after(delay);
  co_await self->backoff_timer.async_wait(nothrow);
  co_return !self->stopping;
}

/// Opens a new socket and registers it as pending. Returns false after a fatal error (the
/// connector is stopping) — the caller then returns.
net::awaitable<bool> open_socket(connector_impl self) {
  for (;;) {
    if (self->stopping) co_return false;
    std::chrono::milliseconds at_least{0};
    try {
      const std::string url = co_await self->api.open_connection();
      if (self->stopping) co_return false;
      chat::websocket_settings ws;
      ws.allow_plaintext = self->settings.allow_plaintext;
      ws.handshake_timeout = self->settings.request_timeout;
      ws.idle_timeout = self->settings.idle_timeout;
      auto socket = co_await chat::open_websocket(self->settings.open_websocket, url, ws);
      const auto id = ++self->next_socket;
      self->sockets.emplace(id, socket);
      self->fsm.opened(id);
      spdlog::info("slack: socket {} open ({}), waiting for hello", id, socket->label());
      net::co_spawn(self->strand, read_socket(self, id, socket),
                    [](std::exception_ptr e) { log_exception("a socket reader", e); });
      auto timer = std::make_shared<net::steady_timer>(self->strand, self->settings.hello_timeout);
      self->hello_timers[id] = timer;
      net::co_spawn(self->strand, hello_watchdog(self, id, timer), net::detached);
      if (self->stopping) socket->close();
      co_return true;
    } catch (const api_error& e) {
      if (e.fatal()) {
        self->stopping = true;
        self->report_stop({true, e.method() + ": " + e.error() +
                                     " — check SLACK_APP_TOKEN (an xapp- token with "
                                     "connections:write, Socket Mode enabled); not retrying"});
        co_return false;
      }
      spdlog::warn("slack: {}", e.what());
      if (e.retry_after())
        at_least = std::chrono::duration_cast<std::chrono::milliseconds>(*e.retry_after());
    } catch (const boost::system::system_error& e) {
      // code().message(): what() also carries Asio's source location, noise in an operator log.
      spdlog::warn("slack: connecting failed: {}", e.code().message());
    } catch (const std::exception& e) {
      spdlog::warn("slack: connecting failed: {}", e.what());
    }
    const bool waited = co_await back_off(self, at_least);  // not in a condition: GCC 12
    if (!waited) co_return false;
  }
}

void close_all(const connector_impl& self) {
  for (auto& [id, socket] : self->sockets) socket->close();
}

/// What the supervisor does after an event.
enum class next_step { wait, open_socket, back_off_then_open };

/// Performs the supervisor's actions for one event. Synchronous: the supervisor loop does the
/// waiting (opening a socket, backing off).
next_step on_socket_event(const connector_impl& self, const socket_event& ev, stop_reason& why) {
  supervisor_event e{ev.what, ev.socket, ev.reason};
  if (ev.what == socket_event::kind::ended && ev.error) e.reason = ev.error.message();
  const std::uint64_t was_active = self->fsm.active();
  next_step step = next_step::wait;
  for (const auto& a : self->fsm.on_event(e, self->stopping)) {
    using kind = supervisor_action::kind;
    switch (a.what) {
      case kind::cancel_hello_timer:
        self->cancel_hello_timer(a.socket);
        break;
      case kind::connected:
        self->policy.connected(clock::now());
        break;
      case kind::close_socket:
        spdlog::info("slack: socket {} replaces socket {}", ev.socket, was_active);
        if (auto it = self->sockets.find(a.socket); it != self->sockets.end()) it->second->close();
        break;
      case kind::close_all:
        close_all(self);
        break;
      case kind::forget_socket:
        self->sockets.erase(a.socket);
        break;
      case kind::open_socket:
        step = next_step::open_socket;
        break;
      case kind::back_off_then_open:
        step = next_step::back_off_then_open;
        break;
      case kind::stop_fatal:
        why = {true, a.message};
        self->stopping = true;
        break;
      case kind::warn:
        spdlog::warn("slack: socket {} {}", a.socket, a.message);
        break;
    }
  }
  return step;
}

net::awaitable<void> supervise(connector_impl self) {
  stop_reason why{false, "stop requested"};
  next_step step = next_step::open_socket;
  for (;;) {
    if (step == next_step::back_off_then_open && !self->stopping) {
      const bool waited = co_await back_off(self, std::chrono::milliseconds(0));
      if (waited) step = next_step::open_socket;
    }
    if (step == next_step::open_socket && !self->stopping) {
      // open_socket gives up only when stopping (stop(), a fatal error): retire the old socket.
      const bool opened = co_await open_socket(self);
      if (!opened) close_all(self);
    }
    if (self->stopping && self->sockets.empty()) break;

    // Not a structured binding: GCC 12 destroys it twice across the loop.
    std::tuple<boost::system::error_code, socket_event> received =
        co_await self->events.async_receive(nothrow);
    if (std::get<0>(received)) break;
    step = on_socket_event(self, std::get<1>(received), why);
    self->connected.store(self->fsm.connected(), std::memory_order_relaxed);
    if (self->fsm.connected()) {
      chat::set_link_state(self->metrics, chat::link_state::connected,
                           "socket " + std::to_string(self->fsm.active()));
    } else if (!self->stopping && self->metrics.state() == chat::link_state::connected) {
      chat::set_link_state(self->metrics, chat::link_state::reconnecting, "no socket left");
    }
  }
  self->connected.store(false, std::memory_order_relaxed);
  self->delivery.stop();
  self->report_stop(why);
}

}  // namespace

socket_mode_connector::socket_mode_connector(net::io_context& ioc, slack_settings settings,
                                             const bot::command_handler& handler,
                                             std::function<void(const stop_reason&)> on_stopped)
    : impl_(std::make_shared<impl>(ioc, std::move(settings), handler, std::move(on_stopped))) {}

socket_mode_connector::~socket_mode_connector() {
  stop();
  impl_->pool.join();
}

void socket_mode_connector::start() {
  net::co_spawn(impl_->strand, supervise(impl_),
                [](std::exception_ptr e) { log_exception("the Socket Mode supervisor", e); });
}

const chat::connector_metrics& socket_mode_connector::metrics() const { return impl_->metrics; }

bool socket_mode_connector::connected() const {
  return impl_->connected.load(std::memory_order_relaxed);
}

void socket_mode_connector::stop() {
  net::post(impl_->strand, [self = impl_] {
    if (self->stopping) return;
    self->stopping = true;
    self->backoff_timer.cancel();
    self->events.try_send(boost::system::error_code{},
                          socket_event{socket_event::kind::stop, 0, {}, {}});
  });
}

}  // namespace sessiondx::slack
