// The main() of every test binary. The logger is set up before any test starts a thread, as the
// roadrunner executable's main() does: spdlog makes its default logger lazily, and two threads
// that log first at the same time would race to make it.

#include <gtest/gtest.h>

#include "roadrunner/base/log.h"

int main(int argc, char** argv) {
  rr::log::init();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
