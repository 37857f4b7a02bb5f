#pragma once

// Realistic website events for the benchmarks, cheap enough that the generator is never the
// bottleneck: every event is a fixed JSON tail (type, attrs, message, context) chosen from
// precomputed templates, with only id, session_id and ts written per event. Pure: no I/O, no
// clock reads (callers pass `now`), no JSON library. Not thread-safe: one generator per producer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sessiondx::bench {

/// One event of a planned batch: which template, its id and its time.
struct planned_event {
  std::uint32_t kind = 0;  ///< index into event_generator::kinds()
  std::string id;          ///< unique, time-ordered-ish event id
  std::int64_t ts_ms = 0;
};

/// A batch of one session's events, as a website backend would send it.
struct planned_batch {
  std::uint64_t session = 0;  ///< session index in [0, sessions)
  std::uint32_t context = 0;  ///< index into event_generator::contexts()
  std::vector<planned_event> events;
};

class event_generator {
 public:
  /// `generator_id` makes ids unique across generators running at the same time (one per
  /// connection or producer); `session_seed` selects the family of session ids, so a prefill
  /// and a load run can use disjoint or identical session sets.
  event_generator(std::uint32_t generator_id, std::uint64_t sessions, std::uint64_t session_seed);

  /// Plans `n` events of a random session, with timestamps at or just before `now_ms`.
  void plan(std::size_t n, std::int64_t now_ms, planned_batch& out);

  /// Plans `n` events of session `session`, spread over [from_ms, from_ms + span_ms).
  void plan_session(std::uint64_t session, std::size_t n, std::int64_t from_ms,
                    std::int64_t span_ms, planned_batch& out);

  /// Writes the batch as the webhook body: one event object when it holds one event, otherwise
  /// a JSON array. Replaces the contents of `out` (its capacity is reused).
  void render(const planned_batch& batch, std::string& out) const;

  /// The session id of a session index: 16 hex digits behind "s_", stable for a given seed.
  std::string session_id(std::uint64_t session) const;

  /// The JSON tails of the event kinds, each starting with `,"type":` (for tools that build
  /// store events from templates).
  static std::size_t kind_count();
  static std::size_t context_count();
  /// One complete event object of a kind and context with the given id, session and time.
  static std::string event_json(std::uint32_t kind, std::uint32_t context, const std::string& id,
                                const std::string& session_id, std::int64_t ts_ms);

 private:
  std::uint64_t next_random();
  std::string next_id(std::int64_t ts_ms);
  std::uint32_t pick_kind();

  std::uint32_t generator_id_;
  std::uint64_t sessions_;
  std::uint64_t session_seed_;
  std::uint64_t rng_state_;
  std::uint64_t sequence_ = 0;
};

}  // namespace sessiondx::bench
