#include "connectors/webhook/metrics.hpp"

#include "connectors/net/prometheus_writer.hpp"

#include <span>

namespace sessiondx::webhook {

void ingest_metrics::observe(unsigned status, std::chrono::steady_clock::duration elapsed) {
  std::size_t slot = tracked_status.size() - 1;  // "other"
  for (std::size_t i = 0; i + 1 < tracked_status.size(); ++i)
    if (tracked_status[i] == status) slot = i;
  by_status_[slot].fetch_add(1, std::memory_order_relaxed);

  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = bucket_bounds_s.size();
  for (std::size_t i = 0; i < bucket_bounds_s.size(); ++i)
    if (seconds <= bucket_bounds_s[i]) {
      bucket = i;
      break;
    }
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()),
      std::memory_order_relaxed);
  requests_.fetch_add(1, std::memory_order_relaxed);
}

void ingest_metrics::observe_batch(std::size_t events) {
  std::size_t bucket = batch_bounds.size();
  for (std::size_t i = 0; i < batch_bounds.size(); ++i)
    if (events <= batch_bounds[i]) {
      bucket = i;
      break;
    }
  batch_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  batch_sum_.fetch_add(events, std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
}

std::string_view ingest_metrics::rejection_reason(std::string_view error) {
  if (error.find(": number out of range") != std::string_view::npos) return "number_out_of_range";
  const auto end = error.find_first_of(":.");
  const std::string_view field = error.substr(0, end);
  for (auto reason : rejection_reasons)
    if (reason == field) return reason;
  return "other";
}

void ingest_metrics::observe_rejection(std::string_view error) {
  const auto reason = rejection_reason(error);
  for (std::size_t i = 0; i < rejection_reasons.size(); ++i)
    if (rejection_reasons[i] == reason) by_reason_[i].fetch_add(1, std::memory_order_relaxed);
}

std::string ingest_metrics::prometheus(const store::store_stats& store,
                                       const receiver_gauges& gauges) const {
  metrics::prometheus_writer w;
  w.family("sessiondx_http_requests_total", "counter",
           "Webhook requests answered, by status code.");
  for (std::size_t i = 0; i + 1 < tracked_status.size(); ++i) {
    const std::string code = std::to_string(tracked_status[i]);
    w.sample("sessiondx_http_requests_total", {{"code", code}}, by_status_[i].load());
  }
  w.sample("sessiondx_http_requests_total", {{"code", "other"}},
           by_status_[tracked_status.size() - 1].load());

  w.family("sessiondx_http_request_duration_seconds", "histogram",
           "Time from request read to answer ready.");
  std::array<std::uint64_t, bucket_bounds_s.size() + 1> latency{};
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency.size(); ++i) latency[i] = cumulative += buckets_[i].load();
  w.histogram("sessiondx_http_request_duration_seconds", {},
              std::span<const double>(bucket_bounds_s), std::span<const std::uint64_t>(latency),
              static_cast<double>(latency_sum_us_.load()) / 1e6, requests_.load());

  w.family("sessiondx_ingest_batch_events", "histogram",
           "Events per parsed POST /v1/events body (valid and rejected).");
  std::array<std::uint64_t, batch_bounds.size() + 1> batch{};
  cumulative = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i] = cumulative += batch_buckets_[i].load();
  w.histogram("sessiondx_ingest_batch_events", {}, std::span<const std::size_t>(batch_bounds),
              std::span<const std::uint64_t>(batch), batch_sum_.load(), batches_.load());

  w.counter("sessiondx_events_accepted_total", "Events stored.", events_accepted.load());
  w.counter("sessiondx_events_duplicate_total", "Events already stored (same id, same session).",
            events_duplicate.load());
  w.counter("sessiondx_events_rejected_total", "Events refused by validation.",
            events_rejected.load());
  w.family("sessiondx_events_rejected_by_reason_total", "counter",
           "Events refused by validation, by the field their error names.");
  for (std::size_t i = 0; i < rejection_reasons.size(); ++i)
    w.sample("sessiondx_events_rejected_by_reason_total", {{"reason", rejection_reasons[i]}},
             by_reason_[i].load());

  static constexpr std::array<std::string_view, static_cast<std::size_t>(refusal::count_)>
      refusal_names{"connections", "inflight",  "body_buffer", "queued_bytes",
                    "header_slow", "body_slow", "malformed"};
  w.family("sessiondx_http_refused_total", "counter",
           "Connections or requests turned away by a receiver limit, by limit.");
  for (std::size_t i = 0; i < refusal_names.size(); ++i)
    w.sample("sessiondx_http_refused_total", {{"limit", refusal_names[i]}}, refused_[i].load());
  w.counter("sessiondx_http_accept_errors_total",
            "Failed accept() calls (EMFILE, ENFILE...), each followed by a backoff.",
            accept_errors.load());
  w.gauge("sessiondx_http_connections_open", "Open connections to the receiver.",
          gauges.connections_open);
  w.gauge("sessiondx_http_inflight_requests", "POST requests between header and answer.",
          gauges.inflight_requests);
  w.gauge("sessiondx_http_body_buffer_bytes", "Bytes of request bodies held in memory.",
          gauges.body_buffer_bytes);
  w.gauge("sessiondx_ingest_queued_bytes",
          "Estimated bytes of events handed to the writer, not yet committed.",
          gauges.queued_bytes);

  w.counter("sessiondx_store_commits_total", "Write transactions committed.", store.commits);
  w.counter("sessiondx_store_commit_errors_total", "Write transactions that failed.",
            store.commit_errors);
  w.counter("sessiondx_store_pruned_events_total", "Events deleted by retention.",
            store.pruned_events);
  w.gauge("sessiondx_store_queued_events", "Events waiting for the writer.", store.queued_events);
  return w.take();
}

}  // namespace sessiondx::webhook
