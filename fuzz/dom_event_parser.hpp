#pragma once

// The DOM event parser of before the streaming rewrite: a test and benchmark reference only.

#include "connectors/webhook/event_parser.hpp"

#include <memory>
#include <string_view>
#include <variant>

namespace sessiondx::webhook::dom_reference {

class dom_event_parser {
 public:
  explicit dom_event_parser(ingest_settings settings);
  ~dom_event_parser();
  dom_event_parser(const dom_event_parser&) = delete;
  dom_event_parser& operator=(const dom_event_parser&) = delete;

  /// Same contract as event_parser::parse.
  std::variant<parsed_batch, body_error> parse(std::string_view body, body_format format) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sessiondx::webhook::dom_reference
