#include "train/trainer.h"

#include <ATen/ATen.h>

#include <cstdio>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/timer.h"
#include "data/loader.h"
#include "ddp/grad_reducer.h"
#include "ddp/replica_sync.h"
#include "metrics/metrics.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "train/step.h"

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
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<optim::LrSchedule> schedule;
  std::unique_ptr<ddp::GradReducer> reducer;
  std::unique_ptr<metrics::JsonlWriter> jsonl;
  int64_t total_steps = 0;
};

namespace {

std::unique_ptr<data::Loader> make_train_loader(const config::Config& config, const comm::Communicator& comm) {
  const std::string& dir = config.get_string("data.train");
  DPT_CHECK(!dir.empty(), ConfigError, "data.train is not set; point it at a split made by 'dptrain prepare'");
  data::LoaderOptions options = data::loader_options_from_config(config, dir);
  options.mode = data::LoaderMode::kTrain;
  options.rank = comm.rank();
  options.geometry = {config.get_int("train.global_batch"), config.get_int("train.micro_batch"), comm.size()};
  options.max_epochs = config.get_int("train.steps") > 0 ? 0 : config.get_int("train.epochs");
  return std::make_unique<data::Loader>(options);
}

models::InputSpec input_spec(const data::Manifest& manifest) {
  const data::FieldSpec* label = manifest.label_field();
  DPT_CHECK(label != nullptr, DataError, "the training split has no label field; a classifier needs one");
  for (const auto& field : manifest.fields) {
    if (&field != label) return {field.shape, label->num_classes};
  }
  DPT_THROW(DataError, "the training split has no input field besides the labels");
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

}  // namespace

Trainer::Trainer(const config::Config& config, comm::Communicator& comm, at::Device device)
    : s_(new State{config, comm, device}) {
  State& s = *s_;
  s.loader = make_train_loader(config, comm);  // checks the batch geometry and the dataset
  const int64_t steps = config.get_int("train.steps");
  s.total_steps = steps > 0 ? steps : config.get_int("train.epochs") * s.loader->steps_per_epoch();
  DPT_CHECK(s.total_steps > 0, ConfigError, "nothing to train: set train.steps or train.epochs > 0");

  s.model = models::make_model(config, input_spec(s.loader->manifest()));
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

  s.optimizer = optim::make_optimizer(config, s.params);
  s.schedule = std::make_unique<optim::LrSchedule>(config, s.total_steps);
  ddp::ReducerOptions reducer_options;
  reducer_options.first_bucket_bytes = static_cast<int64_t>(config.get_double("ddp.first_bucket_mb") * (1 << 20));
  reducer_options.bucket_bytes = static_cast<int64_t>(config.get_double("ddp.bucket_mb") * (1 << 20));
  reducer_options.grad_dtype = grad_dtype(config.get_string("ddp.grad_dtype"));
  s.reducer = std::make_unique<ddp::GradReducer>(s.names, s.params, comm, reducer_options);
  int64_t count = 0;
  for (const auto& p : s.params) count += p.numel();
  DPT_LOG(kInfo) << config.get_string("model.type") << " model, " << count << " parameters in "
                 << s.reducer->buckets().size() << " gradient bucket(s); " << s.total_steps << " steps of "
                 << config.get_int("train.global_batch") << " samples (" << s.loader->micro_steps()
                 << " micro-step(s) of " << config.get_int("train.micro_batch") << " per rank), "
                 << s.loader->steps_per_epoch() << " steps per epoch";
}

Trainer::~Trainer() = default;

TrainSummary Trainer::run(const std::string& run_dir) {
  State& s = *s_;
  s.run_dir = run_dir;
  if (!s.run_dir.empty() && s.comm.rank() == 0) {
    s.jsonl = std::make_unique<metrics::JsonlWriter>(s.run_dir + "/metrics.jsonl");
  }
  const int64_t global_batch = s.config.get_int("train.global_batch");
  const int64_t log_every = s.config.get_int("log.every_steps");
  const int64_t eval_every = s.config.get_int("eval.every_steps");
  const std::string& test_dir = s.config.get_string("data.test");
  const auto parameters = s.params;
  Progress progress("train", s.total_steps, Progress::parse_mode(s.config.get_string("log.progress")), log_every);

  auto log_eval = [&](int64_t step, const EvalResult& r) {
    char text[160];
    std::snprintf(text, sizeof text, "eval at step %lld: loss %.4f accuracy %.4f over %lld samples",
                  static_cast<long long>(step), r.loss, r.accuracy, static_cast<long long>(r.samples));
    progress.note(text);
    if (s.jsonl) {
      s.jsonl->write(object({{"step", step}, {"eval_loss", r.loss}, {"eval_accuracy", r.accuracy},
                              {"eval_samples", r.samples}}));
    }
  };

  TrainSummary summary;
  Stopwatch wall, since_first;
  Stopwatch interval;
  StepStats sum;
  double step_time_sum = 0;
  int64_t in_interval = 0, epoch = 0;
  for (int64_t step = 0; step < s.total_steps; ++step) {
    const double lr = s.schedule->at(step);
    optim::set_learning_rate(*s.optimizer, lr);
    auto next_batch = [&] {
      std::optional<data::Batch> batch = s.loader->next();
      DPT_CHECK(batch.has_value(), InternalError, "the loader ended before step " << step);
      epoch = batch->epoch;
      return MicroBatch{batch->input.to(s.device), batch->label.to(s.device)};
    };
    Stopwatch step_watch;
    const StepStats stats = train_step(*s.model, *s.optimizer, s.reducer.get(), parameters,
                                       s.loader->micro_steps(), next_batch, s.config.get_double("train.clip_norm"));
    step_time_sum += step_watch.seconds();
    if (step == 0) since_first.reset();
    sum.loss += stats.loss;
    sum.data_wait_s += stats.data_wait_s;
    sum.forward_backward_s += stats.forward_backward_s;
    sum.comm_exposed_s += stats.comm_exposed_s;
    sum.optimizer_s += stats.optimizer_s;
    ++in_interval;
    const bool last = step + 1 == s.total_steps;
    if ((step + 1) % log_every == 0 || last) {
      const double n = static_cast<double>(in_interval);
      // Mean over the interval, then over ranks (the loss is the mean over the global batches).
      const auto mean = metrics::reduce({sum.loss / n, sum.data_wait_s / n, sum.forward_backward_s / n,
                                         sum.comm_exposed_s / n, sum.optimizer_s / n, step_time_sum / n},
                                        s.comm, comm::ReduceOp::kAvg);
      const double samples_per_s = static_cast<double>(global_batch) * n / interval.seconds();
      if (s.jsonl) {
        s.jsonl->write(object({{"step", step + 1}, {"epoch", epoch}, {"loss", mean[0]}, {"lr", lr},
                               {"samples_per_s", samples_per_s}, {"step_time_s", mean[5]},
                               {"data_wait_s", mean[1]}, {"forward_backward_s", mean[2]},
                               {"comm_exposed_s", mean[3]}, {"optimizer_s", mean[4]}}));
      }
      char status[160];
      std::snprintf(status, sizeof status, "epoch %lld loss %.4f lr %.3g %.0f samples/s",
                    static_cast<long long>(epoch), mean[0], lr, samples_per_s);
      progress.update(step + 1, status);
      sum = StepStats{};
      step_time_sum = 0;
      in_interval = 0;
      interval.reset();
    }
    if (eval_every > 0 && (step + 1) % eval_every == 0 && !last && !test_dir.empty()) {
      log_eval(step + 1, evaluate(*s.model, test_dir, s.config, s.comm, s.device));
    }
  }
  summary.steps = s.total_steps;
  summary.samples = s.total_steps * global_batch;
  summary.wall_s = wall.seconds();
  summary.samples_per_s = s.total_steps > 1
                              ? static_cast<double>((s.total_steps - 1) * global_batch) / since_first.seconds()
                              : static_cast<double>(global_batch) / summary.wall_s;
  if (!test_dir.empty()) {
    summary.final_eval = evaluate(*s.model, test_dir, s.config, s.comm, s.device);
    summary.evaluated = true;
    log_eval(s.total_steps, summary.final_eval);
  }
  if (!s.run_dir.empty() && s.comm.rank() == 0) {
    data::Json out = object({{"steps", summary.steps}, {"samples", summary.samples}, {"wall_s", summary.wall_s},
                             {"samples_per_s", summary.samples_per_s}, {"world_size", s.comm.size()},
                             {"global_batch", global_batch},
                             {"micro_batch", s.config.get_int("train.micro_batch")}});
    if (summary.evaluated) {
      out.set("eval_loss", summary.final_eval.loss);
      out.set("eval_accuracy", summary.final_eval.accuracy);
      out.set("eval_samples", summary.final_eval.samples);
    }
    metrics::write_json_file(s.run_dir + "/summary.json", out);
  }
  return summary;
}

}  // namespace dpt::train
