// The LLM searcher against a scripted OpenAI-compatible endpoint: the prompts of each protocol
// pinned by golden files, bad replies answered by asking again or falling back, call and token
// limits, the transcript and its replay on resume. (A real model adds nothing these tests could
// check; the endpoint's failures are covered in chat_client_test.cpp.)
#include "generators/llm/llm_search.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "libnas/search/runner.h"
#include "libnas/util/file_io.h"
#include "libnas/util/rng.h"
#include "libnas/util/run_dir.h"
#include "libnas/util/strings.h"
#include "test/generators/llm/scripted_endpoint.h"
#include "test_util.h"

namespace nas::llm {
namespace {

using test::ScriptedEndpoint;
using test::TempDir;

// A made-up accuracy per architecture, from its text form (stable, spread over 85-95).
class FormulaEvaluator : public Evaluator {
 public:
  explicit FormulaEvaluator(std::shared_ptr<const SearchSpace> space) : space_(std::move(space)) {}
  std::vector<Metrics> evaluate(const std::vector<Arch>& archs) override {
    std::vector<Metrics> out;
    for (const Arch& a : archs) {
      const std::string s = space_->format(a);
      uint64_t h = 0;
      for (size_t i = 0; i < s.size(); ++i) h += (static_cast<unsigned char>(s[i]) * (i + 3)) % 17;
      Metrics m;
      m.val_acc = 85.0 + static_cast<double>((h * 7919) % 1000) / 100.0;
      out.push_back(m);
    }
    return out;
  }
  std::string describe() const override { return "formula"; }

 private:
  std::shared_ptr<const SearchSpace> space_;
};

YAML::Node llm_section(const ScriptedEndpoint& server, int64_t extra_retries = 1) {
  YAML::Node n;
  n["endpoint"] = server.url();
  n["api_key_env"] = "";
  n["model"] = "scripted";
  n["backoff"] = 0.01;
  n["retries"] = extra_retries;
  return n;
}

struct LlmRun {
  RunResult result;
  LlmSearch::Stats stats;
};

LlmRun run_llm(const std::string& space_name, ScriptedEndpoint& server, int64_t budget,
            YAML::Node section = {}, RunDir* dir = nullptr) {
  auto space = std::shared_ptr<const SearchSpace>(make_space(space_name));
  YAML::Node s = llm_section(server);
  for (auto kv : section) s[kv.first.as<std::string>()] = kv.second;
  auto strategy = std::make_unique<LlmSearch>(s, space, 0);
  LlmSearch* llm = strategy.get();
  RunConfig cfg;
  cfg.budget = budget;
  Runner runner(cfg, space, std::move(strategy), std::make_shared<FormulaEvaluator>(space), dir);
  runner.on_step([](int64_t, double) {});
  LlmRun r;
  r.result = runner.run();
  r.stats = llm->stats();
  return r;
}

std::vector<ChatMessage> messages_of(const std::string& body) {
  std::vector<ChatMessage> out;
  const Json request = Json::parse(body);
  for (const auto& m : request.at("messages"))
    out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  return out;
}

// Compares the messages of a request with test/generators/llm/golden/NAME.json; with
// NASGEN_UPDATE_GOLDEN set the file is written instead.
void expect_golden(const std::string& name, const std::string& body) {
  const std::string path =
      std::string(NASGEN_SOURCE_DIR) + "/test/generators/llm/golden/" + name + ".json";
  const Json got = Json::parse(body).at("messages");
  if (std::getenv("NASGEN_UPDATE_GOLDEN")) {
    write_file_atomic(path, got.dump(2) + "\n");
    return;
  }
  ASSERT_TRUE(file_exists(path)) << path << " missing: run with NASGEN_UPDATE_GOLDEN=1 once";
  EXPECT_EQ(got, Json::parse(read_file(path))) << name;
}

TEST(LlmSearch, MacroPromptsFollowTheFreshProtocol) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]"),
                           ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]"),
                           ScriptedEndpoint::reply("[1, 1, 1, 1, 1, 1, 1, 1]"),
                           ScriptedEndpoint::reply("[0, 1, 2, 1, 2, 1, 2, 1]")});
  LlmRun r = run_llm("macro", server, 4);
  ASSERT_EQ(r.result.trials.size(), 4u);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 4u);
  // Every step is a new two-message conversation; the history grows in trial order.
  for (size_t step = 0; step < 4; ++step) {
    auto m = messages_of(bodies[step]);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].role, "system");
    EXPECT_EQ(m[1].role, "user");
    EXPECT_EQ(m[1].content.find("Results measured so far") != std::string::npos, step > 0);
  }
  const std::string last = messages_of(bodies[3])[1].content;
  const size_t a = last.find("[1, 2, 0, 1, 2, 0, 1, 0] gives an accuracy of");
  const size_t b = last.find("[2, 2, 2, 2, 2, 2, 2, 2] gives an accuracy of");
  const size_t c = last.find("[1, 1, 1, 1, 1, 1, 1, 1] gives an accuracy of");
  ASSERT_NE(a, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  // Two decimals, as measured.
  const std::string acc = round_half_up(r.result.trials[0].objective, 2);
  EXPECT_NE(last.find("[1, 2, 0, 1, 2, 0, 1, 0] gives an accuracy of " + acc + "%"),
            std::string::npos);
  expect_golden("macro_step0", bodies[0]);
  expect_golden("macro_step3", bodies[3]);
  const Json req = Json::parse(bodies[0]);
  EXPECT_EQ(req.at("model"), "scripted");
  EXPECT_EQ(req.at("temperature"), 0.0);
}

TEST(LlmSearch, ChannelPromptsAskForWidthsAndReportThem) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("[64, 192, 128, 256, 512, 384, 256]"),
                           ScriptedEndpoint::reply("[256, 256, 256, 512, 512, 512, 512]"),
                           ScriptedEndpoint::reply("[128, 128, 128, 256, 256, 256, 256]"),
                           ScriptedEndpoint::reply("[192, 64, 64, 128, 384, 128, 512]")});
  LlmRun r = run_llm("channel-resnet", server, 4);
  ASSERT_EQ(r.result.trials.size(), 4u);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 4u);
  EXPECT_NE(messages_of(bodies[3])[1].content.find("[64, 192, 128, 256, 512, 384, 256] gives an "
                                                    "accuracy of"),
            std::string::npos);
  expect_golden("channel_resnet_step0", bodies[0]);
  expect_golden("channel_resnet_step3", bodies[3]);
}

TEST(LlmSearch, Nb201PromptsAreOneGrowingChat) {
  ScriptedEndpoint server(
      {ScriptedEndpoint::reply("Skip connections keep the gradient flowing. My design: [3, 3, 1, 2, 3, 1]"),
       ScriptedEndpoint::reply("More 3x3 convolutions help.\n\n[3, 3, 3, 3, 3, 1]"),
       ScriptedEndpoint::reply("Let me try pooling for once: [3, 4, 3, 1, 3, 2]"),
       ScriptedEndpoint::reply("[3, 3, 3, 1, 3, 3]")});
  LlmRun r = run_llm("nb201", server, 4);
  ASSERT_EQ(r.result.trials.size(), 4u);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 4u);
  // Call k holds the system and task messages, then k (reply, feedback) pairs.
  for (size_t k = 0; k < 4; ++k) {
    auto m = messages_of(bodies[k]);
    ASSERT_EQ(m.size(), 2 + 2 * k);
    for (size_t i = 0; i < k; ++i) {
      EXPECT_EQ(m[2 + 2 * i].role, "assistant");
      EXPECT_EQ(m[3 + 2 * i].role, "user");
      // The measured accuracy, three decimals.
      EXPECT_NE(m[3 + 2 * i].content.find(
                    "we achieved an accuracy of " + round_half_up(r.result.trials[i].objective, 3) + "%"),
                std::string::npos);
    }
  }
  EXPECT_EQ(messages_of(bodies[3])[2].content,
            "Skip connections keep the gradient flowing. My design: [3, 3, 1, 2, 3, 1]");
  expect_golden("nb201_step0", bodies[0]);
  expect_golden("nb201_step3", bodies[3]);
}

TEST(LlmSearch, SpacesWithoutAGeniusTemplateRunOnThePromptWrittenFromTheSpace) {
  for (const std::string name : {"nb101", "nao", "nao-11", "darts", "nag"}) {
    auto space = make_space(name);
    Rng rng(11);
    std::vector<Arch> archs;
    ScriptedEndpoint server;
    for (int i = 0; i < 3; ++i) {
      archs.push_back(space->sample(rng));
      server.add(ScriptedEndpoint::reply("Here is my proposal:\n" + space->format(archs.back()) +
                                         "\nIt should do well."));
    }
    LlmRun r = run_llm(name, server, 3);
    ASSERT_EQ(r.result.trials.size(), 3u) << name;
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r.result.trials[i].hash, space->hash(archs[i])) << name;
    EXPECT_EQ(r.stats.fallbacks, 0) << name;
    // The prompt describes the space and shows its text form; the history uses it too.
    auto m = messages_of(server.bodies()[2]);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_NE(m[1].content.find(space->description()), std::string::npos) << name;
    EXPECT_NE(m[1].content.find(space->format(archs[1]) + " gives val_acc " +
                                round_half_up(r.result.trials[1].objective, 2)),
              std::string::npos)
        << name << ": " << m[1].content;
  }
}

TEST(LlmSearch, BadRepliesAreAskedAgainThenAMutationOfTheBestIsProposed) {
  ScriptedEndpoint server({
      // Step 1: no list, then out-of-range ops, then a valid one.
      ScriptedEndpoint::reply("I would need more information."),
      ScriptedEndpoint::reply("[1, 2, 3, 0, 0, 0, 0, 0]"),
      ScriptedEndpoint::reply("```json\n[1, 2, 0, 1, 2, 0, 1, 0]\n```"),
      // Step 2: a repeat, then a new one.
      ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]"),
      ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]"),
      // Step 3: nothing usable in max_retries + 1 = 3 calls.
      ScriptedEndpoint::reply(""),
      ScriptedEndpoint::reply("[[["),
      ScriptedEndpoint::reply("[1, 2]"),
  });
  YAML::Node s;
  s["max_retries"] = 2;
  LlmRun r = run_llm("macro", server, 3, s);
  ASSERT_EQ(r.result.trials.size(), 3u);
  auto space = make_space("macro");
  EXPECT_EQ(space->format(r.result.trials[0].arch), "12012010");
  EXPECT_EQ(space->format(r.result.trials[1].arch), "22222222");
  // The fallback: one change away from the better of the two answers, and new.
  const size_t best = r.result.trials[0].objective > r.result.trials[1].objective ? 0 : 1;
  bool neighbour = false;
  for (const Arch& a : space->neighbors(r.result.trials[best].arch))
    neighbour |= space->hash(a) == r.result.trials[2].hash;
  EXPECT_TRUE(neighbour) << space->format(r.result.trials[2].arch);
  EXPECT_EQ(r.stats.invalid, 5);
  EXPECT_EQ(r.stats.repeats, 1);
  EXPECT_EQ(r.stats.fallbacks, 1);
  EXPECT_EQ(r.stats.calls, 8);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 8u);
  // The model is told what was wrong in the same conversation.
  auto second = messages_of(bodies[1]);
  ASSERT_EQ(second.size(), 4u);
  EXPECT_EQ(second[2].content, "I would need more information.");
  EXPECT_NE(second[3].content.find("could not be used"), std::string::npos);
  auto third = messages_of(bodies[2]);
  ASSERT_EQ(third.size(), 6u);
  // The parser's reason: op id 3 does not exist.
  EXPECT_NE(third[5].content.find("digit 3"), std::string::npos) << third[5].content;
  auto repeat = messages_of(bodies[4]);
  EXPECT_NE(repeat.back().content.find("[1, 2, 0, 1, 2, 0, 1, 0] was tried already: it gives an "
                                       "accuracy of " +
                                       round_half_up(r.result.trials[0].objective, 2) + "%"),
            std::string::npos)
      << repeat.back().content;
}

TEST(LlmSearch, CallAndTokenLimitsEndTheRun) {
  {
    ScriptedEndpoint server({ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]"),
                             ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]"),
                             ScriptedEndpoint::reply("[1, 1, 1, 1, 1, 1, 1, 1]")});
    YAML::Node s;
    s["max_calls"] = 2;
    LlmRun r = run_llm("macro", server, 5, s);
    EXPECT_EQ(r.result.trials.size(), 2u);
    EXPECT_EQ(r.result.stop, StopReason::Exhausted);
    EXPECT_EQ(server.request_count(), 2u);
  }
  {
    // 150 tokens a reply: the third call would start at 300 >= 250.
    ScriptedEndpoint server({ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]", 100, 50),
                             ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]", 100, 50),
                             ScriptedEndpoint::reply("[1, 1, 1, 1, 1, 1, 1, 1]", 100, 50)});
    YAML::Node s;
    s["max_tokens"] = 250;
    LlmRun r = run_llm("macro", server, 5, s);
    EXPECT_EQ(r.result.trials.size(), 2u);
    EXPECT_EQ(r.stats.tokens, 300);
  }
}

std::vector<ScriptedEndpoint::Entry> five_replies() {
  return {ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]", 10, 5),
          ScriptedEndpoint::reply("oops"),
          ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]", 10, 5),
          ScriptedEndpoint::reply("[1, 1, 1, 1, 1, 1, 1, 1]", 10, 5),
          ScriptedEndpoint::reply("[0, 1, 2, 1, 2, 1, 2, 1]", 10, 5),
          ScriptedEndpoint::reply("[2, 1, 2, 1, 2, 1, 2, 1]", 10, 5)};
}

TEST(LlmSearch, TranscriptRecordsEveryCallAndResumeReplaysIt) {
  ScriptedEndpoint whole(five_replies());
  LlmRun full = run_llm("macro", whole, 5);
  ASSERT_EQ(full.result.trials.size(), 5u);

  TempDir tmp;
  auto script = five_replies();
  ScriptedEndpoint first({script.begin(), script.begin() + 4});
  {
    RunDir dir("search", tmp.file("run"), false);
    run_llm("macro", first, 3, {}, &dir);
  }
  const std::string transcript = tmp.file("run") + "/checkpoints/transcript.jsonl";
  auto lines = split(read_file(transcript), '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  ASSERT_EQ(lines.size(), 4u);  // three proposals, one of them asked twice
  const Json second = Json::parse(lines[1]);
  EXPECT_EQ(second.at("reply"), "oops");
  EXPECT_EQ(second.at("call"), 2);
  EXPECT_EQ(second.at("messages").size(), 2u);
  for (const char* key : {"prompt_tokens", "completion_tokens", "attempts", "seconds", "step"})
    EXPECT_TRUE(second.contains(key)) << key;
  const Json stats = Json::parse(read_file(tmp.file("run") + "/checkpoints/llm_stats.json"));
  EXPECT_EQ(stats.at("calls"), 4);
  EXPECT_EQ(stats.at("invalid_replies"), 1);
  EXPECT_EQ(stats.at("tokens"), 45);

  // Resumed to 5 queries: the four recorded calls are read back, only the rest reach the server.
  ScriptedEndpoint rest({script.begin() + 4, script.end()});
  RunDir dir("search", tmp.file("run"), true);
  LlmRun resumed = run_llm("macro", rest, 5, {}, &dir);
  EXPECT_EQ(resumed.stats.replayed, 4);
  EXPECT_EQ(resumed.stats.calls, 6);
  EXPECT_EQ(resumed.stats.tokens, 75);  // five replies of 15 tokens, "oops" had no usage
  ASSERT_EQ(rest.request_count(), 2u);
  auto all = whole.bodies();
  EXPECT_EQ(rest.bodies()[0], all[4]);
  EXPECT_EQ(rest.bodies()[1], all[5]);
  ASSERT_EQ(resumed.result.trials.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(resumed.result.trials[i].hash, full.result.trials[i].hash);
}

TEST(LlmSearch, ATranscriptThatNoLongerMatchesIsCutAndTheRunGoesLive) {
  TempDir tmp;
  ScriptedEndpoint first(five_replies());
  {
    RunDir dir("search", tmp.file("run"), false);
    run_llm("macro", first, 2, {}, &dir);
  }
  // The recorded second request is altered (another template would do this): call 2 goes live
  // and the transcript keeps call 1 only, then the new calls.
  const std::string transcript = tmp.file("run") + "/checkpoints/transcript.jsonl";
  auto lines = split(read_file(transcript), '\n');
  Json j = Json::parse(lines[1]);
  j["messages"][1]["content"] = "something else";
  write_file_atomic(transcript, lines[0] + "\n" + j.dump() + "\n" + lines[2] + "\n" + "{\"call\": 4, \"mess");
  ScriptedEndpoint rest({ScriptedEndpoint::reply("oops"),
                         ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]")});
  RunDir dir("search", tmp.file("run"), true);
  LlmRun resumed = run_llm("macro", rest, 2, {}, &dir);
  EXPECT_EQ(resumed.stats.replayed, 1);
  EXPECT_EQ(rest.request_count(), 2u);
  lines = split(read_file(transcript), '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Json::parse(lines[2]).at("call"), 3);
}

TEST(LlmSearch, BadConfigIsRefusedBeforeAnyCall) {
  ScriptedEndpoint server;
  auto space = std::shared_ptr<const SearchSpace>(make_space("macro"));
  auto refuse = [&](YAML::Node s, const std::string& expect) {
    try {
      LlmSearch l(s, space, 0);
      ADD_FAILURE() << "accepted: " << expect;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  };
  YAML::Node none;
  refuse(none, "llm.endpoint");
  YAML::Node bad = llm_section(server);
  bad["endpoint"] = "localhost:8080";
  refuse(bad, "llm.endpoint");
  YAML::Node key = llm_section(server);
  ::unsetenv("NASGEN_TEST_UNSET_KEY");
  key["api_key_env"] = "NASGEN_TEST_UNSET_KEY";
  refuse(key, "NASGEN_TEST_UNSET_KEY");
  YAML::Node calls = llm_section(server);
  calls["max_calls"] = -1;
  refuse(calls, "llm.max_calls");
  TempDir tmp;
  test::write_text(tmp.file("t.prompt"), "protocol: fresh\n[system]\n{{colour}}\n");
  YAML::Node prompt = llm_section(server);
  prompt["prompt_file"] = tmp.file("t.prompt");
  refuse(prompt, "{{colour}}");
  EXPECT_EQ(server.request_count(), 0u);
}

}  // namespace
}  // namespace nas::llm
