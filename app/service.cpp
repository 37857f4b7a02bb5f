#include "app/service.hpp"

#include "app/access_gate.hpp"
#include "app/demo_data.hpp"
#include "app/leads_loop.hpp"
#include "app/readiness.hpp"
#include "bot/commands.hpp"
#include "bot/diagnoser.hpp"
#include "bot/digest_text.hpp"
#include "bot/leads.hpp"
#include "bot/render/render.hpp"
#include "bot/utc_time.hpp"
#include "connectors/discord/discord_connector.hpp"
#include "connectors/mattermost/mattermost_connector.hpp"
#include "connectors/shell/shell_connector.hpp"
#include "connectors/shell/stoppable_input.hpp"
#include "connectors/slack/socket_mode_connector.hpp"
#include "connectors/webhook/client.hpp"
#include "connectors/webhook/server.hpp"
#include "store/sqlite_store.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sessiondx::app {

namespace net = boost::asio;

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The accepted session ids, described to people who typed a bad one.
bot::session_id_format id_format(const app_settings& settings) {
  bot::session_id_format defaults;
  if (settings.ingest.session_id_pattern == defaults.pattern()) return defaults;
  return {settings.ingest.session_id_pattern, "text matching " + settings.ingest.session_id_pattern,
          ""};
}

/// The diagnosis side shared by the shell and `diagnose`: /session (recorded in the lookup
/// log), /digest and /top.
struct diagnosis_stack {
  diagnosis_stack(store::event_store& store, const app_settings& settings)
      : diagnoser(store, bot::rule_settings{}, system_now_ms, settings.store.retention_days),
        handler([this](const std::string& id) { return diagnoser.diagnose(id); },
                id_format(settings)),
        reports(store),
        access(store,
               {{"slack", settings.slack_access},
                {"discord", settings.discord_access},
                {"mattermost", settings.mattermost_access}},
               system_now_ms) {
    // Allow lists and the per-user rate limit of each chat platform (not the shell or the CLI).
    handler.on_access([this](const bot::command& cmd, const bot::command_input& input) {
      return access.check(cmd, input);
    });
    handler.on_lookup([&store](const bot::answered_lookup& l) {
      count_lookup(l.verdict);
      store.record_lookup({system_now_ms(), l.session_id, l.verdict, l.issue_key, l.input->user,
                           l.input->platform, l.input->channel});
    });
    handler.on_report([this](const bot::command& cmd, const bot::command_input&) {
      return reports.answer(cmd, system_now_ms());
    });
  }
  bot::diagnoser diagnoser;
  bot::command_handler handler;
  bot::lead_reports reports;
  access_gate access;
};

/// The store as the read commands (diagnose, digest, audit) open it: read-only, one reader; no
/// migration, retention, checkpoint or writer, so they work on a read-only file system.
std::unique_ptr<store::event_store> open_store_read_only(const app_settings& settings) {
  store::store_settings read_settings = settings.store;
  read_settings.read_only = true;
  read_settings.read_connections = 1;
  return store::make_sqlite_store(read_settings);
}

/// Bounds the shutdown: once asked to stop, gives the service `timeout` to finish its requests
/// and replies, then stops the io_context (what is still in flight gets no answer; the sender
/// retries with the same ids, which deduplicate).
class shutdown_watchdog {
 public:
  shutdown_watchdog(net::io_context& ioc, std::chrono::seconds timeout)
      : thread_([this, &ioc, timeout] { watch(ioc, timeout); }) {}
  ~shutdown_watchdog() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  shutdown_watchdog(const shutdown_watchdog&) = delete;
  shutdown_watchdog& operator=(const shutdown_watchdog&) = delete;

  void stop_requested() {
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    cv_.notify_all();
  }

 private:
  void watch(net::io_context& ioc, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return requested_ || finished_; });
    if (cv_.wait_for(lock, timeout, [this] { return finished_; })) return;
    spdlog::warn("shutdown: still busy after {} s; stopping now", timeout.count());
    ioc.stop();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace

std::string post_demo_data(const std::string& url, const app_settings& settings) {
  webhook::webhook_client client(url, settings.server.secret);
  std::string listing = "Demo sessions loaded through the webhook:\n";
  std::size_t events = 0;
  for (const auto& session : demo_sessions(system_now_ms())) {
    const auto reply = client.post_events(session.events.dump());
    if (reply.status != 200)
      throw std::runtime_error("demo-data: the webhook answered " + std::to_string(reply.status) +
                               ": " + reply.body);
    events += session.events.size();
    if (!session.description.empty())
      listing += "  /session " + session.session_id + "  — " + session.description + "\n";
  }
  // Appended piecewise: GCC 12 at -O3 reports a false -Wrestrict on "literal" + std::string.
  listing.append("(").append(std::to_string(events)).append(" events in all)\n");
  return listing;
}

int serve(const app_settings& settings, const serve_options& options) {
  if (!settings.server.secret) {
    if (!webhook::is_loopback_host(settings.server.host)) {
      spdlog::critical(
          "refusing to listen on {} without SESSIONDX_WEBHOOK_SECRET: unsigned webhooks are "
          "allowed only on a loopback address",
          settings.server.host);
      return 2;
    }
    spdlog::warn(
        "!!! SESSIONDX_WEBHOOK_SECRET is not set: webhook signatures are NOT checked. "
        "Anyone on this machine can write events. Set it before going to production. !!!");
  }

  const webhook::event_parser parser(settings.ingest);
  // Shared: a detached shell thread may still hold it while the process exits.
  store::store_settings store_settings = settings.store;
  store_settings.log_error = [](const std::string& line) { spdlog::error("{}", line); };
  std::shared_ptr<store::event_store> store = store::make_sqlite_store(store_settings);
  spdlog::info("store: {} (synchronous={}, retention {} days)", settings.store.path.string(),
               settings.store.synchronous == store::sync_mode::full ? "full" : "normal",
               settings.store.retention_days);

  net::io_context ioc(settings.io_threads);
  // Before the receiver listens: a SIGTERM right after "listening" must stop cleanly, not kill
  // the process by default action (exit 143; found by scripts/crash-test.sh). Asio queues a
  // signal that arrives before async_wait.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  // GET /readyz. Filled before the io_context runs, read only by handlers afterwards.
  std::vector<readiness_check> readiness{store_readiness(*store)};
  webhook::server_settings server_settings = settings.server;
  server_settings.not_ready_reason = [&readiness] { return not_ready_reason(readiness); };
  // GET /metrics: the chat connectors' state and replies. Filled like `readiness`.
  std::vector<const chat::connector_metrics*> chat_metrics;
  server_settings.extra_metrics = [&chat_metrics] {
    return lookup_metrics() + chat::prometheus(chat_metrics);
  };
  webhook::webhook_server server(ioc, server_settings, parser, *store);
  const auto endpoint = server.start();
  spdlog::info("webhook: listening on http://{}:{}/v1/events ({} I/O thread{}, signatures {})",
               endpoint.address().to_string(), endpoint.port(), settings.io_threads,
               settings.io_threads == 1 ? "" : "s", settings.server.secret ? "required" : "OFF");

  // The handler stack every chat connector shares (Slack, Discord, Mattermost).
  std::shared_ptr<diagnosis_stack> chat_stack;
  std::unique_ptr<slack::socket_mode_connector> slack_connector;
  if (settings.slack_enabled) {
    chat_stack = std::make_shared<diagnosis_stack>(*store, settings);
    slack_connector =
        std::make_unique<slack::socket_mode_connector>(ioc, settings.slack, chat_stack->handler);
    // Returns at once; a fatal error (bad token) is logged and the webhook keeps running.
    slack_connector->start();
    readiness.push_back(connector_readiness(
        "slack", [connector = slack_connector.get()] { return connector->connected(); }));
    chat_metrics.push_back(&slack_connector->metrics());
    spdlog::info("slack: Socket Mode connector started ({} replies)",
                 slack::to_string(settings.slack.visibility));
  }
  // Every configured connector runs at once, each with its own lookup threads.
  std::unique_ptr<discord::discord_connector> discord_connector;
  if (settings.discord_enabled) {
    if (!chat_stack) chat_stack = std::make_shared<diagnosis_stack>(*store, settings);
    discord_connector = std::make_unique<discord::discord_connector>(
        ioc, settings.discord, chat_stack->handler, [](const discord::stop_reason& why) {
          if (why.fatal) spdlog::critical("discord: connector is down (fatal): {}", why.message);
        });
    discord_connector->start();
    readiness.push_back(connector_readiness(
        "discord", [connector = discord_connector.get()] { return connector->connected(); }));
    chat_metrics.push_back(&discord_connector->metrics());
    spdlog::info("discord: Gateway connector started ({} replies)",
                 discord::to_string(settings.discord.visibility));
  }
  std::unique_ptr<mattermost::mattermost_connector> mattermost_connector;
  if (settings.mattermost_enabled) {
    if (!chat_stack) chat_stack = std::make_shared<diagnosis_stack>(*store, settings);
    mattermost_connector = std::make_unique<mattermost::mattermost_connector>(
        ioc, settings.mattermost, chat_stack->handler, [](const mattermost::stop_reason& why) {
          if (why.fatal) spdlog::critical("mattermost: connector is down (fatal): {}", why.message);
        });
    mattermost_connector->start();
    readiness.push_back(connector_readiness(
        "mattermost", [connector = mattermost_connector.get()] { return connector->connected(); }));
    chat_metrics.push_back(&mattermost_connector->metrics());
    spdlog::info("mattermost: websocket connector started ({})", settings.mattermost.url);
  }
  // Scheduled digests and incident alerts (issue 11): their own strand and store thread.
  std::unique_ptr<leads_loop> leads;
  if (auto posters = make_posters(settings); !posters.empty()) {
    leads = std::make_unique<leads_loop>(ioc, *store, settings.leads, std::move(posters),
                                         system_now_ms);
    leads->start();
    spdlog::info("leads: digest schedule '{}' ({}), incident alerts every minute",
                 settings.leads.digest_schedule, settings.leads.digest_timezone);
  }
  shutdown_watchdog watchdog(ioc, settings.shutdown_timeout);
  const auto stop_all = [&server, &slack_connector, &discord_connector, &mattermost_connector,
                         &watchdog, &leads] {
    watchdog.stop_requested();
    if (leads) leads->stop();
    server.stop();
    if (slack_connector) slack_connector->stop();
    if (discord_connector) discord_connector->stop();
    if (mattermost_connector) mattermost_connector->stop();
  };

  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", signal);
    stop_all();
  });

  // The shell reads standard input on its own thread, joined at shutdown: stop() wakes its read.
  std::shared_ptr<shell::stoppable_input> shell_input;
  std::thread shell_thread;
  if (options.shell) {
    const std::string url =
        "http://" + endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    auto stack = std::make_shared<diagnosis_stack>(*store, settings);
    shell::shell_settings shell_settings;
    shell_settings.interactive = options.interactive;
    shell_settings.local_commands.emplace_back("/demo", [url, settings] {
      try {
        return post_demo_data(url, settings);
      } catch (const std::exception& e) {
        return std::string("Loading the demo data failed: ") + e.what() + "\n";
      }
    });
    shell_input = std::make_shared<shell::stoppable_input>(STDIN_FILENO);
    // At /quit or the end of an interactive session the whole service stops. The handler runs
    // on the io_context, which only runs while serve()'s locals exist.
    std::function<void()> on_end;
    if (shell_settings.interactive)
      on_end = [executor = ioc.get_executor(), &stop_all, &signals] {
        net::post(executor, [&stop_all, &signals] {
          stop_all();
          signals.cancel();
        });
      };
    shell_thread = std::thread([stack, store, shell_settings, shell_input, on_end] {
      run_shell(shell_input->stream(), std::cout, stack->handler, shell_settings);
      if (on_end) on_end();
    });
  }

  std::vector<std::thread> threads;
  for (int i = 1; i < settings.io_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  if (shell_input) shell_input->stop();
  if (shell_thread.joinable()) shell_thread.join();  // after its lookup in progress, if any
  slack_connector.reset();                           // waits for lookups still reading the store
  discord_connector.reset();
  mattermost_connector.reset();
  // The leads loop joins its store thread.
  leads.reset();

  // Every request in flight has been answered; commit whatever is still queued and close.
  store->close();
  spdlog::info("stopped cleanly");
  return 0;
}

int diagnose(const app_settings& settings, const std::string& session_text, output_format format,
             const std::string& view) {
  if (!std::filesystem::exists(settings.store.path)) {
    spdlog::critical("no event store at {}", settings.store.path.string());
    return 1;
  }
  auto store = open_store_read_only(settings);
  diagnosis_stack stack(*store, settings);
  const char* user = std::getenv("USER");
  const auto reply = stack.handler.handle(
      {user ? user : "cli", "cli", "/session " + session_text + " " + view, "cli"});

  bot::render::render_options render;
  render.team_language = settings.bot_language;
  render.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  switch (format) {
    case output_format::text:
      std::cout << bot::render::render_text(reply, render);
      break;
    case output_format::markdown:
      std::cout << bot::render::render_markdown(reply, render);
      break;
    case output_format::json:
      std::cout << bot::render::render_json(reply, render);
      break;
  }
  std::cout.flush();
  store->close();
  if (std::holds_alternative<bot::diagnosis_reply>(reply)) return 0;
  if (std::holds_alternative<bot::unknown_session_reply>(reply)) return 3;
  return 2;
}

int digest(const app_settings& settings, std::int64_t window_ms, output_format format) {
  if (!std::filesystem::exists(settings.store.path)) {
    spdlog::critical("no event store at {}", settings.store.path.string());
    return 1;
  }
  auto store = open_store_read_only(settings);
  const bot::lead_reports reports(*store);
  const bot::digest d = reports.build(system_now_ms(), window_ms);
  switch (format) {
    case output_format::text:
      std::cout << bot::render_digest(d, bot::text_flavor::plain);
      break;
    case output_format::markdown:
      std::cout << bot::render_digest(d, bot::text_flavor::markdown);
      break;
    case output_format::json:
      std::cout << bot::render_digest_json(d);
      break;
  }
  std::cout.flush();
  store->close();
  return 0;
}

int audit(const app_settings& settings, const std::string& session_id, const std::string& user,
          std::int64_t window_ms) {
  if (!std::filesystem::exists(settings.store.path)) {
    spdlog::critical("no event store at {}", settings.store.path.string());
    return 1;
  }
  auto store = open_store_read_only(settings);
  store::lookup_query query;
  query.session_id = session_id;
  query.user = user;
  query.from_ms = system_now_ms() - window_ms;
  query.limit = 10'000;
  const auto rows = store->lookups(query);
  std::cout << "when (UTC)                 platform  channel       user          verdict    "
               "session / top problem\n";
  for (const auto& r : rows) {
    std::string line = bot::rfc3339(r.at_ms);
    auto column = [&line](const std::string& value, std::size_t width) {
      line += "  " + value;
      if (value.size() < width) line.append(width - value.size(), ' ');
    };
    column(r.platform, 8);
    column(r.channel, 12);
    column(r.user, 12);
    column(r.verdict, 9);
    line += "  " + r.session_id;
    if (!r.issue_key.empty()) line += "  " + r.issue_key;
    std::cout << line << "\n";
  }
  std::cout << rows.size() << (rows.size() == 1 ? " lookup" : " lookups") << "\n";
  std::cout.flush();
  store->close();
  return rows.empty() ? 3 : 0;
}

}  // namespace sessiondx::app
