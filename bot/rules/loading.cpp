// Loading rules: Web Vitals bands (LCP, FCP, TTFB, CLS), failed resources, and the API calls read
// with their HTTP meaning: failures (5xx, no response) unless an automatic retry recovered them,
// business refusals (402 payment declined, 422 invalid data, 429 rate limited) in their own
// findings, 401/403 kept as evidence for causal chains (bot/rules/correlation.cpp), slow calls.
// INP is measured here too but reported by the interface family (bot/rules/responsiveness.cpp).

#include "bot/rules/engine.hpp"
#include "bot/rules/vitals.hpp"

#include <algorithm>
#include <unordered_map>

namespace sessiondx::bot::detail {
namespace {

using notice = customer_notice;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A script or stylesheet: by the sender's content type or initiator when given, else the suffix.
bool is_blocking_resource(const view_event& e, std::string_view url) {
  std::string_view type = str_attr(e.attrs, "content_type");
  if (type.empty()) type = str_attr(e.attrs, "contentType");
  if (!type.empty()) {
    const std::string t = lower(type);
    return t.find("javascript") != std::string::npos || t.find("ecmascript") != std::string::npos ||
           t.find("css") != std::string::npos;
  }
  std::string_view initiator = str_attr(e.attrs, "initiator");
  if (initiator.empty()) initiator = str_attr(e.attrs, "initiator_type");
  if (initiator.empty()) initiator = str_attr(e.attrs, "initiatorType");
  if (!initiator.empty()) {
    const std::string i = lower(initiator);
    return i == "script" || i == "link" || i == "css";
  }
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  return url.ends_with(".js") || url.ends_with(".mjs") || url.ends_with(".css");
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// "502", or "timeout (status 0)" for a failure without a server answer.
std::string short_outcome(const http_info& h) {
  if (h.status && *h.status >= 500) return fmt_number(*h.status, 0);
  return http_outcome(h);
}

message short_outcome_msg(const http_info& h) {
  if (h.status && *h.status >= 500) {
    return message("rules.outcome.code").literal("status", fmt_number(*h.status, 0));
  }
  return http_outcome_msg(h);
}

void detect_resources(session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  if (e.noise != noise::kind::none) return;  // counted by classify_noise
  ++view.counts.resource_errors;
  const std::string key = event_issue_key(e);
  draft& d = view.group("resource|" + key, [&] {
    draft n;
    const std::string url(str_attr(e.attrs, "url"));
    const auto status = num_attr(e.attrs, "status");
    const std::string what = url.empty() ? std::string("a resource") : clip(url, 100);
    const std::string code = status ? " (" + fmt_number(*status, 0) + ")" : std::string();
    const std::string host = noise::url_host(url);
    n.third_party = is_third_party(view, host) && !is_critical_host(view, host);
    const bool blocking = is_blocking_resource(e, url) && !n.third_party;
    n.rule = rule_id::resource_failed;
    n.f.category = category::loading;
    n.f.severity = blocking ? severity::error : severity::warning;
    message title("rules.title.resource");
    if (url.empty()) {
      title.nested("what", message("rules.title.a_resource"));
    } else {
      title.data("what", what);
    }
    put(n.f.title, n.f.title_msg, std::move(title.literal("status", code)));
    message threshold("rules.threshold.resource");
    if (url.empty()) {
      threshold.nested("what", message("rules.title.a_resource"));
    } else {
      threshold.data("what", what);
    }
    put(n.f.threshold, n.f.threshold_msg,
        std::move(threshold.literal("status", code)
                      .nested("why", message(n.third_party ? "rules.threshold.resource_third_party"
                                             : blocking    ? "rules.threshold.resource_blocking"
                                                           : "rules.threshold.resource_other"))));
    n.f.issue_key = key;
    // A script or stylesheet of ours, or of a critical third party (a payment provider's script).
    n.may_cause = blocking || is_critical_host(view, host);
    n.plain = "a file the page needs (" + what + ") failed to load";
    n.escalation = "resource " + what + code;
    message cause("rules.cause.resource");
    if (url.empty()) {
      cause.nested("what", message("rules.title.a_resource"));
    } else {
      cause.data("what", what);
    }
    put(n.cause_phrase, n.cause_msg, std::move(cause.literal("status", code)));
    n.notice_what = notice::what::page_error;
    n.notice_step = notice::step::reload_page;
    return n;
  });
  view.add(d, pos);
}

// API calls: failures wait for the end of the session to know whether a retry recovered them.
class call_tracker {
 public:
  explicit call_tracker(session_view& view) : view_(view) {}

  void see(std::size_t pos) {
    const view_event& e = view_.events[pos];
    if (e.noise != noise::kind::none) return;  // counted by classify_noise
    ++view_.counts.api_calls;
    const http_info h = read_http(e);
    const std::string call = h.method + " " + h.host + h.route;
    if (h.failed) {
      open_[call].push_back(failures_.size());
      failures_.push_back({pos, false, 0});
      return;
    }
    const int status = h.status ? static_cast<int>(*h.status) : 0;
    if (status >= 400 && status < 500) {
      refused(pos, h, status);
      return;
    }
    if (auto it = open_.find(call); it != open_.end()) {
      for (std::size_t i : it->second) {
        const std::int64_t gap = e.ev->ts_ms - view_.events[failures_[i].pos].ev->ts_ms;
        if (gap <= view_.settings.retry_window_ms) {
          failures_[i].recovered = true;
          failures_[i].retry_gap_ms = gap;
        }
      }
      it->second.clear();
    }
    if (h.duration_ms && *h.duration_ms > view_.settings.slow_api_ms) slow(pos, h);
  }

  void finish() {
    for (const failure& f : failures_) {
      if (f.recovered) {
        recovered(f);
      } else {
        failed(f.pos);
      }
    }
    finish_texts();
  }

 private:
  struct failure {
    std::size_t pos;
    bool recovered;
    std::int64_t retry_gap_ms;
  };

  void count_refused(int status) {
    auto& r = view_.counts.api_refused;
    auto it = std::find_if(r.begin(), r.end(), [&](const auto& p) { return p.first == status; });
    if (it == r.end()) {
      r.emplace_back(status, 1);
      std::sort(r.begin(), r.end());
    } else {
      ++it->second;
    }
  }

  void refused(std::size_t pos, const http_info& h, int status) {
    count_refused(status);
    const std::string call = h.method + " " + clip(h.route, 100);
    if (status == 401 || status == 403) {
      view_.refusals.push_back(pos);
      draft& d = view_.group("auth_refused", [&] {
        draft n;
        owned_.push_back(view_.drafts.size());  // the index group() gives it
        n.rule = rule_id::api_auth_refused;
        n.f.category = category::backend;
        n.f.severity = severity::warning;
        n.may_cause = true;
        n.hidden_unless_linked = true;
        n.notice_what = notice::what::signed_out;
        n.notice_step = notice::step::sign_in_again;
        return n;
      });
      const std::string code = std::to_string(status);
      if (std::find(d.statuses.begin(), d.statuses.end(), code) == d.statuses.end())
        d.statuses.push_back(code);
      view_.add(d, pos);
      return;
    }
    struct business_kind {
      rule_id rule;
      const char* title;
      const char* plain;
      const char* title_id;
      const char* phrase;
      notice::what what;
      notice::step step;
    };
    business_kind b;
    if (status == 402) {
      b = {rule_id::api_payment_declined,   "Payment declined by the bank (402): ",
           "the bank declined the payment", "rules.title.payment_declined",
           "the bank declined the payment", notice::what::payment_declined,
           notice::step::use_other_card};
    } else if (status == 422) {
      b = {rule_id::api_invalid_data,
           "Data refused as invalid (422): ",
           "the server refused the data entered as invalid",
           "rules.title.invalid_data",
           "the server refused the data as invalid",
           notice::what::refused_by_rules,
           notice::step::none};
    } else if (status == 429) {
      b = {rule_id::api_rate_limited,
           "Rate limited (429): ",
           "too many attempts in a short time",
           "rules.title.rate_limited",
           "the server rate-limited the customer",
           notice::what::rate_limited,
           notice::step::wait_then_retry};
    } else {
      return;  // other 4xx: counted in `checked`
    }
    draft& d = view_.group(std::string(to_string(b.rule)) + "|" + call, [&] {
      draft n;
      owned_.push_back(view_.drafts.size());  // the index group() gives it
      n.rule = b.rule;
      n.f.category = category::backend;
      n.f.severity = severity::warning;
      put(n.f.title, n.f.title_msg, message(b.title_id).data("call", call));
      put(n.f.threshold, n.f.threshold_msg,
          message("rules.threshold.business")
              .data("call", call)
              .literal("status", std::to_string(status)));
      n.business = true;
      n.may_cause = true;
      n.plain = std::string(b.plain) + " (" + call + " returned " + std::to_string(status) + ")";
      put(n.cause_phrase, n.cause_msg,
          message("rules.cause." + std::string(b.title_id).substr(12))
              .data("call", call)
              .literal("status", std::to_string(status)));
      n.escalation = "route " + call + ", status " + std::to_string(status);
      n.notice_what = b.what;
      n.notice_step = b.step;
      return n;
    });
    view_.add(d, pos);
  }

  void failed(std::size_t pos) {
    const view_event& e = view_.events[pos];
    ++view_.counts.api_failed;
    const http_info h = read_http(e);
    const std::string key = event_issue_key(e);
    draft& d = view_.group("api|" + key, [&] {
      draft n;
      owned_.push_back(view_.drafts.size());  // the index group() gives it
      // The route as grouped ("/api/orders/:id"), not the first URL of the group.
      const std::string call = key.starts_with("route:") ? clip(key.substr(6), 110)
                                                         : h.method + " " + clip(h.route, 100);
      n.rule = rule_id::api_failed;
      n.f.category = category::loading;
      n.f.severity = severity::error;
      n.f.issue_key = key;
      n.third_party = is_third_party(view_, h.host) && !is_critical_host(view_, h.host);
      n.may_cause = !n.third_party;
      n.blocks_when_linked = !n.third_party;
      if (n.third_party) n.f.severity = severity::warning;
      n.escalation = "route " + call;
      n.cause_phrase = call;  // completed by finish_texts
      n.notice_what = notice::what::action_failed;
      n.notice_step = notice::step::try_again_later;
      return n;
    });
    const std::string outcome = short_outcome(h);
    if (std::find(d.statuses.begin(), d.statuses.end(), outcome) == d.statuses.end()) {
      d.statuses.push_back(outcome);
      d.status_msgs.push_back(short_outcome_msg(h));
    }
    if (h.status && *h.status >= 500) d.server_side = true;
    if (auto t = str_attr(e.attrs, "trace_id"); !t.empty() && d.trace_ids.size() < 3) {
      d.trace_ids.emplace_back(t);
    }
    view_.add(d, pos);
  }

  void recovered(const failure& f) {
    const view_event& e = view_.events[f.pos];
    ++view_.counts.api_recovered;
    const http_info h = read_http(e);
    const std::string call = h.method + " " + clip(h.route, 100);
    draft& d = view_.group("recovered|" + call, [&] {
      draft n;
      owned_.push_back(view_.drafts.size());  // the index group() gives it
      n.rule = rule_id::api_recovered;
      n.f.category = category::loading;
      n.f.severity = severity::info;
      put(n.f.title, n.f.title_msg,
          message("rules.title.recovered")
              .data("call", call)
              .nested("outcome", short_outcome_msg(h))
              .duration("gap", static_cast<double>(f.retry_gap_ms)));
      put(n.f.threshold, n.f.threshold_msg,
          message("rules.threshold.recovered")
              .duration("window", static_cast<double>(view_.settings.retry_window_ms)));
      n.plain = "a request (" + call + ") was retried automatically and succeeded";
      n.escalation = "route " + call + " recovered on retry";
      put(n.cause_phrase, n.cause_msg, message("rules.cause.recovered").data("call", call));
      n.notice_what = notice::what::action_recovered;
      n.notice_step = notice::step::none;
      return n;
    });
    view_.add(d, f.pos);
  }

  void slow(std::size_t pos, const http_info& h) {
    ++view_.counts.api_slow;
    draft& d = view_.group("slow|" + h.method + " " + h.route, [&] {
      draft n;
      owned_.push_back(view_.drafts.size());  // the index group() gives it
      const std::string call = h.method + " " + clip(h.route, 100);
      n.rule = rule_id::api_slow;
      n.f.category = category::loading;
      n.f.severity = severity::warning;
      n.f.title = "Slow API call: " + call;
      n.plain = "the server was slow to answer (" + call + ")";
      n.escalation = "route " + call + " slow";
      put(n.cause_phrase, n.cause_msg, message("rules.cause.api_slow").data("call", call));
      n.notice_what = notice::what::page_slow;
      n.notice_step = notice::step::try_again_later;
      return n;
    });
    view_.add(d, pos);
  }

  // The texts that need every occurrence (all statuses, the worst duration), once per draft of
  // this tracker.
  void finish_texts() {
    for (std::size_t i : owned_) {
      draft& d = view_.drafts[i];
      if (d.rule == rule_id::api_failed) {
        const std::string call = d.cause_phrase;
        const std::string outcomes = join(d.statuses);
        put(d.f.title, d.f.title_msg,
            message("rules.title.api_failed").data("call", call).list("outcomes", d.status_msgs));
        message threshold("rules.threshold.api_failed");
        threshold.data("call", call).list("outcomes", d.status_msgs);
        if (d.f.count > 1) {
          threshold.nested("failures", message("rules.threshold.failures").count("n", d.f.count));
        } else {
          threshold.literal("failures", "");
        }
        if (d.third_party) {
          threshold.nested("third_party", message("rules.threshold.api_third_party"));
        } else {
          threshold.literal("third_party", "");
        }
        put(d.f.threshold, d.f.threshold_msg, std::move(threshold));
        d.plain =
            d.server_side
                ? "a request to the server (" + call + ") failed with an error (" + outcomes + ")"
                : "the browser could not reach the server (" + call + ": " + outcomes + ")";
        d.escalation = "route " + call + ", " + (d.server_side ? "status " : "") + outcomes;
        put(d.cause_phrase, d.cause_msg,
            message(d.server_side ? "rules.cause.api_returned" : "rules.cause.api_failed")
                .data("call", call)
                .list("outcomes", d.status_msgs));
      } else if (d.rule == rule_id::api_auth_refused) {
        std::string statuses;
        for (const auto& s : d.statuses) statuses += (statuses.empty() ? "" : "/") + s;
        const std::string n = std::to_string(d.f.count);
        d.chain_status = statuses;
        put(d.f.title, d.f.title_msg,
            message("rules.title.auth_refused")
                .count("n", d.f.count)
                .literal("statuses", statuses));
        put(d.f.threshold, d.f.threshold_msg,
            message("rules.threshold.auth_refused").literal("n", n).literal("statuses", statuses));
        d.plain = "the server refused the customer's session (" + statuses + ")";
        put(d.cause_phrase, d.cause_msg,
            message("rules.cause.auth_refused")
                .count("n", d.f.count)
                .literal("statuses", statuses));
        d.escalation = n + " API calls refused " + statuses;
      } else if (d.rule == rule_id::api_slow) {
        double worst = 0;
        for (std::size_t pos : d.events) {
          if (auto ms = num_attr(view_.events[pos].attrs, "duration_ms"); ms && *ms > worst) {
            worst = *ms;
          }
        }
        const std::string call = d.f.title.substr(std::string_view("Slow API call: ").size());
        put(d.f.title, d.f.title_msg,
            message("rules.title.api_slow").data("call", call).duration("duration", worst));
        message threshold("rules.threshold.api_slow");
        threshold.data("call", call)
            .duration("duration", worst)
            .duration("limit", view_.settings.slow_api_ms);
        if (d.f.count > 1) {
          threshold.nested("calls", message("rules.threshold.slow_calls").count("n", d.f.count));
        } else {
          threshold.literal("calls", "");
        }
        put(d.f.threshold, d.f.threshold_msg, std::move(threshold));
        d.plain = "the server took " + fmt_duration(worst) + " to answer (" + call + ")";
      }
    }
  }

  session_view& view_;
  std::vector<std::size_t> owned_;  ///< drafts this tracker created, creation order
  std::vector<failure> failures_;
  std::unordered_map<std::string, std::vector<std::size_t>> open_;
};

}  // namespace

void detect_loading(session_view& view) {
  vital_tracker vitals(view.settings);
  call_tracker calls(view);
  for (std::size_t pos = 0; pos < view.events.size(); ++pos) {
    const view_event& e = view.events[pos];
    const std::string& type = e.ev->type;
    if (type == "page_view") {
      ++view.counts.page_loads;
      vitals.from_page_view(view, pos);
    } else if (type == "web_vital") {
      vitals.from_web_vital(view, pos);
    } else if (type == "http_request") {
      calls.see(pos);
    } else if (type == "resource_error") {
      detect_resources(view, pos);
    }
  }
  vitals.finish(view);
  calls.finish();
}

}  // namespace sessiondx::bot::detail
