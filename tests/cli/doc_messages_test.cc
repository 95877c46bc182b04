// Every message the docs quote from `roadrunner` is produced here by the command that prints it
// and compared with the page, so the two cannot drift apart: a message whose wording changes in
// the code fails its quote, and a quote added to a page without an entry below fails the scan.

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../testing/doc_quote.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

namespace fs = std::filesystem;

struct Quote {
  std::string page;    ///< under docs/
  std::string text;    ///< exactly as the page shows it, on one line
  std::string script;  ///< /bin/sh in a fresh directory: $RR is the CLI, $G the test guests
  /// Parts of `text` that the run prints differently (a placeholder, a path, a port): the part,
  /// then the ECMAScript pattern the output has there.
  testing::Vary vary;
};

// A served text counter on a UNIX socket, two sends to it, then the server stopped.
const char* const kKernelSession = R"(
"$RR" serve "$G/text_counter.wasm" --name counter --listen "unix:$PWD/counter.sock" \
  --stats-every 20 2>serve.err &
server=$!
for i in $(seq 200); do [ -S counter.sock ] && break; sleep 0.05; done
printf 'one two three\n' > in.txt
"$RR" send --to "unix:$PWD/counter.sock" in.txt > count.txt
"$RR" send --memfd --to "unix:$PWD/counter.sock" in.txt > count.txt
sleep 0.1; kill $server; wait; cat serve.err)";

// A served counter on TCP with one secret, and a send with another.
const char* const kWrongSecret = R"(
printf 'secret-one' > one.secret; printf 'secret-two' > two.secret
printf 'one two three\n' > in.txt
"$RR" serve "$G/text_counter.wasm" --name counter --listen tcp:127.0.0.1:0 \
  --secret-file one.secret 2>serve.err &
server=$!
for i in $(seq 200); do grep -q serving serve.err && break; sleep 0.05; done
addr=$(sed -n 's/.* on \(tcp:[0-9.]*:[0-9]*\)$/\1/p' serve.err)
"$RR" send --to "$addr" --target counter --secret-file two.secret in.txt
sleep 0.3; kill $server; wait; cat serve.err)";

std::string up(const std::string& workflow, const std::string& flags = "") {
  return "cat > wf.json <<'EOF'\n" + workflow + "\nEOF\n\"$RR\" up wf.json " + flags;
}

const std::string kMissing = "\"wasm\": \"none.wasm\"";

// A receiver that traps once and runs out of time once, watched with --stats-every.
const std::string kVictim =
    "cp \"$G/attack_sender.wasm\" s.wasm; cp \"$G/attack_receiver.wasm\" v.wasm\n" +
    up(R"({"functions": {"sender": {"wasm": "s.wasm",
                                    "args": ["victim", "trap=6", "ok=0", "sleep=12", "ok=0"]},
                         "victim": {"wasm": "v.wasm", "timeout_ms": 200}},
           "edges": [{"from": "sender", "to": "victim"}]})",
       "--stats-every 10");

std::vector<Quote> quotes() {
  return {
      // docs/abi.md
      {.page = "abi.md",
       .text = "roadrunner: instantiate f.wasm: built for ABI version 999, this host speaks 1: "
               "Roadrunner ABI version mismatch",
       .script = "cp \"$G/abi_mismatch.wasm\" f.wasm && \"$RR\" serve f.wasm --listen unix:f.sock"},
      // docs/operations.md
      {.page = "operations.md",
       .text = "roadrunner: serve: --timeout: '0' is not a whole number from 1 to 86400",
       .script = "\"$RR\" serve f.wasm --listen unix:f.sock --timeout 0"},
      {.page = "operations.md",
       .text = "roadrunner: serving FILE as 'NAME' on ADDRESS",
       .script = kKernelSession,
       .vary = {{"FILE", "\\S+"}, {"NAME", "counter"}, {"ADDRESS", "unix:\\S+"}}},
      {.page = "operations.md",
       .text = "roadrunner: serving build/release/guests/text_counter.wasm as 'counter' on "
               "unix:/tmp/rr-demo/counter.sock",
       .script = kKernelSession,
       .vary = {{"build/release/guests", "\\S+"}, {"/tmp/rr-demo", "\\S+"}}},
      {.page = "operations.md",
       .text = "roadrunner: after 1.5 s",
       .script = kKernelSession,
       .vary = {{"1.5", "[0-9.]+"}}},
      {.page = "operations.md",
       .text = "roadrunner: delivered N bytes to NAME (K host copies)",
       .script = kKernelSession,
       .vary = {{"N", "[0-9]+"}, {"NAME", "counter"}, {"K", "[0-9]+"}}},
      {.page = "operations.md",
       .text = "roadrunner: delivered 14 bytes to counter (2 host copies)",
       .script = kKernelSession},
      {.page = "observability.md",
       .text = "roadrunner: metrics on tcp:127.0.0.1:9464 at /metrics",
       .script = "cp \"$G/text_counter.wasm\" counter.wasm; " +
                 up(R"({"functions": {"counter": {"wasm": "counter.wasm", "args": ["in.txt"]}}})",
                    "--metrics tcp:127.0.0.1:0"),
       .vary = {{"9464", "[0-9]+"}}},
      {.page = "operations.md",
       .text = "roadrunner: send FILE to ADDRESS: STATUS",
       .script = kWrongSecret,
       .vary = {{"FILE", "in\\.txt"}, {"ADDRESS", "tcp:\\S+"}, {"STATUS", "receiver unavailable"}}},
      {.page = "operations.md",
       .text = "roadrunner: send in.txt to tcp:10.0.0.2:7000: receiver unavailable",
       .script = kWrongSecret,
       .vary = {{"10.0.0.2:7000", "127\\.0\\.0\\.1:[0-9]+"}}},
      {.page = "operations.md",
       .text = "ADDRESS: dropping connection: REASON",
       .script = kWrongSecret,
       .vary = {{"ADDRESS", "tcp:\\S+"}, {"REASON", "unauthenticated peer"}}},
      {.page = "operations.md",
       .text = "dropping connection: unauthenticated peer",
       .script = kWrongSecret},
      // docs/workflows.md
      {.page = "workflows.md",
       .text = "roadrunner: workflow wf.json: function 'w': unknown key 'instance': malformed "
               "workflow",
       .script = up(R"({"functions": {"w": {"wasm": "w.wasm", "instance": 2}}})")},
      {.page = "workflows.md",
       .text =
           "roadrunner: workflow wf.json: edges form a cycle: a -> b -> a: workflow has a cycle",
       .script = up(R"({"functions": {"a": {"wasm": "a.wasm"}, "b": {"wasm": "b.wasm"}},
                        "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: after 1.5 s",
       .script = kVictim,
       .vary = {{"1.5", "[0-9.]+"}}},
      {.page = "workflows.md",
       .text = "roadrunner: workflow function 'sink' is reached by edges of different modes "
               "(kernel, embedded): invalid argument",
       .script = up(R"({"functions": {"a": {)" + kMissing + R"(}, "b": {)" + kMissing +
                    R"(}, "sink": {)" + kMissing + R"(}},
                        "edges": [{"from": "a", "to": "sink", "mode": "kernel"},
                                  {"from": "b", "to": "sink", "mode": "embedded"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: workflow edge parse -> store: 'parse' runs in its own process, so its "
               "edges must be 'kernel' or 'network': invalid argument",
       .script = up(R"({"functions": {"fetch": {)" + kMissing + R"(}, "parse": {)" + kMissing +
                    R"(}, "store": {)" + kMissing + R"(}},
                        "edges": [{"from": "fetch", "to": "parse", "mode": "kernel"},
                                  {"from": "parse", "to": "store", "mode": "embedded"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: load bad.wasm: not a WebAssembly module",
       .script =
           "printf 'not wasm' > bad.wasm\n" + up(R"({"functions": {"a": {"wasm": "bad.wasm"}}})")},
      {.page = "workflows.md",
       .text = "roadrunner: start sink: its serving process exited before it listened (exit "
               "status 1): invalid argument",
       .script = "cp \"$G/abi_mismatch.wasm\" sink.wasm; cp \"$G/sender.wasm\" a.wasm\n" +
                 up(R"({"functions": {"a": {"wasm": "a.wasm"}, "sink": {"wasm": "sink.wasm"}},
                        "edges": [{"from": "a", "to": "sink", "mode": "kernel"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: workflow edge relay -> counter: 'relay' runs in its own process here "
               "and cannot reach a remote receiver; send to 'counter' from a function that is not "
               "itself a receiver: invalid argument",
       .script =
           up(R"({"secret_file": "rr.secret",
                        "functions": {"p": {)" +
              kMissing + R"(}, "relay": {)" + kMissing + R"(}, "counter": {)" + kMissing + R"(}},
                        "edges": [{"from": "p", "to": "relay", "mode": "kernel"},
                                  {"from": "relay", "to": "counter", "mode": "network",
                                   "address": "tcp:10.0.0.2:7000"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: workflow function 'counter' is given two addresses: invalid argument",
       .script = up(R"({"secret_file": "rr.secret",
                        "functions": {"p": {)" +
                    kMissing + R"(}, "q": {)" + kMissing + R"(}, "counter": {)" + kMissing + R"(}},
                        "edges": [{"from": "p", "to": "counter", "mode": "network",
                                   "address": "tcp:10.0.0.2:7000"},
                                  {"from": "q", "to": "counter", "mode": "network",
                                   "address": "tcp:10.0.0.3:7000"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: workflow edge other -> counter: 'counter' runs at tcp:10.0.0.2:7000; "
               "give this edge that address too: invalid argument",
       .script =
           up(R"({"secret_file": "rr.secret",
                        "functions": {"p": {)" +
              kMissing + R"(}, "other": {)" + kMissing + R"(}, "counter": {)" + kMissing + R"(}},
                        "edges": [{"from": "p", "to": "counter", "mode": "network",
                                   "address": "tcp:10.0.0.2:7000"},
                                  {"from": "other", "to": "counter", "mode": "network"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: workflow edge counter -> log: 'counter' runs elsewhere; declare its "
               "edges where it runs: invalid argument",
       .script =
           up(R"({"secret_file": "rr.secret",
                        "functions": {"p": {)" +
              kMissing + R"(}, "log": {)" + kMissing + R"(}, "counter": {)" + kMissing + R"(}},
                        "edges": [{"from": "p", "to": "counter", "mode": "network",
                                   "address": "tcp:10.0.0.2:7000"},
                                  {"from": "counter", "to": "log", "mode": "network"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: workflow network edges to remote receivers need 'secret_file' or "
               "RR_SECRET: invalid argument",
       .script = "unset RR_SECRET\n" +
                 up(R"({"functions": {"p": {)" + kMissing + R"(}, "counter": {)" + kMissing +
                    R"(}},
                        "edges": [{"from": "p", "to": "counter", "mode": "network",
                                   "address": "tcp:10.0.0.2:7000"}]})")},
      {.page = "workflows.md",
       .text = "roadrunner: up exits 1: receiver 'victim': 2 deliveries failed (trap, proc_exit "
               "or time limit; the warnings above say which)",
       .script = kVictim},
      {.page = "workflows.md",
       .text = "roadrunner: up exits 1: command 'greet' exited with status 1",
       .script = "cp \"$G/sender.wasm\" greet.wasm\n" +
                 up(R"({"functions": {"greet": {"wasm": "greet.wasm", "args": ["shout", "5"]}}})")},
  };
}

testing::Outcome runScript(const std::string& script) {
  const testing::TempDir dir;
  return testing::run({"/bin/sh", "-c", "cd '" + dir.path() + "' && exec 2>&1\n" + script},
                      {"RR=" + std::string(RR_CLI), "G=" + std::string(RR_BINARY_DIR) + "/guests",
                       "RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
}

TEST(DocMessagesTest, EveryQuotedMessageIsOnItsPageAndIsWhatTheCommandPrints) {
  for (const Quote& q : quotes()) {
    EXPECT_TRUE(testing::pageQuotes(q.page, q.text))
        << "docs/" << q.page << " does not quote: " << q.text;
    const testing::Outcome o = runScript(q.script);
    EXPECT_TRUE(testing::printsQuote(o.out, q.text, q.vary))
        << "docs/" << q.page << " quotes\n  " << q.text << "\nbut the command printed\n"
        << o.out;
  }
}

// Every `roadrunner: ...` the pages quote (inline or as a line of a code block) is one of the
// quotes above. Generic forms ("roadrunner: …") describe the shape, not a message.
TEST(DocMessagesTest, EveryQuoteOnThePagesIsChecked) {
  std::set<std::pair<std::string, std::string>> checked;
  for (const Quote& q : quotes()) {
    checked.emplace(q.page, q.text);
  }
  static const std::regex kInline("`(roadrunner: [^`]*)`");
  for (const auto& entry : fs::directory_iterator(std::string(RR_SOURCE_DIR) + "/docs")) {
    if (entry.path().extension() != ".md") {
      continue;
    }
    const std::string page = entry.path().filename().string();
    std::istringstream in(testing::docPage(page));
    std::string line;
    bool in_code = false;
    while (std::getline(in, line)) {
      const std::string trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
      if (trimmed.starts_with("```")) {
        in_code = !in_code;
        continue;
      }
      std::vector<std::string> found;
      if (in_code && trimmed.starts_with("roadrunner: ")) {
        found.push_back(trimmed);
      }
      for (std::sregex_iterator m(line.begin(), line.end(), kInline), end; m != end; ++m) {
        found.push_back((*m)[1]);
      }
      const std::size_t open = line.rfind("`roadrunner: ");
      EXPECT_FALSE(open != std::string::npos && line.find('`', open + 1) == std::string::npos)
          << "docs/" << page << ": a quoted message wraps; keep it on one line: " << line;
      for (const std::string& text : found) {
        if (text.starts_with("roadrunner: …") || text.starts_with("roadrunner: <")) {
          continue;
        }
        EXPECT_TRUE(checked.contains({page, text}))
            << "docs/" << page << " quotes a message no test produces: " << text;
      }
    }
  }
}

}  // namespace
}  // namespace rr
