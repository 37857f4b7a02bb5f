#include "connectors/webhook/metrics.hpp"

#include <fmt/format.h>

namespace sessiondx::webhook {

void ingest_metrics::observe(unsigned status, std::chrono::steady_clock::duration elapsed) {
  std::size_t slot = tracked_status.size() - 1;  // "other"
  for (std::size_t i = 0; i + 2 < tracked_status.size(); ++i)
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

std::string ingest_metrics::prometheus(const store::store_stats& store) const {
  std::string out;
  auto line = [&out](std::string_view text) {
    out.append(text);
    out.push_back('\n');
  };
  line("# HELP sessiondx_http_requests_total Webhook requests answered, by status code.");
  line("# TYPE sessiondx_http_requests_total counter");
  for (std::size_t i = 0; i + 2 < tracked_status.size(); ++i)
    line(fmt::format("sessiondx_http_requests_total{{code=\"{}\"}} {}", tracked_status[i],
                     by_status_[i].load()));
  line(fmt::format("sessiondx_http_requests_total{{code=\"other\"}} {}",
                   by_status_[tracked_status.size() - 1].load()));

  line("# HELP sessiondx_http_request_duration_seconds Time from request read to answer ready.");
  line("# TYPE sessiondx_http_request_duration_seconds histogram");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bucket_bounds_s.size(); ++i) {
    cumulative += buckets_[i].load();
    line(fmt::format("sessiondx_http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                     bucket_bounds_s[i], cumulative));
  }
  cumulative += buckets_[bucket_bounds_s.size()].load();
  line(fmt::format("sessiondx_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}", cumulative));
  line(fmt::format("sessiondx_http_request_duration_seconds_sum {}",
                   static_cast<double>(latency_sum_us_.load()) / 1e6));
  line(fmt::format("sessiondx_http_request_duration_seconds_count {}", requests_.load()));

  const auto counter = [&line](std::string_view name, std::string_view help, auto value) {
    line(fmt::format("# HELP {} {}", name, help));
    line(fmt::format("# TYPE {} counter", name));
    line(fmt::format("{} {}", name, value));
  };
  counter("sessiondx_events_accepted_total", "Events stored.", events_accepted.load());
  counter("sessiondx_events_duplicate_total", "Events already stored (same id, same session).",
          events_duplicate.load());
  counter("sessiondx_events_rejected_total", "Events refused by validation.",
          events_rejected.load());
  counter("sessiondx_store_commits_total", "Write transactions committed.", store.commits);
  counter("sessiondx_store_commit_errors_total", "Write transactions that failed.",
          store.commit_errors);
  counter("sessiondx_store_pruned_events_total", "Events deleted by retention.",
          store.pruned_events);
  line("# HELP sessiondx_store_queued_events Events waiting for the writer.");
  line("# TYPE sessiondx_store_queued_events gauge");
  line(fmt::format("sessiondx_store_queued_events {}", store.queued_events));
  return out;
}

}  // namespace sessiondx::webhook
