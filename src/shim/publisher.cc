#include "publisher.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <vector>

#include <google/protobuf/any.pb.h>

#include "roadrunner/base/log.h"
#include "roadrunner/base/unique_fd.h"

extern char** environ;

namespace rr::shim {

Publisher::Publisher(std::string binary, std::string address, std::string ns)
    : binary_(std::move(binary)), address_(std::move(address)), ns_(std::move(ns)) {
  worker_ = std::thread([this] { run(); });
}

Publisher::~Publisher() {
  {
    const std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Publisher::publish(const std::string& topic, const google::protobuf::Message& event) {
  if (binary_.empty()) {
    return;
  }
  google::protobuf::Any any;
  any.set_type_url(event.GetDescriptor()->full_name());  // as containerd's typeurl registers it
  any.set_value(event.SerializeAsString());
  {
    const std::scoped_lock lock(mu_);
    queue_.push_back({topic, any.SerializeAsString()});
  }
  cv_.notify_all();
}

void Publisher::drain(int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [this] { return queue_.empty() && !busy_; });
}

void Publisher::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;
    }
    const Item item = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    send(item);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void Publisher::send(const Item& item) const {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    RR_LOG_WARN("publish {}: pipe: {}", item.topic, std::strerror(errno));
    return;
  }
  const UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, read_end.get(), 0);
  std::vector<std::string> args{binary_, "--address", address_, "publish", "--topic", item.topic,
                                "--namespace", ns_};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    RR_LOG_WARN("publish {}: spawn {}: {}", item.topic, binary_, std::strerror(rc));
    return;
  }
  std::string_view rest = item.any;
  while (!rest.empty()) {
    const ssize_t n = ::write(write_end.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  write_end.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    RR_LOG_WARN("publish {}: {} exited with status {}", item.topic, binary_, status);
  }
}

}  // namespace rr::shim
