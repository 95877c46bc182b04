#include "roadrunner/base/net_grant.h"

#include <gtest/gtest.h>

namespace rr {
namespace {

TEST(NetGrantTest, ParsesAnAddressWithAPortOrAnyPort) {
  const auto one = parseNetGrant("tcp:127.0.0.1:8080");
  ASSERT_TRUE(one.has_value()) << one.error().message();
  EXPECT_EQ(one->ip, (std::array<std::uint8_t, 4>{127, 0, 0, 1}));
  EXPECT_EQ(one->port, 8080);
  EXPECT_EQ(one->str(), "tcp:127.0.0.1:8080");

  const auto any = parseNetGrant("tcp:10.0.0.5:*");
  ASSERT_TRUE(any.has_value()) << any.error().message();
  EXPECT_FALSE(any->port.has_value());
  EXPECT_EQ(any->str(), "tcp:10.0.0.5:*");
  EXPECT_EQ(parseNetGrant("tcp:255.255.255.255:65535")->str(), "tcp:255.255.255.255:65535");
  EXPECT_EQ(parseNetGrant("tcp:0.0.0.0:1")->str(), "tcp:0.0.0.0:1");
}

TEST(NetGrantTest, RefusesWhatIsNotAnIpv4LiteralAndAPort) {
  for (const char* text : {"",
                           "tcp:",
                           "127.0.0.1:80",
                           "udp:127.0.0.1:80",
                           "tcp:localhost:80",
                           "tcp:127.0.0.1",
                           "tcp:127.0.0.1:",
                           "tcp:127.0.0.1:0",
                           "tcp:127.0.0.1:65536",
                           "tcp:127.0.0.1:080",
                           "tcp:127.0.0.1:-1",
                           "tcp:127.0.0.1:8o",
                           "tcp:127.0.0.1:**",
                           "tcp:256.0.0.1:80",
                           "tcp:127.0.0:80",
                           "tcp:127.0.0.1.1:80",
                           "tcp:127..0.1:80",
                           "tcp:127.0.0.01:80",
                           "tcp:[::1]:80",
                           "tcp:::1:80",
                           "tcp:*:80",
                           "tcp: 127.0.0.1:80",
                           "tcp:127.0.0.1:80 "}) {
    const auto grant = parseNetGrant(text);
    ASSERT_FALSE(grant.has_value()) << text;
    EXPECT_EQ(grant.error().code, Errc::kInvalidArgument);
    EXPECT_NE(grant.error().message().find(std::string("'") + text + "'"), std::string::npos)
        << grant.error().message();
  }
}

TEST(NetGrantTest, AllowsOnlyItsAddressAndPort) {
  const std::array<NetGrant, 2> grants = {*parseNetGrant("tcp:127.0.0.1:8080"),
                                          *parseNetGrant("tcp:10.0.0.5:*")};
  EXPECT_TRUE(netGrantsAllow(grants, {127, 0, 0, 1}, 8080));
  EXPECT_FALSE(netGrantsAllow(grants, {127, 0, 0, 1}, 8081));
  EXPECT_FALSE(netGrantsAllow(grants, {127, 0, 0, 2}, 8080));
  EXPECT_TRUE(netGrantsAllow(grants, {10, 0, 0, 5}, 0));
  EXPECT_TRUE(netGrantsAllow(grants, {10, 0, 0, 5}, 65535));
  EXPECT_FALSE(netGrantsAllow(grants, {5, 0, 0, 10}, 443));
  EXPECT_FALSE(netGrantsAllow({}, {127, 0, 0, 1}, 8080));
}

}  // namespace
}  // namespace rr
