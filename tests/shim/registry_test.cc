#include "roadrunner/shim/registry.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/sys/socket.h"

#include "../testing/subprocess.h"

namespace rr::shim {
namespace {

bool alive(const std::string& path) { return sys::connectUnix(path).has_value(); }

TEST(Registry, AddLookupRemove) {
  const rr::testing::TempDir dir;
  const Registry registry(dir.path(), "ns1", alive);
  EXPECT_EQ(registry.entryPath("sink"), dir.path() + "/registry/ns1/sink");
  EXPECT_EQ(registry.socketPath("sink"), dir.path() + "/sockets/ns1/sink.sock");
  auto missing = registry.lookup("sink");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(registry.add("sink", {.address = "tcp:10.0.0.2:7000", .owner = "c1"}));
  auto found = registry.lookup("sink");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->address, "tcp:10.0.0.2:7000");
  EXPECT_EQ((*found)->owner, "c1");
  // Another namespace is another registry.
  EXPECT_FALSE(Registry(dir.path(), "ns2", alive).lookup("sink")->has_value());
  // A live entry of another owner is kept (tcp cannot be probed, so it counts as live).
  auto clash = registry.add("sink", {.address = "tcp:10.0.0.3:7000", .owner = "c2"});
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, std::errc::file_exists);
  // Only the owner removes it.
  ASSERT_TRUE(registry.remove("sink", "c2"));
  EXPECT_TRUE(registry.lookup("sink")->has_value());
  ASSERT_TRUE(registry.remove("sink", "c1"));
  EXPECT_FALSE(registry.lookup("sink")->has_value());
  EXPECT_TRUE(registry.remove("sink", "c1"));  // gone already: fine
}

TEST(Registry, StaleUnixEntryIsReplaced) {
  const rr::testing::TempDir dir;
  const Registry registry(dir.path(), "ns", alive);
  const std::string socket = dir.path() + "/dead.sock";
  ASSERT_TRUE(registry.add("sink", {.address = "unix:" + socket, .owner = "old"}));
  // Nothing listens on the socket: a new owner takes the name over.
  ASSERT_TRUE(registry.add("sink", {.address = "unix:" + socket, .owner = "new"}));
  EXPECT_EQ((*registry.lookup("sink"))->owner, "new");
  // A live socket keeps its owner.
  const auto listener = sys::listenUnix(socket);
  ASSERT_TRUE(listener) << listener.error().message();
  EXPECT_FALSE(registry.add("sink", {.address = "unix:" + socket, .owner = "third"}));
}

TEST(Registry, EmptyEntryIsAnError) {
  const rr::testing::TempDir dir;
  const Registry registry(dir.path(), "ns", alive);
  std::filesystem::create_directories(dir.path() + "/registry/ns");
  rr::testing::writeText(registry.entryPath("x"), "");
  EXPECT_FALSE(registry.lookup("x"));
}

}  // namespace
}  // namespace rr::shim
