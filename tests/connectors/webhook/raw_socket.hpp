#pragma once

// A raw loopback TCP client for hostile-traffic tests: sends exactly the bytes given, reads what
// comes back. POSIX sockets, blocking, with a receive timeout so a test cannot hang.

#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace sessiondx::test {

class raw_socket {
 public:
  /// Connects to 127.0.0.1:port; fd() is -1 when the socket or connect failed.
  explicit raw_socket(std::uint16_t port, int timeout_s = 10) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  raw_socket(raw_socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;
  ~raw_socket() {
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const { return fd_; }

  /// False when the peer has closed (EPIPE/ECONNRESET).
  bool send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// Everything until the peer closes (or the receive timeout passes: then `timed_out`).
  std::string read_all() {
    std::string out;
    char chunk[4096];
    for (;;) {
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        out.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) timed_out = true;
      return out;
    }
  }

  /// True when the peer has sent something or closed, without waiting.
  bool readable_now() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }

  bool timed_out = false;

 private:
  int fd_ = -1;
};

}  // namespace sessiondx::test
