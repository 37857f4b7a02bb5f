#include "connectors/net/prometheus_writer.hpp"

#include <fmt/format.h>

#include <iterator>

namespace sessiondx::metrics {

namespace {
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
}
}  // namespace

std::string prometheus_writer::format(double v) { return fmt::format("{}", v); }
std::string prometheus_writer::format(std::int64_t v) { return fmt::format("{}", v); }
std::string prometheus_writer::format(std::uint64_t v) { return fmt::format("{}", v); }

void prometheus_writer::family(std::string_view name, std::string_view type,
                               std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void prometheus_writer::sample_text(std::string_view name, label_list labels,
                                    std::string_view value,
                                    std::pair<std::string_view, std::string_view> extra) {
  out_.append(name);
  if (labels.size() != 0 || !extra.first.empty()) {
    out_.push_back('{');
    bool first = true;
    auto label = [&](std::string_view n, std::string_view v) {
      if (!first) out_.push_back(',');
      first = false;
      out_.append(n);
      out_ += "=\"";
      append_escaped(out_, v);
      out_.push_back('"');
    };
    for (const auto& [n, v] : labels) label(n, v);
    if (!extra.first.empty()) label(extra.first, extra.second);
    out_.push_back('}');
  }
  out_.push_back(' ');
  out_.append(value);
  out_.push_back('\n');
}

}  // namespace sessiondx::metrics
