// `sessiondx diagnose` as an operator runs it: the real binary, a real store, exit codes.
#include "app/service.hpp"
#include "store/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace sessiondx;

namespace {

struct run_result {
  int exit_code = -1;
  std::string output;
};

run_result run(const std::string& args) {
  const std::string command = std::string(SESSIONDX_BINARY) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  run_result r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  REQUIRE(WIFEXITED(status));
  r.exit_code = WEXITSTATUS(status);
  return r;
}

}  // namespace

TEST_CASE("sessiondx diagnose: found, unknown and malformed ids", "[cli]") {
  test::temp_dir dir;
  const auto db = dir / "events.db";
  {
    store::store_settings settings;
    settings.path = db;
    auto store = store::make_sqlite_store(settings);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    store::event e;
    e.id = "e1";
    e.session_id = "abcd1234efgh5678";
    e.ts_ms = now - 60'000;
    e.type = "http_request";
    e.attrs = R"({"method":"POST","route":"/api/payment","status":502,"duration_ms":812})";
    e.issue_key = "route:POST /api/payment";
    REQUIRE_FALSE(store->append_and_wait({e}).error);
  }
  const std::string db_flag = " --db " + db.string();

  const auto found = run("diagnose abcd1234efgh5678 --format json" + db_flag);
  CHECK(found.exit_code == 0);
  const auto doc = nlohmann::json::parse(found.output);
  CHECK(doc["session_id"] == "abcd1234efgh5678");
  CHECK(doc["verdict"] != "healthy");
  CHECK(doc["findings"].size() >= 1);

  const auto text = run("diagnose ' `abcd1234efgh5678` '" + db_flag);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.output, Catch::Contains("POST /api/payment"));

  const auto unknown = run("diagnose abcd1234efgh567O" + db_flag);
  CHECK(unknown.exit_code == 3);
  CHECK_THAT(unknown.output, Catch::Contains("abcd1234efgh5678"));

  const auto malformed = run("diagnose 'x;DROP' --format markdown" + db_flag);
  CHECK(malformed.exit_code == 2);
  CHECK_THAT(malformed.output, Catch::Contains("footer"));
}

TEST_CASE("sessiondx diagnose opens the store read-only: a read-only file system works", "[cli]") {
  test::temp_dir dir;
  const auto ro = dir / "ro";
  std::filesystem::create_directory(ro);
  const bool mounted = ::mount("tmpfs", ro.c_str(), "tmpfs", 0, "size=8m") == 0;
  struct unmount_at_end {
    std::filesystem::path path;
    bool active;
    ~unmount_at_end() {
      if (active) ::umount2(path.c_str(), MNT_DETACH);
    }
  } unmount{ro, mounted};
  const auto db = ro / "events.db";
  {
    store::store_settings settings;
    settings.path = db;
    auto store = store::make_sqlite_store(settings);
    store::event e;
    e.id = "e1";
    e.session_id = "abcd1234efgh5678";
    e.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    e.type = "page_view";
    REQUIRE_FALSE(store->append_and_wait({e}).error);
    store->close();
  }
  const auto read_all = [&db] {
    std::ifstream in(db, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  };
  const std::string before = read_all();
  if (mounted) {
    // Read-only even for root: remount the tmpfs holding the database read-only.
    REQUIRE(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  } else {
    WARN("cannot mount a tmpfs here: testing a chmod 0444 file in a 0555 directory instead");
    std::filesystem::permissions(db, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
    std::filesystem::permissions(
        ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  }
  const auto found = run("diagnose abcd1234efgh5678 --format json --db " + db.string());
  CHECK(found.exit_code == 0);
  CHECK(nlohmann::json::parse(found.output)["session_id"] == "abcd1234efgh5678");
  CHECK(run("diagnose abcd1234efgh567O --db " + db.string()).exit_code == 3);
  // The team-lead commands read the same way.
  const auto digest = run("digest --since 24h --format json --db " + db.string());
  CHECK(digest.exit_code == 0);
  CHECK(nlohmann::json::parse(digest.output)["events_received"] == 1);
  CHECK(run("audit --session abcd1234efgh5678 --db " + db.string()).exit_code == 3);
  // Nothing was written: no migration, no retention, no WAL left behind.
  CHECK(read_all() == before);
  CHECK_FALSE(std::filesystem::exists(db.string() + "-wal"));
  if (!mounted) std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
}

TEST_CASE("sessiondx digest and audit answer from a read-only store file", "[cli]") {
  test::temp_dir dir;
  const auto ro = dir / "ro";
  std::filesystem::create_directory(ro);
  // As root, permissions do not stop a write: a tmpfs remounted read-only does, when allowed.
  const bool mounted = ::mount("tmpfs", ro.c_str(), "tmpfs", 0, "size=8m") == 0;
  struct unmount_at_end {
    std::filesystem::path path;
    bool active;
    ~unmount_at_end() {
      if (active) ::umount2(path.c_str(), MNT_DETACH);
    }
  } unmount{ro, mounted};
  const auto db = ro / "events.db";
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  {
    store::store_settings settings;
    settings.path = db;
    auto store = store::make_sqlite_store(settings);
    std::vector<store::event> events;
    for (int i = 0; i < 3; ++i) {
      store::event e;
      e.id = "e" + std::to_string(i);
      e.session_id = "sess" + std::to_string(i) + "abcdefgh";
      e.ts_ms = now - 60'000;
      e.type = "http_request";
      e.attrs = R"({"method":"POST","route":"/api/payment","status":502})";
      e.issue_key = "route:POST /api/payment";
      events.push_back(std::move(e));
    }
    store->record_lookup({now - 30'000, "sess1abcdefgh", "broken", "route:POST /api/payment",
                          "U_ALICE", "slack", "C_SUPPORT"});
    // The writer commits the lookup log in queue order: the append behind it commits it.
    REQUIRE_FALSE(store->append_and_wait(std::move(events)).error);
    REQUIRE(store->lookups({}).size() == 1);
    store->close();
  }
  // The file and its directory read-only (no -wal or -shm may be created beside it).
  if (mounted) {
    REQUIRE(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  } else {
    WARN("cannot mount a tmpfs here: testing a chmod 0444 file in a 0555 directory instead");
    std::filesystem::permissions(db, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
    std::filesystem::permissions(
        ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  }
  struct writable_at_end {
    std::filesystem::path path;
    bool active;
    ~writable_at_end() {
      if (active) std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }
  } restore{ro, !mounted};
  const std::string db_flag = " --db " + db.string();

  const auto digest = run("digest --since 24h --format json" + db_flag);
  REQUIRE(digest.exit_code == 0);
  const auto doc = nlohmann::json::parse(digest.output);
  CHECK(doc["events_received"] == 3);
  CHECK(doc["lookups"] == 1);
  REQUIRE(doc["top"].size() == 1);
  CHECK(doc["top"][0]["issue_key"] == "route:POST /api/payment");
  CHECK(doc["top"][0]["sessions"] == 3);
  CHECK(doc["top"][0]["lookups"] == 1);
  REQUIRE(doc["most_looked_up"].size() == 1);
  CHECK(doc["most_looked_up"][0]["issue_key"] == "route:POST /api/payment");

  const auto text = run("digest --since 24h --format markdown" + db_flag);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.output, Catch::Contains("route:POST /api/payment"));

  const auto by_session = run("audit --session sess1abcdefgh" + db_flag);
  CHECK(by_session.exit_code == 0);
  CHECK_THAT(by_session.output, Catch::Contains("U_ALICE"));
  CHECK_THAT(by_session.output, Catch::Contains("C_SUPPORT"));
  CHECK_THAT(by_session.output, Catch::Contains("broken"));
  CHECK_THAT(by_session.output, Catch::Contains("1 lookup\n"));
  const auto by_user = run("audit --user U_ALICE" + db_flag);
  CHECK(by_user.exit_code == 0);
  CHECK_THAT(by_user.output, Catch::Contains("sess1abcdefgh"));
  CHECK_THAT(by_user.output, Catch::Contains("route:POST /api/payment"));
  // Someone else's lookups: none, and the answer says so (exit 3), still without writing.
  CHECK(run("audit --user U_BOB" + db_flag).exit_code == 3);
  CHECK_FALSE(std::filesystem::exists(db.string() + "-wal"));
  CHECK_FALSE(std::filesystem::exists(db.string() + "-shm"));
}
