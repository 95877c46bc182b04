#pragma once

// Collects the stdout/stderr pipes of many function instances and writes their lines, each
// prefixed with the instance's name, to our stdout and stderr. Ends when every pipe is closed.

#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::runtime {

class OutputPump {
 public:
  /// A pipe for `name`'s stream `fd` (1 or 2): returns the write end for the function.
  /// Only before start().
  [[nodiscard]] Result<UniqueFd> add(const std::string& name, int fd);
  void start();
  /// Waits until every write end is closed and all output is written.
  void join();
  ~OutputPump() { join(); }
  OutputPump() = default;
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;
  OutputPump(OutputPump&&) = delete;
  OutputPump& operator=(OutputPump&&) = delete;

 private:
  struct Source {
    std::string prefix;
    int to = 1;
    UniqueFd from;
    std::string partial;
  };
  void pump();
  std::vector<Source> sources_;
  std::thread thread_;
};

}  // namespace rr::runtime
