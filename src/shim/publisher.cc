#include "publisher.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "roadrunner/base/log.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

#include <google/protobuf/any.pb.h>

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
  auto pipe = sys::makePipe();
  if (!pipe) {
    RR_LOG_WARN("publish {}: {}", item.topic, pipe.error().message());
    return;
  }
  auto child = sys::Subprocess::spawn({.argv = {binary_, "--address", address_, "publish",
                                                "--topic", item.topic, "--namespace", ns_},
                                       .fds = {{pipe->read_end.get(), 0}}});
  if (!child) {
    RR_LOG_WARN("publish {}: {}", item.topic, child.error().message());
    return;
  }
  pipe->read_end.reset();
  std::string_view rest = item.any;
  while (!rest.empty()) {
    const ssize_t n = ::write(pipe->write_end.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  pipe->write_end.reset();
  auto status = child->waitFor(kPublishTimeout);
  if (!status) {
    RR_LOG_WARN("publish {}: {} did not finish within {} ms; killed it", item.topic, binary_,
                kPublishTimeout.count());
  } else if (*status != 0) {
    RR_LOG_WARN("publish {}: {} exited with status {}", item.topic, binary_, *status);
  }
}

}  // namespace rr::shim
