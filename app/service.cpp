#include "app/service.hpp"

#include "connectors/webhook/server.hpp"

#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>
#include <vector>

namespace sessiondx::app {

namespace net = boost::asio;

int serve(const app_settings& settings) {
  if (!settings.server.secret) {
    if (!webhook::is_loopback_host(settings.server.host)) {
      spdlog::critical(
          "refusing to listen on {} without SESSIONDX_WEBHOOK_SECRET: unsigned webhooks are "
          "allowed only on a loopback address",
          settings.server.host);
      return 2;
    }
    spdlog::warn("!!! SESSIONDX_WEBHOOK_SECRET is not set: webhook signatures are NOT checked. "
                 "Anyone on this machine can write events. Set it before going to production. !!!");
  }

  const webhook::event_parser parser(settings.ingest);
  auto store = store::make_sqlite_store(settings.store);
  spdlog::info("store: {} (synchronous={}, retention {} days)", settings.store.path.string(),
               settings.store.synchronous == store::sync_mode::full ? "full" : "normal",
               settings.store.retention_days);

  net::io_context ioc(settings.io_threads);
  webhook::webhook_server server(ioc, settings.server, parser, *store);
  const auto endpoint = server.start();
  spdlog::info("webhook: listening on http://{}:{}/v1/events ({} I/O thread{}, signatures {})",
               endpoint.address().to_string(), endpoint.port(), settings.io_threads,
               settings.io_threads == 1 ? "" : "s", settings.server.secret ? "required" : "OFF");

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", signal);
    server.stop();
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < settings.io_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();

  // Every request in flight has been answered; commit whatever is still queued and close.
  store->close();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace sessiondx::app
