#include "roadrunner/sys/thread_set.h"

#include <system_error>

namespace rr::sys {

ThreadSet::ThreadSet(std::size_t max_threads) : max_threads_(max_threads) {
  reaper_ = std::thread([this] { reap(); });
}

Result<bool> ThreadSet::tryStart(std::function<void()> task) {
  const std::scoped_lock lock(mutex_);
  if (stopping_ || running_.size() >= max_threads_) {
    return false;
  }
  const std::uint64_t id = next_id_++;
  try {
    // Under the lock: the thread cannot report itself finished before it is in running_.
    running_.emplace(id, std::thread([this, id, task = std::move(task)] {
                       task();
                       {
                         const std::scoped_lock done(mutex_);
                         finished_.push_back(id);
                       }
                       finished_cv_.notify_all();
                     }));
  } catch (const std::system_error& e) {
    return failErrno("start thread", e.code().value());
  }
  return true;
}

std::size_t ThreadSet::size() const {
  const std::scoped_lock lock(mutex_);
  return running_.size();
}

void ThreadSet::reap() {
  std::unique_lock lock(mutex_);
  for (;;) {
    finished_cv_.wait(lock, [this] { return stopping_ || !finished_.empty(); });
    std::vector<std::thread> done;
    for (const std::uint64_t id : finished_) {
      auto node = running_.extract(id);
      done.push_back(std::move(node.mapped()));
    }
    finished_.clear();
    if (stopping_ && done.empty()) {
      return;
    }
    lock.unlock();
    for (auto& t : done) {
      t.join();  // its task has returned: this takes no longer than the thread's exit
    }
    lock.lock();
  }
}

void ThreadSet::joinAll() {
  {
    const std::scoped_lock lock(mutex_);
    if (stopping_ && !reaper_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  finished_cv_.notify_all();
  if (reaper_.joinable()) {
    reaper_.join();
  }
  std::map<std::uint64_t, std::thread> left;
  {
    const std::scoped_lock lock(mutex_);
    left.swap(running_);
    finished_.clear();
  }
  for (auto& [id, t] : left) {
    t.join();
  }
}

}  // namespace rr::sys
