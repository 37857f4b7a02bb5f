// Crash test: the real sessiondx binary is killed with SIGKILL during sustained ingest, then
// restarted; every event that was answered 200 must be in the store.
#include "app/service.hpp"
#include "connectors/webhook/signature.hpp"
#include "store/sqlite_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <regex>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace {

using namespace sessiondx;
constexpr const char* secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The sessiondx binary as a child process, with its stderr read until it says where it listens.
class child_server {
 public:
  explicit child_server(const std::filesystem::path& db) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);

    std::vector<std::string> env_strings{"SESSIONDX_WEBHOOK_SECRET=" + std::string(secret)};
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string_view(*e).rfind("SESSIONDX_", 0) != 0) env_strings.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    std::string binary = SESSIONDX_BINARY, serve = "serve", listen = "--listen",
                address = "127.0.0.1:0", db_flag = "--db", db_path = db.string();
    char* argv[] = {binary.data(),  serve.data(),   listen.data(), address.data(),
                    db_flag.data(), db_path.data(), nullptr};
    REQUIRE(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    log_ = ::fdopen(fds[0], "r");

    // Wait for the start-up line that names the bound port (an event, not a sleep).
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+)/)");
    char line[4096];
    while (std::fgets(line, sizeof line, log_) != nullptr) {
      std::cmatch m;
      if (std::regex_search(line, m, listening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
        break;
      }
    }
    REQUIRE(port_ != 0);
    // Keep draining the log so the child never blocks on a full pipe.
    drain_ = std::thread([f = log_] {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, f) != nullptr) {
      }
    });
  }

  ~child_server() {
    if (pid_ > 0) signal_and_wait(SIGKILL);
    if (drain_.joinable()) drain_.join();
    if (log_) std::fclose(log_);
  }

  std::uint16_t port() const { return port_; }

  /// Sends `signal` and returns the wait status.
  int signal_and_wait(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  FILE* log_ = nullptr;
  std::thread drain_;
};

std::string session_of(int client) { return "crashtest" + std::to_string(1000 + client); }

}  // namespace

TEST_CASE("every acknowledged event survives kill -9 during sustained ingest", "[crash]") {
  test::temp_dir dir;
  const auto db = dir / "crash.db";
  const auto key = *webhook::webhook_secret::parse(secret);
  constexpr int clients = 4;
  constexpr int batch = 10;

  std::mutex mutex;
  std::condition_variable progress;
  std::vector<std::set<std::string>> acked(clients);
  std::size_t total_acked = 0;

  {
    child_server server(db);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
      threads.emplace_back([&, c] {
        test::http_client client("127.0.0.1", server.port());
        for (int n = 0;; ++n) {
          nlohmann::json events = nlohmann::json::array();
          std::vector<std::string> ids;
          const auto now = std::chrono::system_clock::now().time_since_epoch();
          for (int i = 0; i < batch; ++i) {
            ids.push_back("c" + std::to_string(c) + "-" + std::to_string(n * batch + i));
            events.push_back(
                {{"id", ids.back()},
                 {"session_id", session_of(c)},
                 {"ts", std::chrono::duration_cast<std::chrono::milliseconds>(now).count()},
                 {"type", "page_view"}});
          }
          const std::string body = events.dump();
          const std::string ts =
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
          const std::string msg = "m" + ids.front();
          test::http_reply reply;
          try {
            reply = client.post("/v1/events", body,
                                {{"content-type", "application/json"},
                                 {"webhook-id", msg},
                                 {"webhook-timestamp", ts},
                                 {"webhook-signature", webhook::sign(key, msg, ts, body)}});
          } catch (const std::exception&) {
            return;  // the server was killed
          }
          if (reply.status != 200) continue;
          std::lock_guard lock(mutex);
          acked[static_cast<std::size_t>(c)].insert(ids.begin(), ids.end());
          total_acked += ids.size();
          progress.notify_all();
        }
      });

    {
      std::unique_lock lock(mutex);
      REQUIRE(
          progress.wait_for(lock, std::chrono::seconds(60), [&] { return total_acked >= 3000; }));
    }
    // Kill while the clients are still sending.
    const int status = server.signal_and_wait(SIGKILL);
    CHECK(WIFSIGNALED(status));
    for (auto& t : threads) t.join();
  }

  {
    // Restart on the same database: it must open and serve, then stop cleanly on SIGTERM.
    child_server again(db);
    test::http_client client("127.0.0.1", again.port());
    CHECK(client.get("/healthz").status == 200);
    const int status = again.signal_and_wait(SIGTERM);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }

  store::store_settings settings;
  settings.path = db;
  auto store = store::make_sqlite_store(settings);
  std::size_t missing = 0;
  for (int c = 0; c < clients; ++c) {
    std::set<std::string> stored;
    for (auto& e : store->session_events(session_of(c), 10'000'000)) stored.insert(e.id);
    for (const auto& id : acked[static_cast<std::size_t>(c)])
      missing += stored.count(id) == 0 ? 1 : 0;
  }
  INFO(total_acked << " events acknowledged before the kill");
  CHECK(total_acked >= 3000);
  CHECK(missing == 0);
}
