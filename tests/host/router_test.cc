// Router: routes, refusals, and whether a function's sends all stay in this process (which
// decides whether its shared buffers may be files of huge pages that never cross).

#include "roadrunner/host/router.h"

#include <gtest/gtest.h>

namespace rr::host {
namespace {

class TestEndpoint final : public Endpoint {
 public:
  explicit TestEndpoint(bool in_process) : in_process_(in_process) {}
  void deliverAsync(const Delivery& /*d*/, Completion& completion) override {
    completion.done({.status = Status::kOk});
  }
  [[nodiscard]] bool inProcess() const noexcept override { return in_process_; }

 private:
  bool in_process_;
};

TEST(RouterTest, RoutesOnlyAllowedEdgesToKnownNames) {
  TestEndpoint b(true);
  Router router;
  router.addEndpoint("b", &b);
  router.declare("elsewhere");
  router.allow("a", "b");
  const auto ok = router.route("a", "b");
  ASSERT_EQ(ok.status, Status::kOk);
  ASSERT_EQ(ok.endpoints->size(), 1U);
  EXPECT_EQ(ok.endpoints->front(), &b);
  EXPECT_EQ(router.route("b", "b").status, Status::kNotAllowed);
  EXPECT_EQ(router.route("a", "elsewhere").status, Status::kNotAllowed);
  EXPECT_EQ(router.route("a", "nobody").status, Status::kUnknownTarget);
}

// Every edge from the source counts, every member of a group too; an edge to a name with no
// endpoint here answers no; other sources' edges do not count.
TEST(RouterTest, SendsStayInProcessOnlyIfEveryEdgeAndMemberDoes) {
  TestEndpoint local1(true);
  TestEndpoint local2(true);
  TestEndpoint remote(false);
  Router router;
  router.addEndpoint("group", &local1);
  router.addEndpoint("group", &local2);
  router.addEndpoint("mixed", &local1);
  router.addEndpoint("mixed", &remote);
  router.addEndpoint("far", &remote);
  router.declare("declared");
  router.allow("a", "group");
  router.allow("b", "group");
  router.allow("b", "mixed");
  router.allow("c", "declared");
  router.allow("d", "far");
  router.allow("aa", "far");  // sorts right after "a": not one of a's edges
  EXPECT_TRUE(router.reachesOnlyThisProcess("a"));
  EXPECT_FALSE(router.reachesOnlyThisProcess("b")) << "one member of a group is remote";
  EXPECT_FALSE(router.reachesOnlyThisProcess("c")) << "an edge with no endpoint here";
  EXPECT_FALSE(router.reachesOnlyThisProcess("d"));
  EXPECT_TRUE(router.reachesOnlyThisProcess("nobody")) << "no edges: nothing crosses";
}

}  // namespace
}  // namespace rr::host
