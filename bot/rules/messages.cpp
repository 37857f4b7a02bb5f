// Unexpected-message rules: error and warning messages shown to the customer (ui_message), and
// JavaScript errors grouped by fingerprint. Backend errors tied to the session live here too.

#include "bot/issue_key.hpp"
#include "bot/rules/engine.hpp"

namespace sessiondx::bot::detail {
namespace {

void detect_ui_message(session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  const std::string level = ui_level(e);
  const bool is_error = level == "error" || level == "critical" || level == "fatal";
  const bool is_warning = level == "warning" || level == "warn";
  if (!is_error && !is_warning) {
    ++view.counts.ui_other;
    return;
  }
  const std::string_view text = ui_text(e);
  std::string key = is_error ? event_issue_key(e) : std::string();
  const std::string group = is_error ? "ui.error|" + key : "ui.warning|" + std::string(text);
  if (is_error) {
    ++view.counts.ui_errors;
  } else {
    ++view.counts.ui_warnings;
  }
  draft& d = view.group(group, [&] {
    draft n;
    const std::string shown = quoted(text.empty() ? std::string_view("(no text)") : text);
    const std::string_view component = str_attr(e.attrs, "component");
    n.rule = is_error ? rule_id::ui_message_error : rule_id::ui_message_warning;
    n.f.category = category::messages;
    n.f.severity = level == "critical" || level == "fatal" ? severity::critical
                   : is_error                              ? severity::error
                                                           : severity::warning;
    put(n.f.title, n.f.title_msg,
        message(is_error ? "rules.title.ui_error" : "rules.title.ui_warning").data("text", shown));
    message threshold("rules.threshold.ui_message");
    threshold.data("level", level).data("text", shown);
    if (component.empty()) {
      threshold.literal("component", "");
    } else {
      threshold.nested(
          "component",
          message("rules.threshold.in_component").data("component", clip(component, 40)));
    }
    put(n.f.threshold, n.f.threshold_msg, std::move(threshold));
    n.f.issue_key = key;
    n.symptom = true;
    n.blocks = is_error;
    n.notice_what =
        is_error ? customer_notice::what::page_error : customer_notice::what::nothing_wrong;
    n.notice_step = is_error ? customer_notice::step::reload_page : customer_notice::step::none;
    n.plain = "the page showed the " + std::string(is_error ? "error" : "warning") + " " + shown;
    put(n.symptom_phrase, n.symptom_msg, message("rules.symptom.saw").data("text", shown));
    n.escalation = "message shown " + shown +
                   (component.empty() ? std::string() : " in " + clip(component, 40));
    return n;
  });
  view.add(d, pos);
}

void detect_js_error(session_view& view, std::size_t pos) {
  const view_event& e = view.events[pos];
  if (e.noise != noise::kind::none) return;  // counted by classify_noise
  ++view.counts.js_errors;
  const std::string_view sender_fp = str_attr(e.attrs, "fingerprint");
  const std::string key = event_issue_key(e);
  draft& d = view.group("js|" + key, [&] {
    draft n;
    ++view.counts.js_groups;
    const std::string fp = !sender_fp.empty()
                               ? std::string(sender_fp)
                               : js_error_fingerprint(e.message, str_attr(e.attrs, "stack"));
    const std::string msg =
        quoted(e.message.empty() ? std::string_view("(no message)") : e.message);
    n.rule = rule_id::js_error;
    n.f.category = category::messages;
    n.f.severity = severity::error;
    message title("rules.title.js_error");
    if (e.message.empty()) {
      title.nested("message", message("rules.title.no_message"));
    } else {
      title.data("message", clip(e.message, 100));
    }
    put(n.f.title, n.f.title_msg, std::move(title));
    put(n.f.threshold, n.f.threshold_msg,
        message("rules.threshold.js_error")
            .data("message", msg)
            .data("fingerprint", clip(fp, 40))
            .nested("origin", message(sender_fp.empty() ? "rules.threshold.fingerprint_ours"
                                                        : "rules.threshold.fingerprint_sender")));
    n.f.issue_key = key;
    n.symptom = true;
    n.blocks = true;
    n.may_cause = true;
    n.notice_what = customer_notice::what::page_error;
    n.notice_step = customer_notice::step::reload_page;
    n.plain = "the page hit a JavaScript error (" + msg + ")";
    put(n.symptom_phrase, n.symptom_msg, message("rules.cause.js_error").data("message", msg));
    put(n.cause_phrase, n.cause_msg, message("rules.cause.js_error").data("message", msg));
    n.escalation = "JavaScript error " + msg + ", fingerprint " + clip(fp, 40);
    if (auto src = str_attr(e.attrs, "source"); !src.empty())
      n.escalation += ", in " + clip(src, 80);
    return n;
  });
  view.add(d, pos);
}

}  // namespace

void detect_messages(session_view& view) {
  for (std::size_t pos = 0; pos < view.events.size(); ++pos) {
    const std::string& type = view.events[pos].ev->type;
    if (type == "ui_message") {
      detect_ui_message(view, pos);
    } else if (type == "js_error") {
      detect_js_error(view, pos);
    }
  }
}

void detect_backend(session_view& view) {
  for (std::size_t pos = 0; pos < view.events.size(); ++pos) {
    const view_event& e = view.events[pos];
    if (e.ev->type != "backend_error") continue;
    ++view.counts.backend_errors;
    const std::string key = event_issue_key(e);
    draft& d = view.group("backend|" + key, [&] {
      draft n;
      const std::string_view svc = str_attr(e.attrs, "service");
      const std::string service = svc.empty() ? std::string("(unknown service)") : clip(svc, 40);
      const std::string msg =
          quoted(e.message.empty() ? std::string_view("(no message)") : e.message);
      n.rule = rule_id::backend_error;
      n.f.category = category::backend;
      n.f.severity = e.ev->severity == "critical" ? severity::critical : severity::error;
      put(n.f.title, n.f.title_msg,
          message("rules.title.backend_error").data("service", service).data("message", msg));
      put(n.f.threshold, n.f.threshold_msg,
          message("rules.threshold.backend_error").data("service", service).data("message", msg));
      n.f.issue_key = key;
      n.blocks = true;
      n.may_cause = true;
      n.server_side = true;
      n.notice_what = customer_notice::what::action_failed;
      n.notice_step = customer_notice::step::try_again_later;
      n.plain = "the " + service + " service reported an error (" + msg + ")";
      put(n.cause_phrase, n.cause_msg,
          message("rules.cause.backend").data("service", service).data("message", msg));
      n.escalation = "service " + service + ", error " + msg;
      return n;
    });
    if (auto t = str_attr(e.attrs, "trace_id"); !t.empty() && d.trace_ids.size() < 3) {
      d.trace_ids.emplace_back(t);
    }
    view.add(d, pos);
  }
}

}  // namespace sessiondx::bot::detail
