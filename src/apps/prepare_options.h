#pragma once
// Command-line options shared by the `prepare` commands and the text commands, so that each
// is defined (name, default, help) in one place.
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <string>
#include <vector>

#include "data/prepare.h"
#include "text/corpus.h"
#include "text/tokenizer.h"

namespace dpt::apps {

// "a,b,c" -> {"a", "b", "c"}.
std::vector<std::string> split_commas(const std::string& text);

// Throws ConfigError unless the command runs as one process (not under mpirun -np N > 1).
void require_one_process(const std::string& command);

// --shards --shard-mb --chunk-kb --compress --overwrite, and the options they make.
void add_split_write_options(boost::program_options::options_description* options);
data::SplitWriteOptions split_write_options(const boost::program_options::variables_map& vm,
                                            const std::string& created_by);

// --input --format, and with `labels` also --labels --text-column --label-column --tsv-header.
void add_corpus_options(boost::program_options::options_description* options, bool labels);
text::CorpusOptions corpus_options(const boost::program_options::variables_map& vm);

// --lower-case --strip-accents.
void add_tokenizer_options(boost::program_options::options_description* options);
text::BasicOptions basic_options(const boost::program_options::variables_map& vm);

}  // namespace dpt::apps
