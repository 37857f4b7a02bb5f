#include "connectors/chat/connector_metrics.hpp"

#include "connectors/net/prometheus_writer.hpp"

namespace sessiondx::chat {

std::string_view to_string(link_state s) {
  switch (s) {
    case link_state::starting:
      return "starting";
    case link_state::connected:
      return "connected";
    case link_state::reconnecting:
      return "reconnecting";
    case link_state::fatal:
      return "fatal";
    case link_state::stopped:
      return "stopped";
  }
  return "unknown";
}

std::string_view to_string(reply_outcome o) { return o == reply_outcome::sent ? "sent" : "failed"; }

void connector_metrics::reply(reply_outcome o, std::chrono::steady_clock::duration latency) {
  replies_[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  std::size_t bucket = bucket_bounds_s.size();
  for (std::size_t i = 0; i < bucket_bounds_s.size(); ++i)
    if (seconds <= bucket_bounds_s[i]) {
      bucket = i;
      break;
    }
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(latency).count()),
      std::memory_order_relaxed);
}

std::uint64_t connector_metrics::latency_bucket(std::size_t i) const {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b <= i && b < buckets_.size(); ++b) n += buckets_[b].load();
  return n;
}

std::string prometheus(const std::vector<const connector_metrics*>& connectors) {
  metrics::prometheus_writer w;
  if (connectors.empty()) return w.take();
  w.family("sessiondx_connector_up", "gauge", "1 when the chat connector is connected, else 0.");
  for (const auto* c : connectors)
    w.sample("sessiondx_connector_up", {{"platform", c->platform()}}, c->up() ? 1 : 0);
  w.family("sessiondx_connector_state", "gauge",
           "The chat connector's link state: 1 for the current one.");
  for (const auto* c : connectors)
    for (auto s : {link_state::starting, link_state::connected, link_state::reconnecting,
                   link_state::fatal, link_state::stopped})
      w.sample("sessiondx_connector_state", {{"platform", c->platform()}, {"state", to_string(s)}},
               c->state() == s ? 1 : 0);
  w.family("sessiondx_connector_reconnects_total", "counter",
           "New connections after a lost one, per chat connector.");
  for (const auto* c : connectors)
    w.sample("sessiondx_connector_reconnects_total", {{"platform", c->platform()}},
             c->reconnects());
  w.family("sessiondx_chat_replies_total", "counter", "Commands answered, by outcome.");
  for (const auto* c : connectors)
    for (auto o : {reply_outcome::sent, reply_outcome::failed})
      w.sample("sessiondx_chat_replies_total",
               {{"platform", c->platform()}, {"outcome", to_string(o)}}, c->replies(o));
  w.family("sessiondx_chat_reply_duration_seconds", "histogram",
           "Time from a command's arrival to its reply's last message delivered.");
  for (const auto* c : connectors) {
    const auto& bounds = connector_metrics::bucket_bounds_s;
    std::array<std::uint64_t, connector_metrics::bucket_bounds_s.size() + 1> cumulative{};
    for (std::size_t i = 0; i < cumulative.size(); ++i) cumulative[i] = c->latency_bucket(i);
    w.histogram("sessiondx_chat_reply_duration_seconds", {{"platform", c->platform()}},
                std::span<const double>(bounds), std::span<const std::uint64_t>(cumulative),
                c->latency_sum_s(), cumulative.back());
  }
  return w.take();
}

}  // namespace sessiondx::chat
