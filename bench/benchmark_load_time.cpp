// Prints how long opening each tabular benchmark takes (one line per benchmark and file).
//   benchmark_load_time [--repeat N]
#include <chrono>
#include <cstdio>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/util/cli.h"
#include "libnas/util/error.h"

int main(int argc, char** argv) {
  nas::Tool tool("benchmark_load_time", "Times opening every available tabular benchmark.");
  tool.example("benchmark_load_time --repeat 5");
  int repeat = 3;
  tool.app().add_option("--repeat", repeat, "loads per benchmark (the best is printed)");
  return tool.run(argc, argv, [&] {
    for (const auto& name : nas::benchmark_names()) {
      double best = 1e300;
      int64_t archs = 0;
      try {
        for (int i = 0; i < repeat; ++i) {
          auto t0 = std::chrono::steady_clock::now();
          auto b = nas::open_benchmark(name);
          double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          best = std::min(best, s);
          archs = b->num_archs();
        }
        std::printf("%-18s %6lld archs  %.3f s\n", name.c_str(), static_cast<long long>(archs), best);
      } catch (const nas::Error& e) {
        std::printf("%-18s unavailable: %s\n", name.c_str(), e.what());
      }
    }
    return 0;
  });
}
