#include "libnas/report/report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/models/network.h"
#include "libnas/report/cell_diagram.h"
#include "libnas/search/experiment.h"
#include "libnas/search/history.h"
#include "libnas/search/pareto.h"
#include "libnas/search/summary.h"
#include "libnas/train/train_tool.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/plot.h"
#include "libnas/util/strings.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxDepth = 3;       // how far below a given directory runs are looked for
constexpr size_t kTableRows = 10;  // best architectures listed per run
constexpr size_t kDiagrams = 3;    // of which drawn
constexpr int kFigureWidth = 820, kFigureHeight = 440;  // pixels, every figure

std::string path_in(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

// The JSON lines of a file; an unreadable line (a torn last line of a running job) ends it.
std::vector<Json> read_jsonl(const std::string& path) {
  std::vector<Json> out;
  if (!file_exists(path)) return out;
  for (const auto& line : split(read_file(path), '\n')) {
    if (trim(line).empty()) continue;
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) break;
    out.push_back(std::move(j));
  }
  return out;
}

Json read_json(const std::string& path) {
  if (!file_exists(path)) return Json();
  Json j = Json::parse(read_file(path), nullptr, false);
  return j.is_discarded() ? Json() : j;
}

// The first JSON line of a file (null when absent or unreadable).
Json first_line(const std::string& path) {
  if (!file_exists(path)) return Json();
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  Json j = Json::parse(line, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

double number_at(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return kMissing;
  return j[key].get<double>();
}

std::string string_at(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

std::string fixed(double v, int digits = 2) {
  return present(v) ? fmt::format("{:.{}f}", v, digits) : "-";
}

std::string millions(double v) { return present(v) ? fmt::format("{:.3f} M", v / 1e6) : "-"; }

bool is_training_dir(const std::string& dir) {
  const Json j = first_line(path_in(dir, "history.jsonl"));
  return j.is_object() && j.contains("epoch") && j.contains("train_loss");
}

bool is_gan_dir(const std::string& dir) {
  const Json j = first_line(path_in(dir, "history.jsonl"));
  return file_exists(path_in(dir, "gan.pt")) || (j.is_object() && j.contains("validity"));
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec) && !e.is_symlink(ec)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// What `dir` is, from its own files; a comparison is told by `table.txt` beside at least one
// directory that is a training run itself (the main job copies its table.txt next to the NAS
// dataset, whose supernet also writes epochs, and the GAN).
std::optional<RunKind> kind_of(const std::string& dir, bool look_below = true) {
  const Json summary = read_json(path_in(dir, "summary.json"));
  if (summary.is_object() && summary.contains("strategies")) return RunKind::Search;
  if (is_gan_dir(dir)) return RunKind::Gan;
  if (file_exists(path_in(dir, "nas_dataset.jsonl"))) return RunKind::NasDataset;
  if (look_below && file_exists(path_in(dir, "table.txt"))) {
    for (const auto& d : subdirs(dir))
      if (kind_of(d, false) == RunKind::Training) return RunKind::Comparison;
  }
  if (is_training_dir(dir)) return RunKind::Training;
  return std::nullopt;
}

void collect(const std::string& dir, int depth, std::vector<FoundRun>& out) {
  if (auto kind = kind_of(dir)) {
    out.push_back({*kind, dir});
    return;
  }
  if (depth >= kMaxDepth) return;
  for (const auto& d : subdirs(dir)) collect(d, depth + 1, out);
}

// ---- HTML pieces -------------------------------------------------------------------------

// The axes of a figure on the page (all figures share one size).
PlotSpec page_spec(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  PlotSpec spec;
  spec.title = title;
  spec.xlabel = xlabel;
  spec.ylabel = ylabel;
  spec.width = kFigureWidth;
  spec.height = kFigureHeight;
  return spec;
}

std::string figure(const std::string& svg, const std::string& caption) {
  return fmt::format("<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n", svg, xml_escape(caption));
}

std::string command(const std::string& cmd) {
  return fmt::format("<pre class=\"cmd\"><code>{}</code></pre>", xml_escape(cmd));
}

struct Table {
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;  // cells already HTML
  std::string html() const {
    std::string h = "<table>\n<thead><tr>";
    for (const auto& c : head) h += "<th>" + xml_escape(c) + "</th>";
    h += "</tr></thead>\n<tbody>\n";
    for (const auto& r : rows) {
      h += "<tr>";
      for (const auto& c : r) h += "<td>" + c + "</td>";
      h += "</tr>\n";
    }
    return h + "</tbody>\n</table>\n";
  }
};

std::string code(const std::string& s) { return "<code>" + xml_escape(s) + "</code>"; }

// The cell diagrams of an architecture, or why there are none.
std::string diagrams(const std::string& space_name, const std::string& arch_text,
                     const std::string& caption) {
  try {
    auto space = make_space(space_name);
    const Arch arch = space->parse(arch_text);
    return fmt::format("<div class=\"cells\">{}</div><p class=\"caption\">{}</p>\n",
                       arch_diagrams(*space, arch), xml_escape(caption));
  } catch (const std::exception& e) {
    return fmt::format("<p class=\"note\">No diagram for {}: {}</p>\n", xml_escape(arch_text), xml_escape(e.what()));
  }
}

bool has_network(const std::string& space) {
  const auto& names = spaces_with_networks();
  return std::find(names.begin(), names.end(), space) != names.end();
}

// The train_cifar command for an architecture: the short recipe where one is shipped for its
// space and data set, else the space's defaults on `dataset` (or the tool's default).
std::string train_command(const std::string& space, const std::string& dataset,
                          const std::string& arch) {
  const std::string recipe = short_recipe_config(space, dataset);
  if (!recipe.empty()) return fmt::format("train_cifar --config {} --arch {}", recipe, shell_quote(arch));
  return fmt::format("train_cifar --space {}{} --arch {}", space,
                     dataset.empty() ? "" : " --dataset " + dataset, shell_quote(arch));
}

struct Section {
  std::string id, title, html;
};

// ---- one section per kind of run -------------------------------------------------------

Section search_section(const std::string& dir) {
  Section s{"", "search: " + dir, ""};
  const Json summary = read_json(path_in(dir, "summary.json"));
  const YAML::Node config = load_yaml_file(path_in(dir, "config.yaml"));
  const std::string benchmark = config["benchmark"] ? config["benchmark"].as<std::string>() : "";
  RunConfig run;
  {
    // The run's keys sit at the top of config.yaml beside the tool's and the strategies'.
    YAML::Node keys(YAML::NodeType::Map);
    std::set<std::string> names;
    for (const auto& kv : config_keys(run)) names.insert(kv.first.substr(0, kv.first.find('.')));
    for (const auto& kv : config)
      if (names.count(kv.first.as<std::string>())) keys[kv.first.as<std::string>()] = kv.second;
    decode_config(keys, run);
  }
  const std::string space_name = benchmark_space_name(benchmark);
  auto space = make_space(space_name);
  // The data set train_cifar trains the benchmark's networks on ("" where it cannot:
  // ImageNet16-120, or a space without a network).
  const std::string train_dataset = !has_network(space_name)            ? ""
                                    : ends_with(benchmark, "-cifar100")   ? "cifar100"
                                    : ends_with(benchmark, "-imagenet16") ? ""
                                                                          : "cifar10";
  s.title = fmt::format("search on {}: {}", benchmark, dir);

  std::optional<Oracle> oracle;
  if (summary.contains("oracle") && summary["oracle"].is_object()) {
    Oracle o;
    o.arch = string_at(summary["oracle"], "arch");
    o.objective = number_at(summary["oracle"], run.objective.c_str());
    o.test_acc = number_at(summary["oracle"], "test_acc");
    oracle = o;
  }
  std::vector<SeedRun> runs;
  for (const auto& [strategy, st] : summary["strategies"].items()) {
    for (const auto& seed : st.value("seeds", Json::array())) {
      SeedRun r;
      r.strategy = strategy;
      r.seed = seed.value("seed", int64_t{0});
      r.dir = seed_dir(dir, strategy, r.seed);
      r.result = run_from_history(read_history(path_in(r.dir, "history.jsonl")), *space, run);
      runs.push_back(std::move(r));
    }
  }
  const Summary sum = summarize(runs, run.objective, oracle);
  s.html += fmt::format("<p>{} on benchmark {} (space {}), objective {}{}; {} strategies.</p>\n",
                        xml_escape(join([&] {
                          std::vector<std::string> n;
                          for (const auto& ss : sum.strategies) n.push_back(ss.strategy);
                          return n;
                        }(), ", ")),
                        xml_escape(benchmark), xml_escape(space_name), xml_escape(run.objective),
                        run.constraint.active()
                            ? xml_escape(fmt::format(" with {} <= {:g}", run.constraint.metric, run.constraint.max))
                            : "",
                        sum.strategies.size());
  if (auto plot = best_so_far_plot(sum)) {
    plot->spec.width = kFigureWidth;
    plot->spec.height = kFigureHeight;
    s.html += figure(svg_plot(plot->spec, plot->series),
                     "Best objective found so far against evaluations: mean over seeds, the band "
                     "one standard deviation, the benchmark's optimum dashed.");
  }
  s.html += "<pre class=\"table\">" + xml_escape(summary_table(sum)) + "</pre>\n";

  if (run.constraint.active()) {
    for (const auto& ss : sum.strategies) {
      std::vector<Trial> pooled;
      for (const auto& r : runs)
        if (r.strategy == ss.strategy)
          pooled.insert(pooled.end(), r.result.trials.begin(), r.result.trials.end());
      const std::vector<int64_t> front = pareto_front(pooled, run.objective, run.constraint.metric);
      Plot plot = pareto_plot(pooled, front, run);
      if (plot.series.front().x.empty()) continue;
      plot.spec.title = ss.strategy + ": " + plot.spec.title;
      plot.spec.width = kFigureWidth;
      plot.spec.height = kFigureHeight;
      s.html += figure(svg_plot(plot.spec, plot.series),
                       fmt::format("Pareto front of {} over all its seeds' answers.", ss.strategy));
    }
  }

  // Each seed's final best, best first.
  struct Best {
    std::string strategy, arch;
    int64_t seed;
    double objective, test_acc;
  };
  std::vector<Best> bests;
  for (const auto& r : runs) {
    if (r.result.best < 0) continue;
    const Trial& t = r.result.trials[static_cast<size_t>(r.result.best)];
    bests.push_back({r.strategy, space->format(t.arch), r.seed, t.objective, t.metrics.test_acc});
  }
  std::stable_sort(bests.begin(), bests.end(),
                   [](const Best& a, const Best& b) { return a.objective > b.objective; });
  Table t{{"strategy", "seed", run.objective, "test_acc", "architecture", "look up / train"}, {}};
  std::vector<std::string> drawn;
  for (const auto& b : bests) {
    if (t.rows.size() == kTableRows) break;
    std::string cmds = command(fmt::format("get_performance --benchmark {} --arch {}", benchmark,
                                           shell_quote(b.arch)));
    if (!train_dataset.empty()) cmds += command(train_command(space_name, train_dataset, b.arch));
    t.rows.push_back({xml_escape(b.strategy), std::to_string(b.seed), fixed(b.objective, 4),
                      fixed(b.test_acc, 2), code(b.arch), cmds});
    if (drawn.size() < kDiagrams && std::find(drawn.begin(), drawn.end(), b.arch) == drawn.end())
      drawn.push_back(b.arch);
  }
  if (!t.rows.empty()) {
    s.html += "<h3>Best architectures (each seed's final answer)</h3>\n" + t.html();
    for (size_t i = 0; i < drawn.size(); ++i)
      s.html += diagrams(space_name, drawn[i], fmt::format("#{} {}", i + 1, drawn[i]));
  }
  return s;
}

Section gan_section(const std::string& dir) {
  Section s{"", "GAN: " + dir, ""};
  const std::vector<Json> history = read_jsonl(path_in(dir, "history.jsonl"));
  const Json header = first_line(path_in(dir, "nas_dataset.jsonl"));
  const std::string space = string_at(header, "space");
  const std::string dataset = string_at(header, "image_dataset");
  s.html += fmt::format("<p>NAG's GAN on a NAS dataset of space {}{}: {} epochs.</p>\n",
                        xml_escape(space.empty() ? "?" : space),
                        dataset.empty() ? "" : " (networks for " + xml_escape(dataset) + ")", history.size());
  if (!history.empty()) {
    PlotSeries validity = empty_series("validity"), uniqueness = empty_series("uniqueness"),
               novelty = empty_series("novelty"), d_loss = empty_series("discriminator loss"),
               g_loss = empty_series("generator loss");
    for (const auto& h : history) {
      const double e = number_at(h, "epoch");
      const std::vector<std::pair<PlotSeries*, const char*>> columns{
          {&validity, "validity"}, {&uniqueness, "uniqueness"}, {&novelty, "novelty"},
          {&d_loss, "d_loss"}, {&g_loss, "g_loss"}};
      for (auto [series, key] : columns) {
        series->x.push_back(e);
        const double v = number_at(h, key);
        series->y.push_back(series == &d_loss || series == &g_loss ? v : 100.0 * v);
      }
    }
    PlotSpec q = page_spec("GAN quality per epoch", "epoch", "% of generated cells");
    q.y_min = 0;
    q.y_max = 100;
    s.html += figure(svg_plot(q, {validity, uniqueness, novelty}),
                     "Validity (cells the space accepts before repair), uniqueness and novelty (not "
                     "in the NAS dataset) of the generator's samples after each epoch.");
    PlotSpec l = q;
    l.title = "GAN losses per epoch";
    l.ylabel = "loss";
    l.y_min = l.y_max = kMissing;
    s.html += figure(svg_plot(l, {d_loss, g_loss}), "Discriminator and generator losses.");
  }
  const std::vector<Json> generated = read_jsonl(path_in(dir, "generated.txt.jsonl"));
  if (!generated.empty()) {
    Table t{{"rank", "predicted acc", "params", "in dataset", "architecture", "train it"}, {}};
    for (size_t i = 0; i < generated.size() && t.rows.size() < kTableRows; ++i) {
      const Json& g = generated[i];
      const std::string arch = string_at(g, "arch");
      t.rows.push_back({std::to_string(i + 1), fixed(number_at(g, "predicted_acc")),
                        millions(number_at(g, "params")), fixed(number_at(g, "dataset_acc")),
                        code(arch), space.empty() ? "" : command(train_command(space, dataset, arch))});
    }
    s.html += "<h3>Generated architectures (generate_archs, best first)</h3>\n" + t.html();
    if (!short_recipe_config(space, dataset).empty())
      s.html += "<p class=\"note\">The command trains with the short recipe (about 1-2 minutes "
                "on 2 cores); the full recipe is printed by generate_archs.</p>\n";
    for (size_t i = 0; i < std::min(kDiagrams - 1, generated.size()); ++i) {
      const std::string arch = string_at(generated[i], "arch");
      s.html += diagrams(space, arch, fmt::format("generated #{}: {}", i + 1, arch));
    }
  }
  return s;
}

Section nas_dataset_section(const std::string& dir) {
  Section s{"", "NAS dataset: " + dir, ""};
  std::vector<Json> lines = read_jsonl(path_in(dir, "nas_dataset.jsonl"));
  if (lines.empty()) return s;
  const Json header = lines.front();
  lines.erase(lines.begin());
  const std::string space = string_at(header, "space");
  PlotSeries points = empty_series("architectures", PlotStyle::Points);
  double best = kMissing;
  std::string best_arch;
  for (const auto& r : lines) {
    const double acc = number_at(r, "acc"), params = number_at(r, "params");
    if (!present(acc)) continue;
    if (!present(best) || acc > best) best = acc, best_arch = string_at(r, "arch");
    if (!present(params)) continue;
    points.x.push_back(params / 1e6);
    points.y.push_back(acc);
  }
  s.html += fmt::format("<p>{} architectures of space {} scored by {}; the best {}.</p>\n", lines.size(),
                        xml_escape(space), xml_escape(string_at(header, "source")), fixed(best));
  if (!points.x.empty()) {
    const PlotSpec spec = page_spec("NAS dataset: accuracy against parameters", "parameters (M)", "accuracy (%)");
    s.html += figure(svg_plot(spec, {points}), "Each record of the NAS dataset the GAN learns from.");
  }
  if (!best_arch.empty()) s.html += diagrams(space, best_arch, "the dataset's best: " + best_arch);
  return s;
}

// A training run's epochs as curves: (test accuracy, train accuracy) or losses.
std::vector<PlotSeries> epoch_series(const std::vector<Json>& history, const std::string& label,
                                     const char* key) {
  PlotSeries p = empty_series(label, PlotStyle::LinesPoints);
  for (const auto& h : history) {
    const double v = number_at(h, key);
    if (!present(v)) continue;
    p.x.push_back(number_at(h, "epoch"));
    p.y.push_back(v);
  }
  return p.x.empty() ? std::vector<PlotSeries>{} : std::vector<PlotSeries>{p};
}

// The command that trains a train_cifar or train_imagenet run again from its resolved config.
std::string retrain_command(const std::string& dir, const std::string& dataset) {
  return fmt::format("{} --config {} --out {}",
                     starts_with(dataset, "imagenet") ? "train_imagenet" : "train_cifar",
                     shell_quote(path_in(dir, "config.yaml")), shell_quote(dir + "-again"));
}

Section comparison_section(const std::string& dir) {
  Section s{"", "generated vs random: " + dir, ""};
  s.html += "<pre class=\"table\">" + xml_escape(read_file(path_in(dir, "table.txt"))) + "</pre>\n";
  struct Net {
    std::string name, dir, space, arch, dataset;
    double test_acc, params, flops;
    std::vector<Json> history;
  };
  std::vector<Net> nets;
  for (const auto& d : subdirs(dir)) {
    if (kind_of(d, false) != RunKind::Training) continue;
    const Json sum = read_json(path_in(d, "summary.json"));
    nets.push_back({fs::path(d).filename().string(), d, string_at(sum, "space"), string_at(sum, "arch"),
                    string_at(sum, "dataset"), number_at(sum, "test_acc"), number_at(sum, "params"),
                    number_at(sum, "flops"), read_jsonl(path_in(d, "history.jsonl"))});
  }
  std::vector<PlotSeries> curves;
  for (const auto& n : nets)
    for (auto& p : epoch_series(n.history, n.name, "test_acc")) curves.push_back(std::move(p));
  if (!curves.empty())
    s.html += figure(svg_plot(page_spec("Test accuracy per epoch", "epoch", "test accuracy (%)"), curves),
                     "Every network of the comparison, trained with the same recipe.");
  std::stable_sort(nets.begin(), nets.end(), [](const Net& a, const Net& b) {
    return present(a.test_acc) && (!present(b.test_acc) || a.test_acc > b.test_acc);
  });
  Table t{{"network", "test acc", "params", "FLOPs", "architecture", "train it again"}, {}};
  for (const auto& n : nets)
    t.rows.push_back({xml_escape(n.name), fixed(n.test_acc), millions(n.params), millions(n.flops),
                      code(n.arch), command(retrain_command(n.dir, n.dataset))});
  s.html += "<h3>Networks, best first</h3>\n" + t.html();
  for (size_t i = 0; i < std::min<size_t>(2, nets.size()); ++i)
    s.html += diagrams(nets[i].space, nets[i].arch,
                       fmt::format("{} ({} %): {}", nets[i].name, fixed(nets[i].test_acc), nets[i].arch));
  return s;
}

Section training_section(const std::string& dir) {
  Section s{"", "training: " + dir, ""};
  const std::vector<Json> history = read_jsonl(path_in(dir, "history.jsonl"));
  const Json sum = read_json(path_in(dir, "summary.json"));
  const std::string space = string_at(sum, "space"), arch = string_at(sum, "arch");
  s.html += fmt::format(
      "<p>{} epochs{}{}.</p>\n", history.size(),
      space.empty() ? "" : fmt::format(" of {} ({}) on {}", xml_escape(arch), xml_escape(space), xml_escape(string_at(sum, "dataset"))),
      present(number_at(sum, "test_acc"))
          ? fmt::format(": test accuracy {} %, {} parameters, {} FLOPs", fixed(number_at(sum, "test_acc")),
                        millions(number_at(sum, "params")), millions(number_at(sum, "flops")))
          : " (still running or stopped: no summary.json)");
  std::vector<PlotSeries> acc = epoch_series(history, "test", "test_acc");
  for (auto& p : epoch_series(history, "train", "train_acc")) acc.push_back(std::move(p));
  if (!acc.empty()) s.html += figure(svg_plot(page_spec("Accuracy per epoch", "epoch", "accuracy (%)"), acc), "Train and test accuracy.");
  std::vector<PlotSeries> loss = epoch_series(history, "test", "test_loss");
  for (auto& p : epoch_series(history, "train", "train_loss")) loss.push_back(std::move(p));
  if (!loss.empty()) s.html += figure(svg_plot(page_spec("Loss per epoch", "epoch", "loss"), loss), "Train and test loss.");
  // train_cifar and train_imagenet name the architecture in summary.json; their config.yaml
  // reproduces the run.
  if (!arch.empty()) {
    s.html += "<h3>Train it again</h3>\n" + command(retrain_command(dir, string_at(sum, "dataset")));
    s.html += diagrams(space, arch, arch);
  }
  return s;
}

const char* kStyle = R"(body{font-family:sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
figure{margin:1em 0;display:inline-block;border:1px solid #e5e5e5;padding:.5em}
figure svg{max-width:100%;height:auto;display:block}
figcaption,.caption{color:#555;font-size:.9em;max-width:820px;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-size:.9em;word-break:break-all}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto}
pre.cmd{margin:.2em 0;user-select:all;cursor:text;white-space:pre-wrap;overflow-wrap:anywhere;min-width:24em}
.cells svg{max-width:100%;height:auto;margin-right:1em;vertical-align:top}
.note{color:#555;font-style:italic}nav li{margin:.2em 0}
)";

}  // namespace

std::vector<FoundRun> find_runs(const std::string& dir) {
  std::error_code ec;
  NAS_CHECK(fs::is_directory(dir, ec), "report: {} is not a directory", quote(dir));
  std::vector<FoundRun> out;
  collect(dir, 0, out);
  std::stable_sort(out.begin(), out.end(), [](const FoundRun& a, const FoundRun& b) {
    return static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
  return out;
}

std::string report_html(const std::vector<std::string>& dirs) {
  std::vector<FoundRun> runs;
  for (const auto& d : dirs) {
    auto found = find_runs(d);
    runs.insert(runs.end(), found.begin(), found.end());
  }
  NAS_CHECK(!runs.empty(),
            "report: no run found in {} (looked for the files search, train_gan, "
            "build_nas_dataset, train_cifar and scripts/compare_with_random.sh write, {} levels down)",
            join(dirs, ", "), kMaxDepth);
  std::vector<Section> sections;
  for (const auto& r : runs) {
    Section s;
    try {
      switch (r.kind) {
        case RunKind::Search: s = search_section(r.dir); break;
        case RunKind::Gan: s = gan_section(r.dir); break;
        case RunKind::NasDataset: s = nas_dataset_section(r.dir); break;
        case RunKind::Comparison: s = comparison_section(r.dir); break;
        case RunKind::Training: s = training_section(r.dir); break;
      }
    } catch (const std::exception& e) {
      // One unreadable run (a malformed file, a run still being written) does not cost the
      // others their page.
      spdlog::warn("report: {}: {}", r.dir, e.what());
      s.title = "unreadable run: " + r.dir;
      s.html = fmt::format("<p class=\"note\">{}</p>\n", xml_escape(e.what()));
    }
    s.id = fmt::format("run{}", sections.size() + 1);
    sections.push_back(std::move(s));
  }
  const std::time_t now = std::time(nullptr);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", std::localtime(&now));
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n";
  html += fmt::format("<title>nasgen report: {}</title>\n<style>{}</style>\n</head>\n<body>\n",
                      xml_escape(join(dirs, ", ")), kStyle);
  html += fmt::format("<h1>nasgen report</h1>\n<p>{} run(s) under {}, written {}.</p>\n<nav><ul>\n",
                      sections.size(), xml_escape(join(dirs, ", ")), stamp);
  for (const auto& s : sections)
    html += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", s.id, xml_escape(s.title));
  html += "</ul></nav>\n";
  for (const auto& s : sections)
    html += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", s.id, xml_escape(s.title), s.html);
  return html + "</body>\n</html>\n";
}

}  // namespace nas
