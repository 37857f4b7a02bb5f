#pragma once

// run_sync(awaitable, timeout): runs one coroutine to completion on a fresh io_context and
// returns its value. Rethrows what it threw; throws std::runtime_error when it did not finish
// within `timeout` (a hang fails the test instead of blocking the suite).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace sessiondx::test {

template <class T>
T run_sync(boost::asio::awaitable<T> op,
           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  boost::asio::io_context ioc;
  std::exception_ptr failure;
  bool finished = false;
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(ioc, std::move(op), [&](std::exception_ptr e) {
      failure = e;
      finished = true;
    });
    ioc.run_for(timeout);
    if (failure) std::rethrow_exception(failure);
    if (!finished) throw std::runtime_error("run_sync: the coroutine did not finish in time");
  } else {
    std::optional<T> result;
    boost::asio::co_spawn(ioc, std::move(op), [&](std::exception_ptr e, T value) {
      failure = e;
      if (!e) result.emplace(std::move(value));
      finished = true;
    });
    ioc.run_for(timeout);
    if (failure) std::rethrow_exception(failure);
    if (!finished) throw std::runtime_error("run_sync: the coroutine did not finish in time");
    return std::move(*result);
  }
}

}  // namespace sessiondx::test
