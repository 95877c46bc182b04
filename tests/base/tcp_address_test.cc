#include "roadrunner/base/tcp_address.h"

#include <gtest/gtest.h>

namespace rr {
namespace {

TEST(TcpAddressTest, SplitsHostAndPortAsWritten) {
  const auto a = parseTcpAddress("tcp:10.0.0.2:7000");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "10.0.0.2");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(parseTcpAddress("tcp:localhost:1")->host, "localhost");
  EXPECT_EQ(parseTcpAddress("tcp:h:65535")->port, 65535);
  EXPECT_EQ(parseTcpAddress("tcp:h:0")->port, 0);
  EXPECT_EQ(parseTcpAddress("tcp:h:08080")->port, 8080);
  EXPECT_EQ(parseTcpAddress("tcp:::1:80")->host, "::1");  // the last ':' ends the host
}

TEST(TcpAddressTest, RefusesWhatIsNotTcpHostPort) {
  for (const char* text : {"", "tcp:", "tcp:h", "tcp:h:", "tcp::80", "unix:/x.sock", "h:80",
                           "tcp:h:65536", "tcp:h:99999", "tcp:h:-1", "tcp:h:-0", "tcp:h:+1",
                           "tcp:h:8o", "tcp:h:80 ", "tcp:h: 80", "TCP:h:80"}) {
    EXPECT_FALSE(parseTcpAddress(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace rr
