#include "connectors/mattermost/mattermost_connector.hpp"

#include "connectors/chat/connector_state.hpp"
#include "connectors/chat/https_client.hpp"
#include "connectors/chat/lookup_runner.hpp"
#include "connectors/chat/ordered_delivery.hpp"
#include "connectors/chat/reconnect_policy.hpp"
#include "connectors/chat/url.hpp"
#include "connectors/chat/websocket_client.hpp"
#include "connectors/mattermost/events.hpp"
#include "connectors/mattermost/markdown.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <map>
#include <set>

namespace sessiondx::mattermost {

namespace net = boost::asio;
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

chat::http_settings http_settings_of(const mattermost_settings& s) {
  chat::http_settings h;
  h.allow_plaintext = s.allow_plaintext;
  h.timeout = s.request_timeout;
  return h;
}

void log_exception(std::string_view what, std::exception_ptr e) {
  chat::log_failure("mattermost", what, std::move(e));
}

/// "https://chat.example.com/" -> "wss://chat.example.com".
std::string websocket_base(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("https://", 0) == 0) return "wss://" + url.substr(8);
  if (url.rfind("http://", 0) == 0) return "ws://" + url.substr(7);
  return url;
}

}  // namespace

struct mattermost_connector::impl : std::enable_shared_from_this<mattermost_connector::impl> {
  impl(net::io_context& ioc, mattermost_settings s, const bot::command_handler& h,
       std::function<void(const stop_reason&)> stopped)
      : strand(net::make_strand(ioc)),
        settings(std::move(s)),
        handler(h),
        on_stopped(std::move(stopped)),
        lookups(h, settings.lookup_threads, "mattermost"),
        http(http_settings_of(settings)),
        delivery(strand, settings.delivery),
        policy(settings.backoff, settings.jitter ? settings.jitter : chat::default_jitter()),
        backoff_timer(strand) {}

  net::strand<net::io_context::executor_type> strand;
  mattermost_settings settings;
  const bot::command_handler& handler;
  std::function<void(const stop_reason&)> on_stopped;
  chat::lookup_runner lookups;
  chat::connector_metrics metrics{"mattermost"};
  chat::https_client http;
  chat::ordered_delivery delivery;
  chat::reconnect_policy policy;
  net::steady_timer backoff_timer;
  sequence_tracker sequence;
  std::shared_ptr<chat::websocket_connection> socket;
  std::string bot_user_id, bot_username;
  bool stopping = false, stopped_reported = false;
  /// Channels a post came from, with the newest create_at seen: the REST catch-up reads them.
  std::map<std::string, std::int64_t> watched;
  std::set<std::string> answered;
  std::deque<std::string> answered_order;

  bool first_time(const std::string& post_id) {
    if (!answered.insert(post_id).second) return false;
    answered_order.push_back(post_id);
    if (answered_order.size() > 4096) {
      answered.erase(answered_order.front());
      answered_order.pop_front();
    }
    return true;
  }

  std::string api(const std::string& path) const {
    std::string base = settings.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/api/v4" + path;
  }

  chat::header_list headers() const {
    return {{"Authorization", "Bearer " + settings.token}, {"Content-Type", "application/json"}};
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

using connector_impl = std::shared_ptr<mattermost_connector::impl>;

net::awaitable<chat::delivery_attempt> post_once(connector_impl self, json body) {
  chat::delivery_attempt attempt;
  try {
    // Named arguments, not temporaries in the co_await expression: GCC 12 destroys those twice.
    std::string url = self->api("/posts");
    chat::header_list headers = self->headers();
    std::string text = body.dump();
    const auto answer = co_await self->http.post(url, headers, text);
    attempt.status = answer.status;
    attempt.retry_after = chat::parse_retry_after(answer.retry_after);
    if (answer.status == 429) {
      spdlog::warn("mattermost: rate limited; retrying after {} s",
                   attempt.retry_after ? attempt.retry_after->count() : 1);
    } else if (answer.status != 201 && answer.status != 200) {
      spdlog::error("mattermost: POST /api/v4/posts to {} answered HTTP {}: {}",
                    body.value("channel_id", ""), answer.status, answer.body.substr(0, 300));
    }
  } catch (const boost::system::system_error& e) {
    spdlog::warn("mattermost: POST /api/v4/posts failed: {}", e.code().message());
  }
  co_return attempt;
}

net::awaitable<void> answer_post(connector_impl self, post p, std::string text,
                                 chat::ordered_delivery::slot slot) {
  const auto started = clock::now();
  // Named, not temporaries inside the co_await expression: GCC 12 destroys those twice.
  bot::command_input input{p.user_id, p.channel_id, text, "mattermost"};
  auto lookup = self->lookups.run(std::move(input));
  const bot::reply reply = co_await std::move(lookup);
  markdown_options mo;
  mo.example_id = self->lookups.example_id();
  mo.team_language = self->settings.team_language;
  mo.limits = {self->settings.message_limit, self->settings.max_posts};
  mo.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  for (const auto& part : render_posts(reply, mo)) {
    json body{{"channel_id", p.channel_id}, {"message", part}, {"root_id", reply_root(p)}};
    slot.push([self, body] { return post_once(self, body); });
  }
  slot.on_done([self, started](bool every_message_sent) {
    self->metrics.reply(
        every_message_sent ? chat::reply_outcome::sent : chat::reply_outcome::failed,
        clock::now() - started);
  });
  slot.finish();
}

/// Answers `p` if it is addressed to the bot and not answered yet.
void consider(const connector_impl& self, const posted_event& e) {
  auto& last = self->watched[e.post.channel_id];
  last = std::max(last, e.post.create_at);
  const auto text =
      command_text(e, self->bot_user_id, self->bot_username, self->settings.command_prefix);
  if (!text) return;
  if (!self->first_time(e.post.id)) {
    spdlog::debug("mattermost: post {} seen again; already answered", e.post.id);
    return;
  }
  spdlog::info("mattermost: command from {} in {}: {}", e.post.user_id, e.post.channel_id, *text);
  auto slot = self->delivery.reserve(e.post.channel_id);
  net::co_spawn(self->strand, answer_post(self, e.post, *text, std::move(slot)),
                [](std::exception_ptr ex) { log_exception("answering a post", ex); });
}

/// Events were lost (a new connection_id): read the watched channels' recent posts.
net::awaitable<void> catch_up(connector_impl self, std::map<std::string, std::int64_t> channels) {
  for (auto entry = channels.begin(); entry != channels.end(); ++entry) {
    const std::string channel = entry->first;
    const std::int64_t since = entry->second;
    try {
      std::string method = "GET", none;
      std::string url = self->api("/channels/" + channel + "/posts?since=" + std::to_string(since));
      chat::header_list headers = self->headers();
      const auto answer = co_await self->http.request(method, url, headers, none);
      const auto j = json::parse(answer.body, nullptr, false);
      if (answer.status != 200 || !j.is_object() || !j.contains("order") ||
          !j["order"].is_array() || !j.contains("posts")) {
        spdlog::warn("mattermost: catching up on channel {} answered HTTP {}", channel,
                     answer.status);
        continue;
      }
      // `order` is newest first; answer oldest first.
      std::vector<post> posts;
      for (const auto& id : j["order"])
        if (id.is_string() && j["posts"].contains(id.get<std::string>()))
          if (auto p = parse_post(j["posts"][id.get<std::string>()])) posts.push_back(*p);
      spdlog::info("mattermost: caught up on channel {}: {} post(s) since the link was lost",
                   channel, posts.size());
      for (auto it = posts.rbegin(); it != posts.rend(); ++it) {
        posted_event e;
        e.post = *it;
        e.channel_type = "O";
        consider(self, e);
      }
    } catch (const boost::system::system_error& e) {
      spdlog::warn("mattermost: catching up on channel {} failed: {}", channel, e.code().message());
    }
  }
}

void on_frame(const connector_impl& self, chat::websocket_connection& socket,
              const std::string& text) {
  auto ev = parse_event(text);
  if (auto* h = std::get_if<hello_event>(&ev)) {
    const bool lost = self->sequence.on_hello(h->connection_id);
    chat::set_link_state(self->metrics, chat::link_state::connected,
                         "connection " + h->connection_id);
    self->policy.connected(clock::now());
    if (lost && !self->watched.empty()) {
      spdlog::warn("mattermost: the server could not resume the connection; catching up over REST");
      net::co_spawn(self->strand, catch_up(self, self->watched),
                    [](std::exception_ptr e) { log_exception("catching up", e); });
    }
    return;
  }
  std::int64_t seq = -1;
  if (auto* p = std::get_if<posted_event>(&ev)) seq = p->seq;
  if (auto* o = std::get_if<other_event>(&ev)) seq = o->seq;
  if (seq >= 0) {
    switch (self->sequence.on_event(seq)) {
      case sequence_tracker::verdict::duplicate:
        return;
      case sequence_tracker::verdict::gap:
        spdlog::warn("mattermost: event {} arrived, {} expected: reconnecting to get the rest", seq,
                     self->sequence.next());
        socket.close(4001);
        return;
      case sequence_tracker::verdict::fresh:
        break;
    }
  }
  if (auto* p = std::get_if<posted_event>(&ev)) {
    consider(self, *p);
  } else if (auto* m = std::get_if<malformed_event>(&ev)) {
    spdlog::warn("mattermost: ignoring a malformed frame ({})", m->error);
  }
}

/// GET /users/me: who the bot is. False after a fatal answer.
net::awaitable<bool> who_am_i(connector_impl self, stop_reason& why) {
  for (;;) {
    if (self->stopping) co_return false;
    try {
      std::string method = "GET", none;
      std::string url = self->api("/users/me");
      chat::header_list headers = self->headers();
      const auto answer = co_await self->http.request(method, url, headers, none);
      if (answer.status == 401 || answer.status == 403) {
        why = {true, "GET /api/v4/users/me answered HTTP " + std::to_string(answer.status) +
                         ": MATTERMOST_TOKEN is wrong or revoked; not retrying"};
        co_return false;
      }
      const auto j = json::parse(answer.body, nullptr, false);
      if (answer.status == 200 && j.is_object() && j.contains("id")) {
        self->bot_user_id = j.value("id", "");
        self->bot_username = j.value("username", "");
        spdlog::info("mattermost: signed in as @{} ({})", self->bot_username, self->bot_user_id);
        co_return true;
      }
      spdlog::warn("mattermost: GET /api/v4/users/me answered HTTP {}", answer.status);
    } catch (const boost::system::system_error& e) {
      spdlog::warn("mattermost: GET /api/v4/users/me failed: {}", e.code().message());
    }
    self->backoff_timer.expires_after(self->policy.next_delay(clock::now()));
    co_await self->backoff_timer.async_wait(nothrow);
  }
}

net::awaitable<void> supervise(connector_impl self) {
  stop_reason why{false, "stop requested"};
  const bool signed_in = co_await who_am_i(self, why);  // not in a condition: GCC 12
  if (signed_in) {
    const std::string base = websocket_base(self->settings.url);
    for (;;) {
      if (self->stopping) break;
      std::shared_ptr<chat::websocket_connection> socket;
      try {
        chat::websocket_settings ws;
        ws.allow_plaintext = self->settings.allow_plaintext;
        ws.handshake_timeout = self->settings.request_timeout;
        ws.idle_timeout = self->settings.idle_timeout;
        // The header on the upgrade: the only authentication that can resume a connection.
        ws.headers = {{"Authorization", "Bearer " + self->settings.token}};
        std::string url = base + self->sequence.target();
        socket = co_await chat::open_websocket(self->settings.open_websocket, url, ws);
      } catch (const boost::system::system_error& e) {
        spdlog::warn("mattermost: connecting failed: {}", e.code().message());
      } catch (const std::exception& e) {
        spdlog::warn("mattermost: connecting failed: {}", e.what());
      }
      if (socket) {
        if (self->stopping) socket->close();
        self->socket = socket;
        // A resumed connection gets no new hello: the accepted upgrade (header auth) is the sign.
        if (!self->sequence.connection_id().empty())
          chat::set_link_state(
              self->metrics, chat::link_state::connected,
              "websocket open, resuming connection " + self->sequence.connection_id());
        auto* raw = socket.get();
        chat::websocket_connection::message_handler on_message = [self, raw](std::string text) {
          on_frame(self, *raw, text);
        };
        const auto ec = co_await socket->run(std::move(on_message));
        self->socket.reset();
        if (self->stopping) break;
        chat::set_link_state(self->metrics, chat::link_state::reconnecting,
                             "websocket ended: " + (ec ? ec.message() : std::string("closed")) +
                                 "; resuming connection " + self->sequence.connection_id());
      } else {
        chat::set_link_state(self->metrics, chat::link_state::reconnecting,
                             "could not open the websocket");
      }
      const auto delay = self->policy.next_delay(clock::now());
      spdlog::info("mattermost: reconnecting in {} ms", delay.count());
      self->backoff_timer.expires_after(delay);
      co_await self->backoff_timer.async_wait(nothrow);
    }
  }
  self->stopping = true;
  self->delivery.stop();
  self->report_stop(why);
}

}  // namespace

mattermost_connector::mattermost_connector(net::io_context& ioc, mattermost_settings settings,
                                           const bot::command_handler& handler,
                                           std::function<void(const stop_reason&)> on_stopped)
    : impl_(std::make_shared<impl>(ioc, std::move(settings), handler, std::move(on_stopped))) {}

mattermost_connector::~mattermost_connector() {
  stop();
  impl_->lookups.join();
}

bool mattermost_connector::connected() const { return impl_->metrics.up(); }

const chat::connector_metrics& mattermost_connector::metrics() const { return impl_->metrics; }

void mattermost_connector::start() {
  net::co_spawn(impl_->strand, supervise(impl_),
                [](std::exception_ptr e) { log_exception("the websocket supervisor", e); });
}

void mattermost_connector::stop() {
  net::post(impl_->strand, [self = impl_] {
    if (self->stopping) return;
    self->stopping = true;
    self->backoff_timer.cancel();
    if (self->socket) self->socket->close();
  });
}

}  // namespace sessiondx::mattermost
