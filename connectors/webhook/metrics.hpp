#pragma once

// Counters of the webhook receiver, exposed in the Prometheus text format on GET /metrics.

#include "store/event_store.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sessiondx::webhook {

/// Values the receiver reads at scrape time (gauges), next to its counters.
struct receiver_gauges {
  std::uint64_t connections_open = 0;
  std::uint64_t inflight_requests = 0;
  std::uint64_t body_buffer_bytes = 0;
  std::uint64_t queued_bytes = 0;
};

/// Why requests or connections were turned away before any work (label values of
/// sessiondx_http_refused_total).
enum class refusal : std::uint8_t {
  connections,   ///< max_connections reached: accepted and closed
  inflight,      ///< max_inflight_requests reached: 503
  body_buffer,   ///< max_body_buffer_bytes reached: 503
  queued_bytes,  ///< max_queued_bytes reached: 503
  header_slow,   ///< header not complete within header_timeout: 408
  body_slow,     ///< body under min_body_bytes_per_s: 408
  malformed,     ///< unparsable request or header too large: 400/431
  count_
};

class ingest_metrics {
 public:
  std::atomic<std::uint64_t> events_accepted{0};
  std::atomic<std::uint64_t> events_duplicate{0};
  std::atomic<std::uint64_t> events_rejected{0};
  std::atomic<std::uint64_t> accept_errors{0};

  /// Records one answered request: its status and how long it took to produce the answer.
  void observe(unsigned status, std::chrono::steady_clock::duration elapsed);

  /// Records one parsed batch: its size in events (valid and rejected).
  void observe_batch(std::size_t events);

  /// Counts one event rejection under the field its error names ("ts: ..." -> ts).
  void observe_rejection(std::string_view error);

  void refused(refusal why) { refused_[static_cast<std::size_t>(why)].fetch_add(1); }

  /// The label a rejection error is counted under: its field when it is one of the documented
  /// ones, "number_out_of_range", or "other". Bounded, whatever the sender sends.
  static std::string_view rejection_reason(std::string_view error);

  /// The Prometheus exposition text, with the store's own counters appended.
  std::string prometheus(const store::store_stats& store, const receiver_gauges& gauges) const;

 private:
  static constexpr std::array<double, 10> bucket_bounds_s{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                          0.025,  0.05,  0.1,   0.5,   1.0};
  static constexpr std::array<unsigned, 14> tracked_status{200, 400, 401, 404, 405, 408, 413,
                                                           415, 429, 431, 500, 501, 503, 0};
  static constexpr std::array<std::size_t, 9> batch_bounds{1,    10,   50,    100,   500,
                                                           1000, 5000, 10000, 100000};
  static constexpr std::array<std::string_view, 12> rejection_reasons{"id",
                                                                      "session_id",
                                                                      "ts",
                                                                      "type",
                                                                      "severity",
                                                                      "page",
                                                                      "message",
                                                                      "attrs",
                                                                      "context",
                                                                      "event",
                                                                      "number_out_of_range",
                                                                      "other"};
  std::array<std::atomic<std::uint64_t>, tracked_status.size()> by_status_{};
  std::array<std::atomic<std::uint64_t>, bucket_bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::array<std::atomic<std::uint64_t>, batch_bounds.size() + 1> batch_buckets_{};
  std::atomic<std::uint64_t> batch_sum_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::array<std::atomic<std::uint64_t>, rejection_reasons.size()> by_reason_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(refusal::count_)> refused_{};
};

}  // namespace sessiondx::webhook
