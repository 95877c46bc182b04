#pragma once

// Early-return helpers for Result<T> (after WasmEdge's EXPECTED_TRY and abseil's
// ASSIGN_OR_RETURN). `RR_ASSIGN_OR_RETURN(auto fd, openFile(path));`

#define RR_CONCAT_INNER(a, b) a##b
#define RR_CONCAT(a, b) RR_CONCAT_INNER(a, b)

#define RR_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    if (auto rr_result_ = (expr); !rr_result_) {  \
      return std::unexpected(rr_result_.error()); \
    }                                             \
  } while (false)

// `decl` is a declaration ("const auto x") and cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define RR_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp) {                                     \
    return std::unexpected(tmp.error());          \
  }                                               \
  decl = std::move(*tmp)

#define RR_ASSIGN_OR_RETURN(decl, expr) \
  RR_ASSIGN_OR_RETURN_IMPL(RR_CONCAT(rr_result_, __LINE__), decl, expr)
// NOLINTEND(bugprone-macro-parentheses)
