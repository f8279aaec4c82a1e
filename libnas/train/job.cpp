#include "libnas/train/job.h"

#include <sstream>

#include "libnas/data/synthetic.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/rng.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

// NetworkConfig <-> JSON through its field list (every field is a scalar).
struct JsonWriter {
  Json& j;
  template <typename T>
  void operator()(const char* key, T& field, const char* = "") {
    j[key] = field;
  }
};
struct JsonReader {
  const Json& j;
  const std::string& what;
  template <typename T>
  void operator()(const char* key, T& field, const char* = "") {
    NAS_CHECK(j.contains(key), "{}: network field {} missing", what, key);
    field = j[key].get<T>();
  }
};

// Spaces tried, in order, for an arch text without --space.
const char* const kInferOrder[] = {"darts", "nag", "nb201", "macro", "channel-resnet", "nb101"};

}  // namespace

TrainJobConfig cifar_recipe(const std::string& dataset) {
  TrainJobConfig job;
  job.dataset = canonical_image_source_name(dataset);
  job.network.channels = 36;
  job.network.layers = 6;
  job.network.auxiliary = true;
  job.network.dropout = 0.4;
  job.network.drop_path_keep = 0.8;
  job.train.epochs = 600;
  job.train.batch_size = 128;
  job.train.eval_batch_size = 500;
  job.train.lr = LrSchedule{};  // cosine 0.025 -> 0, offset 1
  job.train.sgd = SgdConfig{0.9, false, 3e-4};
  job.train.grad_clip = 5.0;
  job.train.aux_weight = 0.4;
  job.augment = default_augment(job.dataset, 16);
  return job;
}

TrainJobConfig imagenet_recipe() {
  TrainJobConfig job;
  job.dataset = "imagenet";
  job.network.channels = 42;
  job.network.layers = 4;
  job.network.auxiliary = true;
  job.network.dropout = 0.0;
  job.network.drop_path_keep = 1.0;
  job.train.epochs = 250;
  job.train.batch_size = 128;
  job.train.eval_batch_size = 250;
  job.train.lr.kind = "exponential";
  job.train.lr.lr = 0.1;
  job.train.lr.gamma = 0.97;
  job.train.sgd = SgdConfig{0.9, false, 3e-5};
  job.train.grad_clip = 5.0;
  job.train.aux_weight = 0.4;
  job.train.label_smoothing = 0.1;
  job.train.workers = 2;
  job.augment = default_augment("imagenet");
  return job;
}

ResolvedArch resolve_arch(const std::string& text, const std::string& space_name) {
  const std::string t = trim(text);
  NAS_CHECK(!t.empty(), "no architecture: pass --arch NAME_OR_TEXT or --arch-file FILE");
  ResolvedArch r;
  if (starts_with(t, "random:")) {
    // A random architecture of the space, drawn by its sampler from the seed after the colon:
    // the baseline a searched architecture is compared against.
    NAS_CHECK(!space_name.empty(), "--arch {}: a random architecture needs --space NAME",
              quote(t));
    const int64_t seed = parse_int(t.substr(7), "--arch random:SEED");
    NAS_CHECK(seed >= 0, "--arch {}: expected a seed >= 0", quote(t));
    r.space = make_space(space_name);
    Rng rng(static_cast<uint64_t>(seed));
    r.arch = r.space->sample(rng);
  } else if (!space_name.empty()) {
    r.space = make_space(space_name);
    r.arch = r.space->parse(t);
  } else {
    try {
      r.space = nao_space_for(t);
      r.arch = r.space->parse(t);
    } catch (const Error&) {
      r.space = nullptr;
    }
    for (const char* name : kInferOrder) {
      if (r.space) break;
      auto space = make_space(name);
      try {
        r.arch = space->parse(t);
        r.space = space;
      } catch (const Error&) {
      }
    }
    NAS_CHECK(r.space != nullptr,
              "--arch {}: not an architecture of nao, nao-11, {} (names: NAONet-A, NAONet-B, "
              "NAONet-WS, DARTS-V1, DARTS-V2, RS-NAG, ...); pass --space NAME for that space's "
              "own message",
              quote(t.size() > 80 ? t.substr(0, 77) + "..." : t), join(std::vector<std::string>(
                                                                   std::begin(kInferOrder),
                                                                   std::end(kInferOrder)),
                                                               ", "));
  }
  r.space->validate(r.arch);
  r.text = r.space->format(r.arch);
  return r;
}

ResolvedArch resolve_job_arch(const TrainJobConfig& job) {
  NAS_CHECK(job.arch.empty() || job.arch_file.empty(),
            "give the architecture once: --arch or --arch-file, not both");
  if (!job.arch_file.empty()) {
    std::istringstream in(read_file(job.arch_file));
    std::string line;
    while (std::getline(in, line)) {
      line = trim(line);
      if (!line.empty() && line[0] != '#') return resolve_arch(line, job.space);
    }
    fail("--arch-file {}: no architecture in it (expected one per line, the first is trained)",
         job.arch_file);
  }
  return resolve_arch(job.arch, job.space);
}

std::shared_ptr<const ImageSource> open_job_data(const TrainJobConfig& job, bool train) {
  NAS_CHECK(job.train_subset >= 0 && job.test_subset >= 0 && job.synthetic_size >= 0,
            "train_subset, test_subset and synthetic_size must be >= 0");
  SourceOptions options;
  options.synthetic_size = train ? job.synthetic_size : std::max<int64_t>(job.synthetic_size / 4, 0);
  std::shared_ptr<const ImageSource> source =
      open_image_source(job.dataset, job.data_dir, train, options);
  const int64_t keep = train ? job.train_subset : job.test_subset;
  if (keep > 0 && keep < source->size()) {
    std::vector<int64_t> idx(static_cast<size_t>(source->size()));
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
    if (train) {
      Rng rng(0x5ab5e7);  // the same subset whatever the run's seed
      rng.shuffle(idx);
    }
    idx.resize(static_cast<size_t>(keep));
    source = std::make_shared<SubsetSource>(source, idx);
  }
  return source;
}

NetworkConfig job_network_config(const TrainJobConfig& job, const ImageSource* data) {
  NetworkConfig cfg = job.network;
  const std::string dataset = canonical_image_source_name(job.dataset);
  int64_t classes = 10, channels = 3, size = 32;
  if (data) {
    classes = data->num_classes();
    channels = data->image_shape()[0];
    size = data->image_shape()[1];
  } else if (dataset == "cifar100") {
    classes = 100;
  } else if (dataset == "fashion-mnist") {
    channels = 1;
    size = 28;
  } else if (dataset == "imagenet") {
    classes = 1000;
    size = SourceOptions{}.crop;
  }
  cfg.num_classes = classes;
  cfg.in_channels = channels;
  cfg.image_size = job.augment.resized_crop > 0 ? job.augment.resized_crop : size;
  cfg.imagenet = dataset == "imagenet";
  return cfg;
}

const std::vector<std::string>& data_network_keys() {
  static const std::vector<std::string> keys = {"num_classes", "in_channels", "image_size",
                                                "imagenet"};
  return keys;
}

Json describe_network(const ResolvedArch& arch, const TrainJobConfig& job,
                      const NetworkConfig& cfg, const std::vector<double>& mean,
                      const std::vector<double>& stddev) {
  Json j;
  j["space"] = arch.space->name();
  j["arch"] = arch.text;
  j["dataset"] = job.dataset;
  j["synthetic_size"] = job.synthetic_size;
  j["test_subset"] = job.test_subset;
  Json net;
  JsonWriter w{net};
  NetworkConfig copy = cfg;
  copy.fields(w);
  j["network"] = net;
  j["mean"] = mean;
  j["stddev"] = stddev;
  return j;
}

LoadedModel load_trained_model(const std::string& path, torch::Device device) {
  Json file = read_checkpoint_meta(path);
  NAS_CHECK(file.contains("meta") && file["meta"].contains("space") && file["meta"].contains("arch"),
            "{}: not a nasgen model (no architecture inside)", path);
  LoadedModel m;
  m.meta = file;
  const Json& d = file["meta"];
  m.arch = resolve_arch(d["arch"].get<std::string>(), d["space"].get<std::string>());
  m.dataset = d.value("dataset", std::string());
  m.synthetic_size = d.value("synthetic_size", int64_t{0});
  m.test_subset = d.value("test_subset", int64_t{0});
  const std::string what = "model " + path;
  NAS_CHECK(d.contains("network") && d.contains("mean") && d.contains("stddev"),
            "{}: not a nasgen model (no network description inside)", path);
  JsonReader r{d["network"], what};
  m.network.fields(r);
  m.mean = d["mean"].get<std::vector<double>>();
  m.stddev = d["stddev"].get<std::vector<double>>();
  m.net = build_network(*m.arch.space, m.arch.arch, m.network);
  load_checkpoint(path, *m.net);
  m.net->to(device);
  if (prefers_channels_last(device)) to_channels_last(*m.net);
  m.net->eval();
  return m;
}

}  // namespace nas
