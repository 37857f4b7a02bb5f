#include "connectors/chat/lookup_runner.hpp"
#include "tests/support/run_sync.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>

using namespace sessiondx;
using namespace std::chrono_literals;

namespace {

bot::diagnosis diagnosis_of(const std::string& id) {
  bot::diagnosis d;
  d.session_id = id;
  d.verdict = bot::verdict::healthy;
  return d;
}

}  // namespace

TEST_CASE("lookup runner: the lookup runs on its own threads, the reply comes back") {
  std::thread::id lookup_thread;
  bot::command_handler handler([&](const std::string& id) -> bot::diagnose_result {
    lookup_thread = std::this_thread::get_id();
    return diagnosis_of(id);
  });
  chat::lookup_runner runner(handler, 1, "test");
  const auto reply =
      test::run_sync(runner.run({"U1", "C1", "/session abcd1234efgh5678", "test"}), 5s);
  REQUIRE(std::holds_alternative<bot::diagnosis_reply>(reply));
  CHECK(std::get<bot::diagnosis_reply>(reply).diagnosis.session_id == "abcd1234efgh5678");
  CHECK(lookup_thread != std::thread::id());
  CHECK(lookup_thread != std::this_thread::get_id());
  CHECK(runner.example_id() == "abcd1234efgh5678");
}

TEST_CASE("lookup runner: a lookup that throws becomes an error reply, not an exception") {
  bot::command_handler handler([](const std::string&) -> bot::diagnose_result {
    throw std::runtime_error("database is locked");
  });
  chat::lookup_runner runner(handler, 1, "test");
  const auto reply = test::run_sync(runner.run({"U1", "C1", "/session abcd1234efgh5678", ""}), 5s);
  REQUIRE(std::holds_alternative<bot::error_reply>(reply));
  const auto& e = std::get<bot::error_reply>(reply);
  CHECK(e.message.find("database is locked") == std::string::npos);  // details stay in the log
  CHECK(e.message.find("log") != std::string::npos);
}

namespace {
boost::asio::awaitable<int> never_done() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 1h);
  co_await timer.async_wait(boost::asio::use_awaitable);
  co_return 1;
}
}  // namespace

TEST_CASE("run_sync: a coroutine that does not finish in time fails instead of hanging") {
  CHECK_THROWS_AS(test::run_sync(never_done(), 20ms), std::runtime_error);
}
