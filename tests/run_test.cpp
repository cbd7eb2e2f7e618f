// The pieces of `pancan run` that need no MPI job: --model specs and the stamp hash.
#include "pancan/run.hpp"

#include <gtest/gtest.h>

#include "pancan/error.hpp"

namespace pancan {
namespace {

TEST(Run, ModelSpecsNameTheNetworkAndItsHiddenLayers) {
  const auto two = parse_model_spec("model2:100,10");
  EXPECT_EQ(two.name, "model2");
  EXPECT_EQ(two.hidden, (std::vector<std::int64_t>{100, 10}));
  const auto regression = parse_model_spec("softmax_only:");
  EXPECT_EQ(regression.name, "softmax_only");
  EXPECT_TRUE(regression.hidden.empty());
  for (const char* bad : {"model1", ":100", "bad name:100", "m:100,x", "m:0", "m:-5", "a/b:10"})
    EXPECT_THROW(parse_model_spec(bad), UsageError) << bad;
}

TEST(Run, StampHashIsFnv1a64) {
  // Published FNV-1a 64-bit test vectors.
  EXPECT_EQ(fnv1a_hex(""), "cbf29ce484222325");
  EXPECT_EQ(fnv1a_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(fnv1a_hex("foobar"), "85944171f73967e8");
  EXPECT_NE(fnv1a_hex("{\"epochs\":10}"), fnv1a_hex("{\"epochs\":11}"));
}

}  // namespace
}  // namespace pancan
