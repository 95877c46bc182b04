// The iceoryx peer: shared-memory zero-copy IPC, the unisolated ceiling. The run starts its own
// RouDi (iox-roudi) with a memory pool sized for the payload; the producer loans a chunk from it,
// writes the payload in place and publishes it; the consumer takes the same chunk, checks every
// byte in place and publishes an Ack on a second topic.
//
// iceoryx 2.0 has one RouDi per machine, at fixed names (/tmp/roudi, /tmp/iox-unique-roudi.lock,
// /dev/shm/iceoryx_mgmt and a segment named after the user's group). So runs of this peer take
// turns under a lock of their own, and a RouDi that is not ours makes the run fail with a clear
// error instead of sharing it.

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/mepoo/chunk_header.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "iceoryx_posh/popo/wait_set.hpp"
#include "iceoryx_posh/runtime/posh_runtime.hpp"
#include "peer.h"

namespace rr::bench::peers {
namespace {

constexpr const char* kLockPath = "/tmp/roadrunner-bench-iceoryx.lock";
constexpr std::uint64_t kMaxPayload = UINT32_MAX - 65536;  // chunk sizes are 32-bit
constexpr std::uint64_t kChunksPerPayload = 2;  // one in flight, one kept by the publisher
constexpr std::uint64_t kManagementBytes = 80ULL << 20U;  // iceoryx_mgmt, about 63 MiB

const iox::capro::ServiceDescription kPayloads{"roadrunner", "bench", "payload"};
const iox::capro::ServiceDescription kAcks{"roadrunner", "bench", "ack"};

Result<> checkSize(std::uint64_t size) {
  if (size > kMaxPayload) {
    return fail(
        Errc::kInvalidArgument, "iceoryx",
        "cannot carry a " + mib(size) + " payload: iceoryx 2.0 sizes its chunks in 32 bits");
  }
  return {};
}

// The pool's chunk for `size`: a multiple of 64 (RouDi adds the chunk header).
std::uint64_t chunkFor(std::uint64_t size) {
  return std::max<std::uint64_t>(128, (size + 63) / 64 * 64);
}

std::string groupName() {
  const group* g = ::getgrgid(::getegid());
  return g != nullptr ? g->gr_name : "";
}

// Holds kLockPath, so that runs of this peer take turns with the one RouDi a machine can have.
Result<UniqueFd> takeTurn(Clock::time_point deadline) {
  UniqueFd fd(::open(kLockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0666));
  if (!fd.valid()) {
    return failErrno("open", errno, kLockPath);
  }
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return failErrno("flock", errno, kLockPath);
    }
    if (Clock::now() >= deadline) {
      return fail(Errc::kTimedOut, "iceoryx", "another iceoryx run held " + std::string(kLockPath));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fd;
}

// RouDi's pool in /dev/shm is reserved and touched when it starts: it must fit.
Result<> checkShmSpace(std::uint64_t size) {
  struct statvfs fs{};
  if (::statvfs("/dev/shm", &fs) != 0) {
    return failErrno("statvfs", errno, "/dev/shm");
  }
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  const std::uint64_t need = kChunksPerPayload * chunkFor(size) + kManagementBytes;
  if (need > free_bytes) {
    return fail(Errc::kInvalidArgument, "iceoryx",
                "needs " + mib(need) + " of /dev/shm for the memory pool of a " + mib(size) +
                    " payload; " + mib(free_bytes) + " are free");
  }
  return {};
}

std::string rouDiConfig(std::uint64_t size) {
  std::string toml = "[general]\nversion = 1\n\n[[segment]]\n\n";
  toml += "[[segment.mempool]]\nsize = 128\ncount = 512\n";  // the Acks
  if (chunkFor(size) > 128) {
    toml += "\n[[segment.mempool]]\nsize = " + std::to_string(chunkFor(size)) +
            "\ncount = " + std::to_string(kChunksPerPayload) + "\n";
  }
  return toml;
}

class RouDi final : public Daemon {
 public:
  static Result<DaemonPtr> start(std::uint64_t size, Clock::time_point deadline);
  RouDi(UniqueFd turn, TempDir dir, sys::Subprocess process, UniqueFd output)
      : turn_(std::move(turn)),
        dir_(std::move(dir)),
        process_(std::move(process)),
        output_(std::move(output)) {}
  ~RouDi() override { stop(); }
  RouDi(const RouDi&) = delete;
  RouDi& operator=(const RouDi&) = delete;
  RouDi(RouDi&&) = delete;
  RouDi& operator=(RouDi&&) = delete;

  [[nodiscard]] std::string address() const override { return "iceoryx"; }
  std::uint64_t stop() override;

 private:
  void removeLeftovers() const;

  UniqueFd turn_;
  TempDir dir_;  // its config file
  sys::Subprocess process_;
  UniqueFd output_;  // RouDi's stdout and stderr, read until it is ready, held until it ends
  bool running_ = false;
};

Result<DaemonPtr> RouDi::start(std::uint64_t size, Clock::time_point deadline) {
  RR_RETURN_IF_ERROR(checkShmSpace(size));
  RR_ASSIGN_OR_RETURN(UniqueFd turn, takeTurn(deadline));
  RR_ASSIGN_OR_RETURN(TempDir dir, TempDir::make("rr-iceoryx"));
  const std::string config = dir.file("roudi.toml");
  std::ofstream(config) << rouDiConfig(size);
  RR_ASSIGN_OR_RETURN(sys::Pipe pipe, sys::makePipe());
  auto process = sys::Subprocess::spawn(
      {.argv = {"iox-roudi", "-c", config, "-k", "2", "-l", "warning"},
       .search_path = true,
       .fds = {{pipe.write_end.get(), STDOUT_FILENO}, {pipe.write_end.get(), STDERR_FILENO}}});
  if (!process) {
    return fail(Errc::kNotFound, "iceoryx",
                "cannot start iox-roudi (Debian package iceoryx): " + process.error().message());
  }
  pipe.write_end.reset();
  auto roudi = std::make_unique<RouDi>(std::move(turn), std::move(dir), std::move(*process),
                                       std::move(pipe.read_end));
  auto ready = readUntilLine(roudi->output_.get(), "RouDi is ready for clients",
                             std::min(deadline, Clock::now() + std::chrono::seconds(60)));
  if (!ready) {
    const bool taken = ready.error().detail.find("still running") != std::string::npos;
    return fail(Errc::kProtocol, "iceoryx",
                taken ? "another RouDi runs on this machine, and iceoryx 2.0 allows one; stop it "
                        "and run again"
                      : "iox-roudi did not start: " + ready.error().detail);
  }
  roudi->running_ = true;
  return roudi;
}

std::uint64_t RouDi::stop() {
  if (process_.pid() > 0) {
    // SIGTERM: RouDi removes its shared memory and sockets itself.
    const int code = process_.stop(std::chrono::seconds(15));
    if (running_ && code != 0) {
      removeLeftovers();
    }
    running_ = false;
  }
  output_.reset();
  turn_.reset();
  return process_.peakRssBytes();
}

// What a RouDi that did not end cleanly leaves: ours, since we held the turn and it ran.
void RouDi::removeLeftovers() const {
  ::shm_unlink("/iceoryx_mgmt");
  if (const std::string group = groupName(); !group.empty()) {
    ::shm_unlink(("/" + group).c_str());
  }
  ::unlink("/tmp/roudi");
}

Result<DaemonPtr> startRouDi(std::uint64_t size, Clock::time_point deadline) {
  return RouDi::start(size, deadline);
}

void initRuntime(const char* role) {
  iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn,
                                                           iox::log::LogLevelOutput::kHideLogLevel);
  const std::string name = std::string("rr-bench-") + role + "-" + std::to_string(::getpid());
  iox::runtime::PoshRuntime::initRuntime(
      iox::RuntimeName_t(iox::cxx::TruncateToCapacity, name.c_str()));
}

// The next chunk `subscriber` receives, waiting on `waitset` until `deadline`.
Result<const void*> takeWithin(iox::popo::UntypedSubscriber& subscriber,
                               iox::popo::WaitSet<>& waitset, Clock::time_point deadline) {
  for (;;) {
    auto taken = subscriber.take();
    if (!taken.has_error()) {
      return taken.value();
    }
    if (Clock::now() >= deadline) {
      return fail(Errc::kTimedOut, "iceoryx", "nothing arrived by the deadline");
    }
    (void)waitset.timedWait(
        iox::units::Duration::fromMilliseconds(std::min<std::int64_t>(millisLeft(deadline), 1000)));
  }
}

Result<> attach(iox::popo::WaitSet<>& waitset, iox::popo::UntypedSubscriber& subscriber) {
  if (waitset.attachState(subscriber, iox::popo::SubscriberState::HAS_DATA).has_error()) {
    return fail(Errc::kProtocol, "iceoryx", "cannot attach a subscriber to a wait set");
  }
  return {};
}

Result<> publishAck(iox::popo::UntypedPublisher& acks, const Ack& ack) {
  auto loaned = acks.loan(sizeof(Ack), alignof(Ack));
  if (loaned.has_error()) {
    return fail(Errc::kProtocol, "iceoryx loan", iox::popo::asStringLiteral(loaned.get_error()));
  }
  std::memcpy(loaned.value(), &ack, sizeof ack);
  acks.publish(loaned.value());
  return {};
}

Result<> consume(const RoleArgs& args) {
  initRuntime("consumer");
  iox::popo::UntypedSubscriber payloads(kPayloads, {.queueCapacity = 1});
  iox::popo::UntypedPublisher acks(kAcks);
  iox::popo::WaitSet<> waitset;
  RR_RETURN_IF_ERROR(attach(waitset, payloads));
  RR_RETURN_IF_ERROR(announceReady("iceoryx"));
  for (int round = 0; round <= args.runs; ++round) {
    RR_ASSIGN_OR_RETURN(const void* chunk, takeWithin(payloads, waitset, args.deadline));
    const std::uint32_t n = iox::mepoo::ChunkHeader::fromUserPayload(chunk)->userPayloadSize();
    // Checked in place: RouDi maps the segment read-write for its writer group, which is ours.
    auto* bytes = static_cast<std::uint8_t*>(const_cast<void*>(chunk));
    const Ack ack = checkPayload({bytes, n});
    payloads.release(chunk);
    RR_RETURN_IF_ERROR(publishAck(acks, ack));
  }
  return {};
}

// Both directions connected through RouDi's discovery, so no round is lost.
Result<> awaitConsumer(const iox::popo::UntypedPublisher& payloads,
                       const iox::popo::UntypedSubscriber& acks, Clock::time_point deadline) {
  while (!payloads.hasSubscribers() ||
         acks.getSubscriptionState() != iox::SubscribeState::SUBSCRIBED) {
    if (Clock::now() >= deadline) {
      return fail(Errc::kTimedOut, "iceoryx", "the consumer never subscribed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return {};
}

Result<std::vector<Round>> produce(const RoleArgs& args) {
  initRuntime("producer");
  iox::popo::UntypedPublisher payloads(kPayloads);
  iox::popo::UntypedSubscriber acks(kAcks, {.queueCapacity = 1});
  iox::popo::WaitSet<> waitset;
  RR_RETURN_IF_ERROR(attach(waitset, acks));
  RR_RETURN_IF_ERROR(awaitConsumer(payloads, acks, args.deadline));
  std::set<void*> filled;  // chunks that hold the recipe already (the pool reuses them)
  std::vector<Round> rounds;
  for (int round = 0; round <= args.runs; ++round) {
    auto loaned = payloads.loan(static_cast<std::uint32_t>(args.size), 8);
    if (loaned.has_error()) {
      return fail(Errc::kProtocol, "iceoryx loan", iox::popo::asStringLiteral(loaned.get_error()));
    }
    const std::span payload(static_cast<std::uint8_t*>(loaned.value()), args.size);
    if (filled.insert(loaned.value()).second) {
      fillPayload(payload);
    }
    Round r{.sent = stampPayload(payload, round)};
    r.t0 = nowSeconds();
    payloads.publish(loaned.value());
    RR_ASSIGN_OR_RETURN(const void* chunk, takeWithin(acks, waitset, args.deadline));
    r.done = nowSeconds();
    Ack ack;
    std::memcpy(&ack, chunk, sizeof ack);
    acks.release(chunk);
    r.record(ack);
    rounds.push_back(r);
  }
  return rounds;
}

}  // namespace

const Peer kIceoryxPeer{.name = "iceoryx",
                        .check_size = checkSize,
                        .start_daemon = startRouDi,
                        .consume = consume,
                        .produce = produce};

}  // namespace rr::bench::peers
