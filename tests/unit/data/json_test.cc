#include "data/json.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace dpt::data {
namespace {

std::string parse_error(const std::string& text) {
  try {
    parse_json(text, "t.json");
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Json, ParsesEveryKind) {
  const Json j = parse_json(R"({"n": null, "t": true, "f": false, "i": -42, "big": 9007199254740993,
                                 "d": 2.5e-3, "s": "a\"b\\c\u00e9\ud83d\ude00", "a": [1, [2], {}], "o": {"k": "v"}})",
                            "t.json");
  EXPECT_TRUE(j.find("n")->is_null());
  EXPECT_TRUE(j.find("t")->as_bool());
  EXPECT_FALSE(j.find("f")->as_bool());
  EXPECT_EQ(j.find("i")->as_int(), -42);
  EXPECT_EQ(j.find("big")->as_int(), 9007199254740993LL);  // exact beyond double precision
  EXPECT_EQ(j.find("d")->kind(), Json::Kind::kDouble);
  EXPECT_DOUBLE_EQ(j.find("d")->as_double(), 0.0025);
  EXPECT_EQ(j.find("s")->as_string(), "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
  ASSERT_EQ(j.find("a")->as_array().size(), 3u);
  EXPECT_EQ(j.find("a")->as_array()[1].as_array()[0].as_int(), 2);
  EXPECT_EQ(j.find("o")->find("k")->as_string(), "v");
  EXPECT_EQ(j.find("missing"), nullptr);
}

TEST(Json, DumpRoundTripsAndKeepsOrder) {
  Json j = Json::object();
  j.set("zeta", 1);
  j.set("alpha", Json::array({Json(1.0), Json(0.1), Json(int64_t{-7})}));
  j.set("text", "line\nbreak \"quoted\" \x01");
  Json inner = Json::object();
  inner.set("x", true);
  j.set("inner", inner);
  const std::string text = j.dump();
  EXPECT_LT(text.find("zeta"), text.find("alpha"));  // insertion order
  const Json back = parse_json(text, "dump");
  EXPECT_EQ(back.find("zeta")->as_int(), 1);
  EXPECT_EQ(back.find("alpha")->as_array()[0].kind(), Json::Kind::kDouble);  // 1.0 stays a double
  EXPECT_DOUBLE_EQ(back.find("alpha")->as_array()[1].as_double(), 0.1);
  EXPECT_EQ(back.find("alpha")->as_array()[2].as_int(), -7);
  EXPECT_EQ(back.find("text")->as_string(), "line\nbreak \"quoted\" \x01");
  EXPECT_TRUE(back.find("inner")->find("x")->as_bool());
  EXPECT_EQ(back.dump(), text);
}

TEST(Json, FlatObjectsInArraysPrintOnOneLine) {
  Json row = Json::object();
  row.set("file", "a.h5");
  row.set("samples", 3);
  Json nested = Json::object();
  nested.set("shape", Json::array({Json(2), Json(2)}));
  Json top = Json::object();
  top.set("rows", Json::array({row, nested}));
  EXPECT_EQ(top.dump(),
            "{\n  \"rows\": [\n    {\"file\": \"a.h5\", \"samples\": 3},\n    {\n      \"shape\": [2, 2]\n    }\n  ]\n}\n");
  EXPECT_EQ(top.dump_line(), "{\"rows\":[{\"file\":\"a.h5\",\"samples\":3},{\"shape\":[2,2]}]}\n");
}

TEST(Json, SetReplacesExistingKey) {
  Json j = Json::object();
  j.set("k", 1);
  j.set("k", 2);
  EXPECT_EQ(j.as_object().size(), 1u);
  EXPECT_EQ(j.find("k")->as_int(), 2);
}

TEST(Json, StrictErrorsNameLineAndColumn) {
  EXPECT_NE(parse_error("{\"a\": 1,}").find("t.json:1:9: invalid JSON: expected a string key"), std::string::npos);
  EXPECT_NE(parse_error("[1,\n 2,\n ]").find("t.json:3:2:"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\": 1} // c").find("unexpected text after the JSON value"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\": 1, \"a\": 2}").find("duplicate key 'a'"), std::string::npos);
  EXPECT_NE(parse_error("[01]").find("expected ',' or ']'"), std::string::npos);
  EXPECT_NE(parse_error("[NaN]").find("unexpected character"), std::string::npos);
  EXPECT_NE(parse_error("[1.]").find("expected digits after '.'"), std::string::npos);
  EXPECT_NE(parse_error("[1e]").find("expected digits in the exponent"), std::string::npos);
  EXPECT_NE(parse_error("[1e999]").find("number out of range"), std::string::npos);
  EXPECT_NE(parse_error("\"abc").find("unterminated string"), std::string::npos);
  EXPECT_NE(parse_error("\"a\tb\"").find("control character"), std::string::npos);
  EXPECT_NE(parse_error("\"\\x\"").find("invalid escape"), std::string::npos);
  EXPECT_NE(parse_error("\"\\ud800\"").find("unpaired UTF-16 surrogate"), std::string::npos);
  EXPECT_NE(parse_error("").find("unexpected end of input"), std::string::npos);
  EXPECT_NE(parse_error("tru").find("expected 'true'"), std::string::npos);
  EXPECT_NE(parse_error(std::string(100, '[') + std::string(100, ']')).find("nesting deeper than 64"),
            std::string::npos);
}

TEST(Json, WrongKindAccessIsAnInternalError) {
  const Json j = parse_json("[1]", "t");
  EXPECT_THROW(j.as_object(), InternalError);
  EXPECT_THROW(j.as_array()[0].as_string(), InternalError);
}

}  // namespace
}  // namespace dpt::data
