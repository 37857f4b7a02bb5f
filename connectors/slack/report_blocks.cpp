#include "connectors/slack/report_blocks.hpp"

namespace sessiondx::slack {

namespace {

constexpr std::size_t section_chars = 2'900;  // below Slack's 3,000
constexpr std::size_t max_blocks = 50;

}  // namespace

slack_message mrkdwn_message(const std::string& fallback, const std::string& mrkdwn) {
  slack_message m;
  m.text = fallback;
  std::string section;
  auto flush = [&] {
    if (section.empty() || m.blocks.size() >= max_blocks) return;
    m.blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", section}}}});
    section.clear();
  };
  std::size_t start = 0;
  while (start < mrkdwn.size()) {
    std::size_t end = mrkdwn.find('\n', start);
    if (end == std::string::npos) end = mrkdwn.size();
    std::string line = mrkdwn.substr(start, end - start);
    start = end + 1;
    if (line.size() > section_chars) line.resize(section_chars);  // lines are short; a guard
    if (section.size() + line.size() + 1 > section_chars) flush();
    if (!section.empty()) section += '\n';
    section += line;
  }
  flush();
  return m;
}

slack_message report_message(const bot::report_reply& r) {
  return mrkdwn_message(r.title, r.mrkdwn);
}

}  // namespace sessiondx::slack
