#include "config/command_line.h"

#include <algorithm>
#include <boost/program_options/parsers.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "config/schema.h"

namespace po = boost::program_options;

namespace dpt::config {
namespace {

bool uses(const CommandSpec& spec, const std::string& section) {
  return std::find(spec.sections.begin(), spec.sections.end(), section) != spec.sections.end();
}

std::string section_of(const std::string& name) { return name.substr(0, name.find('.')); }

std::string help_line(const OptionSpec& spec) {
  std::string line = spec.help;
  line += spec.default_value.empty() ? " (default: empty)" : " (default: " + spec.default_value + ")";
  return line;
}

// One options_description per section, every option taking a string (validated by Config).
po::options_description section_options(const std::string& section, bool with_help) {
  std::string title = "[" + section + "]";
  for (const auto& s : sections()) {
    if (s.name == section) title += " " + s.help;
  }
  po::options_description desc(title);
  for (const auto& spec : schema()) {
    if (section_of(spec.name) != section) continue;
    desc.add_options()(spec.name.c_str(), po::value<std::string>(),
                       with_help ? help_line(spec).c_str() : "");
  }
  return desc;
}

po::options_description generic_options() {
  po::options_description desc("general");
  desc.add_options()("help,h", "print this help and exit")(
      "config", po::value<std::string>(), "INI file with [section] key = value lines");
  return desc;
}

std::vector<std::string> known_names(const CommandSpec& spec) {
  std::vector<std::string> names = {"help", "config"};
  for (const auto& opt : spec.local.options()) names.push_back(opt->long_name());
  for (const auto& s : schema()) names.push_back(s.name);
  return names;
}

[[noreturn]] void throw_unknown(const std::string& raw_name, const std::string& origin,
                                const std::vector<std::string>& names) {
  std::string name = raw_name;
  name.erase(0, name.find_first_not_of('-'));
  name = name.substr(0, name.find('='));
  std::ostringstream msg;
  msg << "unknown option '" << name << "' (" << origin << ")";
  const std::string guess = nearest(name, names);
  if (!guess.empty()) msg << "; did you mean '" << guess << "'?";
  msg << " Run with --help for the options.";
  DPT_THROW(ConfigError, msg.str());
}

// Note [Boost placeholders]
// boost::program_options builds what() by replacing each '%name%' placeholder of its template
// with the user's text (the value, the token, the config line) until the placeholder no longer
// occurs. A user's text that itself contains the placeholder ('--stop-after %value%') makes that
// loop endless: dptrain hung instead of answering (found by fuzz_config). So what() is never
// asked directly: every substituted text has its '%' swapped for a byte that occurs nowhere in
// the template or the texts (then each replacement removes two '%' and the loop must end), and
// the byte is swapped back in the finished message, which is therefore exactly Boost's.
struct BoostErrorText : po::error_with_option_name {
  // A pointer to the protected member, taken through this derived class; never instantiated.
  static constexpr auto kSubstitutions = &BoostErrorText::m_substitutions;
};

std::string message_of(po::error& e) {
  auto* named = dynamic_cast<po::error_with_option_name*>(&e);
  if (named == nullptr) return e.what();
  auto& substitutions = named->*BoostErrorText::kSubstitutions;
  auto occurs = [&](char c) {
    if (named->m_error_template.find(c) != std::string::npos) return true;
    for (const auto& kv : substitutions) {
      if (kv.second.find(c) != std::string::npos) return true;
    }
    return false;
  };
  char stand_in = 1;
  while (stand_in < 32 && occurs(stand_in)) ++stand_in;
  if (stand_in == 32) return "the option '" + named->get_option_name() + "' has a value that cannot be shown";
  for (auto& kv : substitutions) std::replace(kv.second.begin(), kv.second.end(), '%', stand_in);
  std::string message = named->what();
  std::replace(message.begin(), message.end(), stand_in, '%');
  return message;
}

// Removes ';' and '#' comments (whole-line or after whitespace) so INI files may annotate values.
std::string strip_comments(std::istream& in) {
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    for (size_t i = 0; i < line.size(); ++i) {
      if ((line[i] == ';' || line[i] == '#') && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line.erase(i);
        break;
      }
    }
    out << line << "\n";
  }
  return out.str();
}

void apply_file(const std::string& path, const CommandSpec& spec, Config* config) {
  std::ifstream file(path);
  DPT_CHECK(file.good(), ConfigError,
            "config file '" << path << "' cannot be read (missing or no permission); pass an existing INI file to --config");
  std::istringstream text(strip_comments(file));
  po::options_description all;
  for (const auto& s : sections()) all.add(section_options(s.name, false));
  po::parsed_options parsed(&all);
  try {
    parsed = po::parse_config_file(text, all, /*allow_unregistered=*/false);
  } catch (const po::unknown_option& e) {
    throw_unknown(e.get_option_name(), "in config file " + path, known_names(spec));
  } catch (po::error& e) {
    DPT_THROW(ConfigError, "config file " << path << ": " << message_of(e));
  }
  std::map<std::string, std::string> seen;  // a key set twice is a mistake, whichever value was meant
  for (const auto& opt : parsed.options) {
    if (opt.value.empty()) continue;
    const auto [it, first] = seen.emplace(opt.string_key, opt.value.front());
    DPT_CHECK(first, ConfigError,
              "config file " << path << ": option " << opt.string_key << " is set twice ('" << it->second
                             << "', then '" << opt.value.front() << "'); keep one");
    config->set(opt.string_key, opt.value.front(), "config file " + path);
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string nearest(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(3, name.size() / 3) + 1;
  // Two strings whose lengths differ by n are at least n edits apart: skipping those keeps a
  // long garbage name from costing len(name) x len(candidate) per candidate (found by fuzz_config).
  auto distance = [&](const std::string& candidate) {
    const size_t gap = name.size() > candidate.size() ? name.size() - candidate.size() : candidate.size() - name.size();
    return gap >= best_distance ? gap : edit_distance(name, candidate);
  };
  for (const auto& c : candidates) {
    size_t d = distance(c);
    // "global_bach" should find "train.global_batch": compare with the key part as well.
    const auto dot = c.find('.');
    if (dot != std::string::npos && name.find('.') == std::string::npos) {
      d = std::min(d, distance(c.substr(dot + 1)));
    }
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

ParsedCommand parse_command(const CommandSpec& spec, const std::vector<std::string>& args) {
  po::options_description all;
  all.add(generic_options()).add(spec.local);
  for (const auto& s : sections()) all.add(section_options(s.name, false));
  po::positional_options_description positional;
  for (const auto& name : spec.positional) positional.add(name.c_str(), 1);

  // "--data.test=" sets an empty value (Boost rejects an empty value after '=').
  std::vector<std::string> tokens;
  for (const auto& arg : args) {
    if (arg.size() > 3 && arg.compare(0, 2, "--") == 0 && arg.back() == '=' &&
        arg.find('=') == arg.size() - 1) {
      tokens.push_back(arg.substr(0, arg.size() - 1));
      tokens.emplace_back();
    } else {
      tokens.push_back(arg);
    }
  }
  ParsedCommand result;
  po::parsed_options parsed(&all);
  try {
    parsed = po::command_line_parser(tokens).options(all).positional(positional).run();
    po::store(parsed, result.local);
    po::notify(result.local);
  } catch (const po::unknown_option& e) {
    throw_unknown(e.get_option_name(), "on the command line of 'dptrain " + spec.name + "'",
                  known_names(spec));
  } catch (const po::too_many_positional_options_error&) {
    DPT_THROW(ConfigError, "too many arguments for 'dptrain " << spec.name << "'; run with --help");
  } catch (po::error& e) {
    DPT_THROW(ConfigError, "dptrain " << spec.name << ": " << message_of(e) << "; run with --help");
  }
  result.help = result.local.count("help") > 0;
  if (result.help) return result;

  if (result.local.count("config")) {
    result.config_file = result.local["config"].as<std::string>();
    apply_file(result.config_file, spec, &result.config);
  }
  for (const auto& opt : parsed.options) {
    if (find_option(opt.string_key) == nullptr || opt.value.empty()) continue;
    DPT_CHECK(uses(spec, section_of(opt.string_key)), ConfigError,
              "option --" << opt.string_key << " is not used by 'dptrain " << spec.name
                          << "' (it reads sections: " << [&] {
                               std::string s;
                               for (const auto& x : spec.sections) s += (s.empty() ? "" : ", ") + x;
                               return s.empty() ? std::string("none") : s;
                             }() << ")");
    result.config.set(opt.string_key, opt.value.front(), "command line");
  }
  return result;
}

std::string help_text(const CommandSpec& spec) {
  std::ostringstream out;
  out << "usage: dptrain " << spec.name;
  for (const auto& p : spec.positional) out << " <" << p << ">";
  out << " [options]\n  " << spec.summary << "\n\n";
  po::options_description shown;
  shown.add(generic_options());
  if (!spec.local.options().empty()) shown.add(spec.local);
  for (const auto& s : spec.sections) shown.add(section_options(s, true));
  out << shown;
  if (!spec.sections.empty()) {
    out << "\nEvery [section] option can be set in the --config file as 'key = value' under\n"
           "[section], or on the command line as --section.key=value (which wins).\n";
  }
  return out.str();
}

}  // namespace dpt::config
