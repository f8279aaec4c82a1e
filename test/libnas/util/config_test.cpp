#include "libnas/util/config.h"

#include <gtest/gtest.h>

namespace nas {
namespace {

struct Inner {
  int64_t size = 3;
  double rate = 0.5;
  template <class V>
  void fields(V& v) {
    v("size", size, "a size");
    v("rate", rate, "a rate");
  }
};

struct Outer {
  std::string name = "x";
  bool flag = false;
  std::vector<int64_t> list{1, 2};
  Inner inner;
  YAML::Node plugin;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("flag", flag);
    v("list", list);
    v("inner", inner);
    v("plugin", plugin);
  }
};

TEST(Config, DecodesNestedStructsAndKeepsDefaults) {
  Outer o;
  decode_config(parse_yaml("name: y\ninner:\n  rate: 0.25\nplugin: {a: 1}\n", "t"), o);
  EXPECT_EQ(o.name, "y");
  EXPECT_EQ(o.inner.size, 3);
  EXPECT_DOUBLE_EQ(o.inner.rate, 0.25);
  EXPECT_EQ(o.plugin["a"].as<int>(), 1);
}

TEST(Config, UnknownKeyNamesKeyAndAllowedOnes) {
  Outer o;
  try {
    decode_config(parse_yaml("inner:\n  sise: 4\n", "t"), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("inner.sise"), std::string::npos) << m;
    EXPECT_NE(m.find("size, rate"), std::string::npos) << m;
  }
}

TEST(Config, TypeErrorNamesKey) {
  Outer o;
  try {
    decode_config(parse_yaml("inner: {size: many}\n", "t"), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("inner.size"), std::string::npos) << e.what();
  }
}

TEST(Config, OverridesSetNestedKeysAndCreateSections) {
  YAML::Node root = parse_yaml("inner: {size: 1}\n", "t");
  apply_overrides(root, {"inner.size=7", "list=[4,5,6]", "name=zz", "plugin.deep.k=2"});
  Outer o;
  decode_config(root, o);
  EXPECT_EQ(o.inner.size, 7);
  EXPECT_EQ(o.list, (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(o.name, "zz");
  EXPECT_EQ(o.plugin["deep"]["k"].as<int>(), 2);
  EXPECT_THROW(apply_overrides(root, {"novalue"}), Error);
}

TEST(Config, EncodeRoundTrips) {
  Outer o;
  o.inner.size = 11;
  Outer back;
  decode_config(encode_config(o), back);
  EXPECT_EQ(back.inner.size, 11);
  EXPECT_EQ(back.list, o.list);
}

TEST(Config, MalformedYamlNamesLine) {
  try {
    parse_yaml("a: 1\nb: [1, 2\n", "cfg.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.yaml"), std::string::npos);
  }
}

}  // namespace
}  // namespace nas
