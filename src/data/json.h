#pragma once
// A small, strict JSON value with a reader and a writer, enough for manifest.json (and the
// other small JSON files dptrain writes). Strict means RFC 8259 and nothing more: no comments,
// no trailing commas, no NaN, no duplicate keys. Parse errors name the source, line and column.
//
// Integers without fraction or exponent that fit int64 are kept exact (kInt); other numbers
// are doubles. Objects keep their insertion order, so written files read like they were built.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dpt::data {

class Json {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(bool value) : kind_(Kind::kBool), bool_(value) {}                      // NOLINT
  Json(int value) : kind_(Kind::kInt), int_(value) {}                         // NOLINT
  Json(int64_t value) : kind_(Kind::kInt), int_(value) {}                     // NOLINT
  Json(double value) : kind_(Kind::kDouble), double_(value) {}                // NOLINT
  Json(std::string value) : kind_(Kind::kString), string_(std::move(value)) {}  // NOLINT
  Json(const char* value) : Json(std::string(value)) {}                      // NOLINT
  static Json array(Array items = {});
  static Json object();

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }

  // Typed access. The caller checks kind() first; a wrong kind throws InternalError.
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;  // kInt or kDouble
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;

  // Building: append to an array, set a key of an object (replacing an existing one).
  Json& push_back(Json value);
  Json& set(const std::string& key, Json value);
  // The member `key` of an object, or nullptr.
  const Json* find(const std::string& key) const;

  // Pretty-printed text: 2-space indent, '\n' at the end; arrays of scalars, and objects of
  // scalars inside arrays, on one line.
  std::string dump() const;
  // The whole value on one line, then '\n' (a JSON Lines record). Non-finite doubles are null.
  std::string dump_line() const;

 private:
  void dump_to(std::string* out, int depth, bool pretty = true, bool in_array = false) const;

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  Array array_;
  Object object_;
};

// "null", "boolean", "integer", "number", "string", "array", "object".
const char* json_kind_name(Json::Kind kind);

// Parses `text`. Throws DataError "<source>:<line>:<column>: <what>" on any deviation from
// RFC 8259 (or nesting deeper than 64).
Json parse_json(const std::string& text, const std::string& source);

}  // namespace dpt::data
