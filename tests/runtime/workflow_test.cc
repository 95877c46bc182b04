#include "roadrunner/runtime/workflow.h"

#include <gtest/gtest.h>

namespace rr::runtime {
namespace {

Result<Workflow> parse(const std::string& text) { return parseWorkflow(text, "/base"); }

TEST(WorkflowTest, ParsesFunctionsEdgesAndResolvesPathsAgainstTheFile) {
  auto w = parse(R"({"name": "t", "functions": {
      "a": {"wasm": "a.wasm", "args": ["x"], "env": {"K": "v"}, "dirs": ["/d:data"]},
      "b": {"wasm": "/abs/b.wasm", "instances": 4, "memory_limit_mib": 64}},
    "edges": [{"from": "a", "to": "b"}]})");
  ASSERT_TRUE(w.has_value()) << w.error().message();
  ASSERT_EQ(w->functions.size(), 2U);
  EXPECT_EQ(w->find("a")->wasm, "/base/a.wasm");
  EXPECT_EQ(w->find("a")->env, std::vector<std::string>{"K=v"});
  EXPECT_EQ(w->find("a")->dirs, std::vector<std::string>{"/d:/base/data"});
  EXPECT_EQ(w->find("b")->wasm, "/abs/b.wasm");
  EXPECT_EQ(w->find("b")->instances, 4U);
  EXPECT_TRUE(w->isReceiver("b"));
  EXPECT_FALSE(w->isReceiver("a"));
  EXPECT_EQ(w->edges[0].mode, EdgeMode::kEmbedded);
}

TEST(WorkflowTest, CycleIsRejectedWithItsPath) {
  auto w = parse(R"({"functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}, "c": {"wasm": "c"}},
    "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "c", "to": "a"}]})");
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, Errc::kCycle);
  EXPECT_NE(w.error().message().find("a -> b -> c -> a"), std::string::npos) << w.error().message();
}

TEST(WorkflowTest, SelfLoopIsACycle) {
  auto w = parse(R"({"functions": {"a": {"wasm": "a"}}, "edges": [{"from": "a", "to": "a"}]})");
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, Errc::kCycle);
}

TEST(WorkflowTest, MistakesAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"{", "not valid JSON"},
      {R"({"functions": {}})", "at least one function"},
      {R"({"functions": {"a": {}}})", "'wasm'"},
      {R"({"functions": {"a": {"wasm": "a", "color": 1}}})", "unknown key 'color'"},
      {R"({"functions": {"a b": {"wasm": "a"}}})", "function name 'a b'"},
      {R"({"functions": {"a": {"wasm": "a", "instances": 0}}})", "'instances'"},
      {R"({"functions": {"a": {"wasm": "a"}}, "edges": [{"from": "a", "to": "zz"}]})",
       "no function named 'zz'"},
      {R"({"functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}},
           "edges": [{"from": "a", "to": "b", "mode": "carrier-pigeon"}]})",
       "mode must be"},
      {R"({"functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}},
           "edges": [{"from": "a", "to": "b"}, {"from": "a", "to": "b"}]})",
       "declared twice"},
  };
  for (const auto& [text, needle] : cases) {
    auto w = parse(text);
    ASSERT_FALSE(w.has_value()) << text;
    EXPECT_NE(w.error().message().find(needle), std::string::npos)
        << text << " -> " << w.error().message();
  }
}

TEST(WorkflowTest, MissingFileNamesIt) {
  auto w = loadWorkflow("/nonexistent/flow.json");
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("/nonexistent/flow.json"), std::string::npos);
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

TEST(WorkflowNetworkTest, GrantsParseIntoAddressesAndPorts) {
  auto w = parse(R"({"functions": {"a": {"wasm": "a",
      "network": ["tcp:127.0.0.1:8080", "tcp:10.0.0.5:*"]}, "b": {"wasm": "b"}}})");
  ASSERT_TRUE(w.has_value()) << w.error().message();
  ASSERT_EQ(w->find("a")->network.size(), 2U);
  EXPECT_EQ(w->find("a")->network[0].str(), "tcp:127.0.0.1:8080");
  EXPECT_EQ(w->find("a")->network[1].str(), "tcp:10.0.0.5:*");
  EXPECT_TRUE(w->find("b")->network.empty()) << "no grant unless the workflow gives one";
}

TEST(WorkflowNetworkTest, BadGrantsNameTheFunctionAndTheEntry) {
  for (const char* entry : {"tcp:localhost:80", "tcp:127.0.0.1:0", "udp:127.0.0.1:53",
                            "tcp:[::1]:80", "tcp:10.0.0.5", "tcp:10.0.0.256:1", "*"}) {
    auto w = parse(std::string(R"({"functions": {"fetch": {"wasm": "a", "network": [")") + entry +
                   R"("]}}})");
    ASSERT_FALSE(w.has_value()) << entry;
    EXPECT_EQ(w.error().code, Errc::kMalformedConfig);
    EXPECT_NE(w.error().message().find("function 'fetch': 'network': '" + std::string(entry) + "'"),
              std::string::npos)
        << w.error().message();
  }
  for (const char* network : {R"("tcp:127.0.0.1:80")", "[1]", R"({"tcp": 80})"}) {
    auto w = parse(std::string(R"({"functions": {"fetch": {"wasm": "a", "network": )") + network +
                   "}}}");
    ASSERT_FALSE(w.has_value()) << network;
    EXPECT_NE(w.error().message().find("'network' must be a list of strings"), std::string::npos)
        << w.error().message();
  }
}

TEST(WorkflowOrderTest, FunctionsKeepTheirDeclarationOrder) {
  auto w = parseWorkflow(R"({"functions": {"zeta": {"wasm": "z"}, "alpha": {"wasm": "a"}}})", "");
  ASSERT_TRUE(w.has_value()) << w.error().message();
  EXPECT_EQ(w->functions[0].name, "zeta");
  EXPECT_EQ(w->functions[1].name, "alpha");
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

TEST(WorkflowAddressTest, AddressBelongsToNetworkEdges) {
  auto ok =
      parseWorkflow(R"({"secret_file": "s", "functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}},
      "edges": [{"from": "a", "to": "b", "mode": "network", "address": "tcp:10.0.0.2:7000"}]})",
                    "/base");
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->edges[0].address, "tcp:10.0.0.2:7000");
  EXPECT_EQ(ok->secret_file, "/base/s");
  auto bad = parseWorkflow(R"({"functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}},
      "edges": [{"from": "a", "to": "b", "mode": "kernel", "address": "tcp:10.0.0.2:7000"}]})",
                           "/base");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("belongs to network edges"), std::string::npos);
  auto kernel = parseWorkflow(R"({"functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}},
      "edges": [{"from": "a", "to": "b", "mode": "kernel", "address": "unix:/run/b.sock"}]})",
                              "/base");
  ASSERT_TRUE(kernel.has_value()) << kernel.error().message();
  EXPECT_EQ(kernel->edges[0].address, "unix:/run/b.sock");
  auto unix_on_network = parseWorkflow(R"({"functions": {"a": {"wasm": "a"}, "b": {"wasm": "b"}},
      "edges": [{"from": "a", "to": "b", "mode": "network", "address": "unix:/run/b.sock"}]})",
                                       "/base");
  EXPECT_FALSE(unix_on_network.has_value());
}

Workflow edges(std::vector<EdgeSpec> e) {
  return Workflow{.functions = {{.name = "a", .wasm = "a"},
                                {.name = "b", .wasm = "b"},
                                {.name = "c", .wasm = "c"}},
                  .edges = std::move(e)};
}

std::string planError(const Workflow& w) {
  auto p = plan(w);
  return p ? "" : p.error().message();
}

TEST(PlanTest, DecidesWhereEachReceiverRuns) {
  auto p = plan(edges(
      {{.from = "a", .to = "b", .mode = EdgeMode::kKernel},
       {.from = "a", .to = "c", .mode = EdgeMode::kNetwork, .address = "tcp:10.0.0.2:7000"}}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_FALSE(p->receive_modes.contains("a"));
  EXPECT_EQ(p->receive_modes.at("b"), EdgeMode::kKernel);
  EXPECT_TRUE(p->served("b"));
  EXPECT_FALSE(p->remote("b"));
  EXPECT_TRUE(p->remote("c"));
  EXPECT_FALSE(p->served("c"));
  EXPECT_EQ(p->remote_address.at("c"), "tcp:10.0.0.2:7000");
  EXPECT_FALSE(plan(edges({{.from = "a", .to = "b"}}))->served("b"));
}

TEST(PlanTest, RefusesWhatNoRunnerCanStart) {
  EXPECT_NE(planError(edges({{.from = "a", .to = "c", .mode = EdgeMode::kKernel},
                             {.from = "b", .to = "c"}}))
                .find("edges of different modes"),
            std::string::npos);
  EXPECT_NE(planError(edges({{.from = "a", .to = "b", .mode = EdgeMode::kKernel},
                             {.from = "b", .to = "c"}}))
                .find("must be 'kernel' or 'network'"),
            std::string::npos);
  EXPECT_NE(
      planError(edges({{.from = "a", .to = "c", .mode = EdgeMode::kNetwork, .address = "tcp:h:1"},
                       {.from = "b", .to = "c", .mode = EdgeMode::kNetwork, .address = "tcp:h:2"}}))
          .find("is given two addresses"),
      std::string::npos);
  EXPECT_NE(
      planError(edges({{.from = "a", .to = "c", .mode = EdgeMode::kNetwork, .address = "tcp:h:1"},
                       {.from = "b", .to = "c", .mode = EdgeMode::kNetwork}}))
          .find("give this edge that address too"),
      std::string::npos);
  EXPECT_NE(
      planError(edges({{.from = "a", .to = "b", .mode = EdgeMode::kKernel},
                       {.from = "b", .to = "c", .mode = EdgeMode::kNetwork, .address = "tcp:h:1"}}))
          .find("cannot reach a remote receiver"),
      std::string::npos);
  EXPECT_NE(
      planError(edges({{.from = "a", .to = "b", .mode = EdgeMode::kNetwork, .address = "tcp:h:1"},
                       {.from = "b", .to = "c", .mode = EdgeMode::kNetwork}}))
          .find("runs elsewhere"),
      std::string::npos);
}

}  // namespace
}  // namespace rr::runtime
