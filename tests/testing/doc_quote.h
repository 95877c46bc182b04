#pragma once

// Quotes from the docs, checked against what the code prints: a test names the page and the text
// exactly as the page shows it, and the parts that a run prints differently (a placeholder, a
// path, a port) with the pattern the output has there.

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "subprocess.h"

namespace rr::testing {

/// A part of a quote and the ECMAScript pattern the output has in its place.
using Vary = std::vector<std::pair<std::string, std::string>>;

inline std::string docPage(const std::string& page) {
  return slurp(std::string(RR_SOURCE_DIR) + "/docs/" + page);
}

inline bool pageQuotes(const std::string& page, const std::string& text) {
  return docPage(page).find(text) != std::string::npos;
}

inline std::string escapeRegex(const std::string& text) {
  static const std::regex kSpecial(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, kSpecial, R"(\$&)");
}

/// The pattern of a quote: the text, with each varying part as its pattern (at one place, the
/// longest part that starts there).
inline std::string quotePattern(const std::string& text, const Vary& vary) {
  std::string pattern;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t best = std::string::npos;
    const std::pair<std::string, std::string>* which = nullptr;
    for (const auto& v : vary) {
      const std::size_t found = text.find(v.first, at);
      if (found < best ||
          (found == best && which != nullptr && v.first.size() > which->first.size())) {
        best = found;
        which = &v;
      }
    }
    if (which == nullptr) {
      pattern += escapeRegex(text.substr(at));
      break;
    }
    pattern += escapeRegex(text.substr(at, best - at)) + which->second;
    at = best + which->first.size();
  }
  return pattern;
}

/// Whether `output` holds the quote, its varying parts as their patterns.
inline bool printsQuote(const std::string& output, const std::string& text, const Vary& vary = {}) {
  return std::regex_search(output, std::regex(quotePattern(text, vary)));
}

}  // namespace rr::testing
