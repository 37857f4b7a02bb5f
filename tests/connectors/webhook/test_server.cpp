// Integration tests: the real webhook server on an ephemeral loopback port, real HTTP, a real
// SQLite store in a temporary directory.
#include "connectors/webhook/gzip.hpp"
#include "connectors/webhook/server.hpp"
#include "tests/connectors/webhook/fake_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

namespace {

using namespace sessiondx;
using nlohmann::json;
using test::header_list;

constexpr std::int64_t fixed_now = 1'763'700'000;  // 2025-11-21T04:53:20Z
const char* const secret_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const char* const other_secret_text = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=";

webhook::webhook_secret secret_of(const char* text) {
  return *webhook::webhook_secret::parse(text);
}

/// One running receiver: store, parser, io_context thread and server, torn down in order.
class running_server {
 public:
  explicit running_server(const std::filesystem::path& db,
                          store::store_settings store_settings = {},
                          webhook::server_settings settings = {})
      : parser_(webhook::ingest_settings{}) {
    store_settings.path = db;
    // The same fixed clock as the signatures: with the real one, retention would prune the
    // test's events (dated fixed_now) while the test runs.
    store_settings.now_ms = [] { return fixed_now * 1000; };
    owned_ = store::make_sqlite_store(store_settings);
    store_ = owned_.get();
    start(std::move(settings));
  }

  /// Over a store the test owns (a fake); it must outlive the server.
  running_server(store::event_store& external, webhook::server_settings settings)
      : parser_(webhook::ingest_settings{}), store_(&external) {
    start(std::move(settings));
  }

  ~running_server() {
    server_->stop();
    store_->close();  // a held fake append completes, so the connection waiting on it finishes
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  store::event_store& store() { return *store_; }
  test::http_client client() const { return test::http_client("127.0.0.1", port_); }

 private:
  void start(webhook::server_settings settings) {
    settings.port = 0;
    if (!settings.secret) settings.secret = secret_of(secret_text);
    if (!settings.now_unix_s) settings.now_unix_s = [] { return fixed_now; };
    server_ = std::make_unique<webhook::webhook_server>(ioc_, settings, parser_, *store_);
    port_ = server_->start().port();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  boost::asio::io_context ioc_;
  webhook::event_parser parser_;
  std::unique_ptr<store::event_store> owned_;
  store::event_store* store_ = nullptr;
  std::unique_ptr<webhook::webhook_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

json make_event(const std::string& id, const std::string& session = "abcd1234efgh5678",
                std::int64_t ts_ms = fixed_now * 1000) {
  return {{"id", id},
          {"session_id", session},
          {"ts", ts_ms},
          {"type", "http_request"},
          {"attrs", {{"method", "POST"}, {"route", "/api/payment"}, {"status", 502}}}};
}

header_list signed_headers(const std::string& body,
                           const std::string& content_type = "application/json",
                           std::int64_t ts = fixed_now, const char* secret = secret_text) {
  const std::string id = "msg_" + std::to_string(std::hash<std::string>{}(body));
  const std::string timestamp = std::to_string(ts);
  return {{"content-type", content_type},
          {"webhook-id", id},
          {"webhook-timestamp", timestamp},
          {"webhook-signature", webhook::sign(secret_of(secret), id, timestamp, body)}};
}

test::http_reply post_events(test::http_client& client, const std::string& body,
                             const std::string& content_type = "application/json") {
  return client.post("/v1/events", body, signed_headers(body, content_type));
}

std::size_t stored(store::event_store& s, const std::string& session = "abcd1234efgh5678") {
  return s.session_events(session, 100'000).size();
}

}  // namespace

TEST_CASE("a single signed event is stored before the 200", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();

  const auto reply = post_events(client, make_event("e1").dump());
  REQUIRE(reply.status == 200);
  CHECK(json::parse(reply.body) ==
        json{{"accepted", 1}, {"duplicates", 0}, {"rejected", json::array()}});
  const auto events = server.store().session_events("abcd1234efgh5678", 10);
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == "e1");
  CHECK(events[0].type == "http_request");
  CHECK(events[0].issue_key == "route:POST /api/payment");
}

TEST_CASE("arrays, NDJSON and gzip bodies are accepted", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();

  SECTION("array") {
    const json batch = json::array({make_event("a1"), make_event("a2"), make_event("a3")});
    const auto reply = post_events(client, batch.dump());
    REQUIRE(reply.status == 200);
    CHECK(json::parse(reply.body)["accepted"] == 3);
    CHECK(stored(server.store()) == 3);
  }
  SECTION("NDJSON") {
    const std::string body = make_event("n1").dump() + "\n" + make_event("n2").dump() + "\n\n";
    const auto reply = post_events(client, body, "application/x-ndjson");
    REQUIRE(reply.status == 200);
    CHECK(json::parse(reply.body)["accepted"] == 2);
    CHECK(stored(server.store()) == 2);
  }
  SECTION("gzip, signed over the compressed bytes") {
    const std::string body =
        webhook::gzip(json::array({make_event("g1"), make_event("g2")}).dump());
    auto headers = signed_headers(body);
    headers.emplace_back("content-encoding", "gzip");
    const auto reply = client.post("/v1/events", body, headers);
    REQUIRE(reply.status == 200);
    CHECK(json::parse(reply.body)["accepted"] == 2);
  }
  SECTION("gzip signed over the JSON before compression is refused: bytes as sent only") {
    const std::string plain = make_event("g3").dump();
    auto headers = signed_headers(plain);
    headers.emplace_back("content-encoding", "gzip");
    const auto reply = client.post("/v1/events", webhook::gzip(plain), headers);
    CHECK(reply.status == 401);
    CHECK(stored(server.store()) == 0);
  }
  SECTION("several requests on one keep-alive connection") {
    for (int i = 0; i < 5; ++i) {
      const auto reply = post_events(client, make_event("k" + std::to_string(i)).dump());
      REQUIRE(reply.status == 200);
      CHECK(reply.keep_alive);
    }
    CHECK(stored(server.store()) == 5);
  }
}

TEST_CASE("a repeated event id is counted as a duplicate and stored once", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();

  REQUIRE(post_events(client, make_event("dup").dump()).status == 200);
  const auto again =
      post_events(client, json::array({make_event("dup"), make_event("new")}).dump());
  REQUIRE(again.status == 200);
  CHECK(json::parse(again.body) ==
        json{{"accepted", 1}, {"duplicates", 1}, {"rejected", json::array()}});
  CHECK(stored(server.store()) == 2);
}

TEST_CASE("a batch with bad events stores the good ones and names each bad one", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();

  json bad_session = make_event("b1");
  bad_session["session_id"] = "no";
  json no_ts = make_event("b2");
  no_ts.erase("ts");
  const json batch = json::array({make_event("ok1"), bad_session, no_ts, make_event("ok2")});
  const auto reply = post_events(client, batch.dump());
  REQUIRE(reply.status == 200);
  const auto body = json::parse(reply.body);
  CHECK(body["accepted"] == 2);
  REQUIRE(body["rejected"].size() == 2);
  CHECK(body["rejected"][0]["index"] == 1);
  CHECK(body["rejected"][0]["error"].get<std::string>().starts_with("session_id:"));
  CHECK(body["rejected"][1]["index"] == 2);
  CHECK(body["rejected"][1]["error"].get<std::string>().starts_with("ts:"));
  CHECK(stored(server.store()) == 2);
}

TEST_CASE("every refused request gets its status, a reason, and stores nothing", "[webhook]") {
  test::temp_dir dir;
  webhook::server_settings settings;
  settings.max_body_bytes = 64 * 1024;
  running_server server(dir / "events.db", {}, settings);
  auto client = server.client();
  const std::string event = make_event("x1").dump();

  SECTION("400: not JSON") {
    const auto reply = post_events(client, "{not json");
    CHECK(reply.status == 400);
    CHECK(json::parse(reply.body).contains("error"));
  }
  SECTION("401, not 400: corrupt gzip with a bad signature (authenticated before inflating)") {
    const std::string body = "definitely not gzip";
    auto headers = signed_headers(body, "application/json", fixed_now, other_secret_text);
    headers.emplace_back("content-encoding", "gzip");
    const auto reply = client.post("/v1/events", body, headers);
    CHECK(reply.status == 401);
  }
  SECTION("401, not 413: a gzip bomb with a bad signature is never inflated") {
    const std::string bomb = webhook::gzip(std::string(10 * 1024 * 1024, ' '));
    auto headers = signed_headers(bomb, "application/json", fixed_now, other_secret_text);
    headers.emplace_back("content-encoding", "gzip");
    CHECK(client.post("/v1/events", bomb, headers).status == 401);
  }
  SECTION("400: corrupt gzip") {
    const std::string body = "definitely not gzip";
    auto headers = signed_headers(body);
    headers.emplace_back("content-encoding", "gzip");
    const auto reply = client.post("/v1/events", body, headers);
    CHECK(reply.status == 400);
    CHECK(json::parse(reply.body)["error"].get<std::string>().find("gzip") != std::string::npos);
  }
  SECTION("401: no signature headers") {
    const auto reply = client.post("/v1/events", event, {{"content-type", "application/json"}});
    CHECK(reply.status == 401);
  }
  SECTION("401: signed with another secret") {
    const auto reply =
        client.post("/v1/events", event,
                    signed_headers(event, "application/json", fixed_now, other_secret_text));
    CHECK(reply.status == 401);
    CHECK(json::parse(reply.body)["error"] == "no webhook-signature entry matches");
  }
  SECTION("401: timestamp more than 5 minutes old") {
    const auto reply = client.post("/v1/events", event,
                                   signed_headers(event, "application/json", fixed_now - 301));
    CHECK(reply.status == 401);
    CHECK(json::parse(reply.body)["error"] == "webhook-timestamp is too old");
  }
  SECTION("401: timestamp more than 5 minutes ahead") {
    const auto reply = client.post("/v1/events", event,
                                   signed_headers(event, "application/json", fixed_now + 301));
    CHECK(reply.status == 401);
  }
  SECTION("401: body changed after signing") {
    auto headers = signed_headers(event);
    const auto reply = client.post("/v1/events", make_event("x2").dump(), headers);
    CHECK(reply.status == 401);
  }
  SECTION("413: body over the limit") {
    json big = make_event("big");
    big["message"] = std::string(70 * 1024, 'a');
    const auto reply = post_events(client, big.dump());
    CHECK(reply.status == 413);
  }
  SECTION("413: gzip bomb stopped at the decompressed limit") {
    const std::string bomb = webhook::gzip(std::string(10 * 1024 * 1024, ' '));
    REQUIRE(bomb.size() < 64 * 1024);
    auto headers = signed_headers(bomb);
    headers.emplace_back("content-encoding", "gzip");
    const auto reply = client.post("/v1/events", bomb, headers);
    CHECK(reply.status == 413);
  }
  SECTION("415: wrong content type") {
    const auto reply = client.post("/v1/events", event, signed_headers(event, "text/plain"));
    CHECK(reply.status == 415);
    CHECK(json::parse(reply.body)["error"].get<std::string>().starts_with("content-type:"));
  }
  SECTION("415: unsupported content encoding") {
    auto headers = signed_headers(event);
    headers.emplace_back("content-encoding", "br");
    CHECK(client.post("/v1/events", event, headers).status == 415);
  }
  SECTION("404 and 405") {
    CHECK(client.get("/nope").status == 404);
    const auto reply = client.get("/v1/events");
    CHECK(reply.status == 405);
    CHECK(reply.headers.at("allow") == "POST");
  }
  CHECK(stored(server.store()) == 0);
}

TEST_CASE("key rotation: any matching v1 signature is accepted", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();
  const std::string body = make_event("rot").dump();
  const std::string timestamp = std::to_string(fixed_now);
  const std::string signatures =
      webhook::sign(secret_of(other_secret_text), "m1", timestamp, body) + " v1a,ignored " +
      webhook::sign(secret_of(secret_text), "m1", timestamp, body);
  const auto reply = client.post("/v1/events", body,
                                 {{"content-type", "application/json"},
                                  {"webhook-id", "m1"},
                                  {"webhook-timestamp", timestamp},
                                  {"webhook-signature", signatures}});
  CHECK(reply.status == 200);
  CHECK(stored(server.store()) == 1);
}

TEST_CASE("a saturated writer answers 503 with Retry-After", "[webhook]") {
  test::temp_dir dir;
  store::store_settings small_queue;
  small_queue.max_queued_events = 100;
  running_server server(dir / "events.db", small_queue);
  auto client = server.client();

  json batch = json::array();
  for (int i = 0; i < 150; ++i) batch.push_back(make_event("q" + std::to_string(i)));
  const auto reply = post_events(client, batch.dump());
  CHECK(reply.status == 503);
  CHECK(reply.headers.count("retry-after") == 1);
  CHECK(stored(server.store()) == 0);
}

TEST_CASE("Expect: 100-continue senders get their go-ahead", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();
  const std::string body = make_event("c1").dump();
  auto headers = signed_headers(body);
  headers.emplace_back("expect", "100-continue");
  // The client reads the interim 100 and then the final answer.
  const auto reply = client.post("/v1/events", body, headers);
  CHECK(reply.status == 200);
  CHECK(stored(server.store()) == 1);
}

TEST_CASE("health and metrics endpoints", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();
  REQUIRE(post_events(client, make_event("m1").dump()).status == 200);

  const auto health = client.get("/healthz");
  CHECK(health.status == 200);
  CHECK(json::parse(health.body)["status"] == "ok");

  const auto metrics = client.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("sessiondx_events_accepted_total 1\n") != std::string::npos);
  // The POST and the /healthz GET; the /metrics request itself is counted after it answers.
  CHECK(metrics.body.find("sessiondx_http_requests_total{code=\"200\"} 2\n") != std::string::npos);
}

TEST_CASE("events are kept across a restart", "[webhook]") {
  test::temp_dir dir;
  {
    running_server server(dir / "events.db");
    auto client = server.client();
    REQUIRE(post_events(client, json::array({make_event("r1"), make_event("r2")}).dump()).status ==
            200);
  }
  running_server again(dir / "events.db");
  CHECK(stored(again.store()) == 2);
  auto client = again.client();
  const auto reply = post_events(client, make_event("r1").dump());
  CHECK(json::parse(reply.body)["duplicates"] == 1);
}

TEST_CASE("concurrent clients are all answered and all stored", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  constexpr int clients = 8;
  constexpr int per_client = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto client = server.client();
      for (int i = 0; i < per_client; ++i) {
        const auto id = "c" + std::to_string(c) + "-" + std::to_string(i);
        if (post_events(client, make_event(id).dump()).status == 200) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == clients * per_client);
  CHECK(stored(server.store()) == clients * per_client);
}

TEST_CASE("a number out of range rejects its event and the rest of the batch is stored",
          "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();
  std::string bad = make_event("huge").dump();
  bad.insert(bad.size() - 1, R"(,"context":{"screen_width":1e400})");
  const std::string body = "[" + make_event("ok1").dump() + "," + bad + "]";
  const auto reply = post_events(client, body);
  REQUIRE(reply.status == 200);
  const auto answer = json::parse(reply.body);
  CHECK(answer["accepted"] == 1);
  REQUIRE(answer["rejected"].size() == 1);
  CHECK(answer["rejected"][0]["index"] == 1);
  CHECK(answer["rejected"][0]["error"] == "context.screen_width: number out of range");
  CHECK(stored(server.store()) == 1);
}

TEST_CASE("an exception in a request is answered with 500 and a reason", "[webhook]") {
  test::fake_store exploding(test::fake_store::mode::fail_by_throwing);
  running_server server(exploding, {});
  auto client = server.client();
  const auto reply = post_events(client, make_event("x").dump());
  CHECK(reply.status == 500);
  CHECK(json::parse(reply.body)["error"] == "internal: fake store: append exploded");
  // The connection still serves the next request.
  CHECK(client.get("/healthz").status == 200);
}

TEST_CASE("every webhook-signature header line is considered", "[webhook]") {
  test::temp_dir dir;
  running_server server(dir / "events.db");
  auto client = server.client();
  const std::string body = make_event("lines").dump();
  const std::string timestamp = std::to_string(fixed_now);
  const auto reply =
      client.post("/v1/events", body,
                  {{"content-type", "application/json"},
                   {"webhook-id", "m2"},
                   {"webhook-timestamp", timestamp},
                   {"webhook-signature",
                    webhook::sign(secret_of(other_secret_text), "m2", timestamp, body)},
                   {"webhook-signature", webhook::sign(secret_of(secret_text), "m2", timestamp, body)}});
  CHECK(reply.status == 200);
  CHECK(stored(server.store()) == 1);
}
