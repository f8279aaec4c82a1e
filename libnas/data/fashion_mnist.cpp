#include "libnas/data/fashion_mnist.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

const char* kHowToGet =
    "install it with: apt-get install dataset-fashion-mnist (or download the four *-ubyte.gz "
    "files of https://github.com/zalandoresearch/fashion-mnist into one folder)";

// Closes a gzFile on every path out of read_idx_file.
struct GzCloser {
  gzFile f;
  ~GzCloser() {
    if (f) gzclose(f);
  }
};

// Decompresses the whole file (zlib passes a file that is not gzip through unchanged).
std::string gunzip_file(const std::string& path) {
  NAS_CHECK(file_exists(path), "{}: file not found", path);
  GzCloser gz{gzopen(path.c_str(), "rb")};
  NAS_CHECK(gz.f != nullptr, "{}: cannot open it", path);
  gzbuffer(gz.f, 1 << 17);
  std::string out;
  std::vector<char> chunk(1 << 20);
  while (true) {
    const int n = gzread(gz.f, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(gz.f, &code);
      fail("{}: corrupt gzip stream ({}); expected a gzip-compressed idx file", path,
           msg ? msg : "read error");
    }
    if (n == 0) break;
    out.append(chunk.data(), static_cast<size_t>(n));
  }
  // A stream cut short ends reading early and leaves Z_BUF_ERROR behind.
  int code = Z_OK;
  const char* msg = gzerror(gz.f, &code);
  NAS_CHECK(code == Z_OK || code == Z_STREAM_END,
            "{}: truncated or corrupt gzip stream ({}); expected a complete gzip-compressed idx "
            "file",
            path, msg ? msg : "unexpected end of file");
  return out;
}

uint32_t read_be32(const std::string& s, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + at;
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// "dir/name.gz", or "dir/name" when only the uncompressed file is there.
std::string idx_path(const std::string& dir, const std::string& name) {
  const std::string gz = (fs::path(dir) / (name + ".gz")).string();
  if (file_exists(gz)) return gz;
  const std::string plain = (fs::path(dir) / name).string();
  if (file_exists(plain)) return plain;
  fail("{}: file not found (Fashion-MNIST); {}", gz, kHowToGet);
}

}  // namespace

IdxArray read_idx_file(const std::string& path) {
  std::string raw = gunzip_file(path);
  NAS_CHECK(raw.size() >= 4, "{}: expected an idx header (4-byte magic number), found {} bytes",
            path, raw.size());
  const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
  NAS_CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0x08 && b[3] >= 1 && b[3] <= 4,
            "{}: bad magic number 0x{:02x}{:02x}{:02x}{:02x}; expected 0x000008NN (idx file of "
            "unsigned bytes with NN = 1..4 dimensions)",
            path, unsigned(b[0]), unsigned(b[1]), unsigned(b[2]), unsigned(b[3]));
  const size_t ndims = b[3];
  const size_t header = 4 + 4 * ndims;
  NAS_CHECK(raw.size() >= header, "{}: truncated idx header; expected {} bytes, found {}", path,
            header, raw.size());
  IdxArray out;
  uint64_t count = 1;
  for (size_t d = 0; d < ndims; ++d) {
    const uint32_t v = read_be32(raw, 4 + 4 * d);
    out.dims.push_back(static_cast<int64_t>(v));
    count *= v;
    NAS_CHECK(count <= (uint64_t(1) << 36), "{}: implausible idx dimensions in the header", path);
  }
  const uint64_t body = raw.size() - header;
  NAS_CHECK(body == count, "{}: the header promises {} bytes of data, found {}{}", path, count,
            body, body < count ? " (truncated file)" : "");
  out.data = raw.substr(header);
  return out;
}

std::shared_ptr<TensorImageSource> load_fashion_mnist(const std::string& dir, bool train) {
  const std::string root = dir.empty() ? std::string(kFashionMnistDebianDir) : dir;
  std::error_code ec;
  NAS_CHECK(fs::is_directory(root, ec), "Fashion-MNIST: directory {} not found; {}", root,
            kHowToGet);
  const std::string prefix = train ? "train" : "t10k";
  const std::string img_path = idx_path(root, prefix + "-images-idx3-ubyte");
  const std::string lab_path = idx_path(root, prefix + "-labels-idx1-ubyte");
  IdxArray img = read_idx_file(img_path);
  IdxArray lab = read_idx_file(lab_path);
  NAS_CHECK(img.dims.size() == 3 && img.dims[1] == 28 && img.dims[2] == 28,
            "{}: expected images of shape [N, 28, 28], found {} dimension(s){}", img_path,
            img.dims.size(),
            img.dims.size() == 3
                ? fmt::format(" [{}, {}, {}]", img.dims[0], img.dims[1], img.dims[2])
                : std::string());
  NAS_CHECK(lab.dims.size() == 1, "{}: expected a label vector (1 dimension), found {}", lab_path,
            lab.dims.size());
  NAS_CHECK(lab.dims[0] == img.dims[0], "{}: expected {} labels (one per image of {}), found {}",
            lab_path, img.dims[0], img_path, lab.dims[0]);
  const int64_t n = img.dims[0];
  NAS_CHECK(n > 0, "{}: expected at least one image, found none", img_path);

  torch::Tensor labels = torch::empty({n}, torch::kInt64);
  int64_t* l = labels.data_ptr<int64_t>();
  const auto* lb = reinterpret_cast<const uint8_t*>(lab.data.data());
  for (int64_t i = 0; i < n; ++i) {
    NAS_CHECK(lb[i] <= 9, "{}: label {} of sample {}; expected 0..9", lab_path, int(lb[i]), i);
    l[i] = lb[i];
  }
  torch::Tensor images = torch::empty({n, 1, 28, 28}, torch::kUInt8);
  std::memcpy(images.data_ptr<uint8_t>(), img.data.data(), img.data.size());
  return std::make_shared<TensorImageSource>(
      std::string("fashion-mnist-") + (train ? "train" : "test"), images, labels, 10,
      fashion_mnist_mean(), fashion_mnist_std());
}

const std::vector<double>& fashion_mnist_mean() {
  static const std::vector<double> v{0.2860402};
  return v;
}
const std::vector<double>& fashion_mnist_std() {
  static const std::vector<double> v{0.3530239};
  return v;
}

}  // namespace nas
