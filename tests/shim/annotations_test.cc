#include "roadrunner/shim/annotations.h"

#include <gtest/gtest.h>

namespace rr::shim {
namespace {

using Map = std::map<std::string, std::string>;

TEST(Annotations, DefaultsToAPlainFunction) {
  auto w = parseWiring({{"io.kubernetes.cri.container-name", "x"}}, "hello");
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_FALSE(w->receiver);
  EXPECT_EQ(w->name, "hello");
  EXPECT_TRUE(w->targets.empty());
  EXPECT_FALSE(w->interpreter);
}

TEST(Annotations, Receiver) {
  auto w = parseWiring({{"roadrunner.io/role", "receiver"},
                        {"roadrunner.io/name", "sink"},
                        {"roadrunner.io/listen", "tcp:0.0.0.0:7000"},
                        {"roadrunner.io/secret-file", "/secrets/rr"}},
                       "c1");
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_TRUE(w->receiver);
  EXPECT_EQ(w->name, "sink");
  EXPECT_EQ(w->listen, "tcp:0.0.0.0:7000");
  EXPECT_EQ(w->secret_file, "/secrets/rr");
}

TEST(Annotations, Targets) {
  auto w = parseWiring({{"roadrunner.io/targets", "sink, counter=tcp:10.0.0.2:7000 ,log"},
                        {"roadrunner.io/interpreter", "true"}},
                       "producer");
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_EQ(w->targets.size(), 3u);
  EXPECT_EQ(w->targets[0].name, "sink");
  EXPECT_EQ(w->targets[0].address, "");
  EXPECT_EQ(w->targets[1].name, "counter");
  EXPECT_EQ(w->targets[1].address, "tcp:10.0.0.2:7000");
  EXPECT_EQ(w->targets[2].name, "log");
  EXPECT_TRUE(w->interpreter);
  auto service = parseWiring(
      {{"roadrunner.io/targets", "counter=dns:counter.default.svc.cluster.local:7000"}}, "p");
  ASSERT_TRUE(service) << service.error().message();
  EXPECT_EQ(service->targets[0].address, "dns:counter.default.svc.cluster.local:7000");
}

TEST(Annotations, AllowNetListsGrants) {
  EXPECT_TRUE(parseWiring({}, "fn")->allow_net.empty()) << "no grant unless one is given";
  auto w = parseWiring({{"roadrunner.io/allow-net", "tcp:10.0.0.5:443, tcp:127.0.0.1:*"}}, "fn");
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->allow_net, (std::vector<std::string>{"tcp:10.0.0.5:443", "tcp:127.0.0.1:*"}));
}

TEST(Annotations, MetricsGoToAReceiverOrAFunctionWithTargets) {
  auto r = parseWiring(
      {{"roadrunner.io/role", "receiver"}, {"roadrunner.io/metrics", "tcp:0.0.0.0:9464"}}, "fn");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->metrics, "tcp:0.0.0.0:9464");
  auto s = parseWiring(
      {{"roadrunner.io/targets", "sink"}, {"roadrunner.io/metrics", "tcp:127.0.0.1:9465"}}, "fn");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->metrics, "tcp:127.0.0.1:9465");
  EXPECT_TRUE(parseWiring({}, "fn")->metrics.empty());
  auto t = parseWiring(
      {{"roadrunner.io/role", "receiver"}, {"roadrunner.io/traces", "http://10.0.0.5:4318"}}, "fn");
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_EQ(t->traces, "http://10.0.0.5:4318");
}

TEST(Annotations, MalformedValuesNameTheAnnotation) {
  const std::vector<std::pair<Map, std::string>> cases = {
      {{{"roadrunner.io/role", "server"}}, "roadrunner.io/role"},
      {{{"roadrunner.io/name", "has space"}}, "roadrunner.io/name"},
      {{{"roadrunner.io/name", ""}}, "roadrunner.io/name"},
      {{{"roadrunner.io/role", "receiver"}, {"roadrunner.io/listen", "udp:1"}},
       "roadrunner.io/listen"},
      {{{"roadrunner.io/role", "receiver"}, {"roadrunner.io/listen", "tcp:host:99999"}},
       "roadrunner.io/listen"},
      {{{"roadrunner.io/listen", "unix"}}, "only a receiver"},
      {{{"roadrunner.io/targets", ""}}, "roadrunner.io/targets"},
      {{{"roadrunner.io/targets", "a,,b"}}, "roadrunner.io/targets"},
      {{{"roadrunner.io/targets", "a,a"}}, "listed twice"},
      {{{"roadrunner.io/targets", "a=unix:/x.sock"}}, "neither tcp:HOST:PORT nor dns:NAME:PORT"},
      {{{"roadrunner.io/targets", "a=tcp:h:0"}}, "neither tcp:HOST:PORT nor dns:NAME:PORT"},
      {{{"roadrunner.io/targets", "a=dns:h:0"}}, "neither tcp:HOST:PORT nor dns:NAME:PORT"},
      {{{"roadrunner.io/targets", "a=dns:h_1:80"}}, "neither tcp:HOST:PORT nor dns:NAME:PORT"},
      {{{"roadrunner.io/targets", "me"}}, "cannot send to itself"},
      {{{"roadrunner.io/secret-file", "relative"}}, "roadrunner.io/secret-file"},
      {{{"roadrunner.io/interpreter", "yes"}}, "roadrunner.io/interpreter"},
      {{{"roadrunner.io/rol", "receiver"}}, "unknown key"},
      {{{"roadrunner.io/allow-net", "tcp:example.com:443"}}, "roadrunner.io/allow-net"},
      {{{"roadrunner.io/allow-net", "tcp:10.0.0.5:443,"}}, "roadrunner.io/allow-net"},
      {{{"roadrunner.io/allow-net", "10.0.0.5:443"}}, "'10.0.0.5:443' is not tcp:A.B.C.D:PORT"},
      {{{"roadrunner.io/role", "receiver"}, {"roadrunner.io/metrics", "unix:/m.sock"}},
       "roadrunner.io/metrics"},
      {{{"roadrunner.io/role", "receiver"}, {"roadrunner.io/metrics", "tcp:1.2.3.4:0"}},
       "roadrunner.io/metrics"},
      {{{"roadrunner.io/metrics", "tcp:1.2.3.4:9464"}}, "moves nothing to measure"},
      {{{"roadrunner.io/role", "receiver"}, {"roadrunner.io/traces", "10.0.0.5:4318"}},
       "roadrunner.io/traces"},
      {{{"roadrunner.io/role", "receiver"}, {"roadrunner.io/traces", "https://c:4318"}},
       "roadrunner.io/traces"},
      {{{"roadrunner.io/traces", "http://10.0.0.5:4318"}}, "moves nothing to trace"},
  };
  for (const auto& [annotations, needle] : cases) {
    auto w = parseWiring(annotations, "me");
    ASSERT_FALSE(w) << needle;
    EXPECT_EQ(w.error().code, Errc::kInvalidArgument);
    EXPECT_NE(w.error().message().find(needle), std::string::npos) << w.error().message();
  }
}

TEST(Annotations, ContainerIdThatIsNotANameNeedsOne) {
  auto w = parseWiring({}, "bad/id");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message().find("roadrunner.io/name"), std::string::npos);
  EXPECT_TRUE(parseWiring({{"roadrunner.io/name", "ok"}}, "bad/id"));
}

}  // namespace
}  // namespace rr::shim
