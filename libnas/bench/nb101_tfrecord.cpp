#include "libnas/bench/nb101_tfrecord.h"

#include <array>
#include <cstring>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

uint64_t load_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint32_t load_u32_le(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void store_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void read_tfrecords(std::string_view content,
                    const std::function<void(std::string_view, size_t)>& fn) {
  const auto* base = reinterpret_cast<const unsigned char*>(content.data());
  size_t pos = 0, index = 0;
  while (pos < content.size()) {
    size_t left = content.size() - pos;
    if (left < 12) {
      fail("record {} at byte {}: the file ends inside the 12-byte record header (truncated file)",
           index, pos);
    }
    uint64_t length = load_u64_le(base + pos);
    uint32_t length_crc = load_u32_le(base + pos + 8);
    if (masked_crc32c(base + pos, 8) != length_crc) {
      fail("record {} at byte {}: CRC of the length field does not match (corrupt file, or not "
           "a TFRecord file)",
           index, pos);
    }
    if (length > left - 12 || left - 12 - length < 4) {
      fail("record {} at byte {}: the header announces {} data bytes plus a 4-byte CRC but only {} "
           "bytes are left (truncated file)",
           index, pos, length, left - 12);
    }
    const unsigned char* data = base + pos + 12;
    uint32_t data_crc = load_u32_le(data + length);
    if (masked_crc32c(data, length) != data_crc) {
      fail("record {} at byte {}: CRC of the {} data bytes does not match (corrupt file)", index,
           pos, length);
    }
    fn(std::string_view(reinterpret_cast<const char*>(data), length), pos);
    pos += 12 + length + 4;
    ++index;
  }
}

std::string frame_tfrecord(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  store_le(out, data.size(), 8);
  uint32_t length_crc = masked_crc32c(out.data(), 8);
  store_le(out, length_crc, 4);
  out.append(data);
  store_le(out, masked_crc32c(data.data(), data.size()), 4);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 |
                 static_cast<unsigned char>(bytes[i + 1]) << 8 |
                 static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  static const std::array<int8_t, 256> lookup = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kBase64[i])] = static_cast<int8_t>(i);
    return t;
  }();
  NAS_CHECK(text.size() % 4 == 0, "base64 text of {} characters: expected a multiple of 4",
            text.size());
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int vals[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        vals[k] = 0;
        ++pad;
        continue;
      }
      NAS_CHECK(pad == 0 && lookup[static_cast<unsigned char>(c)] >= 0,
                "base64 text: unexpected character {} at offset {}", quote(std::string(1, c)),
                i + k);
      vals[k] = lookup[static_cast<unsigned char>(c)];
    }
    uint32_t v = vals[0] << 18 | vals[1] << 12 | vals[2] << 6 | vals[3];
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

bool ProtoReader::next(int& field, int& wire_type) {
  if (pos_ >= data_.size()) return false;
  uint64_t key = varint();
  field = static_cast<int>(key >> 3);
  wire_type = static_cast<int>(key & 7);
  NAS_CHECK(field > 0, "protobuf: field number 0 at byte {} (corrupt message)", pos_);
  return true;
}

uint64_t ProtoReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    NAS_CHECK(pos_ < data_.size(), "protobuf: the message ends inside a varint (truncated)");
    auto b = static_cast<unsigned char>(data_[pos_++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("protobuf: varint longer than 10 bytes at byte {} (corrupt message)", pos_);
}

uint64_t ProtoReader::fixed64() {
  NAS_CHECK(data_.size() - pos_ >= 8, "protobuf: the message ends inside a 64-bit value (truncated)");
  uint64_t v = load_u64_le(reinterpret_cast<const unsigned char*>(data_.data() + pos_));
  pos_ += 8;
  return v;
}

uint32_t ProtoReader::fixed32() {
  NAS_CHECK(data_.size() - pos_ >= 4, "protobuf: the message ends inside a 32-bit value (truncated)");
  uint32_t v = load_u32_le(reinterpret_cast<const unsigned char*>(data_.data() + pos_));
  pos_ += 4;
  return v;
}

double ProtoReader::as_double() {
  uint64_t bits = fixed64();
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

std::string_view ProtoReader::bytes() {
  uint64_t n = varint();
  NAS_CHECK(n <= data_.size() - pos_,
            "protobuf: a length-delimited field of {} bytes runs past the end of the message "
            "({} bytes left; truncated)",
            n, data_.size() - pos_);
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

void ProtoReader::skip(int wire_type) {
  switch (wire_type) {
    case 0: varint(); break;
    case 1: fixed64(); break;
    case 2: bytes(); break;
    case 5: fixed32(); break;
    default:
      fail("protobuf: wire type {} (groups or invalid) is not used by this format (corrupt "
           "message)",
           wire_type);
  }
}

void ProtoWriter::raw_varint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void ProtoWriter::varint_field(int field, uint64_t value) {
  raw_varint(static_cast<uint64_t>(field) << 3 | 0);
  raw_varint(value);
}

void ProtoWriter::double_field(int field, double value) {
  raw_varint(static_cast<uint64_t>(field) << 3 | 1);
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  store_le(out_, bits, 8);
}

void ProtoWriter::bytes_field(int field, std::string_view value) {
  raw_varint(static_cast<uint64_t>(field) << 3 | 2);
  raw_varint(value.size());
  out_.append(value);
}

namespace {

void expect_wire(int field, int wire_type, int expected, const char* message) {
  NAS_CHECK(wire_type == expected, "protobuf {}: field {} has wire type {}, expected {}", message,
            field, wire_type, expected);
}

Nb101Evaluation decode_evaluation(std::string_view bytes) {
  Nb101Evaluation e;
  ProtoReader r(bytes);
  int field, wt;
  while (r.next(field, wt)) {
    if (field >= 1 && field <= 5) {
      expect_wire(field, wt, 1, "EvaluationData");
      double v = r.as_double();
      switch (field) {
        case 1: e.current_epoch = v; break;
        case 2: e.training_time = v; break;
        case 3: e.train_accuracy = v; break;
        case 4: e.validation_accuracy = v; break;
        case 5: e.test_accuracy = v; break;
      }
    } else {
      r.skip(wt);  // checkpoint_path, predictions and anything newer
    }
  }
  return e;
}

}  // namespace

Nb101ModelMetrics decode_model_metrics(std::string_view bytes) {
  Nb101ModelMetrics m;
  ProtoReader r(bytes);
  int field, wt;
  while (r.next(field, wt)) {
    if (field == 1) {
      expect_wire(field, wt, 2, "ModelMetrics");
      m.evaluation_data.push_back(decode_evaluation(r.bytes()));
    } else if (field == 2) {
      expect_wire(field, wt, 0, "ModelMetrics");
      // int32 travels as a sign-extended varint.
      m.trainable_parameters = static_cast<int32_t>(static_cast<uint32_t>(r.varint()));
    } else if (field == 3) {
      expect_wire(field, wt, 1, "ModelMetrics");
      m.total_time = r.as_double();
    } else {
      r.skip(wt);
    }
  }
  return m;
}

std::string encode_model_metrics(const Nb101ModelMetrics& metrics) {
  ProtoWriter w;
  for (const auto& e : metrics.evaluation_data) {
    ProtoWriter inner;
    inner.double_field(1, e.current_epoch);
    inner.double_field(2, e.training_time);
    inner.double_field(3, e.train_accuracy);
    inner.double_field(4, e.validation_accuracy);
    inner.double_field(5, e.test_accuracy);
    inner.bytes_field(6, "");
    w.bytes_field(1, inner.bytes());
  }
  w.varint_field(2, static_cast<uint64_t>(static_cast<int64_t>(
                        static_cast<int32_t>(metrics.trainable_parameters))));
  w.double_field(3, metrics.total_time);
  return w.bytes();
}

Nb101Row decode_nb101_row(std::string_view data) {
  Json j;
  try {
    j = Json::parse(data.begin(), data.end());
  } catch (const Json::exception& e) {
    fail("expected a JSON list [module_hash, epochs, adjacency, operations, metrics], found "
         "malformed JSON ({})",
         quote(std::string(data.substr(0, 40))));
  }
  NAS_CHECK(j.is_array() && j.size() == 5,
            "expected a JSON list of 5 items [module_hash, epochs, adjacency, operations, "
            "metrics], found {}",
            quote(j.dump(), 60));
  NAS_CHECK(j[0].is_string() && j[1].is_number_integer() && j[2].is_string() &&
                j[3].is_string() && j[4].is_string(),
            "expected [string, integer, string, string, string], found {}", quote(j.dump(), 60));
  Nb101Row row;
  row.module_hash = j[0].get<std::string>();
  row.epochs = j[1].get<int>();
  row.adjacency = j[2].get<std::string>();
  row.operations = j[3].get<std::string>();
  row.metrics = decode_model_metrics(base64_decode(j[4].get_ref<const std::string&>()));
  return row;
}

std::string encode_nb101_row(const Nb101Row& row) {
  Json j = Json::array({row.module_hash, row.epochs, row.adjacency, row.operations,
                        base64_encode(encode_model_metrics(row.metrics))});
  return j.dump();
}

void write_nb101_tfrecord(const std::string& path, const std::vector<Nb101Row>& rows) {
  std::string out;
  for (const auto& row : rows) out += frame_tfrecord(encode_nb101_row(row));
  write_file_atomic(path, out);
}

}  // namespace nas
