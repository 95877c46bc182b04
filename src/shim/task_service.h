#pragma once

// containerd.task.v2.Task for one container: Create forks the child (held at a gate), Start lets
// it run, Wait/Kill/Pids/State watch it, Delete cleans up (registry entry, socket, rootfs),
// Shutdown ends the shim once nothing is left.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "roadrunner/shim/cgroup.h"
#include "roadrunner/shim/engine.h"
#include "roadrunner/shim/registry.h"

#include "child.h"
#include "publisher.h"
#include "ttrpc_server.h"

namespace rr::shim {

struct ShimOptions {
  std::string ns;
  std::string id;
  std::string containerd_address;
  std::string publish_binary;
  std::string roadrunner;  ///< the roadrunner executable
  std::string root;        ///< RR_SHIM_ROOT
};

/// What `containerd-shim-roadrunner-v1 delete` needs after the shim died, kept in the bundle.
inline constexpr std::string_view kStateFile = "roadrunner-shim.json";

class TaskService {
 public:
  TaskService(ShimOptions options, std::function<void()> shutdown);
  /// Kills a task that still runs and waits for it (its waiting thread is joined).
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;
  TaskService(TaskService&&) = delete;
  TaskService& operator=(TaskService&&) = delete;

  [[nodiscard]] RpcResult handle(std::string_view service, std::string_view method,
                                 const std::string& payload);
  /// Ends every Wait in progress (kUnavailable): the shim is going away. From any thread.
  void stop();

 private:
  enum class Status { kCreated = 1, kRunning = 2, kStopped = 3 };
  struct Task {
    std::string id;
    std::string bundle;
    std::string stdin_path, stdout_path, stderr_path;
    std::string rootfs;
    bool mounted = false;
    std::shared_ptr<Child> child;
    Status status = Status::kCreated;
    std::uint32_t exit_status = 0;
    std::int64_t exited_at_ns = 0;
    bool ready_fd = false;
    std::string registered_name;  ///< a receiver's name, "" otherwise
    std::string listen_address;
    std::string socket_path;  ///< a receiver's UNIX socket, removed at Delete
    bool registered = false;
    std::optional<Cgroup> cgroup;  ///< the cgroup the function runs in, if one could be made
  };

  RpcResult create(const std::string& payload);
  RpcResult start(const std::string& payload);
  RpcResult state(const std::string& payload);
  RpcResult wait(const std::string& payload);
  RpcResult kill(const std::string& payload);
  RpcResult remove(const std::string& payload);
  RpcResult pids(const std::string& payload);
  RpcResult connect(const std::string& payload);
  RpcResult shutdown(const std::string& payload);
  RpcResult stats(const std::string& payload);
  RpcResult update(const std::string& payload);

  [[nodiscard]] Result<Task*> find(const std::string& id, const std::string& exec_id);
  void onExit(const ChildExit& exit);
  void cleanup(Task& task);
  void writeState(const Task& task) const;

  ShimOptions options_;
  std::function<void()> shutdown_;
  std::unique_ptr<Engine> engine_;
  Registry registry_;
  Publisher publisher_;
  std::mutex mu_;
  std::condition_variable exited_;
  bool stopping_ = false;
  std::optional<Task> task_;
};

}  // namespace rr::shim
