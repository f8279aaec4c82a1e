#include "libnas/util/run_dir.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "test_util.h"

namespace nas {
namespace {

TEST(RunDir, RefusesNonEmptyWithoutResumeOrOverwrite) {
  test::TempDir tmp;
  std::string out = tmp.file("run");
  {
    RunDir d("tool", out, false);
    write_file_atomic(d.file("history.jsonl"), "x\n");
  }
  EXPECT_THROW(RunDir("tool", out, false), Error);
  RunDir resumed("tool", out, true);
  EXPECT_TRUE(resumed.resumed());
  EXPECT_TRUE(file_exists(resumed.file("history.jsonl")));
  RunDir fresh("tool", out, false, true);
  EXPECT_FALSE(file_exists(fresh.file("history.jsonl")));
}

TEST(RunDir, ResumeOfMissingDirIsError) {
  test::TempDir tmp;
  EXPECT_THROW(RunDir("tool", tmp.file("nope"), true), Error);
  EXPECT_THROW(RunDir("tool", "", true), Error);
}

TEST(FileIo, AtomicWriteReplacesWholeFile) {
  test::TempDir tmp;
  std::string p = tmp.file("a/b/c.txt");
  write_file_atomic(p, "first");
  write_file_atomic(p, "second");
  EXPECT_EQ(read_file(p), "second");
  EXPECT_THROW(read_file(tmp.file("missing"), "run X to make it"), Error);
  try {
    read_file(tmp.file("missing"), "run X to make it");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run X to make it"), std::string::npos);
  }
}

}  // namespace
}  // namespace nas
