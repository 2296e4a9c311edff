#include "apps/prepare_options.h"

#include <mpi.h>

#include <boost/program_options.hpp>
#include <sstream>

#include "common/error.h"

namespace po = boost::program_options;

namespace dpt::apps {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

void require_one_process(const std::string& command) {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  DPT_CHECK(world == 1, ConfigError, "run 'dptrain " << command << "' as one process, not under mpirun -np " << world);
}

void add_split_write_options(po::options_description* options) {
  options->add_options()
      ("shards", po::value<int64_t>()->default_value(0), "number of shards; 0 = from --shard-mb")
      ("shard-mb", po::value<double>()->default_value(16.0), "target MiB per shard when --shards is 0")
      ("chunk-kb", po::value<int64_t>()->default_value(512), "target KiB per HDF5 chunk (whole samples)")
      ("compress", "deflate-compress the chunks (smaller files, slower loading)")
      ("overwrite", "replace an existing --out (only after the new split is complete)");
}

data::SplitWriteOptions split_write_options(const po::variables_map& vm, const std::string& created_by) {
  data::SplitWriteOptions w;
  w.shards = vm["shards"].as<int64_t>();
  w.shard_mb = vm["shard-mb"].as<double>();
  w.overwrite = vm.count("overwrite") > 0;
  w.shard.compress = vm.count("compress") > 0;
  w.shard.chunk_bytes = vm["chunk-kb"].as<int64_t>() * 1024;
  DPT_CHECK(w.shard.chunk_bytes > 0, ConfigError, "--chunk-kb must be > 0");
  w.created_by = created_by;
  return w;
}

void add_corpus_options(po::options_description* options, bool labels) {
  options->add_options()
      ("input", po::value<std::vector<std::string>>()->composing(),
       "text file or directory (walked recursively, sorted); repeat for more")
      ("format", po::value<std::string>()->default_value("plain"),
       "plain (a file is a document), lines (a line is a document), fortune (documents between '%' "
       "lines; *.dat skipped) or tsv (a line is a record)");
  if (!labels) return;
  options->add_options()
      ("labels", po::value<std::string>()->default_value("none"),
       "none, dir (the file's directory name), file (the file name without extension) or column (tsv)")
      ("text-column", po::value<int>()->default_value(0), "tsv: the column holding the text, from 0")
      ("label-column", po::value<int>()->default_value(1), "tsv with --labels column: the label's column, from 0")
      ("tsv-header", "tsv: the first line of each file is a header");
}

text::CorpusOptions corpus_options(const po::variables_map& vm) {
  text::CorpusOptions o;
  if (vm.count("input")) o.inputs = vm["input"].as<std::vector<std::string>>();
  o.format = text::parse_corpus_format(vm["format"].as<std::string>());
  if (vm.count("labels")) {
    o.labels = text::parse_label_source(vm["labels"].as<std::string>());
    o.text_column = vm["text-column"].as<int>();
    o.label_column = vm["label-column"].as<int>();
    o.tsv_header = vm.count("tsv-header") > 0;
    DPT_CHECK(o.text_column >= 0 && o.label_column >= 0, ConfigError, "--text-column and --label-column count from 0");
  }
  return o;
}

void add_tokenizer_options(po::options_description* options) {
  options->add_options()
      ("lower-case", po::value<bool>()->default_value(true), "lower-case the text (BERT uncased); false keeps case")
      ("strip-accents", po::value<std::string>()->default_value("auto"),
       "remove accents (NFD, then nonspacing marks): true, false, or auto = as --lower-case");
}

text::BasicOptions basic_options(const po::variables_map& vm) {
  text::BasicOptions b;
  b.lower_case = vm["lower-case"].as<bool>();
  const std::string strip = vm["strip-accents"].as<std::string>();
  DPT_CHECK(strip == "auto" || strip == "true" || strip == "false", ConfigError,
            "--strip-accents must be true, false or auto, not '" << strip << "'");
  b.strip_accents = strip == "auto" ? b.lower_case : strip == "true";
  return b;
}

}  // namespace dpt::apps
