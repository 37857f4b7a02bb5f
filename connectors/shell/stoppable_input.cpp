#include "connectors/shell/stoppable_input.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <poll.h>
#include <streambuf>
#include <system_error>
#include <unistd.h>

namespace sessiondx::shell {

class stoppable_input::buffer final : public std::streambuf {
 public:
  explicit buffer(int fd) : fd_(fd) {
    if (::pipe(wake_.data()) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  }
  ~buffer() override {
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;

  void stop() noexcept {
    if (stopped_.exchange(true)) return;
    const char byte = 0;
    [[maybe_unused]] const auto n = ::write(wake_[1], &byte, 1);
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    for (;;) {
      if (stopped_.load()) return traits_type::eof();
      std::array<pollfd, 2> fds{pollfd{fd_, POLLIN, 0}, pollfd{wake_[0], POLLIN, 0}};
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return traits_type::eof();
      }
      if (fds[1].revents != 0 || stopped_.load()) return traits_type::eof();
      if (fds[0].revents == 0) continue;
      const auto n = ::read(fd_, data_.data(), data_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return traits_type::eof();
      setg(data_.data(), data_.data(), data_.data() + n);
      return traits_type::to_int_type(*gptr());
    }
  }

 private:
  int fd_;
  std::array<int, 2> wake_{-1, -1};
  std::atomic<bool> stopped_{false};
  std::array<char, 4096> data_{};
};

stoppable_input::stoppable_input(int fd)
    : buffer_(std::make_unique<buffer>(fd)), stream_(buffer_.get()) {}

stoppable_input::~stoppable_input() = default;

std::istream& stoppable_input::stream() { return stream_; }

void stoppable_input::stop() noexcept { buffer_->stop(); }

}  // namespace sessiondx::shell
