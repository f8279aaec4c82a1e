#include "libnas/util/device.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"

namespace nas {
namespace {

TEST(Device, ParsesNamesAndRejectsUnknown) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  EXPECT_EQ(parse_device(" CPU "), torch::Device(torch::kCPU));
  EXPECT_THROW(parse_device("gpu"), Error);
  EXPECT_THROW(parse_device("cuda:x"), Error);
  torch::Device a = parse_device("auto");
  EXPECT_EQ(a.is_cuda(), torch::cuda::is_available());
}

TEST(Device, CudaWithoutGpuIsClearError) {
  // With a GPU this checks the index bound instead; without one, the request itself is refused.
  if (torch::cuda::is_available()) {
    EXPECT_THROW(parse_device("cuda:999"), Error);
    EXPECT_TRUE(parse_device("cuda").is_cuda());
  } else {
    EXPECT_THROW(parse_device("cuda"), Error);
    EXPECT_THROW(parse_device("cuda:0"), Error);
  }
}

TEST(Device, InitThreadsSetsLibTorchThreads) {
  init_threads(2);
  EXPECT_EQ(torch::get_num_threads(), 2);
  init_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
}

}  // namespace
}  // namespace nas
