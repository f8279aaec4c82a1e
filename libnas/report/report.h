// report: one self-contained HTML page (inline SVG, no script, no network) for run directories
// of any nasgen tool: search curves with bands and the optimum, Pareto fronts, cell diagrams of
// the best architectures, training curves, GAN quality per epoch, the generated-vs-random table,
// and the commands that train the best architectures.
#pragma once

#include <string>
#include <vector>

namespace nas {

// What a run directory holds, told from its files.
enum class RunKind {
  NasDataset,  // build_nas_dataset: nas_dataset.jsonl
  Gan,         // train_gan: history.jsonl of GAN epochs (validity, uniqueness, novelty)
  Search,      // search: summary.json over strategies and seeds
  Comparison,  // compare_with_random.sh: table.txt beside one training run per network
  Training,    // train_cifar / train_imagenet: history.jsonl of epochs
};

struct FoundRun {
  RunKind kind;
  std::string dir;
};

// The run `dir` is, or, when it is none, the runs in its subdirectories (three levels down at
// most; the networks of a comparison belong to it), in pipeline order: NAS datasets, GANs,
// searches, comparisons, trainings. nas::Error when `dir` is not a directory.
std::vector<FoundRun> find_runs(const std::string& dir);

// The page for every run found under `dirs`. nas::Error when none holds a run.
std::string report_html(const std::vector<std::string>& dirs);

}  // namespace nas
