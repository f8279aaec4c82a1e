#include "libnas/util/strings.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"
#include "libnas/util/process.h"
#include "libnas/util/progress.h"

namespace nas {
namespace {

TEST(Strings, StrictNumbers) {
  EXPECT_EQ(parse_int(" 42 ", "n"), 42);
  EXPECT_EQ(parse_int("-3", "n"), -3);
  EXPECT_THROW(parse_int("4x", "n"), Error);
  EXPECT_THROW(parse_int("", "n"), Error);
  EXPECT_THROW(parse_int("99999999999999999999999", "n"), Error);
  EXPECT_DOUBLE_EQ(parse_double("0.97", "acc"), 0.97);
  EXPECT_THROW(parse_double("3Q", "params"), Error);
}

TEST(Strings, Ranges) {
  EXPECT_EQ(parse_int_range("0:3", "seeds"), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(parse_int_range("5", "seeds"), (std::vector<int64_t>{5}));
  EXPECT_EQ(parse_int_range("1,4", "seeds"), (std::vector<int64_t>{1, 4}));
  EXPECT_THROW(parse_int_range("3:3", "seeds"), Error);
  EXPECT_THROW(parse_int_range("a:b", "seeds"), Error);
}

TEST(Strings, SplitTrimJoin) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split_any(" a, b ,c ", ", "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_EQ(join({"a", "b"}, "-"), "a-b");
}

TEST(Progress, DurationsReadable) {
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

TEST(Strings, ShellQuoteReadsBackAsOneWord) {
  EXPECT_EQ(shell_quote("nb201-cifar10"), "nb201-cifar10");
  EXPECT_EQ(shell_quote("runs/a.yaml"), "runs/a.yaml");
  const std::string sh = find_program("sh");
  ASSERT_FALSE(sh.empty());
  for (const std::string word : {"|nor_conv_3x3~0|+|none~0|", "it's $HOME `x` \\ \"q\"", "a b;c&d", ""}) {
    const ProgramOutput r = run_program(sh, {"-c", "printf %s " + shell_quote(word)});
    EXPECT_EQ(r.out, word) << shell_quote(word);
  }
}

}  // namespace
}  // namespace nas
