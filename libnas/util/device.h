// Device selection (auto | cpu | cuda[:N]), thread set-up and small helpers for LibTorch.
#pragma once

#include <torch/torch.h>

#include <string>

namespace nas {

// "auto" picks CUDA when available, else CPU. "cuda" without CUDA is a nas::Error.
torch::Device parse_device(const std::string& text);

// Sets LibTorch's intra-op threads (0 = all cores; Debian's build defaults to 1), keeps
// OpenBLAS to one thread so it does not fight LibTorch's OpenMP threads, and calls
// keep_freed_memory().
void init_threads(int threads = 0);

// Tunes glibc's malloc for training: by default every tensor above its mmap threshold is
// mapped on allocation and unmapped on free, and the heap is trimmed back to the kernel, so
// each step page-faults its activations in again (10-20 % of a CPU training step, measured by
// bench/train_throughput). Raises the mmap threshold to its maximum (32 MiB) and keeps freed
// memory for reuse. An environment that sets MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_
// keeps its own values. Idempotent.
void keep_freed_memory();

// A tensor's shape for messages: "[2, 3, 32, 32]".
std::string shape_string(const torch::Tensor& x);

}  // namespace nas
