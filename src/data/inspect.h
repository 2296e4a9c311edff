#pragma once
// The text `dptrain inspect <dir>` prints for a dataset split.
#include <string>

#include "data/dataset.h"

namespace dpt::data {

// Schema, shards, counts and sizes of a checked split, then "check: OK" or one line per
// problem. Works with a partial check (manifest unreadable: only the problem is printed).
std::string describe_dataset(const std::string& dir, const DatasetCheck& check);

}  // namespace dpt::data
