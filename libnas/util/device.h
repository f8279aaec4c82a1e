// Device selection (auto | cpu | cuda[:N]) and thread set-up for LibTorch.
#pragma once

#include <torch/torch.h>

#include <string>

namespace nas {

// "auto" picks CUDA when available, else CPU. "cuda" without CUDA is a nas::Error.
torch::Device parse_device(const std::string& text);

// Sets LibTorch's intra-op threads (0 = all cores; Debian's build defaults to 1) and keeps
// OpenBLAS to one thread so it does not fight LibTorch's OpenMP threads.
void init_threads(int threads = 0);

}  // namespace nas
