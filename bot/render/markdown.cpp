#include "bot/render/markdown.hpp"

#include "bot/render/neutralize.hpp"

namespace sessiondx::bot::render {

std::string markdown_of(const rich& r, const markdown_dialect& d) {
  auto text = [&](std::string_view s) { return d.text ? d.text(s) : std::string(s); };
  auto code = [&](std::string_view s) { return d.code ? d.code(s) : "`" + std::string(s) + "`"; };
  auto data = [&](std::string_view s, std::size_t max_chars) {
    return d.data ? d.data(s, max_chars) : neutralize(s, target::markdown, max_chars);
  };
  std::string out;
  bool strong = false;
  for (const auto& x : r.runs) {
    if (x.strong != strong) out += d.strong;
    strong = x.strong;
    switch (x.kind) {
      case run::kind::text:
        out += text(x.text);
        break;
      case run::kind::code:
        out += code(x.text);
        break;
      case run::kind::data:
        out += data(x.text, x.max_chars);
        break;
      case run::kind::token:
        out += is_plain_token(x.text) ? code(x.text) : data(x.text, x.max_chars);
        break;
      case run::kind::marker:
        out += d.marker;
        break;
    }
  }
  if (strong) out += d.strong;
  return out;
}

std::string markdown_of(const labeled& l, const markdown_dialect& d) {
  return markdown_of(l.label, d) + " " + markdown_of(l.value, d);
}

}  // namespace sessiondx::bot::render
