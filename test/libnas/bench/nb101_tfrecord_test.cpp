// The NAS-Bench-101 TFRecord decoder: CRC32C, framing, base64, protobuf wire format, and a
// small file written in exactly the published format, read back through open_benchmark.
#include "libnas/bench/nb101_tfrecord.h"

#include <gtest/gtest.h>

#include <cstring>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/util/error.h"
#include "test_util.h"

namespace nas {
namespace {

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message spans lines: " << msg;
    return msg;
  }
  ADD_FAILURE() << "expected a nas::Error";
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Crc32c, MatchesTheStandardCheckValues) {
  // The CRC-32C check value of "123456789" (RFC 3720 / iSCSI).
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // 32 bytes of zeros (RFC 3720 B.4).
  char zeros[32] = {};
  EXPECT_EQ(crc32c(zeros, 32), 0x8A9136AAu);
  uint32_t c = crc32c("123456789", 9);
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TfRecord, FramesAndReadsBackRecords) {
  std::string stream = frame_tfrecord("hello") + frame_tfrecord("") + frame_tfrecord("world!");
  EXPECT_EQ(stream.size(), 3 * 16u + 11u);
  // Header: uint64 LE length, then the masked CRC of those 8 bytes.
  EXPECT_EQ(stream[0], 5);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(stream[i], 0);
  std::vector<std::string> got;
  std::vector<size_t> offsets;
  read_tfrecords(stream, [&](std::string_view d, size_t off) {
    got.emplace_back(d);
    offsets.push_back(off);
  });
  EXPECT_EQ(got, (std::vector<std::string>{"hello", "", "world!"}));
  EXPECT_EQ(offsets, (std::vector<size_t>{0, 21, 37}));
}

TEST(TfRecord, CorruptCrcAndTruncationAreErrors) {
  std::string good = frame_tfrecord("hello") + frame_tfrecord("world");
  auto noop = [](std::string_view, size_t) {};

  std::string bad_data = good;
  bad_data[21 + 12] ^= 1;  // a data byte of the second record
  std::string m1 = error_of([&] { read_tfrecords(bad_data, noop); });
  EXPECT_TRUE(has(m1, "record 1 at byte 21: CRC of the 5 data bytes does not match")) << m1;

  std::string bad_len = good;
  bad_len[8] ^= 0x40;  // the length CRC of the first record
  std::string m2 = error_of([&] { read_tfrecords(bad_len, noop); });
  EXPECT_TRUE(has(m2, "record 0 at byte 0: CRC of the length field")) << m2;

  std::string m3 = error_of([&] { read_tfrecords(good.substr(0, good.size() - 3), noop); });
  EXPECT_TRUE(has(m3, "record 1 at byte 21")) << m3;
  EXPECT_TRUE(has(m3, "truncated")) << m3;
  std::string m4 = error_of([&] { read_tfrecords(good.substr(0, 25), noop); });
  EXPECT_TRUE(has(m4, "inside the 12-byte record header")) << m4;
}

TEST(Base64, RoundTripsEveryPaddingCase) {
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
  EXPECT_EQ(base64_encode("M"), "TQ==");
  EXPECT_EQ(base64_decode("TWFu"), "Man");
  EXPECT_EQ(base64_decode("TWE="), "Ma");
  EXPECT_EQ(base64_decode("TQ=="), "M");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  EXPECT_THROW(base64_decode("TWF"), Error);
  EXPECT_THROW(base64_decode("TW*u"), Error);
  EXPECT_THROW(base64_decode("T=Fu"), Error);
}

TEST(Protobuf, WireFormatRoundTripAndSkipsUnknownFields) {
  ProtoWriter w;
  w.varint_field(1, 300);
  w.double_field(2, 0.25);
  w.bytes_field(3, "abc");
  w.varint_field(4, static_cast<uint64_t>(-5LL));
  // 300 as a varint is AC 02 after the key byte 0x08.
  EXPECT_EQ(static_cast<unsigned char>(w.bytes()[0]), 0x08);
  EXPECT_EQ(static_cast<unsigned char>(w.bytes()[1]), 0xAC);
  EXPECT_EQ(static_cast<unsigned char>(w.bytes()[2]), 0x02);
  ProtoReader r(w.bytes());
  int field, wt;
  ASSERT_TRUE(r.next(field, wt));
  EXPECT_EQ(field, 1);
  EXPECT_EQ(wt, 0);
  EXPECT_EQ(r.varint(), 300u);
  ASSERT_TRUE(r.next(field, wt));
  EXPECT_EQ(wt, 1);
  EXPECT_EQ(r.as_double(), 0.25);
  ASSERT_TRUE(r.next(field, wt));
  EXPECT_EQ(wt, 2);
  EXPECT_EQ(r.bytes(), "abc");
  ASSERT_TRUE(r.next(field, wt));
  EXPECT_EQ(static_cast<int64_t>(r.varint()), -5);
  EXPECT_FALSE(r.next(field, wt));

  // A ModelMetrics with an unknown field 9 (32-bit) and a predictions string (field 7).
  Nb101ModelMetrics m;
  m.evaluation_data.push_back({108, 1500.5, 1.0, 0.93, 0.92});
  m.trainable_parameters = 2694282;
  m.total_time = 1800.25;
  std::string bytes = encode_model_metrics(m);
  bytes += std::string("\x4d\x01\x02\x03\x04", 5);  // field 9, wire type 5
  Nb101ModelMetrics back = decode_model_metrics(bytes);
  ASSERT_EQ(back.evaluation_data.size(), 1u);
  EXPECT_EQ(back.evaluation_data[0].validation_accuracy, 0.93);
  EXPECT_EQ(back.evaluation_data[0].test_accuracy, 0.92);
  EXPECT_EQ(back.evaluation_data[0].training_time, 1500.5);
  EXPECT_EQ(back.trainable_parameters, 2694282);
  EXPECT_EQ(back.total_time, 1800.25);

  std::string m1 = error_of([&] { decode_model_metrics(bytes.substr(0, 20)); });
  EXPECT_TRUE(has(m1, "protobuf")) << m1;
}

// A cell's three 108-epoch repeats, with evaluations at epochs 0, 54 and 108 as in the file.
std::vector<Nb101Row> repeats(const std::string& hash, const std::string& adj, const std::string& ops,
                              int64_t params, const double val[3], const double test[3],
                              const double secs[3]) {
  std::vector<Nb101Row> rows;
  for (int k = 0; k < 3; ++k) {
    Nb101Row row;
    row.module_hash = hash;
    row.epochs = 108;
    row.adjacency = adj;
    row.operations = ops;
    row.metrics.trainable_parameters = params;
    row.metrics.total_time = secs[k] + 100;
    row.metrics.evaluation_data = {{0, 0, 0.1, 0.1, 0.1},
                                   {54, secs[k] / 2, 0.8, 0.5, 0.5},
                                   {108, secs[k], 1.0, val[k], test[k]}};
    rows.push_back(row);
  }
  return rows;
}

std::vector<Nb101Row> fixture_rows() {
  const double va[3] = {0.90, 0.91, 0.92}, ta[3] = {0.89, 0.90, 0.91}, sa[3] = {1000, 1100, 1200};
  const double vb[3] = {0.80, 0.82, 0.84}, tb[3] = {0.79, 0.80, 0.81}, sb[3] = {500, 600, 700};
  auto rows = repeats("aaaa", "011001000", "input,conv3x3-bn-relu,output", 1000, va, ta, sa);
  auto b = repeats("bbbb", "0110000100010000", "input,conv1x1-bn-relu,maxpool3x3,output", 2000,
                   vb, tb, sb);
  // Interleave as the real file does not group repeats; add a 4-epoch record to be skipped.
  rows.insert(rows.begin() + 1, b.begin(), b.end());
  Nb101Row early = b[0];
  early.epochs = 4;
  early.metrics.evaluation_data.back().validation_accuracy = 0.1;
  rows.push_back(early);
  return rows;
}

TEST(Nb101Tfrecord, RowJsonRoundTrip) {
  auto rows = fixture_rows();
  std::string text = encode_nb101_row(rows[0]);
  EXPECT_EQ(text.rfind("[\"aaaa\",108,\"011001000\",\"input,conv3x3-bn-relu,output\",\"", 0), 0u)
      << text;
  Nb101Row back = decode_nb101_row(text);
  EXPECT_EQ(back.module_hash, "aaaa");
  EXPECT_EQ(back.adjacency, "011001000");
  EXPECT_EQ(back.metrics.evaluation_data.size(), 3u);
  EXPECT_EQ(back.metrics.evaluation_data[2].validation_accuracy, 0.90);
  EXPECT_THROW(decode_nb101_row("[\"aaaa\", 108]"), Error);
  EXPECT_THROW(decode_nb101_row("not json"), Error);
}

TEST(Nb101Tfrecord, WrittenFileLoadsAsMeansOverRepeats) {
  test::TempDir dir;
  std::string path = dir.file("nasbench_only108.tfrecord");
  write_nb101_tfrecord(path, fixture_rows());
  auto bench = open_benchmark("nb101", path);
  ASSERT_EQ(bench->num_archs(), 2);
  const SearchSpace& space = bench->space();
  Metrics a = bench->query(space.parse("011,001,000;input,conv3x3-bn-relu,output"));
  EXPECT_NEAR(a.val_acc, 91.0, 1e-9);
  EXPECT_NEAR(a.test_acc, 90.0, 1e-9);
  EXPECT_NEAR(a.train_seconds, 1100.0, 1e-9);
  EXPECT_EQ(a.params, 1000);
  EXPECT_NEAR(a.get("train_acc"), 100.0, 1e-9);
  Metrics b = bench->query(space.parse("0110,0001,0001,0000;input,conv1x1-bn-relu,maxpool3x3,output"));
  EXPECT_NEAR(b.val_acc, 82.0, 1e-9);  // the 4-epoch record (val 10 %) is not averaged in
  EXPECT_NEAR(b.test_acc, 80.0, 1e-9);
  EXPECT_EQ(b.params, 2000);
  EXPECT_EQ(bench->rank(space.parse("011,001,000;input,conv3x3-bn-relu,output")), 1);
  auto best = bench->best();
  EXPECT_NEAR(best.second.val_acc, 91.0, 1e-9);
}

TEST(Nb101Tfrecord, CorruptAndTruncatedFilesGiveOneLineNamingTheFile) {
  test::TempDir dir;
  std::string good = dir.file("good.tfrecord");
  write_nb101_tfrecord(good, fixture_rows());
  std::string content = test::read_text(good);

  std::string corrupt = dir.file("corrupt.tfrecord");
  std::string c = content;
  c[200] ^= 0x20;
  test::write_text(corrupt, c);
  std::string m1 = error_of([&] { open_benchmark("nb101", corrupt); });
  EXPECT_TRUE(has(m1, corrupt + ": record 0 at byte 0: CRC of the")) << m1;
  EXPECT_TRUE(has(m1, "get it from https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord"))
      << m1;

  std::string cut = dir.file("cut.tfrecord");
  test::write_text(cut, content.substr(0, content.size() - 10));
  std::string m2 = error_of([&] { open_benchmark("nb101", cut); });
  EXPECT_TRUE(has(m2, cut + ": record 6 at byte")) << m2;
  EXPECT_TRUE(has(m2, "truncated")) << m2;

  // Valid framing around a payload that is not the expected JSON list.
  std::string junk = dir.file("junk.tfrecord");
  test::write_text(junk, frame_tfrecord("[1, 2]"));
  std::string m3 = error_of([&] { open_benchmark("nb101", junk); });
  EXPECT_TRUE(has(m3, junk + ": record 0 at byte 0: expected a JSON list of 5 items")) << m3;
}

}  // namespace
}  // namespace nas
