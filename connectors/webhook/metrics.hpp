#pragma once

// Counters of the webhook receiver, exposed in the Prometheus text format on GET /metrics.

#include "store/event_store.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sessiondx::webhook {

class ingest_metrics {
 public:
  std::atomic<std::uint64_t> events_accepted{0};
  std::atomic<std::uint64_t> events_duplicate{0};
  std::atomic<std::uint64_t> events_rejected{0};

  /// Records one answered request: its status and how long it took to produce the answer.
  void observe(unsigned status, std::chrono::steady_clock::duration elapsed);

  /// The Prometheus exposition text, with the store's own counters appended.
  std::string prometheus(const store::store_stats& store) const;

 private:
  static constexpr std::array<double, 10> bucket_bounds_s{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                          0.025,  0.05,  0.1,   0.5,   1.0};
  static constexpr std::array<unsigned, 12> tracked_status{200, 400, 401, 404, 405, 413,
                                                           415, 429, 500, 503, 0,   0};
  std::array<std::atomic<std::uint64_t>, tracked_status.size()> by_status_{};
  std::array<std::atomic<std::uint64_t>, bucket_bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace sessiondx::webhook
