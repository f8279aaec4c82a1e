#include "libnas/data/jpeg.h"

// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
#include <csetjmp>
#include <cstdlib>

#include <jerror.h>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>

#include "libnas/util/error.h"

namespace nas {

namespace {

// libjpeg reports fatal errors through error_exit, which must not return; the default one ends
// the process. Ours jumps back to the decode call, which then throws a nas::Error. The jump
// only crosses libjpeg's C frames, and the functions holding the setjmp keep no C++ objects of
// their own (everything lives behind pointers owned by the caller).
struct ErrorState {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error_exit(j_common_ptr cinfo) {
  auto* state = reinterpret_cast<ErrorState*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, state->message);
  std::longjmp(state->jump, 1);
}

// Warnings are ignored (e.g. extraneous bytes before a marker, which real photo collections
// contain), except a file that ends early: its missing rows would be made-up grey pixels.
void on_emit_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  cinfo->err->num_warnings++;
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) on_error_exit(cinfo);
}

void install_errors(ErrorState* state) {
  jpeg_std_error(&state->mgr);
  state->mgr.error_exit = on_error_exit;
  state->mgr.emit_message = on_emit_message;
  state->message[0] = '\0';
}

bool decode_into(jpeg_decompress_struct* cinfo, ErrorState* err, const unsigned char* data,
                 unsigned long size, int64_t min_short_side, RgbImage* out,
                 std::vector<uint8_t>* scratch) {
  cinfo->err = &err->mgr;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, const_cast<unsigned char*>(data), size);
  jpeg_read_header(cinfo, TRUE);
  const bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  cinfo->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  if (min_short_side > 0) {
    const int64_t shorter = std::min<int64_t>(cinfo->image_width, cinfo->image_height);
    unsigned num = 8;
    for (unsigned k = 1; k < 8; ++k) {
      if ((shorter * k + 7) / 8 >= min_short_side) {
        num = k;
        break;
      }
    }
    cinfo->scale_num = num;
    cinfo->scale_denom = 8;
  }
  jpeg_start_decompress(cinfo);
  const int64_t w = cinfo->output_width, h = cinfo->output_height;
  const int64_t comps = cinfo->output_components;
  if (w <= 0 || h <= 0 || w * h > (int64_t(1) << 28) || (comps != 3 && comps != 4)) {
    std::snprintf(err->message, sizeof(err->message), "unsupported image of %lldx%lld pixels, %lld channels",
                  static_cast<long long>(w), static_cast<long long>(h), static_cast<long long>(comps));
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  out->width = w;
  out->height = h;
  out->pixels.resize(static_cast<size_t>(w * h * 3));
  if (comps == 3) {
    while (cinfo->output_scanline < cinfo->output_height) {
      JSAMPROW row = out->pixels.data() + static_cast<size_t>(cinfo->output_scanline) * w * 3;
      jpeg_read_scanlines(cinfo, &row, 1);
    }
  } else {
    scratch->resize(static_cast<size_t>(w * 4));
    while (cinfo->output_scanline < cinfo->output_height) {
      const size_t y = cinfo->output_scanline;
      JSAMPROW row = scratch->data();
      jpeg_read_scanlines(cinfo, &row, 1);
      // Photoshop writes CMYK JPEGs inverted (the Adobe convention nearly all such files
      // follow), so each stored value already is 255 minus the ink amount.
      uint8_t* dst = out->pixels.data() + y * w * 3;
      for (int64_t x = 0; x < w; ++x) {
        const int k = (*scratch)[x * 4 + 3];
        for (int c = 0; c < 3; ++c) dst[x * 3 + c] = static_cast<uint8_t>((*scratch)[x * 4 + c] * k / 255);
      }
    }
  }
  jpeg_finish_decompress(cinfo);
  jpeg_destroy_decompress(cinfo);
  return true;
}

bool encode_into(jpeg_compress_struct* cinfo, ErrorState* err, const uint8_t* pixels, int64_t width,
                 int64_t height, int64_t channels, int quality, unsigned char** buffer,
                 unsigned long* size) {
  cinfo->err = &err->mgr;
  if (setjmp(err->jump)) {
    jpeg_destroy_compress(cinfo);
    return false;
  }
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, buffer, size);
  cinfo->image_width = static_cast<JDIMENSION>(width);
  cinfo->image_height = static_cast<JDIMENSION>(height);
  cinfo->input_components = static_cast<int>(channels);
  cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, quality, TRUE);
  jpeg_start_compress(cinfo, TRUE);
  while (cinfo->next_scanline < cinfo->image_height) {
    JSAMPROW row = const_cast<uint8_t*>(pixels) + static_cast<size_t>(cinfo->next_scanline) * width * channels;
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  jpeg_destroy_compress(cinfo);
  return true;
}

// Resampling weights for outputs [offset, offset + n) of a resize from in_size to out_size
// samples: a triangle (linear) kernel over pixel centres, widened by the scale when shrinking so
// every input pixel contributes (no aliasing).
struct Taps {
  std::vector<int64_t> first;
  std::vector<int64_t> count;
  std::vector<float> weights;  // n * stride
  int64_t stride = 0;
};

Taps make_taps(int64_t in_size, int64_t out_size, int64_t offset, int64_t n) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double support = std::max(1.0, scale);
  Taps t;
  t.stride = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<size_t>(n));
  t.count.resize(static_cast<size_t>(n));
  t.weights.assign(static_cast<size_t>(n * t.stride), 0.f);
  for (int64_t o = 0; o < n; ++o) {
    const double centre = (static_cast<double>(offset + o) + 0.5) * scale;
    const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(centre - support)));
    const int64_t hi = std::min<int64_t>(in_size, static_cast<int64_t>(std::ceil(centre + support)));
    float* w = t.weights.data() + o * t.stride;
    double sum = 0;
    int64_t k = 0;
    for (int64_t i = lo; i < hi && k < t.stride; ++i, ++k) {
      const double d = std::abs((static_cast<double>(i) + 0.5 - centre) / support);
      const double v = d < 1 ? 1 - d : 0;
      w[k] = static_cast<float>(v);
      sum += v;
    }
    if (sum <= 0) {  // cannot happen for in-range outputs; keep the nearest pixel regardless
      w[0] = 1.f;
      sum = 1;
      k = 1;
    }
    for (int64_t j = 0; j < k; ++j) w[j] = static_cast<float>(w[j] / sum);
    t.first[static_cast<size_t>(o)] = lo;
    t.count[static_cast<size_t>(o)] = k;
  }
  return t;
}

}  // namespace

RgbImage decode_jpeg(const std::string& bytes, const std::string& what, int64_t min_short_side) {
  RgbImage out;
  std::vector<uint8_t> scratch;
  jpeg_decompress_struct cinfo;
  ErrorState err;
  install_errors(&err);
  const bool ok = decode_into(&cinfo, &err, reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<unsigned long>(bytes.size()), min_short_side, &out, &scratch);
  if (!ok) {
    fail("{}: cannot decode it as a JPEG image ({}); expected a complete baseline or progressive "
         "JPEG file",
         what, err.message[0] ? err.message : "unknown error");
  }
  return out;
}

std::string encode_jpeg(const uint8_t* pixels, int64_t width, int64_t height, int64_t channels,
                        int quality) {
  NAS_CHECK(width > 0 && height > 0 && width <= 65500 && height <= 65500,
            "JPEG encoding: expected sides 1..65500, found {}x{}", width, height);
  NAS_CHECK(channels == 1 || channels == 3, "JPEG encoding: expected 1 or 3 channels, found {}",
            channels);
  NAS_CHECK(quality >= 1 && quality <= 100, "JPEG encoding: expected quality 1..100, found {}", quality);
  jpeg_compress_struct cinfo;
  ErrorState err;
  install_errors(&err);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = encode_into(&cinfo, &err, pixels, width, height, channels, quality, &buffer, &size);
  std::string out;
  if (ok && buffer) out.assign(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  if (!ok) fail_runtime("JPEG encoding failed: {}", err.message);
  return out;
}

void resize_center_crop(const RgbImage& image, int64_t resize, int64_t crop, uint8_t* out) {
  NAS_CHECK(image.width > 0 && image.height > 0 &&
                static_cast<int64_t>(image.pixels.size()) == image.width * image.height * 3,
            "resize: expected an RGB image, found {}x{} with {} bytes", image.width, image.height,
            image.pixels.size());
  NAS_CHECK(crop >= 1 && crop <= resize, "resize: expected 1 <= crop <= resize, found crop {} and resize {}",
            crop, resize);
  // Shorter side to `resize`, longer side scaled alike (rounded down, as torchvision does).
  int64_t rw, rh;
  if (image.width <= image.height) {
    rw = resize;
    rh = std::max<int64_t>(crop, resize * image.height / image.width);
  } else {
    rh = resize;
    rw = std::max<int64_t>(crop, resize * image.width / image.height);
  }
  const int64_t top = static_cast<int64_t>(std::lround(static_cast<double>(rh - crop) / 2.0));
  const int64_t left = static_cast<int64_t>(std::lround(static_cast<double>(rw - crop) / 2.0));
  const Taps tx = make_taps(image.width, rw, left, crop);
  const Taps ty = make_taps(image.height, rh, top, crop);

  // Horizontal pass over the input rows the vertical taps read, then the vertical pass.
  const int64_t row0 = ty.first.front();
  const int64_t row1 = ty.first.back() + ty.count.back();
  std::vector<float> tmp(static_cast<size_t>((row1 - row0) * crop * 3));
  const uint8_t* px = image.pixels.data();
  for (int64_t y = row0; y < row1; ++y) {
    const uint8_t* src = px + y * image.width * 3;
    float* dst = tmp.data() + (y - row0) * crop * 3;
    for (int64_t x = 0; x < crop; ++x) {
      const float* w = tx.weights.data() + x * tx.stride;
      const int64_t first = tx.first[static_cast<size_t>(x)];
      const int64_t count = tx.count[static_cast<size_t>(x)];
      float r = 0, g = 0, b = 0;
      for (int64_t k = 0; k < count; ++k) {
        const uint8_t* p = src + (first + k) * 3;
        r += w[k] * p[0];
        g += w[k] * p[1];
        b += w[k] * p[2];
      }
      dst[x * 3] = r;
      dst[x * 3 + 1] = g;
      dst[x * 3 + 2] = b;
    }
  }
  const int64_t plane = crop * crop;
  for (int64_t y = 0; y < crop; ++y) {
    const float* w = ty.weights.data() + y * ty.stride;
    const int64_t first = ty.first[static_cast<size_t>(y)];
    const int64_t count = ty.count[static_cast<size_t>(y)];
    for (int64_t x = 0; x < crop; ++x) {
      float acc[3] = {0, 0, 0};
      for (int64_t k = 0; k < count; ++k) {
        const float* p = tmp.data() + ((first + k - row0) * crop + x) * 3;
        acc[0] += w[k] * p[0];
        acc[1] += w[k] * p[1];
        acc[2] += w[k] * p[2];
      }
      for (int c = 0; c < 3; ++c) {
        const float v = std::min(255.f, std::max(0.f, acc[c] + 0.5f));
        out[c * plane + y * crop + x] = static_cast<uint8_t>(v);
      }
    }
  }
}

}  // namespace nas
