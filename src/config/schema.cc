#include "config/schema.h"

namespace dpt::config {

const std::vector<Section>& sections() {
  static const std::vector<Section> list = {
      {"run", "process layout and run directory"},
      {"comm", "gradient communication"},
      {"data", "datasets, sample order and loading"},
      {"model", "model architecture"},
      {"train", "optimization steps, batches, seed"},
      {"optim", "optimizer and learning-rate schedule"},
      {"ddp", "gradient buckets and their reduction"},
      {"eval", "evaluation on the test split"},
      {"checkpoint", "checkpoints: when, where, how many, sync or async"},
      {"log", "metrics and progress output"},
      {"prune", "global magnitude pruning (weights, or bert heads / neurons) during training (docs/compression.md)"},
  };
  return list;
}

const std::vector<OptionSpec>& schema() {
  using T = Type;
  static const std::vector<OptionSpec> table = {
      // run
      {"run.name", T::kString, "default", "run name; outputs go to <run.dir>/<run.name>/"},
      {"run.dir", T::kString, "runs", "parent directory of run directories"},
      {"run.threads", T::kInt, "0",
       "intra-op threads per rank; 0 = cores on the node / ranks on the node", 0},
      {"run.launcher_check", T::kBool, "true",
       "fail when the launcher announces several tasks but MPI sees one rank"},
      // comm
      {"comm.backend", T::kString, "auto",
       "all-reduce backend: auto (nccl on GPUs, else mpi), mpi or nccl", -1e300, "auto|mpi|nccl"},
      {"comm.timeout_s", T::kDouble, "300",
       "deadline of every collective: after it the rank reports what it waited for and which ranks had not "
       "arrived, and aborts the job; 0 = no watchdog", 0},
      {"comm.check_collectives", T::kBool, "false",
       "before every collective, check that all ranks issue the same one (op, dtype, element count); a "
       "mismatch names the ranks (also DPT_DEBUG_COLLECTIVES=1; costs one small all-gather per collective)"},
      // data
      {"data.train", T::kString, "", "training split directory (made by 'dptrain prepare')"},
      {"data.test", T::kString, "", "evaluation split directory (made by 'dptrain prepare')"},
      {"data.seed", T::kInt, "0", "seed of the sample order (with the epoch; same on every rank)", 0},
      {"data.shuffle", T::kBool, "true", "shuffle shards and samples each epoch; false = file order"},
      {"data.shuffle_block", T::kInt, "16384",
       "samples per shuffle block: read as whole contiguous rows, permuted in memory", 1},
      {"data.prefetch", T::kInt, "4", "micro-batches each rank's loader keeps ready ahead", 1},
      {"data.workers", T::kInt, "0",
       "threads per rank building micro-batches from uncompressed shards; 0 = this rank's share of the cores "
       "it may run on (at most 4)", 0},
      {"data.pixel_mean", T::kDouble, "0", "image fields become (x/255 - pixel_mean)/pixel_std"},
      {"data.pixel_std", T::kDouble, "1", "see data.pixel_mean; 'dptrain inspect' prints a split's values", 1e-6},
      // model
      {"model.type", T::kString, "mlp", "model registry key", -1e300, "mlp|cnn|bert"},
      {"model.hidden", T::kString, "256,256",
       "mlp: hidden layer widths, comma-separated; bert: the one hidden size (e.g. 128)"},
      {"model.channels", T::kInt, "16", "cnn: channels of the first stage (doubled per stage)", 1},
      {"model.layers", T::kInt, "2", "bert: encoder layers", 1},
      {"model.heads", T::kInt, "4", "bert: attention heads (model.hidden must be a multiple)", 1},
      {"model.ffn", T::kInt, "0", "bert: feed-forward width; 0 = 4 x model.hidden", 0},
      {"model.max_len", T::kInt, "0", "bert: position embeddings; 0 = the dataset's sequence length", 0},
      {"model.vocab_size", T::kInt, "0", "bert: vocabulary size; 0 = the one the dataset's manifest records", 0},
      {"model.norm", T::kString, "post", "bert: LayerNorm after each sub-layer (post, as BERT) or before (pre)",
       -1e300, "post|pre"},
      {"model.pooling", T::kString, "cls",
       "bert classifier: what the pooler reads, the [CLS] position (cls, as BERT) or the mean over real tokens (mean)",
       -1e300, "cls|mean"},
      {"model.dropout", T::kDouble, "0.1", "bert: dropout of hidden states and attention probabilities", 0},
      // train
      {"train.global_batch", T::kInt, "256",
       "samples per optimizer step over all ranks (defines the run, independent of ranks)", 1},
      {"train.micro_batch", T::kInt, "64", "samples per rank per forward/backward", 1},
      {"train.epochs", T::kInt, "1", "passes over the training split (ignored when train.steps > 0)", 0},
      {"train.steps", T::kInt, "0", "optimizer steps to run; 0 = train.epochs epochs", 0},
      {"train.seed", T::kInt, "0", "seed of the model initialization and of each rank's dropout stream", 0},
      {"train.clip_norm", T::kDouble, "0", "clip gradients to this global L2 norm; 0 = off", 0},
      {"train.task", T::kString, "classify",
       "objective: classify (cross-entropy on the label field) or mlm (masked-LM pre-training, bert)", -1e300,
       "classify|mlm"},
      {"train.mlm_probability", T::kDouble, "0.15",
       "mlm: fraction of real non-special tokens masked (of those 80% [MASK], 10% random, 10% kept)", 0},
      {"train.init_from", T::kString, "",
       "checkpoint whose matching parameters initialize the model (e.g. a pre-trained encoder); heads it "
       "lacks stay freshly initialized"},
      {"train.precision", T::kString, "fp32",
       "forward-pass arithmetic: fp32, or bf16 = autocast (matrix products and convolutions in bfloat16; "
       "weights, gradients and optimizer state stay float32)", -1e300, "fp32|bf16"},
      {"train.nonfinite", T::kString, "abort",
       "a NaN/Inf loss (any rank) or gradient: abort (stop, naming the step and the first non-finite parameter "
       "gradient) or skip (drop that optimizer step on every rank, count it in the metrics)", -1e300, "abort|skip"},
      // optim
      {"optim.name", T::kString, "sgd", "optimizer", -1e300, "sgd|adam|adamw"},
      {"optim.lr", T::kDouble, "0.1", "peak learning rate", 0},
      {"optim.momentum", T::kDouble, "0.9", "sgd momentum", 0},
      {"optim.nesterov", T::kBool, "false", "sgd: Nesterov momentum"},
      {"optim.weight_decay", T::kDouble, "0", "weight decay (decoupled for adamw)", 0},
      {"optim.beta1", T::kDouble, "0.9", "adam/adamw beta1", 0},
      {"optim.beta2", T::kDouble, "0.999", "adam/adamw beta2", 0},
      {"optim.eps", T::kDouble, "1e-8", "adam/adamw epsilon", 0},
      {"optim.schedule", T::kString, "constant", "learning-rate decay after warm-up", -1e300,
       "constant|cosine|linear"},
      {"optim.warmup_steps", T::kInt, "0", "steps of linear warm-up from 0 to optim.lr", 0},
      {"optim.min_lr_ratio", T::kDouble, "0", "cosine/linear decay end point, as a fraction of optim.lr", 0},
      // ddp
      {"ddp.bucket_mb", T::kDouble, "25", "gradient bucket size in MiB (the first bucket is 1 MiB)", 0.001},
      {"ddp.first_bucket_mb", T::kDouble, "1", "size of the first bucket, which is ready earliest", 0.001},
      {"ddp.grad_dtype", T::kString, "fp32", "dtype gradients are reduced in", -1e300, "fp32|bf16|fp16"},
      {"ddp.shard_optimizer", T::kBool, "false",
       "ZeRO stage 1: reduce-scatter gradients, each rank keeps and updates only its 1/world-size block "
       "of the optimizer state, then all-gather the parameters (docs/compression.md)"},
      // eval
      {"eval.every_steps", T::kInt, "0", "evaluate every N optimizer steps; 0 = only at the end", 0},
      {"eval.micro_batch", T::kInt, "256", "samples per rank per evaluation batch", 1},
      // checkpoint
      {"checkpoint.every_steps", T::kInt, "0", "write a checkpoint every N optimizer steps; 0 = not by steps", 0},
      {"checkpoint.every_seconds", T::kDouble, "0",
       "write a checkpoint when this many seconds passed since the last (rank 0's clock); 0 = not by time", 0},
      {"checkpoint.at_end", T::kBool, "true", "write a checkpoint after the last step"},
      {"checkpoint.keep", T::kInt, "3", "committed checkpoints kept, newest first; 0 = keep all", 0},
      {"checkpoint.keep_every", T::kInt, "0", "also keep every checkpoint whose step is a multiple of N; 0 = none",
       0},
      {"checkpoint.async", T::kBool, "false",
       "write checkpoints on a background thread; the step loop pays only for a host copy"},
      {"checkpoint.dir", T::kString, "", "checkpoint directory; empty = <run directory>/checkpoints"},
      {"checkpoint.collective_buffering", T::kBool, "true",
       "let MPI-IO aggregate the collective writes (two-phase I/O); false: every rank writes its own "
       "contiguous share directly (see docs/checkpoint.md)"},
      // log
      {"log.every_steps", T::kInt, "10", "write a metrics.jsonl line every N steps", 1},
      {"log.timeline", T::kBool, "false",
       "write runs/<name>/timeline.json (Chrome trace: step loop, communication, loader per rank)"},
      {"log.progress", T::kString, "auto",
       "rank 0 progress: auto (bar on a terminal, lines otherwise), bar, lines, off", -1e300,
       "auto|bar|lines|off"},
      // prune
      {"prune.sparsity", T::kDouble, "0",
       "target fraction of zero weights (matrices and convolution kernels, over all layers together), or with "
       "prune.structure the fraction of the heads / neurons removed; 0 = off", 0},
      {"prune.start_step", T::kInt, "0", "optimizer steps before pruning begins", 0},
      {"prune.end_step", T::kInt, "0",
       "step at which prune.sparsity is reached (cubic schedule); 0 = 3/4 of the way from start_step to the end", 0},
      {"prune.every_steps", T::kInt, "10", "recompute the masks every N steps between start_step and end_step", 1},
      {"prune.structure", T::kString, "none",
       "what is pruned: none (single weights by magnitude), or for bert whole units ranked by L2 norm over all "
       "layers: heads (attention heads), neurons (feed-forward neurons), both (each to prune.sparsity)",
       -1e300, "none|heads|neurons|both"},
      {"prune.embeddings", T::kBool, "false",
       "single-weight pruning also prunes embedding tables (parameters named *embeddings.*); off, as in the BERT "
       "pruning literature: prune.sparsity then counts the encoder's and heads' weight matrices"},
      // run (continued)
      {"run.stop_signals", T::kString, "TERM,USR1,USR2",
       "signals that make training checkpoint at the next step and exit with code 75 (requeue); "
       "comma-separated, or 'none'"},
  };
  return table;
}

const OptionSpec* find_option(const std::string& name) {
  for (const auto& spec : schema()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace dpt::config
