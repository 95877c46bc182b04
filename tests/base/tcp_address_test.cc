#include "roadrunner/base/tcp_address.h"

#include <string>
#include <vector>

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

TEST(DnsAddressTest, ParsesAServiceName) {
  auto a = parseDnsAddress("dns:counter.default.svc.cluster.local:7000");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "counter.default.svc.cluster.local");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(parseDnsAddress("dns:a-b:1")->host, "a-b");
}

TEST(DnsAddressTest, RefusesWhatIsNotANameAndAPort) {
  const std::string too_long(254, 'a');
  for (const std::string& text : std::vector<std::string>{
           "", "dns:", "dns:h", "dns:h:0", "dns::80", "dns:.h:80", "dns:-h:80", "dns:h_x:80",
           "dns:h x:80", "dns:h/x:80", "tcp:h:80", "dns:h:65536", "dns:" + too_long + ":80"}) {
    EXPECT_FALSE(parseDnsAddress(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace rr
