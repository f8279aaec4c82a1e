// Reading an architecture out of a language model's reply: the answer forms models use (bare
// lists, chatty replies, code fences, native text in prose), the one-line errors sent back to
// the model, hostile input (huge, nested, binary) and a fuzz run over random and mutated
// replies.
#include "generators/llm/reply_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libnas/spaces/darts.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/rng.h"

namespace nas::llm {
namespace {

const std::vector<std::string> kAllSpaces = {
    "nb201", "macro", "channel-resnet", "channel-mobilenet", "nb101", "nao", "nao-11",
    "darts", "nag"};

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Whether s is valid UTF-8 without control characters: what a chat message may carry.
bool is_clean_line(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7f) return false;
    size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && b < 0xc2) || b > 0xf4) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    if (n == 2 && b == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) return false;
    if (n == 3 && b == 0xe0 && static_cast<unsigned char>(s[i + 1]) < 0xa0) return false;
    if (n == 3 && b == 0xed && static_cast<unsigned char>(s[i + 1]) > 0x9f) return false;
    if (n == 4 && b == 0xf0 && static_cast<unsigned char>(s[i + 1]) < 0x90) return false;
    if (n == 4 && b == 0xf4 && static_cast<unsigned char>(s[i + 1]) > 0x8f) return false;
    i += n;
  }
  return true;
}

// A failure as the model must get it: no arch, one clean line of at most 300 bytes.
void expect_clean_failure(const ParsedReply& r, const std::string& context) {
  EXPECT_FALSE(r.arch.has_value()) << context;
  EXPECT_FALSE(r.error.empty()) << context;
  EXPECT_LE(r.error.size(), 300u) << context;
  EXPECT_TRUE(is_clean_line(r.error)) << context << ": " << r.error;
}

// Parses `reply` and expects the arch the space reads from `expected_text`.
void expect_reads(const std::string& space_name, const std::string& reply,
                  const std::string& expected_text) {
  auto space = make_space(space_name);
  const ParsedReply r = parse_reply(*space, reply);
  ASSERT_TRUE(r.arch.has_value()) << space_name << " reply '" << reply << "': " << r.error;
  EXPECT_EQ(*r.arch, space->parse(expected_text)) << space_name << " reply '" << reply << "'";
  EXPECT_TRUE(r.error.empty());
  EXPECT_FALSE(r.text.empty());
}

// The error of a reply that must fail, checked for shape.
std::string error_of(const std::string& space_name, const std::string& reply) {
  auto space = make_space(space_name);
  const ParsedReply r = parse_reply(*space, reply);
  expect_clean_failure(r, space_name + " reply '" + reply.substr(0, 80) + "'");
  return r.error;
}

// ---- Answer forms ----------------------------------------------------------------------------

TEST(ReplyParser, BareJsonListsOfTheGeniusSpaces) {
  expect_reads("macro", "[1, 2, 2, 1, 0, 2, 1, 1]", "12210211");
  expect_reads("macro", "  [0,1,2,0,1,2,0,1]\n", "01201201");
  expect_reads("channel-resnet", "[64, 128, 192, 256, 512, 512, 512]", "1232444");
  expect_reads("channel-mobilenet", "[128, 192, 768, 384, 256, 1536, 1024]", "4142444");
  expect_reads("nb201", "[3, 3, 4, 1, 3, 1]", "334131");

  auto space = make_space("macro");
  const ParsedReply r = parse_reply(*space, "[1, 2, 2, 1, 0, 2, 1, 1]");
  EXPECT_EQ(r.text, "[1, 2, 2, 1, 0, 2, 1, 1]");
}

TEST(ReplyParser, SingleDigitListsAreAlsoReadAsDigitStrings) {
  // Channel lists hold widths; a list of its digits 1-4 only parses joined ("1234124").
  expect_reads("channel-resnet", "[1, 2, 3, 4, 1, 2, 4]", "1234124");
  expect_reads("channel-mobilenet", "My choice: [4, 4, 4, 4, 4, 4, 4].", "4444444");
  auto space = make_space("channel-resnet");
  EXPECT_EQ(parse_reply(*space, "[1, 2, 3, 4, 1, 2, 4]").text, "1234124");
}

TEST(ReplyParser, ChattyReplyTakesTheLastValidList) {
  expect_reads("macro",
               "I considered [0,0,0] and [2, 2, 2, 2, 2, 2, 2, 2] first, but the deeper stage "
               "matters more... final answer: [1, 2, 2, 1, 0, 2, 1, 1]",
               "12210211");
  // Two valid lists: the later one is the answer.
  expect_reads("macro",
               "Previous best was [0, 0, 0, 0, 0, 0, 0, 0]. Next: [1, 1, 1, 1, 1, 1, 1, 1]",
               "11111111");
  // A valid answer followed by lists that are not architectures (accuracies).
  expect_reads("nb201", "Answer: [3, 3, 4, 1, 3, 1]\nExpected accuracy: [93.4, 93.1]", "334131");
  // A list is tried before the digit strings of the prose.
  expect_reads("macro", "[1, 1, 1, 1, 1, 1, 1, 1], not 00000000", "11111111");
}

TEST(ReplyParser, MarkdownFences) {
  expect_reads("macro", "```json\n[1, 2, 2, 1, 0, 2, 1, 1]\n```", "12210211");
  expect_reads("macro", "```\n01201201\n```", "01201201");
  expect_reads("macro", "```[0, 1, 2, 0, 1, 2, 0, 1]```", "01201201");
  expect_reads(
      "nb201",
      "Here you go:\n```\n|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|"
      "nor_conv_3x3~1|skip_connect~2|\n```\nGood luck!",
      "334131");
  // A pretty-printed JSON cell spans lines inside a fence.
  expect_reads("nb101",
               "Proposal:\n```json\n{\n  \"matrix\": [[0, 1, 1],\n             [0, 0, 1],\n    "
               "         [0, 0, 0]],\n  \"ops\": [\"input\", \"conv3x3-bn-relu\", \"output\"]\n}\n"
               "```\n",
               "011,001,000;input,conv3x3-bn-relu,output");
}

TEST(ReplyParser, NativeTextInsideProse) {
  const std::string nb201 =
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
      "skip_connect~2|";
  expect_reads("nb201", "I'd go with `" + nb201 + "`. It keeps two 3x3 convs.", nb201);
  expect_reads("nb201", "**Answer:** " + nb201 + ", since skip connections help.", nb201);
  expect_reads("nb201", "{\"arch\": \"" + nb201 + "\"}", nb201);
  expect_reads("nb201", "(" + nb201 + ")", nb201);
  expect_reads("nb201", "The op ids 334131 are my pick", "334131");
  expect_reads("macro", "My pick: 01201201.", "01201201");
  expect_reads("macro", "key=01201201", "01201201");
  auto space = make_space("nb201");
  EXPECT_EQ(parse_reply(*space, "I'd go with `" + nb201 + "`.").text, nb201);
}

TEST(ReplyParser, UnbalancedBracketsStillGiveTheNumbers) {
  // The list never closes: the numbers are still a comma-separated run.
  expect_reads("macro", "[1, 2, 2, 1, 0, 2, 1, 1", "12210211");
  expect_reads("macro", "]]] [[[ [1, 2, 2, 1, 0, 2, 1, 1]]] [", "12210211");
  expect_reads("channel-resnet", "((( [64, 128, 192, 256, 512, 512, 512] }}}", "1232444");
  for (const char* reply : {"[[[[", "]]]]", "(((({{{{", "[1, 2, (3]", "{\"a\": [1, 2}"})
    error_of("macro", reply);
}

TEST(ReplyParser, NamedArchsWhenTheReplyIsTheName) {
  expect_reads("nao", "NAONet-B", NaoCellSpace::naonet_b());
  expect_reads("darts", " DARTS-V2\n", DartsSpace::darts_v2());
}

// ---- Errors ----------------------------------------------------------------------------------

TEST(ReplyParserErrors, WrongLengthNamesTheCounts) {
  const std::string e = error_of("macro", "[1, 2, 0]");
  EXPECT_TRUE(contains(e, "expected 8")) << e;
  EXPECT_TRUE(contains(e, "found 3")) << e;
  EXPECT_TRUE(contains(e, "[1, 2, 0]")) << e;
  const std::string f = error_of("nb201", "Sure: [1, 2, 3, 4, 0, 1, 2]");
  EXPECT_TRUE(contains(f, "expected 6")) << f;
  EXPECT_TRUE(contains(f, "found 7")) << f;
  const std::string g = error_of("channel-resnet", "[64, 128, 192]");
  EXPECT_TRUE(contains(g, "expected 7")) << g;
  EXPECT_TRUE(contains(g, "found 3")) << g;
  auto space = make_space("macro");
  EXPECT_EQ(parse_reply(*space, "I think [1, 2, 0]").text, "[1, 2, 0]");
}

TEST(ReplyParserErrors, OutOfRangeOpsNameTheValue) {
  const std::string e = error_of("macro", "[0, 1, 3, 0, 1, 2, 0, 1]");
  EXPECT_TRUE(contains(e, "3")) << e;
  EXPECT_TRUE(contains(e, "not an op id")) << e;
  const std::string f = error_of("nb201", "[0, 1, 2, 3, 4, 5]");
  EXPECT_TRUE(contains(f, "5")) << f;
  EXPECT_TRUE(contains(f, "not an op id")) << f;
  // A channel list of digits with one out of range: the digit form names the bad digit.
  const std::string g = error_of("channel-resnet", "[1, 2, 3, 4, 1, 2, 5]");
  EXPECT_TRUE(contains(g, "digit 5")) << g;
  EXPECT_TRUE(contains(g, "out of range")) << g;
  const std::string h = error_of("channel-resnet", "[64, 128, 192, 256, 512, 512, 500]");
  EXPECT_TRUE(contains(h, "500 is not an allowed width")) << h;
}

TEST(ReplyParserErrors, DecimalsAndNegativesAreNotTruncated) {
  const std::string e = error_of("macro", "[1.5, 2, 0, 1, 2, 0, 1, 1]");
  EXPECT_TRUE(contains(e, "1.5")) << e;
  EXPECT_TRUE(contains(e, "integer")) << e;
  const std::string f = error_of("macro", "[1.0, 2.0, 2.0, 1.0, 0.0, 2.0, 1.0, 1.0]");
  EXPECT_TRUE(contains(f, "1.0")) << f;
  const std::string g = error_of("macro", "[-1, 2, 0, 1, 2, 0, 1, 1]");
  EXPECT_TRUE(contains(g, "-1")) << g;
  const std::string h = error_of("nb201", "[3, 3, -4, 1, 3, 1]");
  EXPECT_TRUE(contains(h, "-4")) << h;
  const std::string i = error_of("channel-resnet", "[64.0, 128, 192, 256, 512, 512, 512]");
  EXPECT_TRUE(contains(i, "64.0")) << i;
  // The fraction of a decimal is not an integer of its own: ".0, 2, 0, 1, 2, 0, 1, 1" would be
  // a valid macro list, "1234123" of "0.1234123" a valid channel key.
  const std::string j = error_of("macro", "[1.0, 2, 0, 1, 2, 0, 1, 1]");
  EXPECT_TRUE(contains(j, "1.0")) << j;
  error_of("macro", "Layers: 1.0 2 0 1 2 0 1 1");
  error_of("macro", "Layers: 1 2 0 1 2 0 1 2.5");
  error_of("channel-resnet", "Last time the score was 0.1234123.");
  error_of("channel-resnet", "Last time the score was 1234123.5 (a lot).");
}

TEST(ReplyParserErrors, TheErrorIsAboutTheLastAnswerShapedCandidate) {
  // The later list is the answer the model meant; the earlier one is history.
  const std::string e = error_of("macro", "Tried [2, 2, 2, 2, 2, 2, 2, 9] before. Now: [1, 2, 0]");
  EXPECT_TRUE(contains(e, "found 3")) << e;
  // A broken NB201 string in prose: the error names the unknown op, not the prose around it.
  const std::string f = error_of(
      "nb201",
      "Use |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_5x5~1|"
      "skip_connect~2| please.");
  EXPECT_TRUE(contains(f, "unknown op 'nor_conv_5x5'")) << f;
  EXPECT_FALSE(contains(f, "'Use")) << f;
  // A genotype with too few pairs: the error is about the genotype, not its concat lists.
  const std::string g =
      error_of("darts",
               "I pick Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], "
               "normal_concat=[2, 3, 4, 5], reduce=[], reduce_concat=[2, 3, 4, 5]) for now");
  EXPECT_TRUE(contains(g, "normal list has 2")) << g;
  // 39 of NAO's 40 integers.
  std::string ints;
  for (int i = 0; i < 39; ++i) ints += i % 2 ? "1 " : "0 ";
  const std::string h = error_of("nao", "My cell: " + ints + "\nThanks");
  EXPECT_TRUE(contains(h, "found 39")) << h;
  // A JSON cell with an unknown op: the error is about the object, not its matrix rows.
  const std::string k =
      error_of("nb101",
               "answer: {\"matrix\": [[0,1,1],[0,0,1],[0,0,0]], \"ops\": [\"input\", \"conv5x5\", "
               "\"output\"]}");
  EXPECT_TRUE(contains(k, "unknown op 'conv5x5'")) << k;
}

TEST(ReplyParserErrors, EmptyAndWhitespaceReplies) {
  for (const std::string reply : {"", " ", "\n\t\r\n   \n"}) {
    const std::string e = error_of("macro", reply);
    EXPECT_EQ(e.rfind("the reply is empty: answer with one macro architecture, e.g. ", 0), 0u) << e;
  }
  auto space = make_space("nb201");
  EXPECT_TRUE(parse_reply(*space, "").text.empty());
}

TEST(ReplyParserErrors, NothingFoundGivesAnExampleThatParses) {
  for (const std::string& name : kAllSpaces) {
    auto space = make_space(name);
    const ParsedReply r =
        parse_reply(*space, "Hello!\nI am not sure which architecture is best here.\nSorry.");
    expect_clean_failure(r, name);
    const std::string prefix =
        "no architecture found in the reply: answer with one " + name + " architecture, e.g. ";
    ASSERT_EQ(r.error.rfind(prefix, 0), 0u) << r.error;
    const std::string example = r.error.substr(prefix.size());
    // Examples that fit the line parse; the DARTS genotype is cut.
    if (example.size() < 3 || example.compare(example.size() - 3, 3, "...") != 0)
      EXPECT_NO_THROW(space->parse(example)) << name << ": " << example;
    else
      EXPECT_EQ(name, "darts");
  }
}

TEST(ReplyParserErrors, ErrorsAreOneCleanLine) {
  // The candidate holds a byte that is not UTF-8, a C1 control and a C0 control; the space's
  // message quotes it.
  const std::string e = error_of("nb201", "|nor\xff_conv~0|+|a\xc2\x85~0|b\x01~1|+|c~0|d~1|e~2|");
  EXPECT_TRUE(contains(e, "nor?_conv")) << e;
  EXPECT_TRUE(contains(e, "a??~0")) << e;
  // A long candidate and a long message: the candidate is cut to 60 bytes, the line to 300.
  const std::string f = error_of("nb201", std::string(150, 'x'));
  EXPECT_EQ(f.rfind("'" + std::string(57, 'x') + "...': nb201: cannot read", 0), 0u) << f;
  EXPECT_GE(f.size(), 290u);
  EXPECT_EQ(f.substr(f.size() - 3), "...") << f;
  // Multi-byte characters are not split by the cut.
  std::string greek;
  for (int i = 0; i < 200; ++i) greek += "\xce\xb1";  // U+03B1
  error_of("nb201", "|" + greek + "~0|+|a~0|b~1|+|c~0|d~1|e~2|");
}

// ---- Hostile input ---------------------------------------------------------------------------

TEST(ReplyParserRobustness, BinaryGarbageFailsCleanly) {
  Rng rng(11);
  for (const std::string& name : kAllSpaces) {
    auto space = make_space(name);
    for (int n = 0; n < 50; ++n) {
      std::string reply(static_cast<size_t>(rng.uniform_int(0, 400)), '\0');
      for (char& c : reply) c = static_cast<char>(rng.uniform_int(0, 255));
      const ParsedReply r = parse_reply(*space, reply);
      if (r.arch) {
        EXPECT_NO_THROW(space->validate(*r.arch));
      } else {
        expect_clean_failure(r, name);
      }
    }
    expect_clean_failure(parse_reply(*space, std::string("\0\0\0\xff\xfe\x01", 6)), name);
  }
}

// 1 MB replies of several shapes: each completes quickly (well under 50 ms in a Release build;
// the bound here allows for sanitizers and loaded machines) and fails cleanly.
TEST(ReplyParserRobustness, OneMegabyteRepliesFailCleanlyInLinearTime) {
  constexpr size_t mb = 1 << 20;
  auto repeat = [](const std::string& unit) {
    std::string out;
    out.reserve(mb + unit.size());
    while (out.size() < mb) out += unit;
    return out;
  };
  const std::vector<std::string> replies = {
      repeat("lorem ipsum dolor sit amet "),
      repeat("[1, 2, 0] "),
      repeat("1234 "),
      repeat("0 1 "),
      repeat("|a~0|+"),
      repeat("(x{"),
      repeat("\"1\" `2` ```\n3\n``` "),
      std::string(mb, '7'),
      std::string(mb, '['),
      repeat(std::string("\xff\x00", 2)),
  };
  for (const std::string name : {"macro", "nb201", "nao", "darts", "nb101"}) {
    auto space = make_space(name);
    for (const std::string& reply : replies) {
      const auto start = std::chrono::steady_clock::now();
      const ParsedReply r = parse_reply(*space, reply);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      expect_clean_failure(r, name + " 1 MB of '" + reply.substr(0, 10) + "'");
      EXPECT_LT(ms, 2000.0) << name << " 1 MB of '" << reply.substr(0, 10) << "'";
    }
  }
  // An answer at the end of 1 MB of prose is still found.
  auto macro = make_space("macro");
  const ParsedReply r =
      parse_reply(*macro, repeat("let me think about this ") + "\nFinal: [1, 2, 2, 1, 0, 2, 1, 1]");
  ASSERT_TRUE(r.arch.has_value()) << r.error;
  EXPECT_EQ(macro->format(*r.arch), "12210211");
}

TEST(ReplyParserRobustness, DeeplyNestedBracketsDoNotRecurse) {
  const size_t depth = 100000;
  expect_reads("macro",
               std::string(depth, '[') + "1, 2, 2, 1, 0, 2, 1, 1" + std::string(depth, ']'),
               "12210211");
  error_of("macro", std::string(depth, '[') + std::string(depth, ']'));
  error_of("darts", std::string(depth, '(') + "1" + std::string(depth, ')'));
  error_of("nb101", std::string(depth, '{') + "1" + std::string(depth, '}'));
  error_of("nag", std::string(depth, '{') + "\"normal\": 1" + std::string(depth, '}'));
  error_of("nb201", std::string(depth, '|') + "~0" + std::string(depth, '|'));
}

TEST(ReplyParserRobustness, TheNumberOfCandidatesTriedIsBounded) {
  // The answer first, then hundreds of lists that are not answers: only the last lists are
  // tried, so the answer is out of reach (and the cost stays bounded).
  std::string reply = "[1, 2, 2, 1, 0, 2, 1, 1]\n";
  for (int i = 0; i < 300; ++i) reply += "[" + std::to_string(i) + ", 7] ";
  const std::string e = error_of("macro", reply);
  EXPECT_TRUE(contains(e, "[299, 7]")) << e;
  // Hundreds of non-answers before the answer cost nothing.
  std::string late;
  for (int i = 0; i < 300; ++i) late += "[" + std::to_string(i) + ", 7] ";
  expect_reads("macro", late + "[1, 2, 2, 1, 0, 2, 1, 1]", "12210211");
}

// ---- Every space -----------------------------------------------------------------------------

TEST(ReplyParserSpaces, EachSpaceReadsItsTextInProse) {
  Rng rng(5);
  for (const std::string& name : kAllSpaces) {
    auto space = make_space(name);
    for (int i = 0; i < 5; ++i) {
      const Arch a = space->sample(rng);
      const std::string text = space->format(a);
      for (const std::string& reply :
           {text, "Here is my proposal:\n\n" + text + "\n\nI expect it to do well.",
            "Proposal: `" + text + "`.", "```\n" + text + "\n```",
            "Earlier I liked [1, 2] but now: " + text}) {
        const ParsedReply r = parse_reply(*space, reply);
        ASSERT_TRUE(r.arch.has_value()) << name << " reply '" << reply << "': " << r.error;
        EXPECT_EQ(space->hash(*r.arch), space->hash(a)) << name << " reply '" << reply << "'";
        EXPECT_EQ(r.text, text) << name;
      }
    }
  }
}

TEST(ReplyParserSpaces, OtherTextFormsInProse) {
  expect_reads("nb101",
               "I propose {\"matrix\": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], \"ops\": [\"input\", "
               "\"maxpool3x3\", \"output\"]} as the cell.",
               "010,001,000;input,maxpool3x3,output");
  expect_reads("nb101", "Cell: 010,001,000;input,conv3x3,output.",
               "010,001,000;input,conv3x3-bn-relu,output");
  expect_reads("nag",
               "Answer: {\"normal\": {\"matrix\": [[0,0,1],[0,0,1],[0,0,0]], \"ops\": [\"input0\", "
               "\"input1\", \"output\"]}, \"reduction\": {\"matrix\": [[0,0,1],[0,0,1],[0,0,0]], "
               "\"ops\": [\"input0\", \"input1\", \"output\"]}}",
               "001,001,000;input0,input1,output|001,001,000;input0,input1,output");
  // A genotype written over several lines, as Python prints long reprs.
  std::string genotype = DartsSpace::darts_v2();
  for (size_t p = genotype.find("), ("); p != std::string::npos; p = genotype.find("), (", p + 4))
    genotype.replace(p, 4, "),\n    (");
  expect_reads("darts", "The genotype:\n" + genotype + "\nDone.", DartsSpace::darts_v2());
  expect_reads("darts",
               "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
               "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', "
               "0), ('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
               "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', "
               "0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
               "reduce_concat=range(2, 6)) is DARTS-V2.",
               DartsSpace::darts_v2());
  // NAO integers as a list, and split over two lines (normal cell, reduction cell).
  auto nao = make_space("nao");
  const std::string ints = NaoCellSpace::naonet_b();
  std::string listed = "[";
  std::string two_lines;
  int n = 0;
  for (const char c : ints) {
    if (c == ' ') {
      ++n;
      listed += ", ";
      two_lines += n == 20 ? '\n' : ' ';
    } else {
      listed += c;
      two_lines += c;
    }
  }
  listed += "]";
  expect_reads("nao", "Answer: " + listed, ints);
  expect_reads("nao", "Normal and reduction cells:\n" + two_lines + "\n", ints);
}

// Property: the space's own text between a greeting and a farewell always reads back.
TEST(ReplyParserSpaces, FormattedArchsInProseReadBackWithTheSameHash) {
  for (const std::string& name : kAllSpaces) {
    auto space = make_space(name);
    Rng rng(1000 + name.size());
    for (int i = 0; i < 200; ++i) {
      const Arch a = space->sample(rng);
      const ParsedReply r = parse_reply(*space, "Sure! " + space->format(a) + "\nGood luck.");
      ASSERT_TRUE(r.arch.has_value()) << name << " " << space->format(a) << ": " << r.error;
      ASSERT_EQ(space->hash(*r.arch), space->hash(a)) << name << " " << space->format(a);
    }
  }
}

// ---- Fuzzing ---------------------------------------------------------------------------------

// Replies of a space in the forms models write, for mutation: `valid` ones (with the hash of
// their arch) and the sequence-view token lists, which are valid for some spaces only.
struct SeedReplies {
  std::vector<std::pair<std::string, std::string>> valid;  // reply, hash
  std::vector<std::string> all;
};

SeedReplies seed_replies(const SearchSpace& space, Rng& rng) {
  SeedReplies out;
  for (int i = 0; i < 4; ++i) {
    const Arch a = space.sample(rng);
    const std::string text = space.format(a);
    for (const std::string& reply :
         {text, "Sure! " + text + "\nGood luck.", "```json\n" + text + "\n```",
          "I considered [0, 0, 0] but chose `" + text + "`."}) {
      out.valid.emplace_back(reply, space.hash(a));
      out.all.push_back(reply);
    }
    if (space.has_sequence_view()) {
      std::string list = "[";
      for (int t : space.to_tokens(a)) list += std::to_string(t) + ", ";
      list += "]";
      out.all.push_back("final answer: " + list);
    }
  }
  return out;
}

// Bytes the text forms give meaning to.
constexpr std::string_view kSyntax = "[](){}|~+,;:0123456789 \n`\"'-._";

std::string mutate_reply(const std::string& seed, const std::vector<std::string>& pool, Rng& rng) {
  std::string s = seed;
  const int edits = static_cast<int>(rng.uniform_int(1, 4));
  auto pos = [&](size_t extra) {
    return static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(s.size() + extra) - 1));
  };
  for (int e = 0; e < edits; ++e) {
    switch (rng.uniform_int(0, 5)) {
      case 0:  // byte flip
        if (!s.empty()) s[pos(0)] ^= static_cast<char>(1 << rng.uniform_int(0, 7));
        break;
      case 1:  // insertion of a byte, often one the parsers care about
        s.insert(pos(1), 1,
                 rng.bernoulli(0.5) ? kSyntax[static_cast<size_t>(rng.uniform_int(
                                          0, static_cast<int64_t>(kSyntax.size()) - 1))]
                                    : static_cast<char>(rng.uniform_int(0, 255)));
        break;
      case 2:  // deletion of a range
        if (!s.empty()) {
          const size_t at = pos(0);
          s.erase(at, static_cast<size_t>(rng.uniform_int(1, 8)));
        }
        break;
      case 3: {  // splice in a piece of another reply
        const std::string& other = rng.choice(pool);
        if (other.empty()) break;
        const size_t from = static_cast<size_t>(rng.uniform_int(0, other.size() - 1));
        s.insert(pos(1), other.substr(from, static_cast<size_t>(rng.uniform_int(1, 40))));
        break;
      }
      case 4: {  // duplicated brackets
        const char* brackets[] = {"[", "]", "(", ")", "{", "}", "[[", "]]", "```"};
        const std::string b = brackets[rng.uniform_int(0, 8)];
        const size_t at = pos(1);
        for (int k = static_cast<int>(rng.uniform_int(1, 20)); k > 0; --k) s.insert(at, b);
        break;
      }
      default:  // truncation
        if (!s.empty()) s.resize(pos(0));
        break;
    }
  }
  return s;
}

// At least 100,000 random and mutated replies over every space: nothing crashes, an arch
// returned is valid and reads back from its text with the same hash, and the unmutated replies
// mixed in all read back. About 3 s in a Release build.
TEST(ReplyParser, FuzzRandomAndMutatedReplies) {
  const int kInputs = 100000;
  Rng rng(2024);
  std::vector<std::shared_ptr<SearchSpace>> spaces;
  std::vector<SeedReplies> seeds;
  std::vector<std::string> pool;
  for (const std::string& name : kAllSpaces) {
    spaces.push_back(make_space(name));
    seeds.push_back(seed_replies(*spaces.back(), rng));
    pool.insert(pool.end(), seeds.back().all.begin(), seeds.back().all.end());
  }
  int parsed = 0;
  int mutated = 0;
  int mutated_parsed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kInputs; ++i) {
    const size_t k = static_cast<size_t>(i) % spaces.size();
    const SearchSpace& space = *spaces[k];
    std::string reply;
    const std::string* want_hash = nullptr;
    switch (i % 8) {
      case 0:
      case 1:  // random bytes
        reply.resize(static_cast<size_t>(rng.uniform_int(0, 64)));
        for (char& c : reply) c = static_cast<char>(rng.uniform_int(0, 255));
        break;
      case 2:
      case 3:  // random printable ASCII and newlines
        reply.resize(static_cast<size_t>(rng.uniform_int(0, 96)));
        for (char& c : reply)
          c = rng.bernoulli(0.05) ? '\n' : static_cast<char>(rng.uniform_int(32, 126));
        break;
      case 7: {  // a valid reply as it is
        const auto& seed = rng.choice(seeds[k].valid);
        reply = seed.first;
        want_hash = &seed.second;
        break;
      }
      default:  // mutations of the space's replies, with splices of other spaces' replies
        reply = mutate_reply(rng.choice(seeds[k].all), pool, rng);
        ++mutated;
        break;
    }
    const ParsedReply r = parse_reply(space, reply);
    if (want_hash) {
      ASSERT_TRUE(r.arch.has_value()) << space.name() << " reply '" << reply << "': " << r.error;
      ASSERT_EQ(space.hash(*r.arch), *want_hash) << space.name() << " reply '" << reply << "'";
    }
    if (r.arch) {
      ++parsed;
      if (!want_hash && i % 8 >= 4) ++mutated_parsed;
      ASSERT_NO_THROW(space.validate(*r.arch)) << space.name() << " reply '" << reply << "'";
      ASSERT_TRUE(r.error.empty());
      ASSERT_EQ(space.hash(space.parse(space.format(*r.arch))), space.hash(*r.arch))
          << space.name() << " reply '" << reply << "'";
    } else {
      ASSERT_FALSE(r.error.empty()) << space.name() << " reply '" << reply << "'";
      ASSERT_LE(r.error.size(), 300u);
      ASSERT_TRUE(is_clean_line(r.error)) << r.error;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Some mutations keep the reply readable (a digit flip, an insertion in the prose).
  EXPECT_GT(mutated_parsed, mutated / 50);
  RecordProperty("inputs", kInputs);
  RecordProperty("parsed", parsed);
  RecordProperty("mutated", mutated);
  RecordProperty("mutated_parsed", mutated_parsed);
  RecordProperty("seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace nas::llm
