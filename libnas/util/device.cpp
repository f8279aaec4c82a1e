#include "libnas/util/device.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>

#include <thread>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

torch::Device parse_device(const std::string& text) {
  const std::string t = to_lower(trim(text));
  if (t == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
  if (t == "cpu") return torch::kCPU;
  if (starts_with(t, "cuda")) {
    int index = 0;
    if (t.size() > 4) {
      NAS_CHECK(t[4] == ':', "--device {}: expected auto, cpu, cuda or cuda:N", quote(text));
      index = static_cast<int>(parse_int(t.substr(5), "--device index"));
    }
    NAS_CHECK(torch::cuda::is_available(),
              "--device {}: this LibTorch build has no CUDA or no GPU is visible; use --device cpu",
              quote(text));
    NAS_CHECK(index >= 0 && index < static_cast<int>(torch::cuda::device_count()),
              "--device {}: only {} CUDA device(s) present", quote(text),
              torch::cuda::device_count());
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  fail("--device {}: expected auto, cpu, cuda or cuda:N", quote(text));
}

void keep_freed_memory() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (!std::getenv("MALLOC_TOP_PAD_")) mallopt(M_TOP_PAD, 256 << 20);
#endif
}

void init_threads(int threads) {
  keep_freed_memory();
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  // OpenBLAS, when it is the BLAS in use, would start its own thread pool inside each LibTorch
  // thread. Looked up at run time so builds against another BLAS still link.
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    fn(1);
}

std::string shape_string(const torch::Tensor& x) {
  std::string s = "[";
  for (int64_t d = 0; d < x.dim(); ++d) s += (d ? ", " : "") + std::to_string(x.size(d));
  return s + "]";
}

}  // namespace nas
