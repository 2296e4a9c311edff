#pragma once
// The small models and optimizer settings the ddp equivalence tests train (8x8 inputs, 4
// classes, a few steps of a global batch of 8).
#include <string>

#include "config/config.h"

namespace dpt::train {

inline config::Config tiny_config(const std::string& model, const std::string& optimizer) {
  config::Config cfg;
  cfg.set("model.type", model);
  cfg.set("model.hidden", "32,16");
  cfg.set("model.channels", "4");
  cfg.set("train.seed", "7");
  cfg.set("optim.name", optimizer);
  cfg.set("optim.lr", optimizer == "sgd" ? "0.05" : "0.01");
  cfg.set("optim.weight_decay", "0.01");
  return cfg;
}

}  // namespace dpt::train
