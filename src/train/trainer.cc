#include "train/trainer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/timer.h"
#include "common/trace.h"
#include "checkpoint/manager.h"
#include "checkpoint/resume.h"
#include "data/loader.h"
#include "data/manifest.h"
#include "ddp/grad_reducer.h"
#include "ddp/replica_sync.h"
#include "metrics/metrics.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "optim/prune.h"
#include "optim/state.h"
#include "train/fault.h"
#include "train/init_from.h"
#include "train/step.h"
#include "train/task.h"
#include "train/train_state.h"

namespace dpt::train {

struct Trainer::State {
  const config::Config& config;
  comm::Communicator& comm;
  at::Device device;
  std::string run_dir;
  std::unique_ptr<data::Loader> loader;
  std::shared_ptr<models::Model> model;
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
  std::unique_ptr<torch::optim::Optimizer> optimizer;     // not sharded
  std::unique_ptr<ddp::ShardedOptimizer> sharded;         // ddp.shard_optimizer (Note [ZeRO-1])
  std::unique_ptr<optim::MagnitudePruner> pruner;         // prune.sparsity > 0 (Note [Gradual pruning])
  std::unique_ptr<optim::LrSchedule> schedule;
  std::unique_ptr<ddp::GradReducer> reducer;
  std::unique_ptr<metrics::JsonlWriter> jsonl;
  std::unique_ptr<checkpoint::Manager> checkpoints;
  models::InputSpec input;
  std::unique_ptr<Task> task;
  int64_t total_steps = 0;
  int64_t start_step = 0;  // > 0 after resume()
  int64_t stop_at = 0;     // stop_after()
  std::function<bool()> stop_check;

  OptimizerRef optimizer_ref() { return {optimizer.get(), sharded.get()}; }
  torch::optim::Optimizer& stepper() { return sharded ? sharded->optimizer() : *optimizer; }
  // Optimizer-state bytes of the rank holding the most (collective), logged on rank 0.
  int64_t optimizer_state_bytes() {
    const double mine = static_cast<double>(sharded ? sharded->state_bytes() : optim::state_bytes(*optimizer));
    const double most = metrics::reduce({mine}, comm, comm::ReduceOp::kMax)[0];
    DPT_LOG(kInfo) << "optimizer state: " << most / (1 << 20) << " MiB on the rank holding the most ("
                   << (sharded ? "sharded over " + std::to_string(comm.size()) + " rank(s)" : std::string("not sharded"))
                   << ")";
    return static_cast<int64_t>(most);
  }
  VocabRecord vocab;            // the training split's vocabulary (text), recorded in checkpoints
  bool skip_nonfinite = false;  // train.nonfinite = skip
  TrainFault fault;             // DPT_TRAIN_FAULT (tests)
};

namespace {

std::unique_ptr<data::Loader> make_train_loader(const config::Config& config, const comm::Communicator& comm) {
  const std::string& dir = config.get_string("data.train");
  DPT_CHECK(!dir.empty(), ConfigError, "data.train is not set; point it at a split made by 'dptrain prepare'");
  data::LoaderOptions options = data::loader_options_from_config(config, dir);
  options.mode = data::LoaderMode::kTrain;
  options.rank = comm.rank();
  options.geometry = {config.get_int("train.global_batch"), config.get_int("train.micro_batch"), comm.size(),
                      "train.global_batch, train.micro_batch"};
  options.max_epochs = config.get_int("train.steps") > 0 ? 0 : config.get_int("train.epochs");
  return std::make_unique<data::Loader>(options);
}

// What the training split tells the model: the input field's shape (the first non-label field,
// as the loader's Batch::input), the classes, and for text the vocabulary.
models::InputSpec input_spec(const data::Manifest& manifest, const config::Config& config) {
  const data::FieldSpec* label = manifest.label_field();
  const bool classify = config.get_string("train.task") == "classify";
  DPT_CHECK(label != nullptr || !classify, DataError,
            "the training split has no label field; a classifier needs one (pre-training on unlabeled text is "
            "train.task=mlm)");
  models::InputSpec spec;
  spec.num_classes = classify ? label->num_classes : 0;
  spec.vocab_size = config.get_int("model.vocab_size");
  if (manifest.text) {  // a split made by 'dptrain prepare text' records its vocabulary
    const data::TextInfo& text = *manifest.text;
    DPT_CHECK(spec.vocab_size == 0 || spec.vocab_size == text.vocab_size, ConfigError,
              "model.vocab_size=" << spec.vocab_size << " but the training split was tokenized with a vocabulary of "
              << text.vocab_size << " (" << text.vocab_path << "); leave model.vocab_size at 0 to take the split's");
    spec.vocab_size = text.vocab_size;
    if (text.pad_id >= 0) spec.pad_id = text.pad_id;
    DPT_CHECK(classify || text.mask_id >= 0, DataError,
              "train.task=mlm needs a [MASK] token, and the vocabulary " << text.vocab_path << " has none");
  }
  for (const auto& field : manifest.fields) {
    if (&field == label) continue;
    spec.sample_shape = field.shape;
    return spec;
  }
  DPT_THROW(DataError, "the training split has no input field besides the labels");
}

// The vocabulary of a text training split (Note [Vocabulary identity] in data/manifest.h).
VocabRecord split_vocab(const data::Manifest& manifest) {
  if (!manifest.text) return {};
  return {manifest.text->vocab_path, manifest.text->vocab_hash};
}

// Note [Vocabulary identity]: the test split must hold ids of the training split's vocabulary.
void check_test_vocab(const VocabRecord& train, const config::Config& config) {
  const std::string& test_dir = config.get_string("data.test");
  if (train.hash.empty() || test_dir.empty()) return;
  const data::Manifest test = data::read_manifest(test_dir);
  if (!test.text) return;
  data::check_same_vocab(*test.text, test_dir, "the training split " + config.get_string("data.train") +
                         " was tokenized with", train.path, train.hash,
                         "Prepare both splits with the same vocabulary (one 'dptrain prepare text' writes both).");
}

data::Json object(std::initializer_list<std::pair<const char*, data::Json>> members) {
  data::Json out = data::Json::object();
  for (const auto& [key, value] : members) out.set(key, value);
  return out;
}

c10::optional<at::ScalarType> grad_dtype(const std::string& name) {
  if (name == "bf16") return at::kBFloat16;
  if (name == "fp16") return at::kHalf;
  return c10::nullopt;
}

// "key = value" lines of the INI text `ini` in `sections`, as "section.key" -> value.
std::map<std::string, std::string> ini_values(const std::string& ini, const std::vector<std::string>& sections) {
  std::map<std::string, std::string> out;
  std::istringstream in(ini);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos || std::find(sections.begin(), sections.end(), section) == sections.end()) continue;
    out[section + "." + line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

// What a non-finite step (Note [Non-finite steps]) looked like, in words.
std::string describe_nonfinite(const StepStats& stats, const std::vector<std::string>& names) {
  std::ostringstream out;
  if (!stats.nonfinite_loss_ranks.empty()) {
    out << "the loss of rank(s)";
    for (size_t i = 0; i < stats.nonfinite_loss_ranks.size(); ++i) out << (i ? ", " : " ") << stats.nonfinite_loss_ranks[i];
    out << " is NaN/Inf; ";
  }
  out << "the global gradient norm is ";
  if (std::isfinite(stats.grad_norm)) {
    out << stats.grad_norm;
  } else {
    out << (std::isnan(stats.grad_norm) ? "NaN" : "Inf");
  }
  if (stats.first_nonfinite_grad >= 0) {
    out << "; first parameter with a non-finite gradient: " << names[static_cast<size_t>(stats.first_nonfinite_grad)];
  }
  return out.str();
}

// Keeps the lines of metrics.jsonl up to step `step`: a run that crashed after its last
// checkpoint logged steps that the resumed run will log again.
void truncate_metrics(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in.good()) return;
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const data::Json record = data::parse_json(line, path);
    const data::Json* at = record.find("step");
    if (at == nullptr || at->as_int() <= step) kept += line + "\n";
  }
  in.close();
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << kept;
  std::filesystem::rename(tmp, path);
}

// Zeros per prunable tensor as fractions (and "total"), logged on rank 0 as one line each.
data::Json sparsity_json(const optim::MagnitudePruner& pruner) {
  data::Json out = data::Json::object();
  for (const auto& layer : pruner.sparsity()) {
    const double fraction = static_cast<double>(layer.zeros) / static_cast<double>(std::max<int64_t>(1, layer.numel));
    out.set(layer.name, fraction);
    DPT_LOG(kInfo) << "sparsity " << layer.name << ": " << fraction << " (" << layer.zeros << " of " << layer.numel << ")";
  }
  return out;
}

// Structured pruning: {"pruned_heads": {"<layer>": removed, ..., "total": n}, "pruned_neurons": {...}}
// (the kinds pruned), logged on rank 0 as one line per layer and kind.
void removed_units_json(const optim::MagnitudePruner& pruner, data::Json& out) {
  for (const optim::UnitKind kind : {optim::UnitKind::kHead, optim::UnitKind::kNeuron}) {
    const char* what = kind == optim::UnitKind::kHead ? "heads" : "neurons";
    data::Json per_layer = data::Json::object();
    int64_t removed = 0, count = 0;
    for (const auto& layer : pruner.removed_units()) {
      if (layer.kind != kind) continue;
      per_layer.set(layer.layer, layer.removed);
      removed += layer.removed;
      count += layer.count;
      DPT_LOG(kInfo) << "pruned " << what << " " << layer.layer << ": " << layer.removed << " of " << layer.count;
    }
    if (count == 0) continue;
    per_layer.set("total", removed);
    DPT_LOG(kInfo) << "pruned " << what << " total: " << removed << " of " << count;
    out.set(std::string("pruned_") + what, per_layer);
  }
}

}  // namespace

Trainer::Trainer(const config::Config& config, comm::Communicator& comm, at::Device device)
    : s_(new State{config, comm, device}) {
  State& s = *s_;
  const optim::PruneStructure structure = optim::prune_structure(config);  // a config error: before any work
  s.loader = make_train_loader(config, comm);  // checks the batch geometry and the dataset
  const int64_t steps = config.get_int("train.steps");
  s.total_steps = steps > 0 ? steps : config.get_int("train.epochs") * s.loader->steps_per_epoch();
  DPT_CHECK(s.total_steps > 0, ConfigError, "nothing to train: set train.steps or train.epochs > 0");

  s.input = input_spec(s.loader->manifest(), config);
  s.task = make_task(config, s.input, special_tokens(s.loader->manifest()));  // first: names a task/model mismatch
  s.model = models::make_model(config, s.input);
  seed_rank_generators(config.get_int("train.seed"), comm.rank(), device);  // Note [Random streams]
  s.vocab = split_vocab(s.loader->manifest());
  check_test_vocab(s.vocab, config);
  const std::string& init_from = config.get_string("train.init_from");
  if (!init_from.empty()) {
    const InitReport report = init_from_checkpoint(init_from, *s.model);  // collective: not inside DPT_LOG
    if (s.loader->manifest().text) {  // Note [Vocabulary identity]
      data::check_same_vocab(*s.loader->manifest().text, config.get_string("data.train"),
                             "train.init_from=" + init_from + " was trained on ids of the vocabulary",
                             report.vocab.path, report.vocab.hash,
                             "Prepare the split with the pre-training vocabulary (dptrain prepare text --vocab " +
                             report.vocab.path + "), or pre-train on this one.");
    }
    DPT_LOG(kInfo) << "train.init_from " << init_from << ": " << describe(report);
  }
  s.model->to(device);
  std::vector<ddp::NamedTensor> described;
  std::vector<at::Tensor> replicated;
  for (const auto& item : s.model->named_parameters()) {
    s.names.push_back(item.key());
    s.params.push_back(item.value());
    described.push_back({item.key(), item.value()});
    replicated.push_back(item.value());
  }
  for (const auto& item : s.model->named_buffers()) {
    described.push_back({item.key(), item.value()});
    replicated.push_back(item.value());
  }
  ddp::verify_replicas(described, comm);
  ddp::broadcast_from_root(replicated, comm);

  s.schedule = std::make_unique<optim::LrSchedule>(config, s.total_steps);
  ddp::ReducerOptions reducer_options;
  reducer_options.first_bucket_bytes = static_cast<int64_t>(config.get_double("ddp.first_bucket_mb") * (1 << 20));
  reducer_options.bucket_bytes = static_cast<int64_t>(config.get_double("ddp.bucket_mb") * (1 << 20));
  reducer_options.grad_dtype = grad_dtype(config.get_string("ddp.grad_dtype"));
  reducer_options.shard = config.get_bool("ddp.shard_optimizer");
  reducer_options.rank_flags = !reducer_options.shard;  // Note [Non-finite steps]
  s.skip_nonfinite = config.get_string("train.nonfinite") == "skip";
  s.fault = TrainFault::from_env(comm.rank());
  s.reducer = std::make_unique<ddp::GradReducer>(s.names, s.params, comm, reducer_options);
  if (reducer_options.shard) {
    s.sharded = std::make_unique<ddp::ShardedOptimizer>(
        s.params, *s.reducer, comm, [&](const std::vector<at::Tensor>& blocks) { return optim::make_optimizer(config, blocks); });
  } else {
    s.optimizer = optim::make_optimizer(config, s.params);
  }
  const optim::PruneSchedule prune = optim::prune_schedule(config, s.total_steps);
  if (prune.sparsity > 0) s.pruner = std::make_unique<optim::MagnitudePruner>(s.names, s.params, prune, structure);
  int64_t count = 0;
  for (const auto& p : s.params) count += p.numel();
  DPT_LOG(kInfo) << config.get_string("model.type") << " model, " << count << " parameters in "
                 << s.reducer->buckets().size() << " gradient bucket(s); " << s.total_steps << " steps of "
                 << config.get_int("train.global_batch") << " samples (task " << s.task->name() << ", "<< s.loader->micro_steps()
                 << " micro-step(s) of " << config.get_int("train.micro_batch") << " per rank), "
                 << s.loader->steps_per_epoch() << " steps per epoch";
}

Trainer::~Trainer() = default;

std::string checkpoint_dir(const config::Config& config, const std::string& run_dir) {
  const std::string& dir = config.get_string("checkpoint.dir");
  if (!dir.empty()) return dir;
  return run_dir.empty() ? "" : run_dir + "/checkpoints";
}

std::optional<ResumeInfo> Trainer::resume(const std::string& spec, const std::string& dir) {
  State& s = *s_;
  const std::vector<std::string> candidates = checkpoint::resume_candidates(spec, dir);
  if (candidates.empty()) {
    DPT_LOG(kInfo) << "--resume " << spec << ": no checkpoint in " << dir << "; starting at step 0";
    return std::nullopt;
  }
  const std::string& optimizer = s.config.get_string("optim.name");
  const checkpoint::Loaded loaded = checkpoint::load_first_valid(
      candidates, [&](const checkpoint::Manifest& m) { check_compatible(m, *s.model, optimizer); });
  if (s.loader->manifest().text) {  // Note [Vocabulary identity] in data/manifest.h
    const VocabRecord vocab = recorded_vocab(loaded.manifest);
    data::check_same_vocab(*s.loader->manifest().text, s.config.get_string("data.train"),
                           "--resume: " + loaded.path + " was trained on ids of the vocabulary", vocab.path, vocab.hash,
                           "Resume on splits prepared with that vocabulary, or start a new run.");
  }
  const TrainPosition progress = restore_state(loaded, *s.model, s.optimizer_ref());
  s.loader->restore(progress.loader);
  s.start_step = progress.step;
  for (size_t i = 0; s.pruner && i < s.pruner->names().size(); ++i) {
    for (const auto& entry : loaded.tensors) {
      if (entry.name == "prune/" + s.pruner->names()[i]) s.pruner->set_mask(i, entry.tensor);
    }
  }
  const std::vector<std::string> sections = {"data", "model", "train", "optim"};
  const auto before = ini_values(loaded.manifest.config_text, sections);
  for (const auto& [name, value] : ini_values(s.config.to_ini(sections), sections)) {
    auto it = before.find(name);
    if (it != before.end() && it->second != value && name != "data.train" && name != "data.test") {
      DPT_LOG(kWarn) << "resuming with " << name << " = " << value << " (the checkpoint's run had " << it->second
                     << "): the run will not continue exactly";
    }
  }
  DPT_LOG(kInfo) << "resumed from " << loaded.path << " at step " << progress.step << " (epoch "
                 << progress.loader.epoch << ", sample " << progress.loader.position << "), written by "
                 << loaded.manifest.world_size << " rank(s)";
  return ResumeInfo{loaded.path, progress.step, loaded.manifest.world_size};
}

void Trainer::stop_after(int64_t step) { s_->stop_at = step; }

void Trainer::set_stop_check(std::function<bool()> check) { s_->stop_check = std::move(check); }

TrainSummary Trainer::run(const std::string& run_dir) {
  State& s = *s_;
  s.run_dir = run_dir;
  if (!s.run_dir.empty() && s.comm.rank() == 0) {
    if (s.start_step > 0) truncate_metrics(s.run_dir + "/metrics.jsonl", s.start_step);
    s.jsonl = std::make_unique<metrics::JsonlWriter>(s.run_dir + "/metrics.jsonl");
  }
  const std::string checkpoints = checkpoint_dir(s.config, s.run_dir);
  if (!checkpoints.empty()) {
    s.checkpoints = std::make_unique<checkpoint::Manager>(checkpoints, checkpoint::policy_from_config(s.config));
  }
  const int64_t global_batch = s.config.get_int("train.global_batch");
  const int64_t log_every = s.config.get_int("log.every_steps");
  const int64_t eval_every = s.config.get_int("eval.every_steps");
  const std::string& test_dir = s.config.get_string("data.test");
  StepSetup step_setup{*s.model, *s.task, s.optimizer.get(), s.reducer.get(), &s.comm, s.params,
                       s.loader->micro_steps(), s.config.get_double("train.clip_norm")};
  step_setup.sharded = s.sharded.get();
  if (s.pruner) step_setup.before_update = [&s] { s.pruner->mask_gradients(); };
  Progress progress("train", s.total_steps, Progress::parse_mode(s.config.get_string("log.progress")), log_every);

  auto log_eval = [&](int64_t step, const EvalResult& r) {
    char text[200];
    if (r.perplexity > 0) {
      std::snprintf(text, sizeof text,
                    "eval at step %lld: loss %.4f masked-token accuracy %.4f perplexity %.2f over %lld tokens",
                    static_cast<long long>(step), r.loss, r.accuracy, r.perplexity, static_cast<long long>(r.items));
    } else {
      std::snprintf(text, sizeof text, "eval at step %lld: loss %.4f accuracy %.4f over %lld samples",
                    static_cast<long long>(step), r.loss, r.accuracy, static_cast<long long>(r.samples));
    }
    progress.note(text);
    if (s.jsonl) {
      data::Json line = object({{"step", step}, {"eval_loss", r.loss}, {"eval_accuracy", r.accuracy},
                                {"eval_samples", r.samples}});
      if (r.perplexity > 0) {
        line.set("eval_perplexity", r.perplexity);
        line.set("eval_tokens", r.items);
      }
      s.jsonl->write(line);
    }
  };

  TrainSummary summary;
  summary.start_step = s.start_step;
  const ModelInfo model_info{s.config.get_string("model.type"), s.config.get_string("optim.name"), s.input, s.vocab};
  const std::string config_text = s.config.to_ini();
  auto save_checkpoint = [&](int64_t steps_done) {
    const TrainPosition position{steps_done, steps_done * global_batch, s.loader->state(),
                                 s.config.get_int("data.seed")};
    {
      DPT_TRACE_SPAN("checkpoint", trace::kMainTrack);
      checkpoint::State state = capture_state(*s.model, s.optimizer_ref(), position, model_info, config_text);
      for (size_t i = 0; s.pruner && i < s.pruner->names().size(); ++i) {
        state.replicated.push_back({"prune/" + s.pruner->names()[i], s.pruner->masks()[i].to(at::kCPU).contiguous()});
      }
      s.checkpoints->save(std::move(state));
    }
    ++summary.checkpoints;
    summary.checkpoint_stall_s += s.checkpoints->last_stall_s();
    char text[160];
    std::snprintf(text, sizeof text, "checkpoint at step %lld (%s, step loop held %.3f s)",
                  static_cast<long long>(steps_done), s.checkpoints->policy().async ? "async" : "sync",
                  s.checkpoints->last_stall_s());
    progress.note(text);
  };

  Stopwatch wall, since_first;
  Stopwatch interval;
  StepStats sum;
  double step_time_sum = 0;
  int64_t in_interval = 0, finite_in_interval = 0, epoch = 0;
  if (s.start_step >= s.total_steps) {
    DPT_LOG(kWarn) << "the checkpoint is at step " << s.start_step << ", the run has " << s.total_steps
                   << " steps: nothing left to train";
  }
  for (int64_t step = s.start_step; step < s.total_steps; ++step) {
    const double lr = s.schedule->at(step);
    optim::set_learning_rate(s.stepper(), lr);
    s.comm.note_step(step + 1);  // names the step in the watchdog's and desync check's reports
    auto next_batch = [&] {
      std::optional<data::Batch> batch = s.loader->next();
      DPT_CHECK(batch.has_value(), InternalError, "the loader ended before step " << step);
      epoch = batch->epoch;
      MicroBatch micro = s.task->prepare(*batch, s.device);
      s.fault.at(step + 1, batch->micro_step == 0, micro.inputs);
      return micro;
    };
    Stopwatch step_watch;
    const StepStats stats = train_step(step_setup, next_batch);
    if (s.pruner) {
      s.pruner->after_step(step + 1);
      if (s.sharded) s.sharded->reload_parameters();  // the master blocks take the zeros too
    }
    step_time_sum += step_watch.seconds();
    if (step == s.start_step) since_first.reset();
    if (stats.nonfinite) {
      DPT_CHECK(s.skip_nonfinite, TrainingError,
                "non-finite values in step " << step + 1 << ": " << describe_nonfinite(stats, s.names)
                    << ". The step was not applied. Lower optim.lr, set train.clip_norm, check the data, or set "
                       "train.nonfinite=skip to drop such steps");
      ++summary.skipped_steps;
      progress.note("step " + std::to_string(step + 1) + " skipped on every rank (train.nonfinite=skip): " +
                    describe_nonfinite(stats, s.names));
    } else {
      sum.loss += stats.loss;
      ++finite_in_interval;
    }
    sum.data_wait_s += stats.data_wait_s;
    sum.forward_backward_s += stats.forward_backward_s;
    sum.comm_exposed_s += stats.comm_exposed_s;
    sum.optimizer_s += stats.optimizer_s;
    ++in_interval;
    const bool last = step + 1 == s.total_steps;
    const bool requested = s.stop_check && s.stop_check();  // collective: every rank, every step
    const bool stop = (requested || (s.stop_at > 0 && step + 1 == s.stop_at)) && !last;
    if ((step + 1) % log_every == 0 || last || stop) {
      const double n = static_cast<double>(in_interval);
      // Mean over the interval, then over ranks (the loss is the mean over the global batches).
      const double finite = static_cast<double>(std::max<int64_t>(finite_in_interval, 1));
      const auto mean = metrics::reduce({sum.loss / finite, sum.data_wait_s / n, sum.forward_backward_s / n,
                                         sum.comm_exposed_s / n, sum.optimizer_s / n, step_time_sum / n},
                                        s.comm, comm::ReduceOp::kAvg);
      const double samples_per_s = static_cast<double>(global_batch) * n / interval.seconds();
      if (s.jsonl) {
        data::Json line = object({{"step", step + 1}, {"epoch", epoch}, {"loss", mean[0]}, {"lr", lr},
                                  {"samples_per_s", samples_per_s}, {"step_time_s", mean[5]},
                                  {"data_wait_s", mean[1]}, {"forward_backward_s", mean[2]},
                                  {"comm_exposed_s", mean[3]}, {"optimizer_s", mean[4]},
                                  {"skipped_steps", summary.skipped_steps}});
        if (finite_in_interval == 0) line.set("loss", data::Json());  // every step skipped: no loss
        s.jsonl->write(line);
      }
      char status[160];
      std::snprintf(status, sizeof status, "epoch %lld loss %.4f lr %.3g %.0f samples/s",
                    static_cast<long long>(epoch), mean[0], lr, samples_per_s);
      progress.update(step + 1, status);
      sum = StepStats{};
      step_time_sum = 0;
      in_interval = 0;
      finite_in_interval = 0;
      interval.reset();
    }
    if (eval_every > 0 && (step + 1) % eval_every == 0 && !last && !test_dir.empty()) {
      log_eval(step + 1, evaluate(*s.model, *s.task, test_dir, s.config, s.comm, s.device));
    }
    if (s.checkpoints && (s.checkpoints->due(step + 1, last) || stop)) save_checkpoint(step + 1);
    if (stop) {
      summary.completed = false;
      summary.stop_requested = requested;
      summary.steps = step + 1;
      break;
    }
  }
  if (summary.completed) summary.steps = std::max(s.start_step, s.total_steps);
  summary.samples = summary.steps * global_batch;
  summary.wall_s = wall.seconds();
  const int64_t ran = summary.steps - s.start_step;
  summary.samples_per_s = ran > 1 ? static_cast<double>((ran - 1) * global_batch) / since_first.seconds()
                                  : static_cast<double>(std::max<int64_t>(ran, 0) * global_batch) / summary.wall_s;
  summary.optimizer_state_bytes = s.optimizer_state_bytes();
  if (!test_dir.empty() && summary.completed) {
    summary.final_eval = evaluate(*s.model, *s.task, test_dir, s.config, s.comm, s.device);
    summary.evaluated = true;
    log_eval(s.total_steps, summary.final_eval);
  }
  if (!s.run_dir.empty() && s.comm.rank() == 0) {
    data::Json out = object({{"steps", summary.steps}, {"samples", summary.samples}, {"wall_s", summary.wall_s},
                             {"samples_per_s", summary.samples_per_s}, {"world_size", s.comm.size()},
                             {"global_batch", global_batch},
                             {"micro_batch", s.config.get_int("train.micro_batch")},
                             {"start_step", summary.start_step}, {"completed", summary.completed},
                             {"checkpoints", summary.checkpoints},
                             {"checkpoint_stall_s", summary.checkpoint_stall_s},
                             {"optimizer_state_bytes", summary.optimizer_state_bytes},
                             {"optimizer_sharded", s.sharded != nullptr},
                             {"skipped_steps", summary.skipped_steps}});
    if (s.pruner) {
      out.set("sparsity", sparsity_json(*s.pruner));
      removed_units_json(*s.pruner, out);
    }
    if (summary.evaluated) {
      out.set("eval_loss", summary.final_eval.loss);
      out.set("eval_accuracy", summary.final_eval.accuracy);
      out.set("eval_samples", summary.final_eval.samples);
      if (summary.final_eval.perplexity > 0) {
        out.set("eval_perplexity", summary.final_eval.perplexity);
        out.set("eval_tokens", summary.final_eval.items);
      }
    }
    metrics::write_json_file(s.run_dir + "/summary.json", out);
  }
  if (s.checkpoints) s.checkpoints->wait();  // an async write still in flight
  return summary;
}

}  // namespace dpt::train
