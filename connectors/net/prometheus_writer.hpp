#pragma once

// The Prometheus text exposition format (version 0.0.4), written once for every /metrics
// producer (the webhook receiver, the chat connectors): one HELP and TYPE per family, samples
// with escaped label values, histograms with cumulative buckets, +Inf, _sum and _count. Pure:
// no I/O, no Asio.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sessiondx::metrics {

/// Label name and value, in the order given. Values are escaped (\\, \", \n) on output.
using label_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// @par Thread safety
/// None: one writer per exposition, on one thread.
class prometheus_writer {
 public:
  /// `# HELP name help` and `# TYPE name type` (counter, gauge, histogram).
  void family(std::string_view name, std::string_view type, std::string_view help);

  /// `name{labels} value`; integers in decimal, doubles in their shortest exact form.
  template <class T>
  requires std::is_arithmetic_v<T>
  void sample(std::string_view name, label_list labels, T value) {
    sample_text(name, labels, text_of(value));
  }

  /// A family of one unlabelled sample.
  template <class T>
  void counter(std::string_view name, std::string_view help, T value) {
    family(name, "counter", help);
    sample(name, {}, value);
  }
  template <class T>
  void gauge(std::string_view name, std::string_view help, T value) {
    family(name, "gauge", help);
    sample(name, {}, value);
  }

  /// The samples of one histogram series (the family is written separately): `cumulative[i]`
  /// observations at or under `bounds[i]`, the last one (index bounds.size()) for +Inf, then
  /// `sum` and `count` (a separate counter may run a sample ahead of the buckets).
  template <class Bound, class Sum>
  void histogram(std::string_view name, label_list labels, std::span<const Bound> bounds,
                 std::span<const std::uint64_t> cumulative, Sum sum, std::uint64_t count) {
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i)
      sample_text(bucket, labels, format(cumulative[i]), {"le", text_of(bounds[i])});
    if (cumulative.size() > bounds.size())
      sample_text(bucket, labels, format(cumulative[bounds.size()]), {"le", "+Inf"});
    sample_text(std::string(name) + "_sum", labels, text_of(sum));
    sample_text(std::string(name) + "_count", labels, format(count));
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

  static std::string format(double v);
  static std::string format(std::int64_t v);
  static std::string format(std::uint64_t v);
  template <class T>
  requires std::is_arithmetic_v<T>
  static std::string text_of(T value) {
    if constexpr (std::is_floating_point_v<T>)
      return format(static_cast<double>(value));
    else if constexpr (std::is_signed_v<T>)
      return format(static_cast<std::int64_t>(value));
    else
      return format(static_cast<std::uint64_t>(value));
  }

 private:
  void sample_text(std::string_view name, label_list labels, std::string_view value,
                   std::pair<std::string_view, std::string_view> extra = {});

  std::string out_;
};

}  // namespace sessiondx::metrics
