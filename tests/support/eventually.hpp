#pragma once

// Waiting for a condition another thread makes true (a connector updating its metrics), with a
// deadline: for state that offers no event to await.

#include <chrono>
#include <thread>

namespace sessiondx::test {

/// True as soon as `done()` holds; false when `timeout` passed first.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace sessiondx::test
