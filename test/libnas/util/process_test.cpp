#include "libnas/util/process.h"

#include <gtest/gtest.h>

namespace nas {
namespace {

TEST(Process, CapturesBothStreamsAndTheExitStatus) {
  const std::string sh = find_program("sh");
  ASSERT_FALSE(sh.empty());
  ProgramOutput r = run_program(sh, {"-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failure("sh"), "sh exited with status 3: err");
  // Far more than a pipe holds on both streams at once: read together, nothing blocks.
  r = run_program(sh, {"-c", "head -c 300000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2"});
  EXPECT_TRUE(r.ok()) << r.failure("sh");
  EXPECT_EQ(r.out.size(), 300000u);
  EXPECT_EQ(r.err.size(), 300000u);
  // Runs in the directory it is given; a signal reads as 128 + N.
  r = run_program(sh, {"-c", "pwd"}, "/");
  EXPECT_EQ(r.out, "/\n");
  r = run_program(sh, {"-c", "kill -9 $$"});
  EXPECT_EQ(r.status, 128 + 9);
  EXPECT_EQ(r.failure("sh"), "sh was killed by signal 9");
  EXPECT_EQ(find_program("no-such-program-nasgen"), "");
  EXPECT_EQ(run_program("/no/such/program", {}).status, 127);
}

}  // namespace
}  // namespace nas
