#pragma once

// What the chat benchmarks share (sessiondx-slack-bench, sessiondx-chat-bench): the wall clock,
// the process's CPU time, the load average, and a connector running on its own io_context thread
// as `sessiondx serve` runs it. Header-only.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <thread>

namespace sessiondx::bench {

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// User + system CPU time of the whole process (connector, fake, driver), in seconds.
inline double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

/// "0.52 0.61 0.70" from /proc/loadavg.
inline std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

/// `Connector` started on its own io_context thread; stopped and drained on destruction.
template <class Connector>
class running {
 public:
  template <class Settings, class Handler>
  running(Settings s, const Handler& handler)
      : connector_(std::make_unique<Connector>(ioc_, std::move(s), handler)) {
    connector_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~running() {
    connector_->stop();
    thread_.join();
    ioc_.restart();
    ioc_.run();
    connector_.reset();
  }
  running(const running&) = delete;
  running& operator=(const running&) = delete;

 private:
  boost::asio::io_context ioc_;
  std::unique_ptr<Connector> connector_;
  std::thread thread_;
};

}  // namespace sessiondx::bench
