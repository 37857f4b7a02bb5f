#pragma once

// Latency samples and their percentiles, for the benchmark summaries. Header-only, no I/O.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sessiondx::bench {

struct latency_summary {
  std::size_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
};

/// Summarises samples in microseconds; sorts `samples_us` in place.
inline latency_summary summarise(std::vector<std::uint32_t>& samples_us) {
  latency_summary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(samples_us.size()));
    return samples_us[std::min(i, samples_us.size() - 1)] / 1000.0;
  };
  s.p50_ms = at(0.50);
  s.p90_ms = at(0.90);
  s.p99_ms = at(0.99);
  s.p999_ms = at(0.999);
  s.max_ms = samples_us.back() / 1000.0;
  double sum = 0;
  for (const auto v : samples_us) sum += v;
  s.mean_ms = sum / static_cast<double>(samples_us.size()) / 1000.0;
  return s;
}

}  // namespace sessiondx::bench
