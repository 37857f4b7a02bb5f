#pragma once

// Delivers outgoing chat messages over a REST API in order per conversation: a reply reserves
// its place when its command arrives, so replies leave in command order even when lookups finish
// out of order. 429s are waited out (Retry-After) and retried; a rate limit pauses every
// conversation. No Beast here.

#include "connectors/chat/delivery_policy.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>

namespace sessiondx::chat {

/// Sends one message once and says how it went (status 0: no answer). May throw for I/O
/// errors (counted as status 0). Must not capture anything that dies before it runs.
using send_attempt = std::function<boost::asio::awaitable<delivery_attempt>()>;

/// @par Thread safety
/// Use from one executor (a strand or a single-threaded io_context); the one given here.
class ordered_delivery {
 public:
  struct state;  ///< defined in ordered_delivery.cpp

  /// A reserved place in a conversation's queue. Messages pushed are sent in push order once
  /// every earlier slot of the conversation is done; the slot is done when finished (or
  /// destroyed). Movable, not copyable.
  class slot {
   public:
    slot() = default;
    slot(slot&&) noexcept = default;
    slot& operator=(slot&&) noexcept;
    ~slot();
    void push(send_attempt attempt);
    /// Called once on the delivery's executor when the slot is done: true when every message
    /// pushed was delivered, false when one was given up (after its attempts, or at stop()).
    void on_done(std::function<void(bool every_message_sent)> done);
    void finish();

   private:
    friend class ordered_delivery;
    struct data;
    explicit slot(std::shared_ptr<data> d) : data_(std::move(d)) {}
    std::shared_ptr<data> data_;
  };

  ordered_delivery(boost::asio::any_io_executor executor, delivery_settings settings);
  ~ordered_delivery();
  ordered_delivery(const ordered_delivery&) = delete;
  ordered_delivery& operator=(const ordered_delivery&) = delete;

  /// Reserves the next place in conversation `key` (e.g. a channel id).
  slot reserve(const std::string& key);

  /// Shutdown: messages not yet sent are still tried once, but no delay is waited out any more.
  void stop();

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sessiondx::chat
