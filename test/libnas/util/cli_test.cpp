#include "libnas/util/cli.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"

namespace nas {
namespace {

int run(Tool& tool, std::vector<std::string> args, const std::function<int()>& body) {
  std::vector<char*> argv;
  static std::string name = "tool";
  argv.push_back(name.data());
  for (auto& a : args) argv.push_back(a.data());
  return tool.run(static_cast<int>(argv.size()), argv.data(), body);
}

TEST(Tool, InputErrorsExitTwoRuntimeErrorsExitOne) {
  Tool a("t", "test");
  EXPECT_EQ(run(a, {}, [] { fail("bad arch {}", 1); return 0; }), 2);
  Tool b("t", "test");
  EXPECT_EQ(run(b, {}, [] { fail_runtime("disk full"); return 0; }), 1);
  Tool c("t", "test");
  EXPECT_EQ(run(c, {}, [] { return 0; }), 0);
}

TEST(Tool, UnknownFlagIsUsageErrorAndBodyNotRun) {
  Tool t("t", "test");
  bool ran = false;
  testing::internal::CaptureStderr();
  int rc = run(t, {"--no-such-flag"}, [&] { ran = true; return 0; });
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
  EXPECT_FALSE(ran);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(Tool, LibTorchErrorBecomesOneLine) {
  Tool t("t", "test");
  testing::internal::CaptureStderr();
  int rc = run(t, {}, [] {
    auto x = torch::zeros({2, 3});
    auto y = torch::zeros({4, 5});
    (void)torch::matmul(x, y);
    return 0;
  });
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(Tool, CommonOptionsLoadConfigWithOverrides) {
  Tool t("t", "test");
  CommonOptions o;
  t.add_common(o);
  int rc = run(t, {"--set", "a.b=3", "--set", "c=x", "--seed", "7"}, [&] {
    YAML::Node n = o.load_config();
    EXPECT_EQ(n["a"]["b"].as<int>(), 3);
    EXPECT_EQ(n["c"].as<std::string>(), "x");
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(o.seed, 7);
}

TEST(Tool, MissingConfigFileIsInputError) {
  Tool t("t", "test");
  CommonOptions o;
  t.add_common(o);
  testing::internal::CaptureStderr();
  int rc = run(t, {"--config", "/nonexistent/cfg.yaml"}, [&] {
    o.load_config();
    return 0;
  });
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("cfg.yaml"), std::string::npos);
}

}  // namespace
}  // namespace nas
