#pragma once

// Task events for containerd, published in order by one worker thread that runs
//   <publish-binary> --address <containerd address> publish --topic TOPIC --namespace NS
// with the event, a google.protobuf.Any, on its stdin.

#include <google/protobuf/message.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace rr::shim {

class Publisher {
 public:
  Publisher(std::string binary, std::string address, std::string ns);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  ~Publisher();

  /// Queues `event` under `topic` ("/tasks/exit"); never blocks on containerd.
  void publish(const std::string& topic, const google::protobuf::Message& event);
  /// Waits until every queued event went out (or failed), at most `timeout_ms`.
  void drain(int timeout_ms);

  /// How long one publish may take; a publisher still running then is killed.
  static constexpr std::chrono::milliseconds kPublishTimeout{10'000};

 private:
  struct Item {
    std::string topic;
    std::string any;
  };
  void run();
  void send(const Item& item) const;

  std::string binary_;
  std::string address_;
  std::string ns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace rr::shim
