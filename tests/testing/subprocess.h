#pragma once

// Test helpers: run a program and capture its output and exit status; make temporary dirs.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/subprocess.h"

extern char** environ;

namespace rr::testing {

struct Outcome {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

/// How much slower than a plain build this test build runs: RR_TEST_TIME_SCALE (the tsan preset
/// sets it), else 1. Timeouts that a passing test must not hit are multiplied by it.
inline int timeScale() {
  const char* v = std::getenv("RR_TEST_TIME_SCALE");
  int scale = 1;
  if (v != nullptr) {
    const std::string_view text(v);
    (void)std::from_chars(text.data(), text.data() + text.size(), scale);
  }
  return scale > 0 ? scale : 1;
}

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/rr-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) {
      const std::string cmd = "rm -rf '" + path_ + "'";
      [[maybe_unused]] const int rc = std::system(cmd.c_str());
    }
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

/// Runs argv[0] with `extra_env` ("K=V") added to ours, replacing any variable of the same
/// name (a shell in between would otherwise keep whichever copy it reads last); stdout and
/// stderr captured.
inline Outcome run(const std::vector<std::string>& argv,
                   const std::vector<std::string>& extra_env = {}) {
  const TempDir dir;
  const std::string out_path = dir.file("out");
  const std::string err_path = dir.file("err");
  const UniqueFd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  const UniqueFd err(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::vector<std::string> env_strings(extra_env);
  const auto overridden = [&extra_env](std::string_view entry) {
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) {
      return false;
    }
    const auto name = entry.substr(0, eq + 1);
    return std::ranges::any_of(extra_env,
                               [&name](const std::string& e) { return e.starts_with(name); });
  };
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e)) {
      env_strings.emplace_back(*e);
    }
  }
  Outcome outcome;
  auto child = sys::Subprocess::spawn(
      {.argv = argv, .env = env_strings, .fds = {{out.get(), 1}, {err.get(), 2}}});
  if (!child) {
    outcome.err = "spawn failed: " + argv[0];
    return outcome;
  }
  const int status = child->waitUntilExit();
  if (status < 128) {
    outcome.exit_code = status;
  } else {
    outcome.signal = status - 128;
  }
  outcome.out = slurp(out_path);
  outcome.err = slurp(err_path);
  return outcome;
}

}  // namespace rr::testing
