#pragma once
// A resolved configuration: every option of the schema with its final value (default < INI
// file < command line). Values are validated when the Config is built, so the typed getters
// below only fail for a name that is not in the schema (a programming error).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dpt::config {

class Config {
 public:
  // All options at their defaults.
  Config();

  // Sets `name` from text, validating it against the schema. Throws ConfigError naming the
  // option, the value and `origin` (e.g. "file train.ini" or "command line").
  void set(const std::string& name, const std::string& value, const std::string& origin = "code");

  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  // A comma-separated list of integers ("256,256").
  std::vector<int64_t> get_int_list(const std::string& name) const;

  // The resolved configuration as an INI text, sections in schema order; with `only` non-empty,
  // only those sections.
  std::string to_ini(const std::vector<std::string>& only = {}) const;
  // FNV-1a hash of to_ini(), to tell configurations apart.
  uint64_t hash() const;

 private:
  const std::string& raw(const std::string& name) const;
  std::map<std::string, std::string> values_;
};

// Parses a boolean the way the config accepts them: true/false, 1/0, yes/no, on/off.
bool parse_bool(const std::string& text, bool* out);

}  // namespace dpt::config
