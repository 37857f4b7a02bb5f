#include "connectors/discord/gateway.hpp"

#include <algorithm>

namespace sessiondx::discord {

using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr double k_max_heartbeat_ms = 3'600'000;  // one hour

enum opcode : int {
  dispatch = 0,
  heartbeat = 1,
  identify = 2,
  resume = 6,
  reconnect = 7,
  invalid_session = 9,
  hello = 10,
  heartbeat_ack = 11,
};

gateway_action send(std::string payload) {
  gateway_action a;
  a.what = gateway_action::kind::send;
  a.payload = std::move(payload);
  return a;
}

gateway_action timer(milliseconds delay) {
  gateway_action a;
  a.what = gateway_action::kind::heartbeat_timer;
  a.delay = delay;
  return a;
}

gateway_action close_with(std::uint16_t code) {
  gateway_action a;
  a.what = gateway_action::kind::close;
  a.close_code = code;
  return a;
}

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

}  // namespace

std::string fatal_close_reason(std::uint16_t code) {
  switch (code) {
    case 4004:
      return "authentication failed (4004): DISCORD_BOT_TOKEN is wrong or was reset";
    case 4010:
      return "invalid shard (4010)";
    case 4011:
      return "sharding required (4011): the bot is in too many guilds for one connection";
    case 4012:
      return "invalid API version (4012)";
    case 4013:
      return "invalid intents (4013)";
    case 4014:
      return "disallowed intents (4014): enable them in the Developer Portal (Bot → Privileged "
             "Gateway Intents) or do not request them";
    default:
      return {};
  }
}

gateway_session::gateway_session(gateway_settings settings, std::function<double()> random01)
    : settings_(std::move(settings)), random01_(std::move(random01)) {}

std::string gateway_session::connect_url(const std::string& base) {
  std::string url = base;
  if (url.find('?') != std::string::npos) return url;
  if (url.empty() || url.back() != '/') url += '/';
  return url + "?v=10&encoding=json";
}

gateway_next gateway_session::next_connection() const {
  gateway_next n;
  if (!session_id_.empty() && !resume_url_.empty()) {
    n.what = gateway_next::kind::resume;
    n.url = connect_url(resume_url_);
  } else {
    n.what = gateway_next::kind::identify;
    n.url = connect_url(gateway_url_);
  }
  return n;
}

void gateway_session::opened() {
  // Fresh per socket: a stale "awaiting ACK" would make the first beat look like a zombie.
  awaiting_ack_ = false;
  hello_seen_ = false;
  ready_ = false;
  resuming_ = false;
  decided_.reset();
}

void gateway_session::forget_session() {
  session_id_.clear();
  resume_url_.clear();
  seq_.reset();
}

std::string gateway_session::heartbeat_payload() const {
  json d = seq_ ? json(*seq_) : json(nullptr);
  return json{{"op", heartbeat}, {"d", d}}.dump();
}

std::string gateway_session::identify_payload() const {
  return json{
      {"op", identify},
      {"d",
       {{"token", settings_.token},
        {"intents", settings_.intents},
        {"properties",
         {{"os", settings_.os}, {"browser", settings_.browser}, {"device", settings_.device}}}}}}
      .dump();
}

std::string gateway_session::resume_payload() const {
  return json{{"op", resume},
              {"d",
               {{"token", settings_.token},
                {"session_id", session_id_},
                {"seq", seq_ ? json(*seq_) : json(nullptr)}}}}
      .dump();
}

std::vector<gateway_action> gateway_session::on_frame(const std::string& text,
                                                      clock::time_point now) {
  std::vector<gateway_action> out;
  const json p = json::parse(text, nullptr, false);
  if (!p.is_object() || !p.contains("op") || !p["op"].is_number_integer()) return out;
  const int op = p["op"].get<int>();
  const json empty;
  const json& d = p.contains("d") ? p["d"] : empty;

  switch (op) {
    case hello: {
      if (!d.is_object() || !d.contains("heartbeat_interval") ||
          !d["heartbeat_interval"].is_number())
        return out;
      const double ms = d["heartbeat_interval"].get<double>();
      if (!(ms >= 1)) return out;  // also NaN
      // Discord sends about 41 s; anything beyond an hour is hostile or broken: heartbeat hourly
      // rather than convert an out-of-range double (undefined behaviour).
      interval_ = milliseconds(static_cast<std::int64_t>(std::min(ms, k_max_heartbeat_ms)));
      hello_seen_ = true;
      awaiting_ack_ = false;
      out.push_back(timer(milliseconds(static_cast<std::int64_t>(
          static_cast<double>(interval_.count()) * clamp01(random01_())))));
      if (!session_id_.empty() && !resume_url_.empty()) {
        resuming_ = true;
        out.push_back(send(resume_payload()));
      } else {
        resuming_ = false;
        seq_.reset();  // a new session numbers its events from 1
        ++identifies_;
        last_identify_ = now;
        out.push_back(send(identify_payload()));
      }
      return out;
    }
    case heartbeat:
      // The gateway asks for a beat now; it does not move the schedule.
      out.push_back(send(heartbeat_payload()));
      return out;
    case heartbeat_ack:
      awaiting_ack_ = false;
      return out;
    case reconnect: {
      gateway_next n = next_connection();
      decided_ = n;
      out.push_back(close_with(resumable_close));
      return out;
    }
    case invalid_session: {
      const bool resumable = d.is_boolean() && d.get<bool>();
      if (!resumable) forget_session();
      gateway_next n = next_connection();
      if (n.what == gateway_next::kind::identify) {
        const double span = static_cast<double>(
            (settings_.invalid_session_max - settings_.invalid_session_min).count());
        n.min_delay = settings_.invalid_session_min +
                      milliseconds(static_cast<std::int64_t>(span * clamp01(random01_())));
      }
      decided_ = n;
      out.push_back(close_with(resumable ? resumable_close : std::uint16_t{1000}));
      return out;
    }
    case dispatch: {
      if (p.contains("s") && p["s"].is_number_integer()) {
        const auto s = p["s"].get<std::int64_t>();
        // A replayed event we already had: drop it, so a command is never answered twice.
        if (seq_ && s <= *seq_) return out;
        seq_ = s;
      }
      const std::string t = p.contains("t") && p["t"].is_string() ? p["t"].get<std::string>() : "";
      if (t == "READY" && d.is_object()) {
        // Not d.value(): it throws type_error when the field is not a string (found by
        // fuzz_discord_gateway); a malformed payload gives no action, never an exception.
        const auto text = [&d](const char* key) {
          return d.contains(key) && d[key].is_string() ? d[key].get<std::string>() : std::string();
        };
        session_id_ = text("session_id");
        resume_url_ = text("resume_gateway_url");
        if (d.contains("application") && d["application"].is_object() &&
            d["application"].contains("id") && d["application"]["id"].is_string())
          application_id_ = d["application"]["id"].get<std::string>();
        if (d.contains("user") && d["user"].is_object() && d["user"].contains("id") &&
            d["user"]["id"].is_string())
          bot_user_id_ = d["user"]["id"].get<std::string>();
        ready_ = true;
        gateway_action a;
        a.what = gateway_action::kind::connected;
        a.event = t;
        out.push_back(a);
      } else if (t == "RESUMED") {
        ready_ = true;
        gateway_action a;
        a.what = gateway_action::kind::connected;
        a.event = t;
        out.push_back(a);
      }
      if (!t.empty()) {
        gateway_action a;
        a.what = gateway_action::kind::dispatch;
        a.event = t;
        a.data = d;
        out.push_back(std::move(a));
      }
      return out;
    }
    default:
      return out;
  }
}

std::vector<gateway_action> gateway_session::on_heartbeat_due() {
  std::vector<gateway_action> out;
  if (!hello_seen_ || decided_) return out;
  if (awaiting_ack_) {
    // Zombie link: no ACK since the last beat. Close (not 1000: the session stays resumable).
    decided_ = next_connection();
    out.push_back(close_with(resumable_close));
    return out;
  }
  awaiting_ack_ = true;
  out.push_back(send(heartbeat_payload()));
  out.push_back(timer(interval_));
  return out;
}

gateway_next gateway_session::on_closed(std::uint16_t peer_code, clock::time_point now) {
  gateway_next n;
  if (const auto fatal = fatal_close_reason(peer_code); !fatal.empty()) {
    n.what = gateway_next::kind::stop;
    n.message = fatal;
    return n;
  }
  if (decided_) {
    n = *decided_;
    decided_.reset();
  } else {
    // 4007 (invalid seq) and 4009 (session timed out) need a new session; everything else,
    // and a lost link with no close frame, resumes when there is a session to resume.
    if (peer_code == 4007 || peer_code == 4009 || (resuming_ && !ready_ && peer_code == 4003))
      forget_session();
    n = next_connection();
  }
  if (n.what == gateway_next::kind::identify && last_identify_) {
    const auto window = settings_.identify_window / settings_.max_concurrency;
    const auto since = std::chrono::duration_cast<milliseconds>(now - *last_identify_);
    if (since < window) n.min_delay = std::max(n.min_delay, window - since);
  }
  return n;
}

}  // namespace sessiondx::discord
