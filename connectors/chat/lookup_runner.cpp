#include "connectors/chat/lookup_runner.hpp"

#include "connectors/chat/connector_state.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sessiondx::chat {

namespace net = boost::asio;

struct lookup_runner::impl {
  impl(const bot::command_handler& h, std::size_t threads, std::string p)
      : handler(h), pool(threads == 0 ? 1 : threads), platform(std::move(p)) {}
  const bot::command_handler& handler;
  net::thread_pool pool;
  std::string platform;
};

namespace {

net::awaitable<bot::reply> handle(const bot::command_handler* handler, bot::command_input input) {
  co_return handler->handle(input);
}

}  // namespace

lookup_runner::lookup_runner(const bot::command_handler& handler, std::size_t threads,
                             std::string platform)
    : impl_(std::make_unique<impl>(handler, threads, std::move(platform))) {}

lookup_runner::~lookup_runner() { join(); }

void lookup_runner::join() { impl_->pool.join(); }

std::string lookup_runner::example_id() const { return impl_->handler.format().example(); }

net::awaitable<bot::reply> lookup_runner::run(bot::command_input input) {
  std::exception_ptr failure;
  try {
    // On the pool, and back on the caller's executor when done (use_awaitable resumes there).
    // Named, not temporaries inside the co_await expression: GCC 12 destroys those twice.
    auto lookup = handle(&impl_->handler, std::move(input));
    bot::reply r = co_await net::co_spawn(impl_->pool, std::move(lookup), net::use_awaitable);
    co_return r;
  } catch (...) {
    failure = std::current_exception();
  }
  log_failure(impl_->platform, "a lookup", failure);
  co_return bot::error_reply{"The lookup failed inside sessiondx; the details are in its log.",
                             false};
}

}  // namespace sessiondx::chat
