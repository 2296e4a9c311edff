// Fuzz target: the JSON parser and the manifest reader (data/json.h, data/manifest.h) that every
// command opening a dataset split runs on <split>/manifest.json. Checks beyond "no crash":
// parsed JSON prints (dump) to text that parses to the same print, and an accepted manifest
// written back (manifest_to_json) reads as the same manifest.
#include <string>

#include "common/error.h"
#include "data/json.h"
#include "data/manifest.h"
#include "targets.h"

namespace dpt::fuzz {

void manifest_input(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  data::Json json;
  try {
    json = data::parse_json(text, "manifest.json");
  } catch (const dpt::DataError&) {
    return;  // rejected with a clear message: fine
  }
  const std::string dumped = json.dump();
  try {
    if (data::parse_json(dumped, "dump").dump() != dumped) finding("manifest", "JSON dump does not read back the same");
  } catch (const dpt::DataError& e) {
    finding("manifest", (std::string("JSON dump does not parse: ") + e.what()).c_str());
  }
  data::Manifest manifest;
  try {
    manifest = data::manifest_from_json(json, "manifest.json");
  } catch (const dpt::DataError&) {
    return;
  }
  const std::string written = data::manifest_to_json(manifest).dump();
  try {
    const data::Manifest again = data::manifest_from_json(data::parse_json(written, "written"), "written");
    if (data::manifest_to_json(again).dump() != written) finding("manifest", "manifest does not read back the same");
  } catch (const dpt::DataError& e) {
    finding("manifest", (std::string("written manifest does not read back: ") + e.what()).c_str());
  }
}

}  // namespace dpt::fuzz
