#include "config/config.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "common/hash.h"
#include "config/schema.h"

namespace dpt::config {
namespace {

const OptionSpec& spec_or_throw(const std::string& name) {
  const OptionSpec* spec = find_option(name);
  DPT_CHECK(spec != nullptr, InternalError, "option '" << name << "' is not in the schema");
  return *spec;
}

bool parse_int(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

// Why `value` cannot be written to an INI file and read back unchanged (the resolved config is
// stored as config.ini in every run and checkpoint), or nullptr. The INI reader trims blanks
// around a value, ends a line at a control character, cuts it at any '#', and strips a ';'
// comment that starts the value or follows a blank (found by fuzz_config).
const char* ini_unsafe(const std::string& value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) return "contains a control character (newline, tab, ...)";
    if (c == '#') return "contains '#', which starts an INI comment";
    if (c == ';' && (i == 0 || value[i - 1] == ' ')) return "has a ';' at its start or after a blank, which starts an INI comment";
  }
  if (!value.empty() && (value.front() == ' ' || value.back() == ' ')) return "starts or ends with a blank";
  return nullptr;
}

// Throws ConfigError when `value` is not valid for `spec`.
void validate(const OptionSpec& spec, const std::string& value, const std::string& origin) {
  const std::string where = "option " + spec.name + " = '" + value + "' (" + origin + ")";
  const char* unsafe = ini_unsafe(value);
  DPT_CHECK(unsafe == nullptr, ConfigError, where << ": " << unsafe << "; remove it (the value must survive config.ini)");
  double numeric = 0;
  switch (spec.type) {
    case Type::kInt: {
      int64_t v = 0;
      DPT_CHECK(parse_int(value, &v), ConfigError, where << ": not an integer");
      numeric = static_cast<double>(v);
      break;
    }
    case Type::kDouble:
      DPT_CHECK(parse_double(value, &numeric), ConfigError, where << ": not a number");
      break;
    case Type::kBool: {
      bool b = false;
      DPT_CHECK(parse_bool(value, &b), ConfigError, where << ": not a boolean (use true or false)");
      return;
    }
    case Type::kString:
      if (!spec.choices.empty()) {
        const std::string padded = "|" + spec.choices + "|";
        DPT_CHECK(padded.find("|" + value + "|") != std::string::npos, ConfigError,
                  where << ": must be one of " << spec.choices);
      }
      return;
  }
  DPT_CHECK(numeric >= spec.min, ConfigError, where << ": must be at least " << spec.min);
}

}  // namespace

bool parse_bool(const std::string& text, bool* out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    *out = false;
    return true;
  }
  return false;
}

Config::Config() {
  for (const auto& spec : schema()) values_[spec.name] = spec.default_value;
}

void Config::set(const std::string& name, const std::string& value, const std::string& origin) {
  const OptionSpec* spec = find_option(name);
  DPT_CHECK(spec != nullptr, ConfigError, "unknown option '" << name << "' (" << origin << ")");
  validate(*spec, value, origin);
  values_[name] = value;
}

const std::string& Config::raw(const std::string& name) const {
  spec_or_throw(name);
  return values_.at(name);
}

int64_t Config::get_int(const std::string& name) const {
  DPT_CHECK(spec_or_throw(name).type == Type::kInt, InternalError, name << " is not an integer option");
  int64_t v = 0;
  parse_int(raw(name), &v);
  return v;
}

double Config::get_double(const std::string& name) const {
  const Type t = spec_or_throw(name).type;
  DPT_CHECK(t == Type::kDouble || t == Type::kInt, InternalError, name << " is not a numeric option");
  double v = 0;
  parse_double(raw(name), &v);
  return v;
}

bool Config::get_bool(const std::string& name) const {
  DPT_CHECK(spec_or_throw(name).type == Type::kBool, InternalError, name << " is not a boolean option");
  bool v = false;
  parse_bool(raw(name), &v);
  return v;
}

const std::string& Config::get_string(const std::string& name) const { return raw(name); }

std::vector<int64_t> Config::get_int_list(const std::string& name) const {
  std::vector<int64_t> out;
  std::stringstream in(raw(name));
  std::string item;
  while (std::getline(in, item, ',')) {
    int64_t v = 0;
    DPT_CHECK(parse_int(item, &v), ConfigError,
              "option " << name << " = '" << raw(name) << "': '" << item << "' is not an integer");
    out.push_back(v);
  }
  return out;
}

std::string Config::to_ini(const std::vector<std::string>& only) const {
  std::ostringstream out;
  for (const auto& section : sections()) {
    if (!only.empty()) {
      bool wanted = false;
      for (const auto& s : only) wanted = wanted || s == section.name;
      if (!wanted) continue;
    }
    out << "[" << section.name << "]\n";
    const std::string prefix = section.name + ".";
    for (const auto& spec : schema()) {
      if (spec.name.compare(0, prefix.size(), prefix) != 0) continue;
      out << spec.name.substr(prefix.size()) << " = " << values_.at(spec.name) << "\n";
    }
  }
  return out.str();
}

uint64_t Config::hash() const { return fnv1a64(to_ini()); }

}  // namespace dpt::config
