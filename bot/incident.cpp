#include "bot/incident.hpp"

#include "bot/digest.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

namespace sessiondx::bot {

std::string_view to_string(alert_kind k) {
  switch (k) {
    case alert_kind::opened:
      return "opened";
    case alert_kind::grew:
      return "grew";
    case alert_kind::resolved:
      return "resolved";
  }
  return "opened";
}

incident_detector::incident_detector(incident_settings settings) : settings_(std::move(settings)) {}

bool incident_detector::crosses(const problem_rate& r) const {
  if (r.window_sessions < settings_.min_sessions) return false;
  if (r.baseline_sessions <= 0) return true;
  // window / window_ms >= factor * baseline / baseline_ms, without dividing.
  return static_cast<double>(r.window_sessions) * static_cast<double>(settings_.baseline_ms) >=
         settings_.rate_factor * static_cast<double>(r.baseline_sessions) *
             static_cast<double>(settings_.window_ms);
}

std::vector<alert_action> incident_detector::evaluate(std::int64_t now_ms,
                                                      const std::vector<problem_rate>& rates) {
  std::vector<alert_action> actions;
  std::map<std::string_view, const problem_rate*> by_key;
  for (const auto& r : rates) {
    const bool noise =
        settings_.is_noise ? settings_.is_noise(r.issue_key) : is_noise_issue(r.issue_key);
    if (!noise) by_key.emplace(r.issue_key, &r);
  }
  auto ratio = [&](const problem_rate& r) {
    if (r.baseline_sessions <= 0) return 0.0;
    return (static_cast<double>(r.window_sessions) / static_cast<double>(settings_.window_ms)) /
           (static_cast<double>(r.baseline_sessions) / static_cast<double>(settings_.baseline_ms));
  };

  // Open incidents: grow, or count the quiet time down.
  for (auto it = open_.begin(); it != open_.end();) {
    incident& inc = it->second;
    const auto seen = by_key.find(it->first);
    const problem_rate* r = seen == by_key.end() ? nullptr : seen->second;
    const std::int64_t sessions = r ? r->window_sessions : 0;
    if (sessions >= settings_.min_sessions) inc.last_above_ms = now_ms;
    inc.peak_sessions = std::max(inc.peak_sessions, sessions);
    if (r && static_cast<double>(sessions) >=
                 settings_.growth_factor * static_cast<double>(inc.posted_sessions)) {
      actions.push_back({alert_kind::grew,
                         it->first,
                         sessions,
                         inc.posted_sessions,
                         inc.since_ms,
                         now_ms,
                         ratio(*r),
                         r->example_session,
                         r->facets,
                         {}});
      inc.posted_sessions = sessions;
      ++it;
      continue;
    }
    if (now_ms - inc.last_above_ms >= settings_.quiet_ms) {
      actions.push_back({alert_kind::resolved,
                         it->first,
                         inc.peak_sessions,
                         inc.posted_sessions,
                         inc.since_ms,
                         now_ms,
                         0.0,
                         {},
                         {},
                         {}});
      it = open_.erase(it);
      continue;
    }
    ++it;
  }
  // New incidents.
  for (const auto& [key, r] : by_key) {
    if (open_.count(key) != 0 || !crosses(*r)) continue;
    const std::int64_t since = r->first_seen_ms > 0 ? r->first_seen_ms : now_ms;
    open_.emplace(std::string(key),
                  incident{since, r->window_sessions, r->window_sessions, now_ms});
    actions.push_back({alert_kind::opened,
                       std::string(key),
                       r->window_sessions,
                       0,
                       since,
                       now_ms,
                       ratio(*r),
                       r->example_session,
                       r->facets,
                       {}});
  }
  std::stable_sort(
      actions.begin(), actions.end(),
      [](const alert_action& a, const alert_action& b) { return a.issue_key < b.issue_key; });
  return actions;
}

std::vector<std::string> incident_detector::open_incidents() const {
  std::vector<std::string> keys;
  for (const auto& [key, inc] : open_) keys.push_back(key);
  return keys;
}

std::vector<incident_record> incident_detector::records() const {
  std::vector<incident_record> out;
  for (const auto& [key, inc] : open_)
    out.push_back({key, inc.since_ms, inc.posted_sessions, inc.peak_sessions, inc.last_above_ms});
  return out;
}

void incident_detector::restore(const std::vector<incident_record>& records) {
  open_.clear();
  for (const auto& r : records)
    open_[r.issue_key] = incident{r.since_ms, r.posted_sessions, r.peak_sessions, r.last_above_ms};
}

std::int64_t alert_retry_delay_ms(int attempts) {
  constexpr std::int64_t minute = 60'000, ceiling = 30 * minute;
  if (attempts <= 1) return minute;
  if (attempts >= 6) return ceiling;
  return std::min(ceiling, minute << (attempts - 1));
}

namespace {

std::optional<alert_kind> alert_kind_of(std::string_view name) {
  for (const alert_kind k : {alert_kind::opened, alert_kind::grew, alert_kind::resolved})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

}  // namespace

std::string to_json(const incident_state& state) {
  nlohmann::json open = nlohmann::json::array();
  for (const auto& r : state.open)
    open.push_back({{"issue_key", r.issue_key},
                    {"since_ms", r.since_ms},
                    {"posted_sessions", r.posted_sessions},
                    {"peak_sessions", r.peak_sessions},
                    {"last_above_ms", r.last_above_ms}});
  nlohmann::json threads = nlohmann::json::object();
  for (const auto& [key, by_platform] : state.threads) threads[key] = by_platform;
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : state.pending)
    pending.push_back({{"issue_key", p.issue_key},
                       {"kind", to_string(p.kind)},
                       {"platform", p.platform},
                       {"title", p.title},
                       {"text", p.text},
                       {"markdown", p.markdown},
                       {"mrkdwn", p.mrkdwn},
                       {"attempts", p.attempts},
                       {"next_ms", p.next_ms}});
  nlohmann::json j{{"version", 1}, {"open", open}, {"threads", threads}};
  if (!state.pending.empty()) j["pending"] = std::move(pending);
  return j.dump();
}

incident_state incident_state_from_json(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::invalid_argument("incident state: not a JSON object");
  incident_state state;
  auto number = [](const nlohmann::json& o, const char* field) {
    if (!o.contains(field) || !o[field].is_number_integer())
      throw std::invalid_argument(std::string("incident state: ") + field + " is not an integer");
    return o[field].get<std::int64_t>();
  };
  if (j.contains("open")) {
    if (!j["open"].is_array()) throw std::invalid_argument("incident state: open is not a list");
    for (const auto& o : j["open"]) {
      if (!o.is_object() || !o.contains("issue_key") || !o["issue_key"].is_string())
        throw std::invalid_argument("incident state: issue_key is not a string");
      state.open.push_back({o["issue_key"].get<std::string>(), number(o, "since_ms"),
                            number(o, "posted_sessions"), number(o, "peak_sessions"),
                            number(o, "last_above_ms")});
    }
  }
  if (j.contains("threads")) {
    if (!j["threads"].is_object())
      throw std::invalid_argument("incident state: threads is not an object");
    for (const auto& [key, by_platform] : j["threads"].items()) {
      if (!by_platform.is_object())
        throw std::invalid_argument("incident state: threads." + key + " is not an object");
      for (const auto& [platform, id] : by_platform.items()) {
        if (!id.is_string())
          throw std::invalid_argument("incident state: threads." + key + "." + platform +
                                      " is not a string");
        state.threads[key][platform] = id.get<std::string>();
      }
    }
  }
  if (j.contains("pending")) {
    if (!j["pending"].is_array())
      throw std::invalid_argument("incident state: pending is not a list");
    for (const auto& o : j["pending"]) {
      if (!o.is_object()) throw std::invalid_argument("incident state: pending is not a list");
      auto text = [&o](const char* field) {
        if (!o.contains(field) || !o[field].is_string())
          throw std::invalid_argument(std::string("incident state: pending.") + field +
                                      " is not a string");
        return o[field].get<std::string>();
      };
      pending_alert p;
      p.issue_key = text("issue_key");
      const auto kind = alert_kind_of(text("kind"));
      if (!kind) throw std::invalid_argument("incident state: pending.kind is not an alert kind");
      p.kind = *kind;
      p.platform = text("platform");
      p.title = text("title");
      p.text = text("text");
      p.markdown = text("markdown");
      p.mrkdwn = text("mrkdwn");
      p.attempts = static_cast<int>(number(o, "attempts"));
      p.next_ms = number(o, "next_ms");
      state.pending.push_back(std::move(p));
    }
  }
  return state;
}

}  // namespace sessiondx::bot
