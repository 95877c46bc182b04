// End-to-end tests of `roadrunner run` and `roadrunner compile`: the real binary, real guests.

#include <sys/stat.h>

#include <string>

#include <gtest/gtest.h>

#include "../testing/subprocess.h"
#include "../testing/tcp_listener.h"

namespace rr {
namespace {

using testing::Outcome;

class RunCommandTest : public ::testing::Test {
 protected:
  Outcome roadrunner(std::vector<std::string> args) {
    args.insert(args.begin(), RR_CLI);
    return testing::run(args, {"RR_CACHE_DIR=" + cache_.path()});
  }
  static void expectOneLineError(const Outcome& o, const std::string& must_contain) {
    EXPECT_GT(o.exit_code, 0) << o.err;
    EXPECT_LT(o.exit_code, 128);
    EXPECT_EQ(o.signal, 0);
    EXPECT_TRUE(o.err.starts_with("roadrunner: ")) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find(must_contain), std::string::npos) << o.err;
  }
  testing::TempDir cache_;
};

TEST_F(RunCommandTest, ArgsEnvDirAndExitCodePassThrough) {
  const testing::TempDir data;
  testing::writeText(data.file("in.txt"), "line one\n");
  for (const char* engine : {"--interpreter", ""}) {
    std::vector<std::string> args = {"run",   RR_GUEST_WASI_PROBE,   "--env", "GREETING=hi",
                                     "--dir", "/data:" + data.path()};
    if (*engine != '\0') {
      args.emplace_back(engine);
    }
    args.insert(args.end(), {"--", "5", "GREETING", "/data/in.txt"});
    const Outcome o = roadrunner(args);
    EXPECT_EQ(o.exit_code, 5) << o.err;
    EXPECT_EQ(o.out,
              "argv[0]=wasi_probe.wasm\nargv[1]=5\nargv[2]=GREETING\nargv[3]=/data/in.txt\n"
              "env GREETING=hi\nfile: line one\n");
    EXPECT_EQ(o.err, "probe done\n");
  }
}

TEST_F(RunCommandTest, BehavesLikeTheWasmedgeCli) {
  const testing::TempDir data;
  testing::writeText(data.file("in.txt"), "same bytes\n");
  if (::access("/usr/bin/wasmedge", X_OK) != 0) {
    GTEST_SKIP() << "the wasmedge CLI is not installed";
  }
  const Outcome ours = roadrunner({"run", RR_GUEST_WASI_PROBE, "--env", "K=v", "--dir",
                                   "/d:" + data.path(), "--", "9", "K", "/d/in.txt"});
  const Outcome theirs =
      testing::run({"/usr/bin/wasmedge", "--env", "K=v", "--dir", "/d:" + data.path(),
                    RR_GUEST_WASI_PROBE, "9", "K", "/d/in.txt"});
  EXPECT_EQ(ours.exit_code, theirs.exit_code);
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.err, theirs.err);
}

TEST_F(RunCommandTest, MissingFile) {
  expectOneLineError(roadrunner({"run", "/nonexistent/f.wasm"}),
                     "/nonexistent/f.wasm: No such file or directory");
}

TEST_F(RunCommandTest, FileThatIsNotWasm) {
  const testing::TempDir dir;
  testing::writeText(dir.file("notes.txt"), "hello");
  expectOneLineError(roadrunner({"run", dir.file("notes.txt")}),
                     dir.file("notes.txt") + ": not a WebAssembly module");
}

TEST_F(RunCommandTest, InvalidModule) {
  const testing::TempDir dir;
  testing::writeText(dir.file("bad.wasm"), std::string("\0asm\x01\0\0\0\x01\xff\xff", 11));
  expectOneLineError(roadrunner({"run", dir.file("bad.wasm")}), dir.file("bad.wasm"));
}

TEST_F(RunCommandTest, ModuleWithoutStart) {
  expectOneLineError(roadrunner({"run", RR_GUEST_NO_START}), "no _start export");
}

TEST_F(RunCommandTest, GuestThatTrapsInBothEngines) {
  for (const char* flag : {"--interpreter", "--dir=unused"}) {
    std::vector<std::string> args = {"run", RR_GUEST_TRAP};
    if (std::string(flag) == "--interpreter") {
      args.emplace_back(flag);
    }
    const Outcome o = roadrunner(args);
    expectOneLineError(o, "out of bounds memory access");
    EXPECT_EQ(o.out, "about to trap\n");
  }
}

TEST_F(RunCommandTest, UnknownFlag) {
  const Outcome o = roadrunner({"run", RR_GUEST_WASI_PROBE, "--frobnicate"});
  expectOneLineError(o, "unknown flag '--frobnicate'");
  EXPECT_EQ(o.exit_code, 2);
}

TEST_F(RunCommandTest, GuestGetsNoSocketsUnlessAllowedAndThenOnlyThoseAddresses) {
  const testing::TcpListener granted;
  const testing::TcpListener other;
  ASSERT_TRUE(granted.port() != 0 && other.port() != 0);
  const auto probe = [&](const testing::TcpListener& to, std::vector<std::string> flags) {
    std::vector<std::string> args = {"run", RR_GUEST_NET_PROBE, "--env",
                                     "NET_PROBE_PORT=" + to.portText()};
    args.insert(args.end(), flags.begin(), flags.end());
    return roadrunner(args);
  };

  const Outcome denied = probe(granted, {});
  EXPECT_EQ(denied.exit_code, 76) << denied.out << denied.err;
  EXPECT_EQ(denied.out, "net_probe connect: sock_open errno 76\n");
  EXPECT_FALSE(granted.connectionArrives(std::chrono::milliseconds(0)));

  const Outcome allowed = probe(granted, {"--allow-net", granted.grant()});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  EXPECT_TRUE(granted.connectionArrives(std::chrono::seconds(10)));

  const Outcome elsewhere = probe(other, {"--allow-net", granted.grant()});
  EXPECT_EQ(elsewhere.out, "net_probe connect: sock_connect errno 76\n") << elsewhere.err;
  EXPECT_FALSE(other.connectionArrives(std::chrono::milliseconds(0)));
}

TEST_F(RunCommandTest, GuestCannotSignalTheHostProcess) {
  const Outcome o = roadrunner({"run", RR_GUEST_NET_PROBE, "--env", "NET_PROBE=raise"});

  EXPECT_EQ(o.signal, 0) << "the guest's proc_raise(SIGKILL) reached roadrunner";
  EXPECT_EQ(o.exit_code, 76) << o.out << o.err;
  EXPECT_EQ(o.out, "net_probe raise: proc_raise errno 76\n");
}

TEST_F(RunCommandTest, AllowNetTakesOnlyAnIpv4AddressAndPort) {
  const Outcome o = roadrunner({"run", RR_GUEST_NET_PROBE, "--allow-net", "tcp:example.com:80"});
  expectOneLineError(o, "'tcp:example.com:80' is not tcp:A.B.C.D:PORT");
  EXPECT_EQ(o.exit_code, 2);
}

TEST_F(RunCommandTest, UnknownCommand) {
  expectOneLineError(roadrunner({"launch"}), "unknown command 'launch'");
}

TEST_F(RunCommandTest, UnwritableCacheDirectory) {
  const Outcome o =
      testing::run({RR_CLI, "run", RR_GUEST_WASI_PROBE}, {"RR_CACHE_DIR=/proc/roadrunner"});
  expectOneLineError(o, "/proc/roadrunner");
}

TEST_F(RunCommandTest, CompileWarmsTheCacheForRun) {
  const Outcome first = roadrunner({"compile", RR_GUEST_WASI_PROBE});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("compiled"), std::string::npos) << first.out;
  const Outcome second = roadrunner({"compile", RR_GUEST_WASI_PROBE});
  EXPECT_NE(second.out.find("cached"), std::string::npos) << second.out;
}

}  // namespace
}  // namespace rr

namespace rr {
namespace {

TEST(ResourceLimitTest, FullDiskUnderTheAotCacheIsOneClearError) {
  const testing::TempDir dir;
  if (::getuid() != 0 ||
      std::system(("mount -t tmpfs -o size=32k tmpfs " + dir.path()).c_str()) != 0) {
    GTEST_SKIP() << "needs root to mount a small tmpfs";
  }
  const auto o =
      testing::run({RR_CLI, "run", RR_GUEST_WASI_PROBE, "--", "3"}, {"RR_CACHE_DIR=" + dir.path()});
  std::system(("umount " + dir.path()).c_str());
  EXPECT_EQ(o.exit_code, 1) << o.err;
  EXPECT_EQ(o.signal, 0);
  EXPECT_NE(o.err.find("No space left on device"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(dir.path()), std::string::npos) << o.err;
}

TEST(ResourceLimitTest, TooFewDescriptorsIsOneClearErrorNotACrash) {
  const testing::TempDir dir;
  const std::string guests = std::string(RR_BINARY_DIR) + "/guests/";
  testing::writeText(dir.file("fan.json"), R"({"functions": {
      "source": {"wasm": ")" + guests + R"(fan_source.wasm", "args": ["1000"]},
      "worker": {"wasm": ")" + guests + R"(fan_worker.wasm", "instances": 8},
      "sink": {"wasm": ")" + guests + R"(fan_sink.wasm"}},
    "edges": [{"from": "source", "to": "worker"}, {"from": "worker", "to": "sink"},
              {"from": "source", "to": "sink"}]})");
  const auto o =
      testing::run({"/bin/sh", "-c", "ulimit -n 20; exec " RR_CLI " up " + dir.file("fan.json")},
                   {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  EXPECT_EQ(o.exit_code, 1) << o.err;
  EXPECT_EQ(o.signal, 0);
  EXPECT_NE(o.err.find("Too many open files"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace rr
