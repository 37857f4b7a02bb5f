#include "store/event_store.hpp"

#include <catch2/catch.hpp>

#include <thread>

namespace store = sessiondx::store;

namespace {

// Completes each append either at once on the caller's thread or later on another thread.
class fake_store final : public store::event_store {
 public:
  explicit fake_store(bool complete_elsewhere) : elsewhere_(complete_elsewhere) {}
  ~fake_store() override {
    if (worker_.joinable()) worker_.join();
  }

  void append(std::vector<store::event> batch, append_handler done) override {
    store::append_result result{
        {}, std::vector<store::append_outcome>(batch.size(), store::append_outcome::stored)};
    if (!elsewhere_) {
      done(store::append_result{store::make_error_code(store::errc::overloaded), {}});
      return;
    }
    worker_ = std::thread([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }
  std::vector<store::event> session_events(const std::string&, std::size_t) override { return {}; }
  std::optional<store::session_summary> summary(const std::string&) override { return {}; }
  std::vector<std::pair<std::string, std::int64_t>> type_counts(const std::string&) override {
    return {};
  }
  store::blast_radius other_sessions(const std::string&, const std::string&,
                                     std::int64_t) override {
    return {};
  }
  std::vector<std::string> similar_sessions(const std::string&, std::size_t) override { return {}; }
  std::vector<store::app_version_seen> app_versions(std::int64_t) override { return {}; }
  std::size_t prune_before(std::int64_t, std::size_t) override { return 0; }
  store::store_stats stats() const override { return {}; }
  void close() override {}

 private:
  bool elsewhere_;
  std::thread worker_;
};

}  // namespace

TEST_CASE("store: store errors have their own category and messages", "[store]") {
  const std::error_code overloaded = store::errc::overloaded;
  CHECK(std::string(overloaded.category().name()) == "sessiondx.store");
  CHECK(overloaded == store::make_error_code(store::errc::overloaded));
  CHECK(overloaded != store::make_error_code(store::errc::write_failed));
  CHECK(overloaded.message().find("full") != std::string::npos);
  CHECK(store::make_error_code(store::errc::shutting_down).message().find("shutting down") !=
        std::string::npos);
  CHECK(store::make_error_code(store::errc::write_failed).message().find("commit") !=
        std::string::npos);
  CHECK(&store::make_error_code(store::errc::write_failed).category() == &store::store_category());
}

TEST_CASE("store: append_and_wait returns the result given on another thread", "[store]") {
  fake_store fake(true);
  const auto result = fake.append_and_wait({store::event{}, store::event{}});
  CHECK_FALSE(result.error);
  CHECK(result.outcomes.size() == 2);
}

TEST_CASE("store: append_and_wait returns an error given at once on the caller's thread",
          "[store]") {
  fake_store fake(false);
  const auto result = fake.append_and_wait({store::event{}});
  CHECK(result.error == store::errc::overloaded);
  CHECK(result.outcomes.empty());
}
