// Readiness: /readyz tells the truth about the store (and chat connectors), /healthz only that
// the process serves. The store is capped with store.max_size_mib so that it fills like a disk.
#include "app/readiness.hpp"
#include "connectors/webhook/server.hpp"
#include "store/sqlite_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

namespace {

using namespace sessiondx;

std::string events_body(int batch) {
  nlohmann::json events = nlohmann::json::array();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (int i = 0; i < 20; ++i)
    events.push_back({{"id", "b" + std::to_string(batch) + "-" + std::to_string(i)},
                      {"session_id", "readyz0000000001"},
                      {"ts", now},
                      {"type", "log"},
                      {"message", std::string(4000, 'x')}});
  return events.dump();
}

}  // namespace

TEST_CASE("not_ready_reason names every failing check, in order", "[readiness]") {
  std::atomic<bool> slack_up{true};
  std::vector<app::readiness_check> checks{
      {"store", [] { return std::string(); }},
      app::connector_readiness("slack", [&slack_up] { return slack_up.load(); }),
      {"discord", [] { return std::string("gateway closed 4004"); }}};
  CHECK(app::not_ready_reason(checks) == "discord: gateway closed 4004");
  slack_up = false;
  CHECK(app::not_ready_reason(checks) == "slack: not connected; discord: gateway closed 4004");
  checks.pop_back();
  slack_up = true;
  CHECK(app::not_ready_reason(checks).empty());
}

TEST_CASE("a full store: every post gets 503, /readyz 503 with the reason, /healthz 200",
          "[readiness]") {
  test::temp_dir dir;
  store::store_settings store_settings;
  store_settings.path = dir / "events.db";
  store_settings.retention_days = 0;
  store_settings.max_size_mib = 1;
  store_settings.max_failed_commits = 2;
  auto store = store::make_sqlite_store(store_settings);

  const webhook::event_parser parser(webhook::ingest_settings{});
  boost::asio::io_context ioc;
  std::vector<app::readiness_check> checks{app::store_readiness(*store)};
  webhook::server_settings settings;
  settings.port = 0;
  settings.not_ready_reason = [&checks] { return app::not_ready_reason(checks); };
  webhook::webhook_server server(ioc, settings, parser, *store);
  const auto port = server.start().port();
  std::thread io([&ioc] { ioc.run(); });

  {
    test::http_client client("127.0.0.1", port);
    CHECK(client.get("/readyz").status == 200);
    const test::header_list json_type{{"content-type", "application/json"}};
    int batch = 0, ok = 0, refused = 0;
    for (; batch < 1000 && refused < 4; ++batch) {
      const auto reply = client.post("/v1/events", events_body(batch), json_type);
      if (reply.status == 200) {
        CHECK(refused == 0);  // never a 2xx once the store is full (same-size batches)
        ++ok;
      } else {
        CHECK(reply.status == 503);
        ++refused;
      }
    }
    CHECK(ok > 0);
    REQUIRE(refused == 4);
    const auto ready = client.get("/readyz");
    CHECK(ready.status == 503);
    const auto body = nlohmann::json::parse(ready.body);
    CHECK(body["status"] == "not ready");
    CHECK(body["reason"].get<std::string>().find("store: ") == 0);
    CHECK(body["reason"].get<std::string>().find("database or disk is full") != std::string::npos);
    CHECK(client.get("/healthz").status == 200);
    // Acknowledged events are all there.
    CHECK(store->summary("readyz0000000001")->event_count == ok * 20);
  }
  server.stop();
  io.join();
  store->close();
}
