#pragma once

// Realistic demo sessions for `sessiondx demo-data`: a healthy one, slow loading, a broken
// checkout, a frozen interface, a JavaScript error after a deploy that hits many sessions, and
// one whose id customers misread.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sessiondx::app {

struct demo_session {
  std::string session_id;
  std::string description;  ///< "" for the crowd sessions that only exist for the blast radius
  nlohmann::json events;    ///< a JSON array of webhook events
};

/// The demo sessions, with timestamps in the hour before `now_ms`. Deterministic for a given now.
std::vector<demo_session> demo_sessions(std::int64_t now_ms);

}  // namespace sessiondx::app
