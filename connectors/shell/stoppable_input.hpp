#pragma once

// Standard input that can be stopped: a blocking line read on a terminal or pipe returns end of
// input once stop() is called, so that the shell's thread can be joined at shutdown instead of
// being left detached, blocked on a line that never comes.

#include <istream>
#include <memory>

namespace sessiondx::shell {

class stoppable_input {
 public:
  /// Reads `fd` (not owned). Throws std::system_error when the wake-up pipe cannot be made.
  explicit stoppable_input(int fd);
  ~stoppable_input();
  stoppable_input(const stoppable_input&) = delete;
  stoppable_input& operator=(const stoppable_input&) = delete;

  /// The stream to read from, on one thread.
  std::istream& stream();

  /// Makes the current and every later read return end of input. Thread-safe, idempotent.
  void stop() noexcept;

  class buffer;  ///< defined in stoppable_input.cpp

 private:
  std::unique_ptr<buffer> buffer_;
  std::istream stream_;
};

}  // namespace sessiondx::shell
