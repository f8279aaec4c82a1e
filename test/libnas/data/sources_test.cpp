// The image sources: CIFAR binary, Fashion-MNIST idx.gz and JPEG class folders read from
// fixtures written here in the public formats (pixels and labels checked exactly, or within
// JPEG's loss), every malformed input rejected with a one-line nas::Error naming the file, the
// synthetic source, subsets, and the real Fashion-MNIST files when Debian's package is there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <set>

#include "libnas/data/cifar.h"
#include "libnas/data/dataset.h"
#include "libnas/data/fashion_mnist.h"
#include "libnas/data/imagenet.h"
#include "libnas/data/jpeg.h"
#include "libnas/data/synthetic.h"
#include "libnas/util/error.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using test::TempDir;
using test::write_text;

// The message of the nas::Error f throws ("no error" / "other: ..." otherwise).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("other exception: ") + e.what();
  }
  return "no error";
}

// ---- CIFAR ----------------------------------------------------------------------------------

uint8_t cifar_pixel(int64_t g, int64_t c, int64_t y, int64_t x) {
  return static_cast<uint8_t>((g * 7 + c * 31 + y * 5 + x * 3) & 255);
}

// Records g = first .. first + n - 1: label bytes then pixels (planes R, G, B).
std::string cifar_records(int64_t first, int64_t n, int label_bytes, int64_t classes) {
  std::string out;
  for (int64_t g = first; g < first + n; ++g) {
    if (label_bytes == 2) out.push_back(static_cast<char>(g % 20));  // coarse
    out.push_back(static_cast<char>(g % classes));
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 32; ++y)
        for (int64_t x = 0; x < 32; ++x) out.push_back(static_cast<char>(cifar_pixel(g, c, y, x)));
  }
  return out;
}

// CIFAR-10 fixture: 3 records per training file, 4 in the test file.
void write_cifar10(const std::string& dir) {
  fs::create_directories(dir);
  for (int f = 0; f < 5; ++f)
    write_text(dir + "/data_batch_" + std::to_string(f + 1) + ".bin", cifar_records(f * 3, 3, 1, 10));
  write_text(dir + "/test_batch.bin", cifar_records(100, 4, 1, 10));
}

void expect_cifar_sample(const ImageSource& src, int64_t i, int64_t g, int64_t classes) {
  torch::Tensor img, lab;
  src.get_batch({i}, img, lab);
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_EQ(lab[0].item<int64_t>(), g % classes);
  for (int64_t c : {0, 1, 2})
    for (auto yx : {std::pair<int64_t, int64_t>{0, 0}, {5, 17}, {31, 31}, {20, 3}})
      EXPECT_EQ(img[0][c][yx.first][yx.second].item<uint8_t>(), cifar_pixel(g, c, yx.first, yx.second))
          << "sample " << i << " channel " << c;
}

TEST(DataSources, Cifar10TrainAndTestPixelsAndLabels) {
  TempDir tmp;
  write_cifar10(tmp.file("cifar-10-batches-bin"));
  // The parent of the extracted folder works too.
  auto train = load_cifar10(tmp.path(), true);
  ASSERT_EQ(train->size(), 15);
  EXPECT_EQ(train->num_classes(), 10);
  EXPECT_EQ(train->image_shape(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_NEAR(train->mean()[0], 0.49139968, 1e-9);
  EXPECT_NEAR(train->stddev()[2], 0.26158768, 1e-9);
  for (int64_t i : {0, 4, 14}) expect_cifar_sample(*train, i, i, 10);
  auto test = load_cifar10(tmp.file("cifar-10-batches-bin"), false);
  ASSERT_EQ(test->size(), 4);
  for (int64_t i : {0, 3}) expect_cifar_sample(*test, i, 100 + i, 10);
  // A batch keeps the requested order.
  torch::Tensor img, lab;
  train->get_batch({7, 2, 7}, img, lab);
  EXPECT_EQ(lab[0].item<int64_t>(), 7);
  EXPECT_EQ(lab[1].item<int64_t>(), 2);
  EXPECT_TRUE(torch::equal(img[0], img[2]));
}

TEST(DataSources, Cifar100UsesFineLabels) {
  TempDir tmp;
  write_text(tmp.file("train.bin"), cifar_records(0, 130, 2, 100));
  write_text(tmp.file("test.bin"), cifar_records(0, 5, 2, 100));
  auto train = open_image_source("cifar100", tmp.path(), true);
  ASSERT_EQ(train->size(), 130);
  EXPECT_EQ(train->num_classes(), 100);
  // Fine label g % 100 (the coarse byte would give g % 20).
  expect_cifar_sample(*train, 127, 127, 100);
  expect_cifar_sample(*train, 45, 45, 100);
  EXPECT_NEAR(train->mean()[0], 0.50707519, 1e-9);
  EXPECT_EQ(open_image_source("CIFAR-100", tmp.path(), false)->size(), 5);
}

TEST(DataSources, CifarBadInputs) {
  TempDir tmp;
  const std::string dir = tmp.file("c10");
  // A missing directory says where to get the data set.
  std::string e = error_of([&] { load_cifar10(tmp.file("nowhere"), true); });
  EXPECT_THAT(e, HasSubstr("nowhere"));
  EXPECT_THAT(e, HasSubstr("cifar-10-binary.tar.gz"));
  e = error_of([&] { load_cifar100(tmp.file("nowhere"), true); });
  EXPECT_THAT(e, HasSubstr("cifar-100-binary.tar.gz"));

  write_cifar10(dir);
  // A missing file of the split.
  fs::remove(dir + "/data_batch_3.bin");
  e = error_of([&] { load_cifar10(dir, true); });
  EXPECT_THAT(e, HasSubstr("data_batch_3.bin"));
  EXPECT_THAT(e, HasSubstr("not found"));
  write_cifar10(dir);
  // Truncated: not a whole number of records.
  std::string rec = cifar_records(0, 2, 1, 10);
  write_text(dir + "/data_batch_2.bin", rec.substr(0, rec.size() - 100));
  e = error_of([&] { load_cifar10(dir, true); });
  EXPECT_THAT(e, HasSubstr("data_batch_2.bin"));
  EXPECT_THAT(e, HasSubstr("3073-byte"));
  // Empty file.
  write_text(dir + "/data_batch_2.bin", "");
  EXPECT_THAT(error_of([&] { load_cifar10(dir, true); }), HasSubstr("found 0 bytes"));
  // A CIFAR-100 file is not a CIFAR-10 file (3074-byte records do not divide evenly here).
  write_text(dir + "/test_batch.bin", cifar_records(0, 3, 2, 100));
  EXPECT_THAT(error_of([&] { load_cifar10(dir, false); }), HasSubstr("test_batch.bin"));
  // A label out of range.
  rec = cifar_records(0, 2, 1, 10);
  rec[3073] = 12;
  write_text(dir + "/test_batch.bin", rec);
  e = error_of([&] { load_cifar10(dir, false); });
  EXPECT_THAT(e, HasSubstr("record 1"));
  EXPECT_THAT(e, HasSubstr("expected 0..9"));
}

// ---- Fashion-MNIST --------------------------------------------------------------------------

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 255);
  return s;
}

std::string idx_bytes(const std::vector<uint32_t>& dims, const std::string& data, uint8_t type = 8) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) out += be32(d);
  return out + data;
}

void write_gz(const std::string& path, const std::string& content) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, content.data(), static_cast<unsigned>(content.size())), static_cast<int>(content.size()));
  gzclose(f);
}

uint8_t fm_pixel(int64_t i, int64_t y, int64_t x) { return static_cast<uint8_t>((i * 13 + y * 9 + x) & 255); }

void write_fashion(const std::string& dir, const std::string& prefix, int64_t n) {
  fs::create_directories(dir);
  std::string img, lab;
  for (int64_t i = 0; i < n; ++i) {
    lab.push_back(static_cast<char>((i * 3) % 10));
    for (int64_t y = 0; y < 28; ++y)
      for (int64_t x = 0; x < 28; ++x) img.push_back(static_cast<char>(fm_pixel(i, y, x)));
  }
  write_gz(dir + "/" + prefix + "-images-idx3-ubyte.gz", idx_bytes({uint32_t(n), 28, 28}, img));
  write_gz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", idx_bytes({uint32_t(n)}, lab));
}

TEST(DataSources, FashionMnistIdxGzPixelsAndLabels) {
  TempDir tmp;
  write_fashion(tmp.path(), "train", 12);
  write_fashion(tmp.path(), "t10k", 5);
  auto train = open_image_source("fashion-mnist", tmp.path(), true);
  ASSERT_EQ(train->size(), 12);
  EXPECT_EQ(train->num_classes(), 10);
  EXPECT_EQ(train->image_shape(), (std::vector<int64_t>{1, 28, 28}));
  ASSERT_EQ(train->mean().size(), 1u);
  torch::Tensor img, lab;
  train->get_batch({11, 0, 4}, img, lab);
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{3, 1, 28, 28}));
  const int64_t ids[3] = {11, 0, 4};
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(lab[k].item<int64_t>(), (ids[k] * 3) % 10);
    for (auto yx : {std::pair<int64_t, int64_t>{0, 0}, {27, 27}, {13, 2}})
      EXPECT_EQ(img[k][0][yx.first][yx.second].item<uint8_t>(), fm_pixel(ids[k], yx.first, yx.second));
  }
  EXPECT_EQ(load_fashion_mnist(tmp.path(), false)->size(), 5);
  // Plain (uncompressed) idx files are read as well.
  IdxArray a = read_idx_file(tmp.path() + "/t10k-labels-idx1-ubyte.gz");
  write_text(tmp.file("plain-idx1-ubyte"), idx_bytes({3}, std::string("\x01\x02\x03", 3)));
  IdxArray b = read_idx_file(tmp.file("plain-idx1-ubyte"));
  EXPECT_EQ(a.dims, (std::vector<int64_t>{5}));
  EXPECT_EQ(b.data, std::string("\x01\x02\x03", 3));
}

TEST(DataSources, FashionMnistBadInputs) {
  TempDir tmp;
  std::string e = error_of([&] { load_fashion_mnist(tmp.file("absent"), true); });
  EXPECT_THAT(e, HasSubstr("absent"));
  EXPECT_THAT(e, HasSubstr("apt-get install dataset-fashion-mnist"));
  e = error_of([&] { load_fashion_mnist(tmp.path(), true); });
  EXPECT_THAT(e, HasSubstr("train-images-idx3-ubyte.gz: file not found"));

  const std::string dir = tmp.path();
  const std::string images = dir + "/train-images-idx3-ubyte.gz";
  const std::string labels = dir + "/train-labels-idx1-ubyte.gz";
  auto reset = [&] { write_fashion(dir, "train", 4); };

  // Bad magic number (a float idx file, type 0x0D).
  reset();
  write_gz(images, idx_bytes({4, 28, 28}, std::string(4 * 784, '\0'), 0x0d));
  e = error_of([&] { load_fashion_mnist(dir, true); });
  EXPECT_THAT(e, HasSubstr("train-images-idx3-ubyte.gz: bad magic number 0x00000d03"));
  // Data shorter than the header says.
  reset();
  write_gz(images, idx_bytes({4, 28, 28}, std::string(3 * 784, '\0')));
  e = error_of([&] { load_fashion_mnist(dir, true); });
  EXPECT_THAT(e, HasSubstr("truncated file"));
  // Wrong image size.
  reset();
  write_gz(images, idx_bytes({4, 32, 32}, std::string(4 * 1024, '\0')));
  EXPECT_THAT(error_of([&] { load_fashion_mnist(dir, true); }), HasSubstr("[N, 28, 28]"));
  // Label count differs from the image count.
  reset();
  write_gz(labels, idx_bytes({3}, std::string(3, '\1')));
  e = error_of([&] { load_fashion_mnist(dir, true); });
  EXPECT_THAT(e, HasSubstr("train-labels-idx1-ubyte.gz: expected 4 labels"));
  // A label out of range.
  reset();
  write_gz(labels, idx_bytes({4}, std::string("\1\2\12\3", 4)));
  EXPECT_THAT(error_of([&] { load_fashion_mnist(dir, true); }), HasSubstr("label 10 of sample 2"));
  // A truncated gzip stream.
  reset();
  std::string gz = test::read_text(images);
  write_text(images, gz.substr(0, gz.size() / 2));
  e = error_of([&] { load_fashion_mnist(dir, true); });
  EXPECT_THAT(e, HasSubstr("train-images-idx3-ubyte.gz"));
  EXPECT_THAT(e, HasSubstr("gzip"));
  // Not even an idx header.
  write_gz(images, "ab");
  EXPECT_THAT(error_of([&] { read_idx_file(images); }), HasSubstr("expected an idx header"));
}

TEST(DataSources, RealFashionMnist) {
  const std::string dir = kFashionMnistDebianDir;
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  auto train = open_image_source("fashion-mnist", "", true);
  auto test = open_image_source("fmnist", "", false);
  ASSERT_EQ(train->size(), 60000);
  ASSERT_EQ(test->size(), 10000);
  EXPECT_EQ(train->image_shape(), (std::vector<int64_t>{1, 28, 28}));
  auto* t = dynamic_cast<const TensorImageSource*>(train.get());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->labels().min().item<int64_t>(), 0);
  EXPECT_EQ(t->labels().max().item<int64_t>(), 9);
  // Balanced: 6000 images per class.
  torch::Tensor counts = torch::bincount(t->labels());
  EXPECT_TRUE(torch::all(counts == 6000).item<bool>());
  // The normalisation constants are the training set's statistics.
  std::vector<double> mean, stddev;
  channel_stats(t->images(), mean, stddev);
  EXPECT_NEAR(mean[0], train->mean()[0], 1e-5);
  EXPECT_NEAR(stddev[0], train->stddev()[0], 1e-5);
}

// ---- JPEG class folders ---------------------------------------------------------------------

// A width x height RGB image, the left half colour a and the right half colour b.
std::string two_colour_jpeg(int64_t width, int64_t height, const uint8_t a[3], const uint8_t b[3]) {
  std::vector<uint8_t> px(static_cast<size_t>(width * height * 3));
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) px[(y * width + x) * 3 + c] = x < width / 2 ? a[c] : b[c];
  return encode_jpeg(px.data(), width, height, 3, 100);
}

const uint8_t kRed[3] = {220, 30, 30};
const uint8_t kBlue[3] = {20, 40, 200};
const uint8_t kGrey[3] = {128, 128, 128};

void expect_colour(const torch::Tensor& img, int64_t y, int64_t x, const uint8_t rgb[3], int tol = 6) {
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(img[c][y][x].item<uint8_t>(), rgb[c], tol) << "pixel (" << y << ", " << x << ") channel " << c;
}

// root/train/{ant,bee}, root/val/{ant,bee}; bee holds two images.
void write_folders(const std::string& root) {
  for (const char* split : {"train", "val"}) {
    fs::create_directories(root + "/" + split + "/bee");
    fs::create_directories(root + "/" + split + "/ant");
    write_text(root + "/" + split + "/bee/b1.JPEG", two_colour_jpeg(96, 48, kRed, kBlue));
    write_text(root + "/" + split + "/bee/b0.jpg", two_colour_jpeg(40, 40, kGrey, kGrey));
    write_text(root + "/" + split + "/ant/a.JPEG", two_colour_jpeg(64, 64, kBlue, kBlue));
    write_text(root + "/" + split + "/ant/notes.txt", "not an image");
  }
}

TEST(DataSources, ImageFoldersDecodeResizeAndCrop) {
  TempDir tmp;
  write_folders(tmp.path());
  SourceOptions opt;
  opt.resize = 24;
  opt.crop = 16;
  auto val = open_image_source("imagenet", tmp.path(), false, opt);
  auto* folders = dynamic_cast<const ImageFolderSource*>(val.get());
  ASSERT_NE(folders, nullptr);
  EXPECT_EQ(folders->classes(), (std::vector<std::string>{"ant", "bee"}));
  ASSERT_EQ(val->size(), 3);
  EXPECT_EQ(val->num_classes(), 2);
  EXPECT_EQ(val->image_shape(), (std::vector<int64_t>{3, 16, 16}));
  EXPECT_NEAR(val->mean()[1], 0.456, 1e-12);
  torch::Tensor img, lab;
  val->get_batch({0, 1, 2}, img, lab);
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{3, 3, 16, 16}));
  EXPECT_EQ(lab[0].item<int64_t>(), 0);  // ant/a.JPEG
  EXPECT_EQ(lab[1].item<int64_t>(), 1);  // bee/b0.jpg (files sorted by name)
  EXPECT_EQ(lab[2].item<int64_t>(), 1);  // bee/b1.JPEG
  expect_colour(img[0], 8, 8, kBlue);
  expect_colour(img[1], 0, 15, kGrey);
  // 96x48 -> 48x24 after the shorter side goes to 24 -> centre 16x16 = columns 16..31 of 48:
  // left half (columns < 24) red, right half blue, the edge blurred over a pixel or two.
  expect_colour(img[2], 8, 2, kRed);
  expect_colour(img[2], 0, 5, kRed);
  expect_colour(img[2], 15, 10, kBlue);
  expect_colour(img[2], 8, 14, kBlue);
  // Training split: the centre square of side `resize`.
  auto train = open_image_source("imagenet", tmp.path(), true, opt);
  EXPECT_EQ(train->image_shape(), (std::vector<int64_t>{3, 24, 24}));
  train->get_batch({2}, img, lab);
  expect_colour(img[0], 12, 3, kRed);
  expect_colour(img[0], 12, 20, kBlue);
}

TEST(DataSources, JpegDecodeGreyAndScaled) {
  std::vector<uint8_t> grey(50 * 30);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<uint8_t>(i % 50 * 5);
  RgbImage g = decode_jpeg(encode_jpeg(grey.data(), 50, 30, 1, 100), "grey");
  ASSERT_EQ(g.width, 50);
  ASSERT_EQ(g.height, 30);
  for (int64_t x : {0, 20, 49}) {
    const uint8_t* p = &g.pixels[(10 * 50 + x) * 3];
    EXPECT_EQ(p[0], p[1]);
    EXPECT_EQ(p[1], p[2]);
    EXPECT_NEAR(p[0], x * 5, 4);
  }
  // DCT scaling: the smallest k/8 size whose shorter side is still >= 100.
  std::vector<uint8_t> big(800 * 400 * 3, 90);
  RgbImage s = decode_jpeg(encode_jpeg(big.data(), 800, 400, 3, 90), "big", 100);
  EXPECT_EQ(s.height, 100);
  EXPECT_EQ(s.width, 200);
  EXPECT_NEAR(s.pixels[1000], 90, 3);
  // Resize to the same size and crop everything: the identity.
  RgbImage same;
  same.width = 7;
  same.height = 5;
  for (int i = 0; i < 7 * 5 * 3; ++i) same.pixels.push_back(static_cast<uint8_t>(i * 7));
  std::vector<uint8_t> out(3 * 5 * 5);
  resize_center_crop(same, 5, 5, out.data());
  // Output (c, y, x) = input pixel (y, x + 1) channel c (7 columns, centre 5).
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(out[c * 25 + y * 5 + x], same.pixels[(y * 7 + x + 1) * 3 + c]);
}

TEST(DataSources, ImageFolderBadInputs) {
  TempDir tmp;
  const std::string root = tmp.path();
  std::string e = error_of([&] { open_image_source("imagenet", root + "/none", true); });
  EXPECT_THAT(e, HasSubstr("none"));
  EXPECT_THAT(e, HasSubstr("class folders"));
  write_folders(root);
  // An empty class folder.
  fs::create_directories(root + "/train/cat");
  e = error_of([&] { open_image_source("imagenet", root, true); });
  EXPECT_THAT(e, HasSubstr("train/cat"));
  EXPECT_THAT(e, HasSubstr("no .JPEG"));
  fs::remove(root + "/train/cat");
  // A val class the training split lacks.
  fs::create_directories(root + "/val/dog");
  write_text(root + "/val/dog/d.JPEG", two_colour_jpeg(8, 8, kRed, kRed));
  EXPECT_THAT(error_of([&] { open_image_source("imagenet", root, false); }), HasSubstr("val/dog"));
  fs::remove_all(root + "/val/dog");
  // A corrupt JPEG: an error naming the file when its batch is loaded.
  write_text(root + "/train/ant/bad.JPEG", "this is not a jpeg at all");
  auto train = open_image_source("imagenet", root, true);
  torch::Tensor img, lab;
  e = error_of([&] { train->get_batch({0}, img, lab); });  // ant/a.JPEG < ant/bad.JPEG
  EXPECT_EQ(e, "no error");
  e = error_of([&] { train->get_batch({1}, img, lab); });
  EXPECT_THAT(e, HasSubstr("train/ant/bad.JPEG: cannot decode it as a JPEG"));
  // A truncated JPEG.
  std::string good = two_colour_jpeg(64, 64, kRed, kBlue);
  write_text(root + "/train/ant/bad.JPEG", good.substr(0, good.size() / 2));
  e = error_of([&] { train->get_batch({1}, img, lab); });
  EXPECT_THAT(e, HasSubstr("bad.JPEG: cannot decode"));
  EXPECT_THAT(e, HasSubstr("Premature end"));
  write_text(root + "/train/ant/bad.JPEG", "");
  EXPECT_THAT(error_of([&] { train->get_batch({1}, img, lab); }), HasSubstr("bad.JPEG"));
  // Out-of-range sample index.
  EXPECT_THAT(error_of([&] { train->get_batch({99}, img, lab); }), HasSubstr("sample index 99"));
  // crop larger than resize.
  SourceOptions opt;
  opt.crop = 300;
  EXPECT_THAT(error_of([&] { open_image_source("imagenet", root, false, opt); }), HasSubstr("crop"));
}

// ---- synthetic, registry, subsets -----------------------------------------------------------

TEST(DataSources, SyntheticIsDeterministicAndLearnable) {
  SyntheticConfig cfg;
  cfg.size = 600;
  cfg.shape = {3, 16, 16};
  auto a = make_synthetic_source(cfg, true);
  auto b = make_synthetic_source(cfg, true);
  EXPECT_TRUE(torch::equal(a->images(), b->images()));
  EXPECT_TRUE(torch::equal(a->labels(), b->labels()));
  EXPECT_TRUE(torch::all(torch::bincount(a->labels()) == 60).item<bool>());
  auto test = make_synthetic_source(cfg, false);
  EXPECT_FALSE(torch::equal(a->images().slice(0, 0, 10), test->images().slice(0, 0, 10)));
  cfg.seed = 1;
  EXPECT_FALSE(torch::equal(a->images(), make_synthetic_source(cfg, true)->images()));
  // The classes are separable: nearest class mean (trained on train) on the test split.
  torch::Tensor x = a->images().to(torch::kFloat32).flatten(1);
  torch::Tensor centroids = torch::zeros({10, x.size(1)});
  centroids.index_add_(0, a->labels(), x);
  centroids /= torch::bincount(a->labels()).to(torch::kFloat32).unsqueeze(1);
  torch::Tensor xt = test->images().to(torch::kFloat32).flatten(1);
  torch::Tensor pred = torch::cdist(xt, centroids).argmin(1);
  const double acc = pred.eq(test->labels()).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(acc, 0.9);
  // Statistics are the data's own.
  std::vector<double> mean, stddev;
  channel_stats(a->images(), mean, stddev);
  EXPECT_NEAR(mean[1], a->mean()[1], 1e-12);
}

TEST(DataSources, RegistryNamesAndDefaults) {
  EXPECT_EQ(image_source_names().size(), 5u);
  std::string e = error_of([] { open_image_source("mnist", "", true); });
  EXPECT_THAT(e, HasSubstr("'mnist'"));
  EXPECT_THAT(e, HasSubstr("cifar10, cifar100, fashion-mnist, imagenet, synthetic"));
  EXPECT_EQ(default_image_dir("fashion-mnist"), kFashionMnistDebianDir);
  EXPECT_THAT(default_image_dir("cifar10"), HasSubstr("cifar-10-batches-bin"));
  EXPECT_EQ(canonical_image_source_name("Fashion_MNIST"), "fashion-mnist");
  SourceOptions opt;
  opt.synthetic_size = 50;
  opt.synthetic_shape = {1, 8, 8};
  auto s = open_image_source("synthetic", "", true, opt);
  EXPECT_EQ(s->size(), 50);
  EXPECT_EQ(s->image_shape(), (std::vector<int64_t>{1, 8, 8}));
  EXPECT_EQ(open_image_source("synthetic", "", false)->size(), 512);
}

TEST(DataSources, SubsetsAndSplits) {
  SyntheticConfig cfg;
  cfg.size = 100;
  cfg.shape = {1, 4, 4};
  std::shared_ptr<const TensorImageSource> src = make_synthetic_source(cfg, true);
  auto [first, second] = split_source(src, 90, 7);
  EXPECT_EQ(first->size(), 90);
  EXPECT_EQ(second->size(), 10);
  std::set<int64_t> all(first->indices().begin(), first->indices().end());
  all.insert(second->indices().begin(), second->indices().end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(split_source(src, 90, 7).first->indices(), first->indices());
  EXPECT_NE(split_source(src, 90, 8).first->indices(), first->indices());
  torch::Tensor img, lab, pimg, plab;
  second->get_batch({3, 0}, img, lab);
  src->get_batch({second->indices()[3], second->indices()[0]}, pimg, plab);
  EXPECT_TRUE(torch::equal(img, pimg));
  EXPECT_TRUE(torch::equal(lab, plab));
  EXPECT_EQ(second->mean(), src->mean());
  EXPECT_THAT(error_of([&] { second->get_batch({10}, img, lab); }), HasSubstr("sample index 10"));
  EXPECT_THAT(error_of([&] { SubsetSource(src, {100}); }), HasSubstr("sample index 100"));
  EXPECT_THAT(error_of([&] { split_source(src, 101, 0); }), HasSubstr("0..100"));
}

}  // namespace
}  // namespace nas
