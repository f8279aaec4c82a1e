// The official NAS-Bench-101 data file (nasbench_only108.tfrecord), decoded by our own code:
// TFRecord framing with CRC32C checks, base64, and the protobuf wire format of the
// nasbench.ModelMetrics message. The encoders exist so tests can write fixtures in exactly the
// published format.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace nas {

// CRC-32C (Castagnoli polynomial, reflected), as TFRecord uses it.
uint32_t crc32c(const void* data, size_t size);
// TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t size);

// Calls fn(data, byte_offset) for every record of a TFRecord stream (uint64 LE length,
// uint32 masked CRC of the length, data, uint32 masked CRC of the data). Both CRCs are
// verified. nas::Error "record N at byte B: ..." (no file name: callers add it) when the stream
// is truncated or corrupt.
void read_tfrecords(std::string_view content,
                    const std::function<void(std::string_view data, size_t offset)>& fn);
// One record with its framing, ready to append to a .tfrecord file.
std::string frame_tfrecord(std::string_view data);

std::string base64_encode(std::string_view bytes);
// Standard alphabet with '=' padding; nas::Error on a character outside it or a bad length.
std::string base64_decode(std::string_view text);

// Protobuf wire-format reader: next() yields (field number, wire type) pairs; the caller reads
// or skips the value. Wire types: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit. Errors
// (truncated varint, length past the end, groups) are nas::Error.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) : data_(bytes) {}
  // False at the end of the message.
  bool next(int& field, int& wire_type);
  uint64_t varint();
  uint64_t fixed64();
  uint32_t fixed32();
  double as_double();  // a fixed64 reinterpreted
  std::string_view bytes();
  void skip(int wire_type);

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Protobuf wire-format writer for the few types the fixtures need.
class ProtoWriter {
 public:
  void varint_field(int field, uint64_t value);
  void double_field(int field, double value);
  void bytes_field(int field, std::string_view value);
  const std::string& bytes() const { return out_; }

 private:
  void raw_varint(uint64_t value);
  std::string out_;
};

// nasbench.EvaluationData (model_metrics.proto): 1 current_epoch, 2 training_time,
// 3 train_accuracy, 4 validation_accuracy, 5 test_accuracy (doubles; accuracies are
// fractions), 6 checkpoint_path, 7 predictions (strings, not kept).
struct Nb101Evaluation {
  double current_epoch = 0, training_time = 0, train_accuracy = 0, validation_accuracy = 0,
         test_accuracy = 0;
};
// nasbench.ModelMetrics: 1 repeated EvaluationData, 2 trainable_parameters (int32),
// 3 total_time (double).
struct Nb101ModelMetrics {
  std::vector<Nb101Evaluation> evaluation_data;
  int64_t trainable_parameters = 0;
  double total_time = 0;
};
Nb101ModelMetrics decode_model_metrics(std::string_view bytes);
std::string encode_model_metrics(const Nb101ModelMetrics& metrics);

// One record of the data file: the JSON list [module_hash, epochs, raw_adjacency (n*n 0/1
// characters), raw_operations (comma separated), base64 ModelMetrics].
struct Nb101Row {
  std::string module_hash;
  int epochs = 108;
  std::string adjacency;
  std::string operations;
  Nb101ModelMetrics metrics;
};
Nb101Row decode_nb101_row(std::string_view data);
std::string encode_nb101_row(const Nb101Row& row);

// Writes rows as a .tfrecord file (for test fixtures and conversions).
void write_nb101_tfrecord(const std::string& path, const std::vector<Nb101Row>& rows);

}  // namespace nas
