#include "data/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.h"

namespace dpt::data {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  Json parse_document() {
    skip_space();
    Json value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    DPT_THROW(DataError, source_ << ":" << line << ":" << column << ": invalid JSON: " << what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  void expect_word(const char* word) {
    const size_t n = std::strlen(word);
    if (text_.compare(pos_, n, word) != 0) fail(std::string("expected '") + word + "'");
    pos_ += n;
  }

  Json parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 64 levels");
    switch (peek()) {
      case '{': return parse_object(depth);
      case '[': return parse_array(depth);
      case '"': return Json(parse_string());
      case 't': expect_word("true"); return Json(true);
      case 'f': expect_word("false"); return Json(false);
      case 'n': expect_word("null"); return Json();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail(at_end() ? "unexpected end of input" : "unexpected character");
    }
  }

  Json parse_object(int depth) {
    expect('{');
    Json object = Json::object();
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      skip_space();
      if (peek() != '"') fail("expected a string key");
      const size_t key_pos = pos_;
      std::string key = parse_string();
      if (object.find(key) != nullptr) {
        pos_ = key_pos;
        fail("duplicate key '" + key + "'");
      }
      skip_space();
      expect(':');
      skip_space();
      object.set(key, parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return object;
      }
      fail("expected ',' or '}'");
    }
  }

  Json parse_array(int depth) {
    expect('[');
    Json array = Json::array();
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      skip_space();
      array.push_back(parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return array;
      }
      fail("expected ',' or ']'");
    }
  }

  unsigned parse_hex4() {
    unsigned value = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
      else fail("expected 4 hex digits after \\u");
    }
    return value;
  }

  static void append_utf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  unsigned parse_escape_code_point() {
    unsigned cp = parse_hex4();
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
      if (text_.compare(pos_, 2, "\\u") != 0) fail("unpaired UTF-16 surrogate");
      pos_ += 2;
      const unsigned low = parse_hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail("unpaired UTF-16 surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      fail("unpaired UTF-16 surrogate");
    }
    return cp;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string (escape it)");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(&out, parse_escape_code_point()); break;
        default: --pos_; fail("invalid escape sequence");
      }
    }
  }

  void skip_digits() {
    while (peek() >= '0' && peek() <= '9') ++pos_;
  }

  Json parse_number() {
    const size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      skip_digits();
    } else {
      fail("invalid number");
    }
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected digits after '.'");
      skip_digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected digits in the exponent");
      skip_digits();
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      int64_t value = 0;
      const auto r = std::from_chars(first, last, value);
      if (r.ec == std::errc() && r.ptr == last) return Json(value);
    }
    double value = 0;
    const auto r = std::from_chars(first, last, value);
    if (r.ec != std::errc() || r.ptr != last || !std::isfinite(value)) {
      pos_ = start;
      fail("number out of range");
    }
    return Json(value);
  }

  const std::string& text_;
  const std::string& source_;
  size_t pos_ = 0;
};

void dump_string(std::string* out, const std::string& s) {
  *out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

bool is_scalar(const Json& j) {
  return j.kind() != Json::Kind::kArray && j.kind() != Json::Kind::kObject;
}

}  // namespace

const char* json_kind_name(Json::Kind kind) {
  switch (kind) {
    case Json::Kind::kNull: return "null";
    case Json::Kind::kBool: return "boolean";
    case Json::Kind::kInt: return "integer";
    case Json::Kind::kDouble: return "number";
    case Json::Kind::kString: return "string";
    case Json::Kind::kArray: return "array";
    case Json::Kind::kObject: return "object";
  }
  return "?";
}

Json Json::array(Array items) {
  Json j;
  j.kind_ = Kind::kArray;
  j.array_ = std::move(items);
  return j;
}

Json Json::object() {
  Json j;
  j.kind_ = Kind::kObject;
  return j;
}

#define DPT_JSON_EXPECT(cond, wanted)                                                    \
  DPT_CHECK(cond, InternalError, "JSON value is " << json_kind_name(kind_) << ", not " << wanted)

bool Json::as_bool() const {
  DPT_JSON_EXPECT(kind_ == Kind::kBool, "boolean");
  return bool_;
}
int64_t Json::as_int() const {
  DPT_JSON_EXPECT(kind_ == Kind::kInt, "integer");
  return int_;
}
double Json::as_double() const {
  DPT_JSON_EXPECT(is_number(), "number");
  return kind_ == Kind::kInt ? static_cast<double>(int_) : double_;
}
const std::string& Json::as_string() const {
  DPT_JSON_EXPECT(kind_ == Kind::kString, "string");
  return string_;
}
const Json::Array& Json::as_array() const {
  DPT_JSON_EXPECT(kind_ == Kind::kArray, "array");
  return array_;
}
const Json::Object& Json::as_object() const {
  DPT_JSON_EXPECT(kind_ == Kind::kObject, "object");
  return object_;
}
Json& Json::push_back(Json value) {
  DPT_JSON_EXPECT(kind_ == Kind::kArray, "array");
  array_.push_back(std::move(value));
  return array_.back();
}
Json& Json::set(const std::string& key, Json value) {
  DPT_JSON_EXPECT(kind_ == Kind::kObject, "object");
  for (auto& [k, v] : object_) {
    if (k == key) return v = std::move(value);
  }
  object_.emplace_back(key, std::move(value));
  return object_.back().second;
}
#undef DPT_JSON_EXPECT

const Json* Json::find(const std::string& key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (const auto& [k, v] : object_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string Json::dump() const {
  std::string out;
  dump_to(&out, 0);
  out += '\n';
  return out;
}

std::string Json::dump_line() const {
  std::string out;
  dump_to(&out, 0, /*pretty=*/false);
  out += '\n';
  return out;
}

void Json::dump_to(std::string* out, int depth, bool pretty, bool in_array) const {
  const std::string indent(static_cast<size_t>(depth + 1) * 2, ' ');
  const std::string close_indent(static_cast<size_t>(depth) * 2, ' ');
  switch (kind_) {
    case Kind::kNull: *out += "null"; return;
    case Kind::kBool: *out += bool_ ? "true" : "false"; return;
    case Kind::kInt: *out += std::to_string(int_); return;
    case Kind::kDouble: {
      if (!std::isfinite(double_)) {  // JSON has no NaN/Inf
        *out += "null";
        return;
      }
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, double_);  // shortest round-trip form
      std::string text(buf, r.ptr);
      if (text.find_first_of(".e") == std::string::npos) text += ".0";  // stays a double on re-read
      *out += text;
      return;
    }
    case Kind::kString: dump_string(out, string_); return;
    case Kind::kArray: {
      bool flat = true;
      for (const Json& item : array_) flat = flat && (is_scalar(item) || !pretty);
      *out += '[';
      for (size_t i = 0; i < array_.size(); ++i) {
        if (i > 0) *out += flat && pretty ? ", " : ",";
        if (!flat) *out += "\n" + indent;
        array_[i].dump_to(out, depth + 1, pretty, /*in_array=*/true);
      }
      if (!flat && !array_.empty()) *out += "\n" + close_indent;
      *out += ']';
      return;
    }
    case Kind::kObject: {
      // Pretty form: an array element whose members are all scalars goes on one line.
      bool one_line = pretty && in_array;
      for (const auto& member : object_) one_line = one_line && is_scalar(member.second);
      *out += '{';
      for (size_t i = 0; i < object_.size(); ++i) {
        if (one_line) {
          if (i > 0) *out += ", ";
        } else if (pretty) {
          *out += i > 0 ? ",\n" : "\n";
          *out += indent;
        } else if (i > 0) {
          *out += ',';
        }
        dump_string(out, object_[i].first);
        *out += pretty ? ": " : ":";
        object_[i].second.dump_to(out, depth + 1, pretty);
      }
      if (pretty && !one_line && !object_.empty()) *out += "\n" + close_indent;
      *out += '}';
      return;
    }
  }
}

Json parse_json(const std::string& text, const std::string& source) {
  return Parser(text, source).parse_document();
}

}  // namespace dpt::data
