#pragma once

// Runs command lookups for a chat connector: bot::command_handler::handle reads the store
// (blocking), so it runs on the runner's own threads and the caller's coroutine resumes on its
// own executor (a strand) with the reply.

#include "bot/commands.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace sessiondx::chat {

/// @par Thread safety
/// run() may be called from coroutines on any executor; join() once, from outside them.
class lookup_runner {
 public:
  /// `handler` must outlive the runner; `platform` names it in log lines.
  lookup_runner(const bot::command_handler& handler, std::size_t threads, std::string platform);
  /// Joins the threads (lookups in flight finish first).
  ~lookup_runner();
  lookup_runner(const lookup_runner&) = delete;
  lookup_runner& operator=(const lookup_runner&) = delete;

  /// The reply to `input`. A lookup that throws is logged and answered with an error reply
  /// (the details stay in the log); this never throws for that.
  boost::asio::awaitable<bot::reply> run(bot::command_input input);

  /// The example id of the handler's session id format (help texts).
  std::string example_id() const;

  /// Waits for the lookups in flight; run() must not be called afterwards.
  void join();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sessiondx::chat
