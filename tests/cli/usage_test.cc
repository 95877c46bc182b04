// The command line itself: every command's --help, and a usage error (one line, exit status 2)
// for each kind of malformed argument each command can get. These run the real binary; the
// usage errors end before any module is loaded.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../testing/subprocess.h"

namespace rr {
namespace {

using testing::Outcome;

Outcome roadrunner(std::vector<std::string> args) {
  args.insert(args.begin(), RR_CLI);
  return testing::run(args);
}

struct UsageCase {
  const char* name;
  std::vector<std::string> args;
  const char* message;  ///< the error line contains this
};

// Every malformed value of every command: each numeric flag with text, a negative number, a
// number too large for its type and one out of its range; each parsed value (addresses,
// grants, targets, K=V, preopens, sizes, lists) malformed; unknown flags, missing values,
// missing and surplus arguments.
const std::vector<UsageCase>& usageCases() {
  const std::string wasm = "/nonexistent/f.wasm";
  const std::string listen = "unix:/nonexistent/f.sock";
  static const std::vector<UsageCase> cases = {
      // run
      {"RunUnknownFlag", {"run", wasm, "--frobnicate"}, "unknown flag '--frobnicate'"},
      {"RunUnknownFlagBeforeTheModule", {"run", "--frobnicate", wasm}, "unknown flag"},
      {"RunNoModule", {"run"}, "FILE.wasm is required"},
      {"RunNoModuleBeforeDashes", {"run", "--", wasm}, "FILE.wasm is required"},
      {"RunEnvWithoutEquals", {"run", wasm, "--env", "KEY"}, "--env: 'KEY' is not KEY=VALUE"},
      {"RunEnvWithoutKey", {"run", wasm, "--env", "=v"}, "--env: '=v' is not KEY=VALUE"},
      {"RunEnvWithoutValue", {"run", wasm, "--env"}, "--env: needs a value"},
      {"RunDirEmpty", {"run", wasm, "--dir", ""}, "--dir: '' is not [GUEST:]HOST"},
      {"RunDirEmptyHost", {"run", wasm, "--dir", "/g:"}, "--dir: '/g:' is not [GUEST:]HOST"},
      {"RunAllowNetHostName",
       {"run", wasm, "--allow-net", "tcp:example.com:80"},
       "'tcp:example.com:80' is not tcp:A.B.C.D:PORT"},
      // compile
      {"CompileLevelOutOfRange",
       {"compile", "-O4", wasm},
       "-O: '4' is not a whole number from 0 to 3"},
      {"CompileLevelNotANumber", {"compile", "-Ofast", wasm}, "-O: 'fast' is not a whole number"},
      {"CompileUnknownFlag", {"compile", "-X", wasm}, "unknown flag '-X'"},
      {"CompileNoModule", {"compile"}, "FILE.wasm is required"},
      // up
      {"UpThresholdWithASuffix",
       {"up", "w.json", "--memfd-threshold", "1k"},
       "--memfd-threshold: '1k' is not a whole number"},
      {"UpThresholdNegative",
       {"up", "w.json", "--memfd-threshold", "-1"},
       "--memfd-threshold: '-1' is not a whole number"},
      {"UpThresholdTooLarge",
       {"up", "w.json", "--memfd-threshold", "18446744073709551616"},
       "--memfd-threshold: '18446744073709551616' is not a whole number"},
      {"UpThresholdWithoutValue",
       {"up", "w.json", "--memfd-threshold"},
       "--memfd-threshold: needs a value"},
      {"UpOptLevelTooHigh",
       {"up", "w.json", "-O", "4"},
       "-O: '4' is not a whole number from 0 to 3"},
      {"UpUnknownFlag", {"up", "w.json", "--frobnicate"}, "unknown flag '--frobnicate'"},
      {"UpNoWorkflow", {"up"}, "WORKFLOW.json is required"},
      {"UpTwoWorkflows", {"up", "a.json", "b.json"}, "unexpected argument 'b.json'"},
      // serve
      {"ServeOptLevelText",
       {"serve", wasm, "--listen", listen, "-O", "x"},
       "-O: 'x' is not a whole number from 0 to 3"},
      {"ServeMaxPayloadText",
       {"serve", wasm, "--listen", listen, "--max-payload", "abc"},
       "--max-payload: 'abc' is not a whole number"},
      {"ServeMaxPayloadNegative",
       {"serve", wasm, "--listen", listen, "--max-payload", "-1"},
       "--max-payload: '-1' is not a whole number"},
      {"ServeMaxPayloadTooLarge",
       {"serve", wasm, "--listen", listen, "--max-payload", "99999999999999999999999"},
       "--max-payload: '99999999999999999999999' is not a whole number"},
      {"ServeTimeoutText",
       {"serve", wasm, "--listen", listen, "--timeout", "x"},
       "--timeout: 'x' is not a whole number from 1 to 86400"},
      {"ServeTimeoutZero",
       {"serve", wasm, "--listen", listen, "--timeout", "0"},
       "--timeout: '0' is not a whole number from 1 to 86400"},
      {"ServeTimeoutTooLong",
       {"serve", wasm, "--listen", listen, "--timeout", "86401"},
       "--timeout: '86401' is not a whole number from 1 to 86400"},
      {"ServeTimeoutFraction",
       {"serve", wasm, "--listen", listen, "--timeout", "1.5"},
       "--timeout: '1.5' is not a whole number"},
      {"ServeTimeoutWithoutValue",
       {"serve", wasm, "--listen", listen, "--timeout"},
       "--timeout: needs a value"},
      {"ServeHandlerTimeoutText",
       {"serve", wasm, "--listen", listen, "--handler-timeout-ms", "soon"},
       "--handler-timeout-ms: 'soon' is not a whole number from 0 to 86400000"},
      {"ServeHandlerTimeoutTooLong",
       {"serve", wasm, "--listen", listen, "--handler-timeout-ms", "86400001"},
       "--handler-timeout-ms: '86400001' is not a whole number from 0 to 86400000"},
      {"ServeAllowUidText",
       {"serve", wasm, "--listen", listen, "--allow-uid", "root"},
       "--allow-uid: 'root' is not a whole number"},
      {"ServeAllowUidTooLarge",
       {"serve", wasm, "--listen", listen, "--allow-uid", "4294967295"},
       "--allow-uid: '4294967295' is not a whole number from 0 to 4294967294"},
      {"ServeMemoryLimitText",
       {"serve", wasm, "--listen", listen, "--memory-limit-mib", "1G"},
       "--memory-limit-mib: '1G' is not a whole number from 1 to 4096"},
      {"ServeMemoryLimitZero",
       {"serve", wasm, "--listen", listen, "--memory-limit-mib", "0"},
       "--memory-limit-mib: '0' is not a whole number from 1 to 4096"},
      {"ServeMemoryLimitTooLarge",
       {"serve", wasm, "--listen", listen, "--memory-limit-mib", "4097"},
       "--memory-limit-mib: '4097' is not a whole number from 1 to 4096"},
      {"ServeReadyFdText",
       {"serve", wasm, "--listen", listen, "--ready-fd", "stdout"},
       "--ready-fd: 'stdout' is not a whole number"},
      {"ServeReadyFdNegative",
       {"serve", wasm, "--listen", listen, "--ready-fd", "-1"},
       "--ready-fd: '-1' is not a whole number"},
      {"ServeListenMalformed",
       {"serve", wasm, "--listen", "/tmp/f.sock"},
       "--listen: '/tmp/f.sock' is not unix:PATH or tcp:HOST:PORT"},
      {"ServeTargetWithoutEquals",
       {"serve", wasm, "--listen", listen, "--target", "sink"},
       "--target: 'sink' is not NAME=ADDRESS"},
      {"ServeTargetWithoutName",
       {"serve", wasm, "--listen", listen, "--target", "=" + listen},
       "is not NAME=ADDRESS"},
      {"ServeTargetBadAddress",
       {"serve", wasm, "--listen", listen, "--target", "sink=nowhere"},
       "--target: 'nowhere' is not unix:PATH, tcp:HOST:PORT or dns:NAME:PORT"},
      {"ServeEnvWithoutEquals",
       {"serve", wasm, "--listen", listen, "--env", "KEY"},
       "--env: 'KEY' is not KEY=VALUE"},
      {"ServeDirEmptyGuest",
       {"serve", wasm, "--listen", listen, "--dir", ":/tmp"},
       "--dir: ':/tmp' is not [GUEST:]HOST"},
      {"ServeAllowNetBadPort",
       {"serve", wasm, "--listen", listen, "--allow-net", "tcp:127.0.0.1:99999"},
       "'tcp:127.0.0.1:99999' is not tcp:A.B.C.D:PORT"},
      {"ServeUnknownFlag", {"serve", wasm, "--lisen", listen}, "unknown flag '--lisen'"},
      {"ServeNoListen", {"serve", wasm}, "--listen is required"},
      {"ServeNoModule", {"serve", "--listen", listen}, "FUNCTION.wasm is required"},
      {"ServeModuleAfterDashes",
       {"serve", "--listen", listen, "--", wasm},
       "FUNCTION.wasm is required"},
      {"ServeTwoModules", {"serve", wasm, wasm, "--listen", listen}, "unexpected argument"},
      // send
      {"SendTimeoutText",
       {"send", "--to", listen, "--timeout", "x", "in.txt"},
       "--timeout: 'x' is not a whole number from 1 to 86400"},
      {"SendTimeoutNegative",
       {"send", "--to", listen, "--timeout", "-5", "in.txt"},
       "--timeout: '-5' is not a whole number from 1 to 86400"},
      {"SendTimeoutTooLarge",
       {"send", "--to", listen, "--timeout", "4294967296", "in.txt"},
       "--timeout: '4294967296' is not a whole number from 1 to 86400"},
      {"SendToMalformed",
       {"send", "--to", "tcp:127.0.0.1", "in.txt"},
       "--to: 'tcp:127.0.0.1' is not unix:PATH or tcp:HOST:PORT"},
      {"SendUnknownFlag", {"send", "--to", listen, "--mmap", "in.txt"}, "unknown flag '--mmap'"},
      {"SendNoTo", {"send", "in.txt"}, "--to is required"},
      {"SendNoFile", {"send", "--to", listen}, "FILE is required"},
      {"SendTwoFiles", {"send", "--to", listen, "a.txt", "b.txt"}, "unexpected argument 'b.txt'"},
      // demo
      {"DemoMibText", {"demo", "--mib=lots"}, "--mib: 'lots' is not a whole number from 1 to 1024"},
      {"DemoMibZero", {"demo", "--mib=0"}, "--mib: '0' is not a whole number from 1 to 1024"},
      {"DemoMibTooLarge", {"demo", "--mib", "1025"}, "--mib: '1025' is not a whole number"},
      {"DemoMibWithoutValue", {"demo", "--mib"}, "--mib: needs a value"},
      {"DemoUnknownFlag", {"demo", "--gib=1"}, "unknown flag '--gib=1'"},
      {"DemoStrayArgument", {"demo", "64"}, "unexpected argument '64'"},
      // bench
      {"BenchRunsText",
       {"bench", "--runs", "many"},
       "--runs: 'many' is not a whole number from 1 to 1000"},
      {"BenchRunsZero",
       {"bench", "--runs", "0"},
       "--runs: '0' is not a whole number from 1 to 1000"},
      {"BenchRunsTooMany", {"bench", "--runs", "1001"}, "--runs: '1001' is not a whole number"},
      {"BenchFanoutZero",
       {"bench", "--fanout", "1,0"},
       "--fanout: '0' is not a whole number from 1 to 1024"},
      {"BenchFanoutText", {"bench", "--fanout", "1,x"}, "--fanout: 'x' is not a whole number"},
      {"BenchFanoutTooLarge",
       {"bench", "--fanout", "1025"},
       "--fanout: '1025' is not a whole number"},
      {"BenchSizesUnknownSuffix",
       {"bench", "--sizes", "1M,12Q"},
       "--sizes: '1M,12Q' is not a list of sizes"},
      {"BenchSizesOverflow",
       {"bench", "--sizes", "99999999999999999999999M"},
       "is not a list of sizes"},
      {"BenchSizesTooLarge", {"bench", "--sizes", "4G"}, "below 4 GiB"},
      {"BenchWorkloadUnknown", {"bench", "--workload", "flood"}, "--workload: flood not in"},
      {"BenchStreamSizeNotWords", {"bench", "--stream-size", "7"}, "a multiple of 8 bytes"},
      {"BenchStreamSizeTooLarge", {"bench", "--stream-size", "2048G"}, "up to 1 TiB"},
      {"BenchStreamSizeZero", {"bench", "--stream-size", "0"}, "is not a stream length"},
      {"BenchFanoutSizeList",
       {"bench", "--fanout-size", "1M,2M"},
       "--fanout-size: '1M,2M' is not one size"},
      {"BenchFanoutSizeText",
       {"bench", "--fanout-size", "big"},
       "--fanout-size: 'big' is not a size"},
      {"BenchSpliceThresholdTooLarge",
       {"bench", "--splice-threshold", "5000000000"},
       "--splice-threshold: '5000000000' is not below 4 GiB"},
      {"BenchJsonEmpty", {"bench", "--json", ""}, "--json: needs a non-empty value"},
      {"BenchNetworkHostName",
       {"bench", "--network-host", "example.com"},
       "--network-host: 'example.com' is not an IPv4 address"},
      {"BenchUnknownFlag", {"bench", "--size", "1M"}, "unknown flag '--size'"},
      // soak
      {"SoakSmallText", {"soak", "--small", "lots"}, "--small: 'lots' is not a whole number"},
      {"SoakLargeNegative", {"soak", "--large", "-1"}, "--large: '-1' is not a whole number"},
      {"SoakLargeSizeZero",
       {"soak", "--large-size", "0"},
       "--large-size: '0' is not a whole number from 1 to 2147483647"},
      {"SoakLargeSizeTooLarge",
       {"soak", "--large-size", "2147483648"},
       "--large-size: '2147483648' is not a whole number from 1 to 2147483647"},
      {"SoakUnknownMode",
       {"soak", "--modes", "embedded,carrier"},
       "--modes: unknown mode 'carrier'"},
      {"SoakUnknownFlag", {"soak", "--medium", "1"}, "unknown flag '--medium'"},
      // version, and no command at all
      {"VersionUnknownFlag", {"version", "--short"}, "unknown flag '--short'"},
      {"VersionStrayArgument", {"version", "now"}, "unexpected argument 'now'"},
      {"UnknownCommand", {"launch"}, "unknown command 'launch'"},
  };
  return cases;
}

class UsageErrorTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(UsageErrorTest, IsOneLineAndStatusTwo) {
  const Outcome o = roadrunner(GetParam().args);
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_EQ(o.signal, 0);
  EXPECT_TRUE(o.err.starts_with("roadrunner: ")) << o.err;
  EXPECT_EQ(std::ranges::count(o.err, '\n'), 1) << o.err;
  EXPECT_NE(o.err.find(GetParam().message), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("internal error"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
}

INSTANTIATE_TEST_SUITE_P(Cli, UsageErrorTest, ::testing::ValuesIn(usageCases()),
                         [](const ::testing::TestParamInfo<UsageCase>& p) {
                           return std::string(p.param.name);
                         });

struct HelpCase {
  const char* command;
  std::vector<std::string> flags;  ///< every flag the command takes
};

const std::vector<HelpCase>& helpCases() {
  static const std::vector<HelpCase> cases = {
      {"run", {"--env", "--dir", "--allow-net", "--interpreter"}},
      {"compile", {"-O"}},
      {"up",
       {"--stats", "--interpreter", "-O", "--no-prefix", "--memfd-threshold", "--memfd-copy"}},
      {"serve",
       {"--listen", "--name", "--secret-file", "--target", "--known", "--max-payload", "--timeout",
        "--handler-timeout-ms", "--allow-uid", "--memfd-copy", "--memory-limit-mib", "--env",
        "--dir", "--allow-net", "--interpreter", "-O", "--ready-fd"}},
      {"send", {"--to", "--target", "--memfd", "--secret-file", "--timeout"}},
      {"demo", {"--mib"}},
      {"bench",
       {"--quick", "--modes", "--systems", "--sizes", "--runs", "--fanout", "--fanout-size",
        "--splice-threshold", "--network-host", "--serve-netns", "--json"}},
      {"soak", {"--small", "--large", "--large-size", "--modes"}},
      {"version", {}},
  };
  return cases;
}

class HelpTest : public ::testing::TestWithParam<HelpCase> {};

TEST_P(HelpTest, PrintsEveryFlagAndExitsZero) {
  const std::string command = GetParam().command;
  for (const char* help : {"--help", "-h"}) {
    const Outcome o = roadrunner({command, help});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.err, "");
    EXPECT_TRUE(o.out.starts_with("usage: roadrunner " + command)) << o.out;
    const std::string flags = o.out.substr(o.out.find("\nFlags:\n"));
    for (const auto& flag : GetParam().flags) {
      // "  --name NAME   the function's name", or "  --modes,--systems SYSTEM,...   ..."
      EXPECT_TRUE(flags.contains("  " + flag + " ") || flags.contains("  " + flag + ",") ||
                  flags.contains("," + flag + " "))
          << command << " --help does not explain " << flag << ":\n"
          << o.out;
    }
  }
  // Help comes first, even after flags that would fail.
  EXPECT_EQ(roadrunner({command, "--frobnicate", "--help"}).exit_code, 0);
  EXPECT_EQ(roadrunner({"help", command}).out, roadrunner({command, "--help"}).out);
}

TEST_P(HelpTest, TopLevelUsageListsTheCommandWithEveryFlag) {
  const Outcome o = roadrunner({"--help"});
  EXPECT_EQ(o.exit_code, 0);
  const std::string command = GetParam().command;
  const auto at = o.out.find("\n  " + command);
  ASSERT_NE(at, std::string::npos) << o.out;
  auto end = at + 1;  // the next command's line starts with two spaces, then its name
  while ((end = o.out.find("\n  ", end)) != std::string::npos && o.out[end + 3] == ' ') {
    ++end;
  }
  const std::string entry = o.out.substr(at, end - at);
  for (const auto& flag : GetParam().flags) {
    if (flag == "--systems") {
      continue;  // bench's alias for --modes
    }
    const std::string shown = flag == "-O" ? "-O0|-O1|-O2|-O3" : flag;
    EXPECT_NE(entry.find(shown), std::string::npos) << command << ": " << flag << "\n" << entry;
  }
}

INSTANTIATE_TEST_SUITE_P(Cli, HelpTest, ::testing::ValuesIn(helpCases()),
                         [](const ::testing::TestParamInfo<HelpCase>& p) {
                           return std::string(p.param.command);
                         });

TEST(UsageTest, TopLevelUsageSaysWhatRunsWhere) {
  const Outcome help = roadrunner({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.err, "");
  std::string text;  // the usage with its lines joined
  for (const char c : help.out) {
    if (c != ' ' && c != '\n') {
      text += c;
    } else if (!text.empty() && text.back() != ' ') {
      text += ' ';
    }
  }
  for (const char* fact :
       {// serve listens on TCP too, and send reaches it there
        "--listen unix:PATH|tcp:HOST:PORT", "--to unix:PATH|tcp:HOST:PORT",
        // every bench system
        "embedded", "kernel-memfd-copy", "network", "native-http", "redis", "wasmedge-http",
        // both of the demo's pipelines
        "producer -> transform -> encoder", "producer -> counter", "RR_SECRET"}) {
    EXPECT_NE(text.find(fact), std::string::npos) << fact << "\n" << help.out;
  }
  EXPECT_EQ(roadrunner({"-h"}).out, help.out);
  EXPECT_EQ(roadrunner({"help"}).out, help.out);

  const Outcome bare = roadrunner({});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_EQ(bare.out, "");
  EXPECT_EQ(bare.err, help.out);
}

TEST(UsageTest, RepeatedFlagsAllCountAndGuestArgumentsPassThrough) {
  const testing::TempDir a;
  const testing::TempDir b;
  testing::writeText(a.file("in.txt"), "from a\n");
  testing::writeText(b.file("in.txt"), "from b\n");
  const testing::TempDir cache;
  const auto probe = [&](const std::vector<std::string>& guest) {
    std::vector<std::string> args = {
        RR_CLI,  "run", "--env", "A=1",           "--dir", "/a:" + a.path(), RR_GUEST_WASI_PROBE,
        "--env", "B=2", "--dir", "/b:" + b.path()};
    args.insert(args.end(), guest.begin(), guest.end());
    return testing::run(args, {"RR_CACHE_DIR=" + cache.path()});
  };
  // Flags before and after the module, each given twice; all four reach the guest.
  const Outcome first = probe({"--", "3", "A", "/b/in.txt"});
  EXPECT_EQ(first.exit_code, 3) << first.err;
  EXPECT_NE(first.out.find("env A=1\nfile: from b\n"), std::string::npos) << first.out;
  const Outcome second = probe({"--", "4", "B", "/a/in.txt"});
  EXPECT_EQ(second.exit_code, 4) << second.err;
  EXPECT_NE(second.out.find("env B=2\nfile: from a\n"), std::string::npos) << second.out;
  // Like wasmedge: from the first argument after the module on, everything is the guest's,
  // flags and `--` included (the probe then fails to open a file named "--": status 99).
  const Outcome after = probe({"5", "--interpreter", "--"});
  EXPECT_EQ(after.exit_code, 99) << after.err;
  EXPECT_TRUE(
      after.out.starts_with("argv[0]=wasi_probe.wasm\nargv[1]=5\nargv[2]=--interpreter\n"
                            "argv[3]=--\nenv --interpreter=(unset)\n"))
      << after.out;
}

}  // namespace
}  // namespace rr
