#pragma once

// What a session id looks like, and how to get one out of text pasted from a ticket. Pure.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sessiondx::bot {

/// The configured shape of a session id, compiled once. Copyable; thread-safe to share const.
class session_id_format {
 public:
  /// The default: `^[A-Za-z0-9_-]{8,64}$`.
  session_id_format();
  /// `pattern` is an ECMAScript regex (Boost.Regex, as ingest uses) matched against the whole id;
  /// `description` completes "A session id is …" and `example` is a valid id, both shown to people
  /// who typed a bad id. Throws std::invalid_argument when the pattern does not compile.
  session_id_format(std::string pattern, std::string description, std::string example);

  bool matches(std::string_view id) const;
  const std::string& pattern() const { return pattern_; }
  const std::string& description() const { return description_; }
  const std::string& example() const { return example_; }

  /// Ids longer than this are rejected before the regex runs.
  static constexpr std::size_t max_length = 256;

 private:
  std::string pattern_;
  std::string description_;
  std::string example_;
  struct compiled;  // the regex, kept out of this widely included header
  static std::shared_ptr<const compiled> compile(const std::string& pattern);
  std::shared_ptr<const compiled> regex_;
};

/// A cleaned id, or a message for the person who typed it.
struct clean_id_result {
  std::optional<std::string> id;
  std::string error;  ///< set when `id` is empty: what is wrong and what an id looks like
};

/// Strips what a copy from a ticket or a chat drags along — surrounding spaces, backticks,
/// straight and curly quotes, angle brackets, parentheses, zero-width spaces and trailing
/// punctuation (". , ; : ! ?") — then validates the rest against `format`. An id that does not
/// match but does once full-width characters and Cyrillic/Greek letters that look like Latin
/// ones are mapped to ASCII is returned mapped. Confusable ASCII (0/O, 1/l) is kept as typed:
/// the store suggests the ids it may have meant (similar_sessions). The error message
/// quotes (a shortened copy of) the input; renderers neutralise it like any other text.
clean_id_result clean_session_id(std::string_view text,
                                 const session_id_format& format = session_id_format());

/// "8–64 letters, digits, '-' or '_' (e.g. abcd1234efgh5678); the customer finds it in the
/// website footer." — the explanation appended to every bad-id message.
std::string session_id_hint(const session_id_format& format);

}  // namespace sessiondx::bot
