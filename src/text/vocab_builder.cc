#include "text/vocab_builder.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "common/error.h"
#include "text/utf8.h"
#include "text/vocab.h"

namespace dpt::text {
namespace {

constexpr size_t kSpecials = 5;

struct Pair {
  int32_t a = 0, b = 0;
  int64_t count = 0;
  std::vector<int32_t> words;  // words that contain (or contained) the pair; may repeat
  int64_t pushed = -1;         // the merge step of its latest heap entry
};

struct HeapEntry {
  double score;
  int64_t count;
  int32_t a, b, pair;
  // The heap's top is the best entry (Note [WordPiece training], ties).
  bool operator<(const HeapEntry& o) const {
    if (score != o.score) return score < o.score;
    if (count != o.count) return count < o.count;
    if (a != o.a) return a > o.a;
    return b > o.b;
  }
};

// The merge loop of Note [WordPiece training] over words already spelled in symbols.
class Merger {
 public:
  Merger(const VocabBuildOptions& options, std::vector<std::string> alphabet) : options_(options) {
    for (auto& s : alphabet) intern(std::move(s));
  }

  int32_t find(const std::string& text) const {
    auto it = ids_.find(text);
    return it == ids_.end() ? -1 : it->second;
  }

  void add_word(std::vector<int32_t> symbols, int64_t count) {
    for (int32_t s : symbols) symbol_count_[static_cast<size_t>(s)] += count;
    words_.push_back(std::move(symbols));
    word_count_.push_back(count);
    word_stamp_.push_back(-1);
  }

  // Merges until `size` tokens (specials included) or no pair is left; returns the merges done.
  int64_t run(std::vector<std::string>* tokens, const std::function<void(int64_t, int64_t)>& progress) {
    for (int64_t n : symbol_count_) total_symbols_ += static_cast<double>(n);
    for (size_t w = 0; w < words_.size(); ++w) count_pairs(static_cast<int32_t>(w), +1, Listing::kAll);
    touched_.clear();
    for (size_t p = 0; p < pairs_.size(); ++p) push(static_cast<int32_t>(p));
    int64_t merges = 0;
    while (static_cast<int64_t>(tokens->size()) < options_.size && !heap_.empty()) {
      const HeapEntry top = heap_.top();
      heap_.pop();
      const Pair& p = pairs_[static_cast<size_t>(top.pair)];
      if (p.count != top.count || p.count < options_.min_frequency || score(p) != top.score) continue;  // stale
      const size_t before = text_.size();
      merge(top.pair, ++step_);
      if (text_.size() > before) tokens->push_back(text_.back());
      ++merges;
      if (progress && merges % 500 == 0) progress(static_cast<int64_t>(tokens->size()), options_.size);
    }
    return merges;
  }

 private:
  int32_t intern(std::string text) {
    auto [it, fresh] = ids_.emplace(text, static_cast<int32_t>(text_.size()));
    if (fresh) {
      text_.push_back(std::move(text));
      symbol_count_.push_back(0);
      pairs_of_.emplace_back();
    }
    return it->second;
  }

  double score(const Pair& p) const {
    const auto c = static_cast<double>(p.count);
    if (options_.score == MergeScore::kFrequency) return c;
    const double ca = static_cast<double>(symbol_count_[static_cast<size_t>(p.a)]);
    const double cb = static_cast<double>(symbol_count_[static_cast<size_t>(p.b)]);
    if (options_.score == MergeScore::kPmi) return c / (ca * cb);
    return c * std::log(c * total_symbols_ / (ca * cb));
  }

  int32_t pair_id(int32_t a, int32_t b) {
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    auto [it, fresh] = pair_ids_.emplace(key, static_cast<int32_t>(pairs_.size()));
    if (fresh) {
      pairs_.push_back({a, b});
      pairs_of_[static_cast<size_t>(a)].push_back(it->second);
      if (b != a) pairs_of_[static_cast<size_t>(b)].push_back(it->second);
    }
    return it->second;
  }

  // Which words a pair's list gains when count_pairs() counts it.
  enum class Listing { kAll, kNone, kWithMerged };

  // Adds `sign` x the word's count to the count of each pair in word w; marks them touched.
  void count_pairs(int32_t w, int64_t sign, Listing listing, int32_t merged = -1) {
    const auto& s = words_[static_cast<size_t>(w)];
    const int64_t n = sign * word_count_[static_cast<size_t>(w)];
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const int32_t id = pair_id(s[i], s[i + 1]);
      Pair& p = pairs_[static_cast<size_t>(id)];
      p.count += n;
      // After a merge only the pairs with the new symbol are new to the word.
      if (listing == Listing::kAll || (listing == Listing::kWithMerged && (s[i] == merged || s[i + 1] == merged))) {
        p.words.push_back(w);
      }
      touched_.push_back(id);
    }
  }

  void merge(int32_t pair, int64_t step) {
    const int32_t a = pairs_[static_cast<size_t>(pair)].a, b = pairs_[static_cast<size_t>(pair)].b;
    const std::string& tb = text_[static_cast<size_t>(b)];
    const int32_t m = intern(text_[static_cast<size_t>(a)] + tb.substr(tb.compare(0, 2, "##") == 0 ? 2 : 0));
    const std::vector<int32_t> words = std::move(pairs_[static_cast<size_t>(pair)].words);
    for (int32_t w : words) {
      if (word_stamp_[static_cast<size_t>(w)] == step) continue;
      word_stamp_[static_cast<size_t>(w)] = step;
      auto& s = words_[static_cast<size_t>(w)];
      if (!contains(s, a, b)) continue;
      count_pairs(w, -1, Listing::kNone);
      std::vector<int32_t> merged;
      int64_t k = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          merged.push_back(m);
          ++i, ++k;
        } else {
          merged.push_back(s[i]);
        }
      }
      s = std::move(merged);
      count_pairs(w, +1, Listing::kWithMerged, m);
      const int64_t n = k * word_count_[static_cast<size_t>(w)];
      symbol_count_[static_cast<size_t>(a)] -= n;
      symbol_count_[static_cast<size_t>(b)] -= n;
      symbol_count_[static_cast<size_t>(m)] += n;
    }
    if (options_.score == MergeScore::kLikelihood) {  // every pair with a or b changed its score
      for (int32_t s : {a, b}) touched_.insert(touched_.end(), pairs_of_[static_cast<size_t>(s)].begin(),
                                                pairs_of_[static_cast<size_t>(s)].end());
    }
    for (int32_t id : touched_) {
      if (pairs_[static_cast<size_t>(id)].pushed != step) push(id);
    }
    touched_.clear();
  }

  static bool contains(const std::vector<int32_t>& s, int32_t a, int32_t b) {
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      if (s[i] == a && s[i + 1] == b) return true;
    }
    return false;
  }

  void push(int32_t id) {
    Pair& p = pairs_[static_cast<size_t>(id)];
    p.pushed = step_;
    if (p.count >= options_.min_frequency) heap_.push({score(p), p.count, p.a, p.b, id});
  }

  const VocabBuildOptions& options_;
  std::vector<std::string> text_;  // symbol id -> token text
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<int64_t> symbol_count_;
  std::vector<std::vector<int32_t>> pairs_of_;  // symbol id -> pairs it takes part in
  std::vector<std::vector<int32_t>> words_;
  std::vector<int64_t> word_count_, word_stamp_;
  std::vector<Pair> pairs_;
  std::unordered_map<uint64_t, int32_t> pair_ids_;
  std::priority_queue<HeapEntry> heap_;
  std::vector<int32_t> touched_;
  int64_t step_ = 0;
  double total_symbols_ = 0;  // symbols in the corpus before any merge
};

// The symbols of `word`: its first character, then "##" + each following one.
std::vector<std::string> spell(std::string_view word) {
  std::vector<std::string> symbols;
  for (size_t i = 0; i < word.size();) {
    size_t end = i + 1;
    while (end < word.size() && !is_utf8_lead(word[end])) ++end;
    symbols.push_back((i == 0 ? "" : "##") + std::string(word.substr(i, end - i)));
    i = end;
  }
  return symbols;
}

}  // namespace

MergeScore parse_merge_score(const std::string& text) {
  if (text == "likelihood") return MergeScore::kLikelihood;
  if (text == "frequency") return MergeScore::kFrequency;
  if (text == "pmi") return MergeScore::kPmi;
  DPT_THROW(ConfigError, "unknown merge score '" << text << "' (known: likelihood, frequency, pmi)");
}

VocabBuilder::VocabBuilder(VocabBuildOptions options) : options_(options), basic_(options.basic) {
  DPT_CHECK(options_.size > static_cast<int64_t>(kSpecials), ConfigError,
            "vocabulary size " << options_.size << " leaves no room beside the " << kSpecials << " special tokens");
  DPT_CHECK(options_.min_frequency >= 1, ConfigError, "min frequency must be >= 1, got " << options_.min_frequency);
}

void VocabBuilder::add_text(std::string_view text, const std::string& source, int64_t base_offset) {
  basic_.split(text, &words_, source, base_offset);
  for (size_t i = 0; i < words_.size(); ++i) ++counts_[std::string(words_[i])];
  total_words_ += static_cast<int64_t>(words_.size());
}

VocabBuildResult VocabBuilder::build(const std::function<void(int64_t, int64_t)>& progress) const {
  VocabBuildResult r;
  r.words = total_words_;
  r.distinct_words = static_cast<int64_t>(counts_.size());
  std::vector<std::pair<std::string_view, int64_t>> words;
  for (const auto& [w, n] : counts_) {
    if (std::count_if(w.begin(), w.end(), is_utf8_lead) <= options_.max_word_chars) words.emplace_back(w, n);
  }
  std::sort(words.begin(), words.end());  // a fixed order, whatever the hash map's
  std::vector<std::vector<std::string>> spelled;
  std::unordered_map<std::string, int64_t> symbol_counts;
  for (const auto& [w, n] : words) {
    spelled.push_back(spell(w));
    for (const auto& s : spelled.back()) symbol_counts[s] += n;
  }
  // The alphabet, cut to the most frequent symbols when it does not fit.
  std::vector<std::pair<std::string, int64_t>> alphabet(symbol_counts.begin(), symbol_counts.end());
  const size_t room = static_cast<size_t>(options_.size) - kSpecials;
  if (alphabet.size() > room) {
    std::sort(alphabet.begin(), alphabet.end(),
              [](const auto& x, const auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    r.alphabet_dropped = static_cast<int64_t>(alphabet.size() - room);
    alphabet.resize(room);
  }
  std::vector<std::string> symbols;
  for (auto& [s, n] : alphabet) symbols.push_back(s);
  std::sort(symbols.begin(), symbols.end(), [](const std::string& x, const std::string& y) {
    const bool cx = x.compare(0, 2, "##") == 0 && x.size() > 2, cy = y.compare(0, 2, "##") == 0 && y.size() > 2;
    return cx != cy ? cy : x < y;  // word-initial symbols first, each group in code point order
  });
  r.alphabet = static_cast<int64_t>(symbols.size());
  r.tokens = {kPadToken, kUnkToken, kClsToken, kSepToken, kMaskToken};
  r.tokens.insert(r.tokens.end(), symbols.begin(), symbols.end());
  Merger merger(options_, std::move(symbols));
  for (size_t i = 0; i < words.size(); ++i) {
    std::vector<int32_t> ids;
    for (const auto& s : spelled[i]) ids.push_back(merger.find(s));
    if (std::find(ids.begin(), ids.end(), -1) == ids.end()) merger.add_word(std::move(ids), words[i].second);
  }
  r.merges = merger.run(&r.tokens, progress);
  r.size_reached = static_cast<int64_t>(r.tokens.size()) == options_.size;
  return r;
}

}  // namespace dpt::text
