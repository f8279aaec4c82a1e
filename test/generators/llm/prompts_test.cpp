#include "generators/llm/prompts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "libnas/util/error.h"

namespace nas::llm {
namespace {

std::string error_of(const std::string& text, const std::string& space_name = "macro") {
  auto space = make_space(space_name);
  try {
    PromptTemplate::parse(text, "my.prompt", *space, "val_acc");
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  return "";
}

// The smallest valid fresh template; `extra` is appended.
std::string fresh(const std::string& extra = "") {
  return "protocol: fresh\n[system]\nS\n[task]\nT {{length}}\n[history_header]\nH\n"
         "[history_line]\n{{arch_list}} -> {{accuracy}}\n[history_footer]\nF\n[suffix]\nX\n"
         "[invalid]\nI {{error}}\n[repeated]\nR {{arch}} {{accuracy}}\n" +
         extra;
}

TEST(PromptRounding, HalfUpAtTheGivenDecimals) {
  EXPECT_EQ(round_half_up(91.445, 2), "91.45");  // binary 91.44499..., rounded as written
  EXPECT_EQ(round_half_up(91.4449, 2), "91.44");
  EXPECT_EQ(round_half_up(90.0, 2), "90.00");
  EXPECT_EQ(round_half_up(89.9996, 3), "90.000");
  EXPECT_EQ(round_half_up(91.6066666, 3), "91.607");
  EXPECT_EQ(round_half_up(99.995, 2), "100.00");
  EXPECT_EQ(round_half_up(7.5, 0), "8");
  EXPECT_EQ(round_half_up(-1.005, 2), "-1.01");
  EXPECT_THROW(round_half_up(std::nan(""), 2), Error);
}

TEST(PromptTemplates, ShippedOnesLoadForEverySpace) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"macro", "genius_macro"},
      {"channel-resnet", "genius_channel_resnet"},
      {"channel-mobilenet", "genius_channel_mobilenet"},
      {"nb201", "genius_nb201"},
      {"nb101", "generic"},
      {"nao", "generic"},
      {"nao-11", "generic"},
      {"darts", "generic"},
      {"nag", "generic"}};
  for (const auto& [space_name, name] : cases) {
    auto space = make_space(space_name);
    EXPECT_EQ(PromptTemplate::shipped_name(*space), name) << space_name;
    PromptTemplate t = PromptTemplate::load("", *space, "val_acc");
    EXPECT_EQ(t.protocol(), name == "genius_nb201" ? Protocol::Chat : Protocol::Fresh);
    // The opening names an example of the space's text form (generic) or its list length.
    auto msgs = t.opening({});
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].role, "system");
    EXPECT_EQ(msgs[1].role, "user");
    EXPECT_EQ(msgs[1].content.find("{{"), std::string::npos) << space_name;
  }
}

TEST(PromptTemplates, FreshOpeningHoldsTaskHistoryInTrialOrderAndSuffix) {
  auto space = make_space("macro");
  PromptTemplate t = PromptTemplate::parse(fresh("[history_line_missing]\n{{arch}} none\n"),
                                           "my.prompt", *space, "val_acc");
  std::vector<HistoryEntry> h{{space->parse("22222222"), 92.125},
                              {space->parse("01201201"), std::nan("")},
                              {space->parse("11111111"), 91.004999}};
  auto msgs = t.opening(h);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].content, "S");
  EXPECT_EQ(msgs[1].content,
            "T 8\n\nH\n[2, 2, 2, 2, 2, 2, 2, 2] -> 92.13\n01201201 none\n"
            "[1, 1, 1, 1, 1, 1, 1, 1] -> 91.00\nF\n\nX");
  // Step 0: no history block at all.
  EXPECT_EQ(t.opening({})[1].content, "T 8\n\nX");
  EXPECT_EQ(t.invalid("expected 8 digits"), "I expected 8 digits");
  EXPECT_EQ(t.repeated(h[0]), "R 22222222 92.13");
  EXPECT_THROW(t.feedback(h[0]), Error);
}

TEST(PromptTemplates, ChatProtocolReportsEachResult) {
  auto space = make_space("nb201");
  PromptTemplate t = PromptTemplate::parse(
      "protocol: chat\ndecimals: 3\n[system]\nS\n[task]\nT\n[feedback]\ngot {{accuracy}}%\n"
      "[invalid]\nI\n[repeated]\nR\n",
      "my.prompt", *space, "val_acc");
  EXPECT_EQ(t.opening({}).size(), 2u);
  HistoryEntry e{space->parse("333333"), 91.60666};
  EXPECT_EQ(t.feedback(e), "got 91.607%");
  // Without a feedback_missing section the default says why there is no accuracy.
  EXPECT_NE(t.feedback({e.arch, std::nan("")}).find("constraint"), std::string::npos);
  EXPECT_THROW(t.opening({e}), Error);
}

TEST(PromptTemplates, BadTemplatesAreOneLineErrorsNamingFileAndLine) {
  EXPECT_NE(error_of(fresh("[feedback]\n{{accuracy}}\n")).find("belongs to the chat protocol"),
            std::string::npos);
  const std::string unknown = error_of(fresh("[repeated_missing]\n{{acuracy}}\n"));
  EXPECT_NE(unknown.find("my.prompt:19"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("{{acuracy}}"), std::string::npos) << unknown;
  // {{error}} belongs to [invalid] only.
  EXPECT_NE(error_of(fresh("[repeated_missing]\n{{error}}\n")).find("unknown placeholder"),
            std::string::npos);
  EXPECT_NE(error_of(fresh("[prologue]\nx\n")).find("unknown section [prologue]"),
            std::string::npos);
  EXPECT_NE(error_of(fresh("[system]\nagain\n")).find("appears twice"), std::string::npos);
  EXPECT_NE(error_of("[system]\nS\n").find("no 'protocol: fresh|chat'"), std::string::npos);
  EXPECT_NE(error_of("protocol: sometimes\n").find("expected fresh or chat"), std::string::npos);
  EXPECT_NE(error_of("protocol: fresh\ncolour: red\n").find("unknown header 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of("protocol: fresh\n[system]\nS\n").find("needs a [task] section"),
            std::string::npos);
  EXPECT_NE(error_of(fresh("[repeated_missing]\n{{arch\n")).find("without a closing"),
            std::string::npos);
  // A space without a list form has no {{arch_list}}.
  EXPECT_NE(error_of(fresh(), "darts").find("has no list form"), std::string::npos);
  for (const std::string& e : {error_of(fresh("[prologue]\n")), error_of("protocol: fresh\n")})
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(PromptTemplates, ReadsAUserFileAndNamesAMissingOne) {
  auto space = make_space("macro");
  const std::string path = testing::TempDir() + "/llm_prompt_test.prompt";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    const std::string text = fresh();
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(PromptTemplate::load(path, *space, "val_acc").origin(), path);
  EXPECT_THROW(PromptTemplate::load(path + ".missing", *space, "val_acc"), Error);
}

}  // namespace
}  // namespace nas::llm
