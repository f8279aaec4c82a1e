// JPEG decoding and encoding (libjpeg-turbo) and the resize + centre crop of the ImageNet
// recipe, on interleaved RGB bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nas {

// An image as interleaved RGB bytes, rows top to bottom.
struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;  // height * width * 3
};

// Decodes a JPEG held in memory (`what` names it in errors). Grayscale and CMYK images become
// RGB. With min_short_side > 0 the decoder scales by k/8 (the cheapest size whose shorter side
// is still >= min_short_side), which makes decoding large photos several times faster.
// nas::Error naming `what` for data that is not a JPEG, corrupt or truncated.
RgbImage decode_jpeg(const std::string& bytes, const std::string& what, int64_t min_short_side = 0);

// Encodes `channels` (1 or 3) interleaved bytes as a JPEG of the given quality (1..100).
std::string encode_jpeg(const uint8_t* pixels, int64_t width, int64_t height, int64_t channels,
                        int quality = 95);

// Resizes the image so its shorter side is `resize` (the longer one keeps the aspect ratio) and
// writes the centre crop of side `crop` (<= resize) as planar uint8 [3, crop, crop] to `out`.
// Resampling is a triangle filter widened by the scale when shrinking (antialiased bilinear).
void resize_center_crop(const RgbImage& image, int64_t resize, int64_t crop, uint8_t* out);

}  // namespace nas
