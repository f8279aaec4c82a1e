// report: one self-contained HTML page for run directories of any nasgen tool.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "libnas/report/report.h"
#include "libnas/util/cli.h"
#include "libnas/util/file_io.h"

int main(int argc, char** argv) {
  nas::Tool tool("report",
                 "Writes one self-contained HTML page (inline SVG; no script, no network) for run "
                 "directories of any nasgen tool: search curves with bands and the optimum, Pareto "
                 "fronts, cell diagrams of the best architectures (Graphviz), training curves, GAN "
                 "quality per epoch, the generated-vs-random table, and the commands that train "
                 "the best architectures. A directory that is not a run itself is searched for "
                 "runs three levels down (the main job's directory, runs/).");
  tool.example("report runs/main", "the main job's page: runs/main/report.html");
  tool.example("report runs/search_nb201 runs/nag_multiobj --out both.html", "two runs on one page");

  std::vector<std::string> dirs;
  std::string out;
  CLI::App& app = tool.app();
  app.add_option("RUN_DIR", dirs, "Run directories (or directories holding runs)")->required();
  app.add_option("--out", out, "Where the page goes (default: RUN_DIR/report.html of the first)");

  return tool.run(argc, argv, [&]() -> int {
    const std::string html = nas::report_html(dirs);
    if (out.empty()) out = (std::filesystem::path(dirs.front()) / "report.html").string();
    nas::write_file_atomic(out, html);
    std::printf("report: %s\n", out.c_str());
    return 0;
  });
}
