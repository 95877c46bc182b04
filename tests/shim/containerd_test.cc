// The shim under a real containerd (Debian's 1.7): the suite starts its own containerd as root
// with root, state and socket in a temporary directory, imports an OCI image it builds itself,
// and runs functions with `ctr run --runtime io.containerd.roadrunner.v1`.

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "roadrunner/base/sha256.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/shim/ttrpc_frame.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/subprocess.h"

#include "../testing/doc_quote.h"
#include "../testing/subprocess.h"
#include "../testing/tcp_listener.h"

namespace rr::shim {
namespace {

using namespace std::chrono_literals;
using rr::testing::Outcome;

std::string which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

std::string readAll(const std::string& path) { return rr::testing::slurp(path); }

// ---- A small OCI image, written by hand: ustar layers, JSON config, manifest, index. ----

void tarEntry(std::string& out, const std::string& name, const std::string& data) {
  std::array<char, 512> h{};
  std::snprintf(h.data(), 100, "%s", name.c_str());
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011o", static_cast<unsigned>(data.size()));
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(h.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (const char c : h) {
    sum += static_cast<unsigned char>(c);
  }
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  out.append(h.data(), h.size());
  out += data;
  out.append((512 - data.size() % 512) % 512, '\0');
}

std::string tarEnd(std::string tar) {
  tar.append(1024, '\0');
  return tar;
}

std::string digest(const std::string& data) {
  return "sha256:" +
         toHex(sha256(std::span(reinterpret_cast<const std::byte*>(data.data()), data.size())));
}

/// An image named `name` whose rootfs holds `files` (container path -> contents).
std::string ociImage(const std::string& name,
                     const std::vector<std::pair<std::string, std::string>>& files) {
  std::string layer;
  for (const auto& [path, data] : files) {
    tarEntry(layer, path.substr(1), data);
  }
  layer = tarEnd(layer);
  const std::string config =
      nlohmann::json{{"architecture", "amd64"},
                     {"os", "linux"},
                     {"config", {{"Entrypoint", {"/probe.wasm"}}, {"Env", {"PATH=/"}}}},
                     {"rootfs", {{"type", "layers"}, {"diff_ids", {digest(layer)}}}}}
          .dump();
  const std::string manifest = nlohmann::json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", digest(config)},
        {"size", config.size()}}},
      {"layers",
       {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
         {"digest", digest(layer)},
         {"size", layer.size()}}}}}.dump();
  const std::string index =
      nlohmann::json{{"schemaVersion", 2},
                     {"manifests",
                      {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"digest", digest(manifest)},
                        {"size", manifest.size()},
                        {"platform", {{"architecture", "amd64"}, {"os", "linux"}}},
                        {"annotations", {{"io.containerd.image.name", name}}}}}}}
          .dump();
  std::string tar;
  tarEntry(tar, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  tarEntry(tar, "index.json", index);
  for (const std::string* blob : {static_cast<const std::string*>(&layer), &config, &manifest}) {
    tarEntry(tar, "blobs/sha256/" + digest(*blob).substr(7), *blob);
  }
  return tarEnd(tar);
}

// ---- The suite's containerd. ----

class Containerd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "containerd tests need root (containerd mounts snapshots)";
      return;
    }
    containerd_ = which("containerd");
    ctr_ = which("ctr");
    if (containerd_.empty() || ctr_.empty()) {
      skip_ = "containerd or ctr not installed (scripts/env has them)";
      return;
    }
    dir_ = new rr::testing::TempDir();
    const std::string t = dir_->path();
    rr::testing::writeText(t + "/config.toml",
                           "version = 2\nroot = \"" + t + "/root\"\nstate = \"" + t +
                               "/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                               "[grpc]\n  address = \"" +
                               t + "/c.sock\"\n[ttrpc]\n  address = \"" + t + "/c.sock.ttrpc\"\n");
    // The shim is found on containerd's PATH, and roadrunner beside it.
    const std::string bin = std::string(RR_BINARY_DIR) + "/bin";
    const std::string env_root = "RR_SHIM_ROOT=" + t + "/rr";
    const std::string env_cache = "RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache";
    ::setenv("PATH", (bin + ":" + std::getenv("PATH")).c_str(), 1);
    std::vector<std::string> env = {env_root, env_cache};
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      if (!entry.starts_with("RR_SHIM_ROOT=") && !entry.starts_with("RR_CACHE_DIR=") &&
          !entry.starts_with("RR_LOG=")) {
        env.emplace_back(entry);
      }
    }
    const UniqueFd log(
        ::open((t + "/containerd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto containerd = sys::Subprocess::spawn({.argv = {containerd_, "--config", t + "/config.toml"},
                                              .env = std::move(env),
                                              .fds = {{log.get(), 1}, {log.get(), 2}}});
    if (!containerd) {
      error_ = "containerd did not start: " + containerd.error().message();
      return;
    }
    containerd_process_ = new sys::Subprocess(std::move(*containerd));  // until TearDownTestSuite
    for (int i = 0; i < 100 && !std::filesystem::exists(t + "/c.sock"); ++i) {
      std::this_thread::sleep_for(50ms);
    }
    if (!std::filesystem::exists(t + "/c.sock")) {
      error_ = "containerd did not start: " + readAll(t + "/containerd.log");
      return;
    }
    const std::string not_wasm = "#!/bin/sh\necho this is a shell script\n";
    rr::testing::writeText(t + "/image.tar",
                           ociImage("rr/guests", {{"/probe.wasm", readAll(RR_GUEST_WASI_PROBE)},
                                                  {"/greeting.txt", "hello from the rootfs\n"},
                                                  {"/sink.wasm", readAll(RR_GUEST_HASH_RECEIVER)},
                                                  {"/sender.wasm", readAll(RR_GUEST_SENDER)},
                                                  {"/net_probe.wasm", readAll(RR_GUEST_NET_PROBE)},
                                                  {"/script.wasm", not_wasm}}));
    // Two namespaces stand in for two nodes: each has its own registry.
    for (const char* ns : {"rrtest", "rrfar"}) {
      const Outcome imported = ctr({"image", "import", t + "/image.tar"}, ns);
      if (imported.exit_code != 0) {
        error_ = "ctr image import failed: " + imported.err;
      }
    }
    std::filesystem::create_directories(t + "/secrets");
    rr::testing::writeText(t + "/secrets/secret", "shared by both nodes\n");
  }

  static void TearDownTestSuite() {
    if (containerd_process_ != nullptr) {
      (void)containerd_process_->stop(std::chrono::seconds(30));
      delete containerd_process_;
      containerd_process_ = nullptr;
    }
    if (dir_ != nullptr) {
      for (const pid_t pid : processesUnder(dir_->path())) {
        ::kill(pid, SIGKILL);  // a shim the suite started, if a test failed half-way
      }
      std::ifstream mounts("/proc/self/mountinfo");
      std::vector<std::string> ours;
      for (std::string line; std::getline(mounts, line);) {
        std::stringstream fields(line);
        std::string f;
        for (int i = 0; i < 5; ++i) {
          fields >> f;
        }
        if (f.starts_with(dir_->path())) {
          ours.push_back(f);
        }
      }
      for (auto it = ours.rbegin(); it != ours.rend(); ++it) {
        ::umount2(it->c_str(), MNT_DETACH);
      }
      delete dir_;
      dir_ = nullptr;
    }
  }

  void SetUp() override {
    if (!skip_.empty()) {
      GTEST_SKIP() << skip_;
    }
    if (!error_.empty()) {
      GTEST_FAIL() << error_;  // containerd is there but broken: that is a failure, not a skip
    }
  }

  static Outcome ctr(std::vector<std::string> args, const std::string& ns = "rrtest") {
    args.insert(args.begin(), {ctr_, "-a", dir_->path() + "/c.sock", "-n", ns});
    return rr::testing::run(args);
  }

  /// `ctr run` with our runtime: flags (annotations, env, -d/--rm), then the container id and
  /// the process args.
  static Outcome run(const std::vector<std::string>& flags, const std::string& id,
                     const std::vector<std::string>& args, const std::string& ns = "rrtest") {
    std::vector<std::string> a{"run", "--runtime", "io.containerd.roadrunner.v1", "--snapshotter",
                               "native"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {"rr/guests", id});
    a.insert(a.end(), args.begin(), args.end());
    return ctr(a, ns);
  }

  /// Processes whose command line mentions `dir`: shims and functions (not containerd itself,
  /// nor the suite's own ctr clients).
  static std::vector<pid_t> processesUnder(const std::string& dir) {
    std::vector<pid_t> pids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      const pid_t pid = std::stoi(name);
      if ((containerd_process_ != nullptr && pid == containerd_process_->pid()) ||
          pid == ::getpid()) {
        continue;
      }
      std::string cmdline = readAll("/proc/" + name + "/cmdline");
      std::ranges::replace(cmdline, '\0', ' ');
      std::string stat = readAll("/proc/" + name + "/stat");
      const bool zombie = stat.find(") Z") != std::string::npos;
      const bool our_client = cmdline.starts_with("ctr ") || cmdline.starts_with(ctr_ + " ");
      if (!zombie && !our_client && cmdline.find(dir) != std::string::npos) {
        pids.push_back(pid);
      }
    }
    return pids;
  }

  /// Waits up to 10 s for `pred`.
  template <typename Pred>
  static bool eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      if (pred()) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return pred();
  }

  static std::string taskStatus(const std::string& id, const std::string& ns = "rrtest") {
    const Outcome ls = ctr({"task", "ls"}, ns);
    std::stringstream lines(ls.out);
    for (std::string line; std::getline(lines, line);) {
      std::stringstream fields(line);
      std::string task, pid, status;
      fields >> task >> pid >> status;
      if (task == id) {
        return status;
      }
    }
    return "";
  }

  /// Everything of container `id` is gone: no process, no registry entry, no socket.
  static void expectNothingLeft(const std::string& id, const std::string& name,
                                const std::string& ns = "rrtest") {
    const std::string root = dir_->path() + "/rr";
    EXPECT_TRUE(eventually([&] { return processesUnder(dir_->path()).empty(); }))
        << "processes left: " << processesUnder(dir_->path()).size();
    EXPECT_FALSE(std::filesystem::exists(root + "/registry/" + ns + "/" + name)) << id;
    EXPECT_FALSE(std::filesystem::exists(root + "/sockets/" + ns + "/" + name + ".sock")) << id;
    EXPECT_TRUE(eventually([&] {
      return !std::filesystem::exists(root + "/s") || std::filesystem::is_empty(root + "/s");
    })) << "a shim's ttrpc socket is left";
  }

  /// ctr task kill -s SIGNAL, then ctr task delete; returns the task's exit status.
  static int killAndDelete(const std::string& id, const std::string& signal,
                           const std::string& ns = "rrtest") {
    const Outcome kill = ctr({"task", "kill", "-s", signal, id}, ns);
    EXPECT_EQ(kill.exit_code, 0) << kill.err;
    EXPECT_TRUE(eventually([&] { return taskStatus(id, ns) == "STOPPED"; }));
    const Outcome del = ctr({"task", "delete", id}, ns);
    EXPECT_EQ(del.exit_code, 0) << del.err;
    EXPECT_EQ(ctr({"container", "delete", id}, ns).exit_code, 0);
    // ctr reports a task's non-zero exit status as a warning.
    const std::string marker = "non-zero exit code ";
    const auto at = del.err.find(marker);
    return at == std::string::npos
               ? 0
               : static_cast<int>(std::strtol(del.err.c_str() + at + marker.size(), nullptr, 10));
  }

  static std::string containerdLog() { return readAll(dir_->path() + "/containerd.log"); }

  static inline std::string skip_;
  static inline std::string error_;
  static inline std::string containerd_;
  static inline std::string ctr_;
  static inline rr::testing::TempDir* dir_ = nullptr;
  static inline sys::Subprocess* containerd_process_ = nullptr;
};

/// `ctr events` in the background, its output in a file, until destroyed.
class EventLog {
 public:
  EventLog(const std::string& ctr, const std::string& socket, const std::string& file)
      : file_(file) {
    const UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto events =
        sys::Subprocess::spawn({.argv = {ctr, "-a", socket, "events"}, .fds = {{out.get(), 1}}});
    if (events) {
      events_ = std::move(*events);
    }
    std::this_thread::sleep_for(300ms);  // subscribed before anything happens
  }
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  ~EventLog() = default;  // the Subprocess kills and reaps ctr
  [[nodiscard]] std::string text() const { return readAll(file_); }

 private:
  std::string file_;
  std::optional<sys::Subprocess> events_;
};

TEST_F(Containerd, HelloPrintsAndExitsWithItsCode) {
  const EventLog events(ctr_, dir_->path() + "/c.sock", dir_->path() + "/events.txt");
  const Outcome r = run({"--rm", "--env", "GREETING=hello"}, "hello",
                        {"/probe.wasm", "7", "GREETING", "/greeting.txt"});
  EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
  EXPECT_NE(r.out.find("argv[0]=probe.wasm\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("env GREETING=hello\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file: hello from the rootfs\n"), std::string::npos)
      << "the rootfs is the function's /: " << r.out;
  EXPECT_NE(r.err.find("probe done"), std::string::npos) << "stderr reaches its FIFO: " << r.err;
  expectNothingLeft("hello", "hello");
  // The shim's events reached containerd through the publish binary, and decode there.
  EXPECT_TRUE(eventually([&] {
    const std::string e = events.text();
    return e.find("/tasks/delete") != std::string::npos;
  })) << events.text();
  const std::string e = events.text();
  for (const char* topic : {"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"}) {
    EXPECT_NE(e.find(std::string("rrtest ") + topic), std::string::npos) << topic << "\n" << e;
  }
  EXPECT_NE(e.find("\"exit_status\":7"), std::string::npos) << e;
  const Outcome zero = run({"--rm"}, "hello0", {"/probe.wasm", "0"});
  EXPECT_EQ(zero.exit_code, 0) << zero.err;
  // ctr --log-uri file://: both streams are appended to the file.
  const std::string log = dir_->path() + "/hello.log";
  const Outcome logged =
      run({"--rm", "--log-uri", "file://" + log}, "hello-log", {"/probe.wasm", "3"});
  EXPECT_EQ(logged.exit_code, 3) << logged.err;
  EXPECT_NE(readAll(log).find("argv[1]=3\n"), std::string::npos) << readAll(log);
  EXPECT_NE(readAll(log).find("probe done"), std::string::npos) << readAll(log);
}

TEST_F(Containerd, AllowNetAnnotationGrantsTheFunctionOneAddress) {
  // ctr asks for a new, unnamed network namespace, which the shim ignores: the function shares
  // this host's loopback.
  const rr::testing::TcpListener granted;
  const rr::testing::TcpListener other;
  ASSERT_TRUE(granted.port() != 0 && other.port() != 0);
  const std::string grant = "roadrunner.io/allow-net=" + granted.grant();

  const Outcome denied =
      run({"--rm", "--env", "NET_PROBE_PORT=" + granted.portText()}, "net0", {"/net_probe.wasm"});
  EXPECT_EQ(denied.exit_code, 76) << denied.out << denied.err;
  EXPECT_FALSE(granted.connectionArrives(0ms));

  const Outcome allowed =
      run({"--rm", "--env", "NET_PROBE_PORT=" + granted.portText(), "--annotation", grant}, "net1",
          {"/net_probe.wasm"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  EXPECT_TRUE(granted.connectionArrives(10s));

  const Outcome elsewhere =
      run({"--rm", "--env", "NET_PROBE_PORT=" + other.portText(), "--annotation", grant}, "net2",
          {"/net_probe.wasm"});
  EXPECT_EQ(elsewhere.exit_code, 76) << elsewhere.out << elsewhere.err;
  EXPECT_FALSE(other.connectionArrives(0ms));
  expectNothingLeft("net2", "net2");
}

TEST_F(Containerd, ProducerSendsToAReceiverContainerThroughTheShim) {
  const Outcome sink = run({"-d", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                            "roadrunner.io/name=sink"},
                           "sink-c", {"/sink.wasm"});
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  const std::string root = dir_->path() + "/rr";
  // Start returned once the receiver listened; it is registered under its name.
  const std::string entry = readAll(root + "/registry/rrtest/sink");
  EXPECT_EQ(entry, "unix:" + root + "/sockets/rrtest/sink.sock\nsink-c\n");
  EXPECT_EQ(taskStatus("sink-c"), "RUNNING");
  const Outcome pids = ctr({"task", "ps", "sink-c"});
  EXPECT_EQ(pids.exit_code, 0) << pids.err;

  // 1 MB, three times; the sender checks each reply against its own FNV-1a hash of the
  // payload (exit 100 on a mismatch).
  const Outcome producer = run({"--rm", "--annotation", "roadrunner.io/targets=sink"}, "producer",
                               {"/sender.wasm", "sink", "1000000", "3"});
  EXPECT_EQ(producer.exit_code, 0) << producer.out << producer.err;
  EXPECT_NE(producer.out.find("status 0 ok"), std::string::npos) << producer.out;
  EXPECT_NE(containerdLog().find("producer: target 'sink' in kernel mode"), std::string::npos)
      << "the target on this node is reached in kernel mode";

  // The name is taken while sink-c runs.
  const Outcome clash = run({"--rm", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                             "roadrunner.io/name=sink"},
                            "sink-twin", {"/sink.wasm"});
  EXPECT_NE(clash.exit_code, 0);
  const std::string clash_quote =
      "register 's' is already registered by container s1: File exists: already exists";
  EXPECT_TRUE(rr::testing::pageQuotes("oci.md", "… " + clash_quote));
  EXPECT_TRUE(
      rr::testing::printsQuote(clash.err, clash_quote, {{"'s'", "'sink'"}, {"s1", "sink-c"}}))
      << clash.err;
  (void)ctr({"container", "delete", "sink-twin"});
  EXPECT_EQ(readAll(root + "/registry/rrtest/sink"), entry) << "the entry is sink-c's still";

  // ctr task kill (SIGTERM) and delete: nothing is left behind.
  const Outcome kill = ctr({"task", "kill", "sink-c"});
  EXPECT_EQ(kill.exit_code, 0) << kill.err;
  EXPECT_TRUE(eventually([] { return taskStatus("sink-c") == "STOPPED"; }));
  const Outcome del = ctr({"task", "delete", "sink-c"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(ctr({"container", "delete", "sink-c"}).exit_code, 0);
  expectNothingLeft("sink-c", "sink");
}

TEST_F(Containerd, BadInputIsAClearErrorThroughContainerd) {
  // Each message is quoted in docs/oci.md's Errors table; "… " stands for "ctr: failed to create
  // shim task: ", which containerd's log does not have.
  struct Case {
    std::string id;
    std::vector<std::string> flags;
    std::vector<std::string> args;
    std::string quote;
    rr::testing::Vary vary;
  };
  const std::string kCtr = "ctr: failed to create shim task: ";
  const std::vector<Case> cases = {
      {"missing",
       {},
       {"/nope.wasm"},
       "module /nope.wasm (/…/rootfs/nope.wasm): No such file or directory: not found",
       {{"/…/rootfs", "\\S*/rootfs"}}},
      {"not-wasm",
       {},
       {"/script.wasm"},
       "module /script.wasm starts without the \\0asm magic: not a WebAssembly module: invalid "
       "argument"},
      {"bad-annotation",
       {"--annotation", "roadrunner.io/role=server"},
       {"/probe.wasm"},
       "annotation roadrunner.io/role: 'server' is neither 'receiver' nor 'function': invalid "
       "argument"},
      {"unknown-key",
       {"--annotation", "roadrunner.io/listn=unix"},
       {"/probe.wasm"},
       "annotation roadrunner.io/listn: unknown key (known: role, name, listen, targets, "
       "secret-file, interpreter, allow-net, metrics, traces): invalid argument"},
      {"no-target",
       {"--annotation", "roadrunner.io/targets=ghost"},
       {"/sender.wasm", "ghost", "1"},
       "target 'ghost' is not registered on this node (/run/roadrunner/registry/default/ghost) and "
       "has no address; start its receiver first, or give roadrunner.io/targets: "
       "ghost=tcp:HOST:PORT: not found",
       {{"/run/roadrunner/registry/default/ghost", "\\S+/registry/rrtest/ghost"}}},
  };
  for (const auto& c : cases) {
    const bool whole = c.id != "unknown-key" && c.id != "no-target";
    EXPECT_TRUE(rr::testing::pageQuotes("oci.md", (whole ? kCtr : "… ") + c.quote)) << c.id;
    std::vector<std::string> flags{"--rm"};
    flags.insert(flags.end(), c.flags.begin(), c.flags.end());
    const Outcome r = run(flags, c.id, c.args);
    EXPECT_NE(r.exit_code, 0) << c.id;
    EXPECT_TRUE(rr::testing::printsQuote(r.err, kCtr + c.quote, c.vary)) << c.id << ": " << r.err;
    // The shim's own line in containerd's log: the message without containerd's status words.
    const std::string log = containerdLog();
    EXPECT_TRUE(rr::testing::printsQuote(log, c.quote.substr(0, c.quote.rfind(": ")), c.vary))
        << c.id << " in the log:\n"
        << log.substr(log.rfind('\n', log.find(c.args[0])) + 1, 600);
    (void)ctr({"container", "delete", c.id});
    expectNothingLeft(c.id, c.id);
  }
  // A receiver that exits before it listens: here a command module without rr_on_message.
  const std::string early_quote =
      "ctr: start a6: the receiver exited before it listened (exit status 1); see the "
      "container's stderr: failed precondition";
  EXPECT_TRUE(rr::testing::pageQuotes("oci.md", early_quote));
  const Outcome early = run({"--rm", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                             "roadrunner.io/name=early"},
                            "early-exit", {"/sender.wasm"});
  EXPECT_NE(early.exit_code, 0);
  EXPECT_TRUE(rr::testing::printsQuote(early.err, early_quote, {{"a6", "early-exit"}}))
      << early.err;
  (void)ctr({"container", "delete", "early-exit"});
  expectNothingLeft("early-exit", "early");
}

TEST_F(Containerd, KilledShimTakesItsFunctionAlong) {
  const Outcome sink = run({"-d", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                            "roadrunner.io/name=victim"},
                           "victim-c", {"/sink.wasm"});
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  const std::string root = dir_->path() + "/rr";
  ASSERT_TRUE(std::filesystem::exists(root + "/registry/rrtest/victim"));
  pid_t shim = -1;
  for (const pid_t pid : processesUnder(dir_->path())) {
    std::string cmdline = readAll("/proc/" + std::to_string(pid) + "/cmdline");
    std::ranges::replace(cmdline, '\0', ' ');
    if (cmdline.find("containerd-shim-roadrunner-v1") != std::string::npos &&
        cmdline.find("victim-c") != std::string::npos) {
      shim = pid;
    }
  }
  ASSERT_GT(shim, 0);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  // The function dies with its shim; containerd runs `shim delete`, which cleans the registry.
  EXPECT_TRUE(eventually([&] { return processesUnder(dir_->path()).empty(); }));
  EXPECT_TRUE(
      eventually([&] { return !std::filesystem::exists(root + "/registry/rrtest/victim"); }));
  EXPECT_TRUE(eventually([] {
    const std::string s = taskStatus("victim-c");
    return s.empty() || s == "STOPPED";
  })) << taskStatus("victim-c");
  (void)ctr({"task", "delete", "victim-c"});
  (void)ctr({"container", "delete", "victim-c"});
  expectNothingLeft("victim-c", "victim");
}

TEST_F(Containerd, KillForwardsTheSignalAndWaitReportsIt) {
  // roadrunner serve stops cleanly on SIGTERM and SIGINT; SIGKILL is 128 + 9.
  for (const auto& [signal, status] :
       std::vector<std::pair<std::string, int>>{{"SIGKILL", 137}, {"SIGINT", 0}, {"SIGTERM", 0}}) {
    const std::string id = "killed-" + signal;
    const Outcome sink = run({"-d", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                              "roadrunner.io/name=k" + signal},
                             id, {"/sink.wasm"});
    ASSERT_EQ(sink.exit_code, 0) << sink.err;
    const Outcome ps = ctr({"task", "ps", id});
    EXPECT_EQ(ps.exit_code, 0) << ps.err;
    std::stringstream lines(ps.out);
    std::string header, pid;
    std::getline(lines, header);
    lines >> pid;
    ASSERT_FALSE(pid.empty()) << ps.out;
    EXPECT_TRUE(std::filesystem::exists("/proc/" + pid)) << "Pids lists the running function";
    EXPECT_EQ(killAndDelete(id, signal), status) << signal;
    EXPECT_FALSE(std::filesystem::exists("/proc/" + pid));
    expectNothingLeft(id, "k" + signal);
  }
}

TEST_F(Containerd, TargetOnAnotherNodeIsReachedOverTcpWithTheSecret) {
  const std::string secrets =
      "type=bind,src=" + dir_->path() + "/secrets,dst=/secrets,options=rbind:ro";
  // The receiver on "the other node" (another namespace, so another registry) listens on TCP.
  const Outcome far =
      run({"-d", "--mount", secrets, "--annotation", "roadrunner.io/role=receiver", "--annotation",
           "roadrunner.io/name=far", "--annotation", "roadrunner.io/listen=tcp:127.0.0.1:0",
           "--annotation", "roadrunner.io/secret-file=/secrets/secret"},
          "far-c", {"/sink.wasm"}, "rrfar");
  ASSERT_EQ(far.exit_code, 0) << far.err;
  const std::string entry = readAll(dir_->path() + "/rr/registry/rrfar/far");
  ASSERT_TRUE(entry.starts_with("tcp:127.0.0.1:")) << entry;
  const std::string address = entry.substr(0, entry.find('\n'));
  EXPECT_NE(address, "tcp:127.0.0.1:0") << "the port the kernel picked is registered";

  // Not registered here: the address in the annotation is used, in network mode.
  const Outcome producer =
      run({"--rm", "--mount", secrets, "--annotation", "roadrunner.io/targets=far=" + address,
           "--annotation", "roadrunner.io/secret-file=/secrets/secret"},
          "remote-producer", {"/sender.wasm", "far", "300000", "2"});
  EXPECT_EQ(producer.exit_code, 0) << producer.out << producer.err;
  EXPECT_NE(producer.out.find("status 0 ok"), std::string::npos) << producer.out;
  EXPECT_NE(containerdLog().find("remote-producer: target 'far' in network mode"),
            std::string::npos);

  // Without the secret: refused before anything runs.
  const Outcome no_secret = run({"--rm", "--annotation", "roadrunner.io/targets=far=" + address},
                                "no-secret", {"/sender.wasm", "far", "1"});
  EXPECT_NE(no_secret.exit_code, 0);
  const std::string no_secret_quote =
      "annotation network edges (tcp) need roadrunner.io/secret-file: invalid argument";
  EXPECT_TRUE(rr::testing::pageQuotes("oci.md", "… " + no_secret_quote));
  EXPECT_TRUE(rr::testing::printsQuote(no_secret.err, no_secret_quote)) << no_secret.err;
  (void)ctr({"container", "delete", "no-secret"});

  EXPECT_EQ(killAndDelete("far-c", "SIGTERM", "rrfar"), 0);
  expectNothingLeft("far-c", "far", "rrfar");
}

TEST_F(Containerd, PodSandboxGetsAPlaceholder) {
  const Outcome sandbox = run({"-d", "--annotation", "io.kubernetes.cri.container-type=sandbox"},
                              "sandbox-c", {"/pause"});
  ASSERT_EQ(sandbox.exit_code, 0) << sandbox.err;
  EXPECT_EQ(taskStatus("sandbox-c"), "RUNNING");
  EXPECT_EQ(killAndDelete("sandbox-c", "SIGTERM"), 128 + SIGTERM);
  expectNothingLeft("sandbox-c", "sandbox-c");
}

TEST_F(Containerd, WalkthroughImagesFromScriptsOciImageRunTheTextPipeline) {
  // docs/kubernetes.md's images, packed by scripts/oci-image, and its one-node part: a receiver
  // named counter on a UNIX socket and a producer that names it without an address.
  const std::string& t = dir_->path();
  rr::testing::writeText(t + "/in.txt", "the quick brown fox jumps over the lazy dog\n");
  const std::string script = RR_SOURCE_DIR "/scripts/oci-image";
  const std::string guests = RR_BINARY_DIR "/guests/";
  const Outcome counter_image =
      rr::testing::run({script, t + "/counter.tar", "roadrunner.local/text-counter:1",
                        "/counter.wasm", guests + "text_counter.wasm=/counter.wasm"});
  ASSERT_EQ(counter_image.exit_code, 0) << counter_image.err;
  const Outcome producer_image = rr::testing::run(
      {script, t + "/producer.tar", "roadrunner.local/text-producer:1", "/producer.wasm",
       guests + "text_producer.wasm=/producer.wasm", t + "/in.txt=/in/in.txt"});
  ASSERT_EQ(producer_image.exit_code, 0) << producer_image.err;
  ASSERT_EQ(ctr({"image", "import", t + "/counter.tar"}).exit_code, 0);
  ASSERT_EQ(ctr({"image", "import", t + "/producer.tar"}).exit_code, 0);

  auto runImage = [](std::vector<std::string> flags, const std::string& image,
                     const std::string& id, const std::vector<std::string>& args) {
    std::vector<std::string> a{"run", "--runtime", "io.containerd.roadrunner.v1", "--snapshotter",
                               "native"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.insert(a.end(), {image, id});
    a.insert(a.end(), args.begin(), args.end());
    return ctr(a);
  };
  const Outcome counter = runImage({"-d", "--annotation", "roadrunner.io/role=receiver",
                                    "--annotation", "roadrunner.io/name=counter"},
                                   "roadrunner.local/text-counter:1", "counter-local", {});
  ASSERT_EQ(counter.exit_code, 0) << counter.err;
  const Outcome producer = runImage({"--rm", "--annotation", "roadrunner.io/targets=counter"},
                                    "roadrunner.local/text-producer:1", "producer-local",
                                    {"/producer.wasm", "/in/in.txt"});
  EXPECT_EQ(producer.exit_code, 0) << producer.err;
  EXPECT_EQ(producer.out, "sent 44 bytes of /in/in.txt; counter says: 9 words\n");
  EXPECT_NE(containerdLog().find("producer-local: target 'counter' in kernel mode at unix:"),
            std::string::npos);
  EXPECT_EQ(killAndDelete("counter-local", "SIGTERM"), 0);
  expectNothingLeft("counter-local", "counter");
}

TEST_F(Containerd, MalformedTtrpcFramesCloseOnlyThatConnection) {
  const Outcome sink = run({"-d", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                            "roadrunner.io/name=sturdy"},
                           "sturdy-c", {"/sink.wasm"});
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  std::string socket;
  for (const auto& entry : std::filesystem::directory_iterator(dir_->path() + "/rr/s")) {
    socket = entry.path().string();  // the only shim running
  }
  ASSERT_FALSE(socket.empty());
  const auto connectShim = [&] {
    auto connected = sys::connectUnix(socket);
    EXPECT_TRUE(connected) << connected.error().message();
    UniqueFd fd = connected ? std::move(*connected) : UniqueFd();
    timeval tv{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  const auto sendBytes = [](int fd, std::span<const std::byte> bytes) {
    EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  };
  {
    // A length over 4 MiB cannot be skipped: the shim closes the connection.
    const UniqueFd fd = connectShim();
    sendBytes(fd.get(), encodeTtrpcHeader({.length = 0xffffffff, .stream_id = 1, .type = 1}));
    char byte = 0;
    EXPECT_EQ(::recv(fd.get(), &byte, 1, 0), 0) << "EOF";
  }
  {
    // A request whose payload is not a ttrpc.Request gets an error response on its stream.
    const UniqueFd fd = connectShim();
    const std::array<std::byte, 3> junk{std::byte{0xff}, std::byte{0xff}, std::byte{0xff}};
    auto frame = encodeTtrpcFrame(5, TtrpcType::kRequest, junk);
    ASSERT_TRUE(frame);
    sendBytes(fd.get(), *frame);
    std::array<std::byte, kTtrpcHeaderSize> header{};
    ASSERT_EQ(::recv(fd.get(), header.data(), header.size(), MSG_WAITALL),
              static_cast<ssize_t>(header.size()));
    auto decoded = decodeTtrpcHeader(header);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->stream_id, 5u);
    EXPECT_EQ(decoded->type, static_cast<std::uint8_t>(TtrpcType::kResponse));
    EXPECT_GT(decoded->length, 0u) << "a google.rpc.Status";
  }
  // containerd's own connection is untouched.
  EXPECT_EQ(taskStatus("sturdy-c"), "RUNNING");
  EXPECT_EQ(ctr({"task", "ps", "sturdy-c"}).exit_code, 0);
  EXPECT_EQ(killAndDelete("sturdy-c", "SIGKILL"), 137);
  expectNothingLeft("sturdy-c", "sturdy");
}

// A soak, run on demand (--gtest_also_run_disabled_tests; RR_SHIM_SOAK_CYCLES, default 1000):
// 1. one receiver's long-lived shim answers that many `ctr task ps` (Pids over containerd's
//    ttrpc connection): its threads and descriptors must not grow, nor its address space by more
//    than two malloc arenas;
// 2. that many create/start/wait/delete cycles (`ctr run --rm`), each with a shim of its own:
//    no process, registry entry or socket may be left, and containerd's descriptors stay flat.
// Prints the figures before and after.
struct ProcessFigures {
  long threads = 0;
  long vm_kib = 0;
  long rss_kib = 0;
  long fds = 0;
};

ProcessFigures figuresOf(pid_t pid) {
  const std::string status = readAll("/proc/" + std::to_string(pid) + "/status");
  const auto field = [&](const std::string& name) {
    const auto at = status.find("\n" + name + ":");
    return at == std::string::npos ? -1L : std::stol(status.substr(at + name.size() + 2));
  };
  long fds = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++fds;
  }
  return {field("Threads"), field("VmSize"), field("VmRSS"), fds};
}

void printFigures(const char* what, const ProcessFigures& f) {
  std::printf("%-28s threads %3ld  VmSize %9ld kB  VmRSS %7ld kB  fds %4ld\n", what, f.threads,
              f.vm_kib, f.rss_kib, f.fds);
}

TEST_F(Containerd, DISABLED_SoakManyRequestsAndTasksLeaveNothingBehind) {
  const char* cycles_env = std::getenv("RR_SHIM_SOAK_CYCLES");
  const int cycles =
      cycles_env != nullptr ? static_cast<int>(std::strtol(cycles_env, nullptr, 10)) : 1000;
  const Outcome sink = run({"-d", "--annotation", "roadrunner.io/role=receiver", "--annotation",
                            "roadrunner.io/name=soak"},
                           "soak-sink", {"/sink.wasm"});
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  pid_t shim = -1;
  for (const pid_t pid : processesUnder(dir_->path())) {
    if (readAll("/proc/" + std::to_string(pid) + "/cmdline").find("containerd-shim-roadrunner") !=
        std::string::npos) {
      shim = pid;
    }
  }
  ASSERT_GT(shim, 0);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(ctr({"task", "ps", "soak-sink"}).exit_code, 0);
  }
  const ProcessFigures shim_before = figuresOf(shim);
  for (int i = 0; i < cycles; ++i) {
    ASSERT_EQ(ctr({"task", "ps", "soak-sink"}).exit_code, 0) << "request " << i;
  }
  std::this_thread::sleep_for(200ms);  // the last request's thread on its way out
  const ProcessFigures shim_after = figuresOf(shim);
  printFigures("shim, before requests", shim_before);
  printFigures(("shim, after " + std::to_string(cycles)).c_str(), shim_after);
  EXPECT_LE(shim_after.threads, shim_before.threads);
  EXPECT_LE(shim_after.fds, shim_before.fds);
  EXPECT_LE(shim_after.vm_kib, shim_before.vm_kib + 160L * 1024);
  EXPECT_EQ(killAndDelete("soak-sink", "SIGTERM"), 0);
  expectNothingLeft("soak-sink", "soak");

  const pid_t containerd = containerd_process_->pid();
  ASSERT_EQ(run({"--rm"}, "soak-warm", {"/probe.wasm", "0"}).exit_code, 0);
  const ProcessFigures containerd_before = figuresOf(containerd);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < cycles; ++i) {
    const Outcome r = run({"--rm"}, "soak-" + std::to_string(i), {"/probe.wasm", "0"});
    ASSERT_EQ(r.exit_code, 0) << "cycle " << i << ": " << r.err;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  expectNothingLeft("soak", "soak");
  const ProcessFigures containerd_after = figuresOf(containerd);
  printFigures("containerd, before tasks", containerd_before);
  printFigures(("containerd, after " + std::to_string(cycles)).c_str(), containerd_after);
  std::printf("%d create/start/delete cycles in %.0f s; processes left: %zu\n", cycles, seconds,
              processesUnder(dir_->path()).size());
  EXPECT_LE(containerd_after.fds, containerd_before.fds + 4);
}

}  // namespace
}  // namespace rr::shim
