// Responsiveness rules (the interface family): long tasks, rage clicks (from clicks and from the
// sender's rage_click events), dead clicks and error clicks. INP is measured with the other Web
// Vitals (bot/rules/vitals.cpp).

#include "bot/rules/engine.hpp"

#include <algorithm>
#include <cmath>

namespace sessiondx::bot::detail {
namespace {

// Long tasks of one page load, for its Total Blocking Time.
struct page_load {
  std::string page;
  double tbt_ms = 0, worst_ms = 0;
  std::vector<std::size_t> tasks;
};

bool mobile_device(std::string_view device) {
  // Unknown devices get the mobile bands, the more lenient ones: no alarm on a guess.
  if (device.empty()) return true;
  return device.find("desktop") == std::string_view::npos &&
         device.find("laptop") == std::string_view::npos;
}

// The main thread judged by Total Blocking Time per page load (Lighthouse: the part of each long
// task beyond 50 ms, summed), with the bands of the device class; the worst task is reported too.
void judge_main_thread(session_view& view, const std::vector<page_load>& loads) {
  const auto& s = view.settings;
  const bool mobile = mobile_device(view.device);
  const double good = mobile ? s.tbt_good_mobile_ms : s.tbt_good_desktop_ms;
  const double poor = mobile ? s.tbt_poor_mobile_ms : s.tbt_poor_desktop_ms;
  const page_load* worst = nullptr;
  for (const page_load& l : loads) {
    view.counts.worst_task_ms = std::max(view.counts.worst_task_ms, l.worst_ms);
    if (!worst || l.tbt_ms > worst->tbt_ms) worst = &l;
  }
  if (!worst) return;
  view.counts.worst_tbt_ms = worst->tbt_ms;
  view.counts.worst_tbt_page = worst->page;
  view.counts.tbt_mobile_bands = mobile;
  if (worst->tbt_ms <= good) return;
  const bool is_poor = worst->tbt_ms > poor;
  const std::string on_page = worst->page.empty() ? std::string() : " on " + clip(worst->page, 80);
  draft& d = view.group("long_task", [&] {
    draft n;
    n.rule = rule_id::interface_long_task;
    n.f.category = category::interface;
    n.f.severity = severity::warning;
    message title(is_poor ? "rules.title.page_froze" : "rules.title.page_busy");
    on_page_arg(title.duration("tbt", worst->tbt_ms), worst->page);
    title.nested("band", message(is_poor ? "rules.band.poor" : "rules.band.needs_improvement"))
        .duration("worst", worst->worst_ms);
    put(n.f.title, n.f.title_msg, std::move(title));
    message threshold(mobile ? "rules.threshold.tbt_mobile" : "rules.threshold.tbt_desktop");
    on_page_arg(threshold.duration("tbt", worst->tbt_ms), worst->page);
    put(n.f.threshold, n.f.threshold_msg,
        std::move(threshold.duration("limit", is_poor ? poor : good)
                      .nested("band",
                              message(is_poor ? "rules.band.poor" : "rules.band.needs_improvement"))
                      .duration("good", good)
                      .duration("poor", poor)
                      .count("tasks", static_cast<std::int64_t>(worst->tasks.size()))
                      .duration("worst", worst->worst_ms)));
    n.plain = "the page was unresponsive for " + fmt_duration(worst->tbt_ms) +
              " while loading (longest freeze " + fmt_duration(worst->worst_ms) + ")";
    n.escalation = "main thread: total blocking time " + fmt_duration(worst->tbt_ms) + on_page +
                   ", worst task " + fmt_duration(worst->worst_ms) +
                   (view.device.empty() ? std::string() : ", " + view.device);
    put(n.cause_phrase, n.cause_msg, message("rules.cause.blocked").duration("tbt", worst->tbt_ms));
    n.notice_what = customer_notice::what::page_unresponsive;
    n.notice_step = customer_notice::step::reload_page;
    return n;
  });
  for (const page_load& l : loads) {
    if (l.tbt_ms <= good) continue;
    for (std::size_t pos : l.tasks) view.add(d, pos);
  }
}

struct rage_episode {
  std::string target;
  std::vector<std::size_t> clicks;  ///< positions
};

// Adds an episode (several events, one evidence line) to a draft.
void add_episode(session_view& view, draft& d, const std::vector<std::size_t>& positions,
                 message summary) {
  const store::event& first = *view.events[positions.front()].ev;
  if (d.events.empty() || first.ts_ms < d.f.first_seen_ms) d.f.first_seen_ms = first.ts_ms;
  d.events.insert(d.events.end(), positions.begin(), positions.end());
  ++d.f.count;
  if (d.f.evidence.size() < view.settings.max_evidence) {
    std::string text = english(summary);
    d.f.evidence.push_back({first.ts_ms, first.type, std::move(text), std::move(summary)});
  }
}

draft& rage_draft(session_view& view, const std::string& target) {
  return view.group("rage|" + target, [&] {
    draft n;
    n.rule = rule_id::interface_rage_click;
    n.f.category = category::interface;
    n.f.severity = severity::warning;
    put(n.f.title, n.f.title_msg,
        message("rules.title.rage_click").data("target", clip(target, 80)));
    n.symptom = true;
    n.plain = "the customer clicked " + clip(target, 80) + " again and again without a response";
    put(n.symptom_phrase, n.symptom_msg,
        message("rules.symptom.rage_click").data("target", clip(target, 80)));
    n.escalation = "element " + clip(target, 80);
    n.notice_what = customer_notice::what::page_error;
    n.notice_step = customer_notice::step::reload_page;
    return n;
  });
}

message rage_msg(session_view& view, const rage_episode& ep) {
  const auto span =
      view.events[ep.clicks.back()].ev->ts_ms - view.events[ep.clicks.front()].ev->ts_ms;
  return message("rules.ev.rage_episode")
      .count("n", static_cast<std::int64_t>(ep.clicks.size()))
      .data("target", clip(ep.target, 80))
      .duration("duration", static_cast<double>(span));
}

// Rage clicks: episodes collected from the clicks and the sender's rage_click events while the
// events are read, then turned into one draft per element with its threshold text in finish().
class rage_tracker {
 public:
  explicit rage_tracker(session_view& view) : view_(view) {}

  void click(std::size_t pos, std::string_view target) {
    const bool chained =
        !chain_.clicks.empty() && chain_.target == target &&
        view_.events[pos].ev->ts_ms - view_.events[chain_.clicks.back()].ev->ts_ms <=
            view_.settings.rage_click_gap_ms;
    if (!chained) {
      close_chain();
      chain_.target = std::string(target);
    }
    chain_.clicks.push_back(pos);
  }

  void sender_report(std::size_t pos) { sender_.push_back(pos); }

  void finish() {
    close_chain();
    const auto& s = view_.settings;
    for (const rage_episode& ep : episodes_) {
      ++view_.counts.rage;
      element& el = element_of(ep.target);
      add_episode(view_, view_.drafts[el.draft], ep.clicks, rage_msg(view_, ep));
      if (el.biggest == nullptr || ep.clicks.size() > el.biggest->clicks.size()) el.biggest = &ep;
    }
    // The sender's rage_click events, unless they describe an episode already found in the clicks.
    for (std::size_t pos : sender_) {
      const view_event& e = view_.events[pos];
      const std::string target(click_target(e));
      const auto ts = e.ev->ts_ms;
      const bool known =
          std::any_of(episodes_.begin(), episodes_.end(), [&](const rage_episode& ep) {
            return ep.target == target &&
                   ts >= view_.events[ep.clicks.front()].ev->ts_ms - s.rage_click_gap_ms &&
                   ts <= view_.events[ep.clicks.back()].ev->ts_ms + s.rage_click_gap_ms;
          });
      draft& d = view_.drafts[element_of(target).draft];
      if (known) {
        d.events.push_back(pos);
        continue;
      }
      ++view_.counts.rage;
      message text("rules.ev.rage_reported");
      text.data("target", clip(target, 80));
      if (auto n = num_attr(e.attrs, "count")) {
        text.nested(
            "clicks",
            message("rules.ev.clicks").count("n", static_cast<std::int64_t>(std::llround(*n))));
      } else {
        text.literal("clicks", "");
      }
      add_episode(view_, d, {pos}, std::move(text));
    }
    // Threshold texts: the biggest episode found in the clicks, else the sender's report.
    for (const element& el : elements_) {
      draft& d = view_.drafts[el.draft];
      message threshold;
      if (el.biggest) {
        threshold = message("rules.threshold.rage")
                        .nested("episode", rage_msg(view_, *el.biggest))
                        .literal("count", std::to_string(s.rage_click_count))
                        .duration("gap", static_cast<double>(s.rage_click_gap_ms));
      } else if (d.f.evidence.empty() || d.f.evidence.front().summary_msg.empty()) {
        threshold = message("rules.threshold.rage_sender");
      } else {
        threshold =
            message("rules.threshold.rage_event").nested("event", d.f.evidence.front().summary_msg);
      }
      if (d.f.count > 1) {
        threshold.nested(
            "episodes",
            message("rules.threshold.episodes").literal("n", std::to_string(d.f.count)));
      } else {
        threshold.literal("episodes", "");
      }
      put(d.f.threshold, d.f.threshold_msg, std::move(threshold));
    }
  }

 private:
  struct element {
    std::string target;
    std::size_t draft = npos;
    const rage_episode* biggest = nullptr;
  };

  void close_chain() {
    if (static_cast<int>(chain_.clicks.size()) >= view_.settings.rage_click_count) {
      episodes_.push_back(std::move(chain_));
    }
    chain_ = {};
  }

  // The element's draft, created on first use (in the order elements are first seen).
  element& element_of(const std::string& target) {
    for (element& el : elements_) {
      if (el.target == target) return el;
    }
    rage_draft(view_, target);
    elements_.push_back({target, view_.group_index("rage|" + target), nullptr});
    return elements_.back();
  }

  session_view& view_;
  rage_episode chain_;
  std::vector<rage_episode> episodes_;  ///< complete before finish() points into it
  std::vector<std::size_t> sender_;
  std::vector<element> elements_;
};

}  // namespace

void detect_interface(session_view& view) {
  const auto& s = view.settings;
  rage_tracker rage(view);
  std::size_t last_click = npos;
  std::vector<page_load> loads;

  for (std::size_t pos = 0; pos < view.events.size(); ++pos) {
    const view_event& e = view.events[pos];
    const std::string& type = e.ev->type;
    if (type == "click") {
      ++view.counts.clicks;
      rage.click(pos, click_target(e));
      last_click = pos;
    } else if (type == "rage_click") {
      rage.sender_report(pos);
    } else if (type == "dead_click") {
      ++view.counts.dead;
      const std::string target(click_target(e));
      draft& d = view.group("dead|" + target, [&] {
        draft n;
        n.rule = rule_id::interface_dead_click;
        n.f.category = category::interface;
        n.f.severity = severity::warning;
        put(n.f.title, n.f.title_msg,
            message("rules.title.dead_click").data("target", clip(target, 80)));
        put(n.f.threshold, n.f.threshold_msg,
            message("rules.threshold.dead_click").data("target", clip(target, 80)));
        n.plain = "clicking " + clip(target, 80) + " did nothing";
        n.escalation = "element " + clip(target, 80);
        n.notice_what = customer_notice::what::page_error;
        n.notice_step = customer_notice::step::reload_page;
        return n;
      });
      view.add(d, pos);
    } else if (type == "js_error" && last_click != npos && e.noise == noise::kind::none) {
      const auto gap = e.ev->ts_ms - view.events[last_click].ev->ts_ms;
      if (gap >= 0 && gap <= s.error_click_window_ms) {
        ++view.counts.error_clicks;
        const view_event& click = view.events[last_click];
        const std::string target(click_target(click));
        draft& d = view.group("errclick|" + target, [&] {
          draft n;
          n.rule = rule_id::interface_error_click;
          n.f.category = category::interface;
          n.f.severity = severity::error;
          put(n.f.title, n.f.title_msg,
              message("rules.title.error_click").data("target", clip(target, 80)));
          put(n.f.threshold, n.f.threshold_msg,
              message("rules.threshold.error_click")
                  .data("target", clip(target, 80))
                  .duration("gap", static_cast<double>(gap))
                  .data("message", quoted(e.message, 80))
                  .duration("window", static_cast<double>(s.error_click_window_ms)));
          n.symptom = true;
          n.blocks = true;
          n.plain = "clicking " + clip(target, 80) + " made the page fail with an error";
          put(n.symptom_phrase, n.symptom_msg,
              message("rules.symptom.error_click").data("target", clip(target, 80)));
          n.escalation = "element " + clip(target, 80) + ", error " + quoted(e.message, 80);
          n.notice_what = customer_notice::what::page_error;
          n.notice_step = customer_notice::step::reload_page;
          return n;
        });
        add_episode(view, d, {last_click, pos},
                    message("rules.ev.error_click")
                        .data("target", clip(target, 80))
                        .nested("event", summarize_msg(e))
                        .duration("gap", static_cast<double>(gap)));
        last_click = npos;  // one error click per click
      }
    } else if (type == "page_view") {
      loads.push_back({e.ev->page, 0, 0, {}});
    } else if (type == "long_task") {
      auto ms = num_attr(e.attrs, "duration_ms");
      if (!ms || *ms < s.long_task_ms) continue;
      ++view.counts.long_tasks;
      if (loads.empty()) loads.push_back({e.ev->page, 0, 0, {}});
      page_load& load = loads.back();
      load.tbt_ms += *ms - s.long_task_ms;
      load.worst_ms = std::max(load.worst_ms, *ms);
      load.tasks.push_back(pos);
    }
  }
  rage.finish();
  judge_main_thread(view, loads);
}

}  // namespace sessiondx::bot::detail
