#pragma once

// An event store that holds only a per-problem summary (store::issue_bucket rows), for the digest
// and incident tests: generated data in, reports out, no SQLite.

#include "store/event_store.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sessiondx::test {

class summary_fake final : public store::event_store {
 public:
  /// Adds `sessions` sessions (named <key>-<bucket>-<i>) to the bucket holding ts_ms.
  void add(const std::string& key, std::int64_t ts_ms, std::int64_t sessions,
           const std::string& version = "3.1", const std::string& browser = "Chrome 125") {
    if (sessions <= 0) return;
    const std::int64_t start = store::bucket_of(ts_ms);
    auto& b = rows_[{start, key}];
    if (b.sessions == 0) {
      b = {key, start, 0, 0, ts_ms, ts_ms, key + "-" + std::to_string(start) + "-0"};
    }
    b.sessions += sessions;
    b.events += sessions;
    b.first_seen_ms = std::min(b.first_seen_ms, ts_ms);
    b.last_seen_ms = std::max(b.last_seen_ms, ts_ms);
    facets_[{start, key}]["app_version\x1f" + version] += sessions;
    facets_[{start, key}]["browser\x1f" + browser] += sessions;
  }
  /// Adds the named sessions to the bucket holding ts_ms: a session named in several buckets
  /// counts in each bucket's `sessions` but once in issue_sessions(), as in the real store.
  void add_named(const std::string& key, std::int64_t ts_ms, const std::vector<std::string>& ids) {
    const std::int64_t start = store::bucket_of(ts_ms);
    auto& named = named_[{start, key}];
    std::int64_t fresh = 0;
    for (const auto& id : ids)
      if (std::find(named.begin(), named.end(), id) == named.end()) {
        named.push_back(id);
        ++fresh;
      }
    auto& b = rows_[{start, key}];
    if (b.sessions == 0) b = {key, start, 0, 0, ts_ms, ts_ms, ids.empty() ? key : ids.front()};
    b.sessions += fresh;
    b.events += fresh;
  }
  void add_traffic(std::int64_t ts_ms, std::int64_t events, std::int64_t sessions) {
    auto& t = traffic_[store::bucket_of(ts_ms)];
    t.bucket_start_ms = store::bucket_of(ts_ms);
    t.events += events;
    t.new_sessions += sessions;
  }
  std::vector<store::lookup_record> lookups_log;
  /// issue_sessions() calls: the exact distinct counts read (the costly part of an evaluation),
  /// and the largest cap one asked for (what it may read is about cap entries per bucket).
  int exact_counts = 0;
  std::int64_t largest_cap = 0;

  std::vector<store::issue_bucket> issue_buckets(std::int64_t from, std::int64_t to) override {
    std::vector<store::issue_bucket> out;
    for (const auto& [k, b] : rows_)
      if (k.first >= from && k.first < to) out.push_back(b);
    return out;
  }
  std::vector<store::issue_bucket> issue_history(const std::string& key, std::int64_t from,
                                                 std::int64_t to) override {
    std::vector<store::issue_bucket> out;
    for (const auto& [k, b] : rows_)
      if (k.second == key && k.first >= from && k.first < to) out.push_back(b);
    return out;
  }
  // Generated sessions (add) are distinct per bucket; named ones (add_named) count once.
  std::int64_t issue_sessions(const std::string& key, std::int64_t from, std::int64_t to,
                              std::int64_t cap) override {
    ++exact_counts;
    largest_cap = std::max(largest_cap, cap);
    std::int64_t n = 0;
    std::set<std::string> named;
    for (const auto& b : issue_history(key, from, to)) {
      const auto it = named_.find({b.bucket_start_ms, key});
      if (it == named_.end()) {
        n += b.sessions;
      } else {
        named.insert(it->second.begin(), it->second.end());
      }
    }
    return std::min(n + static_cast<std::int64_t>(named.size()), cap);
  }
  std::vector<store::facet_count> issue_facets(const std::string& key, std::int64_t from,
                                               std::int64_t to) override {
    std::map<std::string, std::int64_t> sum;
    for (const auto& [k, f] : facets_)
      if (k.second == key && k.first >= from && k.first < to)
        for (const auto& [name, n] : f) sum[name] += n;
    std::vector<store::facet_count> out;
    for (const auto& [name, n] : sum) {
      const auto sep = name.find('\x1f');
      out.push_back({name.substr(0, sep), name.substr(sep + 1), n});
    }
    return out;
  }
  std::vector<store::ingest_bucket> ingest_buckets(std::int64_t from, std::int64_t to) override {
    std::vector<store::ingest_bucket> out;
    for (const auto& [start, t] : traffic_)
      if (start >= from && start < to) out.push_back(t);
    return out;
  }
  std::vector<store::lookup_record> lookups(const store::lookup_query& q) override {
    std::vector<store::lookup_record> out;
    for (const auto& l : lookups_log)
      if (l.at_ms >= q.from_ms && l.at_ms < q.to_ms) out.push_back(l);
    return out;
  }

  void append(std::vector<store::event>, append_handler done) override { done({}); }
  std::vector<store::event> session_events(const std::string&, std::size_t) override { return {}; }
  std::optional<store::session_summary> summary(const std::string&) override { return {}; }
  std::vector<std::pair<std::string, std::int64_t>> type_counts(const std::string&) override {
    return {};
  }
  store::blast_radius other_sessions(const std::string&, const std::string&,
                                     std::int64_t) override {
    return {};
  }
  std::vector<std::string> similar_sessions(const std::string&, std::size_t) override { return {}; }
  std::vector<store::app_version_seen> app_versions(std::int64_t) override { return {}; }
  std::size_t prune_before(std::int64_t, std::size_t) override { return 0; }
  store::store_stats stats() const override { return {}; }
  void close() override {}

 private:
  std::map<std::pair<std::int64_t, std::string>, store::issue_bucket> rows_;
  std::map<std::pair<std::int64_t, std::string>, std::map<std::string, std::int64_t>> facets_;
  std::map<std::int64_t, store::ingest_bucket> traffic_;
  std::map<std::pair<std::int64_t, std::string>, std::vector<std::string>> named_;
};

}  // namespace sessiondx::test
