// Counter-based RNG: reproducible, key-separated, roughly uniform.
#include "pancan/rng.hpp"

#include <gtest/gtest.h>

namespace pancan {
namespace {

TEST(Rng, SameKeysSameStreamDifferentKeysDifferentStream) {
  CounterRng a(42, {1, 2}), b(42, {1, 2}), c(42, {2, 1}), d(43, {1, 2});
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
    EXPECT_NE(x, d.next());
  }
}

TEST(Rng, SeekReplaysTheStream) {
  CounterRng a(7, {3});
  for (int i = 0; i < 10; ++i) a.next();
  const auto eleventh = a.next();
  CounterRng b(7, {3});
  b.seek(10);
  EXPECT_EQ(b.next(), eleventh);
}

TEST(Rng, UniformMeanAndBelowRange) {
  CounterRng r(1, {});
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += r.uniform();
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  int counts[5] = {};
  for (int i = 0; i < 50000; ++i) ++counts[r.below(5)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(Rng, NormalHasUnitVariance) {
  CounterRng r(9, {4});
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
}

}  // namespace
}  // namespace pancan
