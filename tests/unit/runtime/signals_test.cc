// Stop signals only set the flag (the process keeps running), the first signal wins, a second
// one ends the process, handlers are restored afterwards, and run.stop_signals is parsed
// strictly.
#include <gtest/gtest.h>

#include <csignal>

#include "common/error.h"
#include "runtime/signals.h"

namespace dpt::runtime {
namespace {

TEST(StopSignals, ParsesNamesNumbersAndNone) {
  EXPECT_EQ(parse_stop_signals("TERM,USR1,USR2"), (std::vector<int>{SIGTERM, SIGUSR1, SIGUSR2}));
  EXPECT_EQ(parse_stop_signals(" sigusr1 , Term ,USR1"), (std::vector<int>{SIGUSR1, SIGTERM}));
  EXPECT_EQ(parse_stop_signals(std::to_string(SIGUSR2)), (std::vector<int>{SIGUSR2}));
  EXPECT_TRUE(parse_stop_signals("none").empty());
  EXPECT_TRUE(parse_stop_signals("").empty());
  EXPECT_EQ(signal_name(SIGUSR1), "USR1");
}

TEST(StopSignals, RejectsSignalsThatCannotMeanStop) {
  for (const char* bad : {"KILL", "STOP", "SEGV", "CONT", "9", "USR3", "TERM,,USR1"}) {
    try {
      parse_stop_signals(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("run.stop_signals"), std::string::npos) << e.what();
    }
  }
}

TEST(StopSignals, SignalOnlySetsTheFlagAndTheFirstWins) {
  clear_stop_request();
  {
    StopSignalHandler handler(parse_stop_signals("USR1,USR2"));
    EXPECT_FALSE(stop_requested());
    ASSERT_EQ(std::raise(SIGUSR2), 0);  // default action would end this test program
    EXPECT_EQ(pending_stop_signal(), SIGUSR2);
    request_stop(SIGTERM);
    EXPECT_EQ(pending_stop_signal(), SIGUSR2);
    clear_stop_request();
    EXPECT_FALSE(stop_requested());
    EXPECT_THROW(StopSignalHandler second({SIGTERM}), InternalError);
  }
  // The previous (default) disposition is back.
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGUSR1, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
  StopSignalHandler again({SIGTERM});  // and a new handler may be installed
}

TEST(StopSignalsDeathTest, SecondSignalEndsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        clear_stop_request();
        StopSignalHandler handler({SIGUSR1});
        std::raise(SIGUSR1);
        if (pending_stop_signal() != SIGUSR1) std::_Exit(3);
        std::raise(SIGUSR1);
        std::_Exit(4);  // not reached: the second signal has its default action
      },
      ::testing::KilledBySignal(SIGUSR1), "received SIGUSR1 again");
}

}  // namespace
}  // namespace dpt::runtime
