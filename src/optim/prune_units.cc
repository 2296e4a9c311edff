#include "optim/prune_units.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "common/error.h"

namespace dpt::optim {

PruneStructure prune_structure(const config::Config& config) {
  const std::string& structure = config.get_string("prune.structure");
  PruneStructure s;
  s.embeddings = config.get_bool("prune.embeddings");
  s.heads = structure == "heads" || structure == "both";
  s.neurons = structure == "neurons" || structure == "both";
  if (!s.any()) return s;
  const std::string& model = config.get_string("model.type");
  DPT_CHECK(model == "bert", ConfigError,
            "prune.structure=" << structure << " removes attention heads / feed-forward neurons of the bert model, but "
                               << "model.type=" << model << ": use prune.structure=none (single weights by magnitude)");
  DPT_CHECK(config.get_double("prune.sparsity") > 0, ConfigError,
            "prune.structure=" << structure << " needs prune.sparsity > 0, the fraction of the units to remove "
                               << "(e.g. --prune.sparsity=0.5)");
  s.attention_heads = config.get_int("model.heads");
  return s;
}

namespace {

const std::string kQuery = ".attention.self.query.weight";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<UnitSet> find_units(const std::vector<std::string>& names, const std::vector<at::Tensor>& params,
                                const PruneStructure& structure) {
  auto index = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    DPT_CHECK(it != names.end(), ConfigError,
              "prune.structure: the model has no parameter " << name << " (structured pruning expects the bert "
                                                             << "layout of models/bert.h)");
    return static_cast<size_t>(it - names.begin());
  };
  std::vector<UnitSet> out;
  for (const std::string& name : names) {
    if (!ends_with(name, kQuery)) continue;
    const std::string layer = name.substr(0, name.size() - kQuery.size());
    const std::string p = layer + ".";
    if (structure.heads) {
      UnitSet heads{layer, UnitKind::kHead, structure.attention_heads, {}};
      for (const char* part : {"attention.self.query", "attention.self.key", "attention.self.value"}) {
        heads.members.push_back({index(p + part + ".weight"), 0});
        heads.members.push_back({index(p + part + ".bias"), 0});
      }
      heads.members.push_back({index(p + "attention.output.dense.weight"), 1});
      out.push_back(heads);
    }
    if (structure.neurons) {
      const size_t inner = index(p + "intermediate.dense.weight");
      out.push_back({layer, UnitKind::kNeuron, params[inner].size(0),
                     {{inner, 0}, {index(p + "intermediate.dense.bias"), 0}, {index(p + "output.dense.weight"), 1}}});
    }
  }
  DPT_CHECK(!out.empty(), ConfigError,
            "prune.structure: no bert encoder layer (a parameter named *" << kQuery << ") in the model");
  for (const UnitSet& set : out) {
    const int64_t size = params[set.members[0].param].size(set.members[0].dim);
    for (const UnitMember& m : set.members) {
      DPT_CHECK(set.count > 0 && size % set.count == 0 && params[m.param].size(m.dim) == size, ConfigError,
                "prune.structure: " << names[m.param] << " has " << params[m.param].size(m.dim) << " entries along "
                                    << "dimension " << m.dim << ", which do not make " << set.count << " units of "
                                    << set.layer << " (" << size << " / model.heads for heads)");
    }
  }
  return out;
}

at::Tensor by_unit(const at::Tensor& t, int64_t dim, int64_t count) { return t.movedim(dim, 0).reshape({count, -1}); }

void mask_units(at::Tensor& mask, int64_t dim, const at::Tensor& keep) {
  std::vector<int64_t> shape(static_cast<size_t>(mask.dim()), 1);
  shape[static_cast<size_t>(dim)] = mask.size(dim);
  mask.mul_(keep.repeat_interleave(mask.size(dim) / keep.numel()).view(shape));
}

}  // namespace dpt::optim
