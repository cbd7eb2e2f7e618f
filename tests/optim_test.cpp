// Adam against values computed by hand (Keras' update rule, in double):
//   /usr/bin/python3 -c '
//   import math; p=[0.5,-1.0,0.0]; m=[0]*3; v=[0]*3; lr,b1,b2,eps=0.01,0.9,0.999,1e-7
//   for t,gs in enumerate([[0.2,-0.4,0.0],[-0.6,0.2,1e-3]],1):
//     g=[x*0.5 for x in gs]; m=[b1*a+(1-b1)*b for a,b in zip(m,g)]
//     v=[b2*a+(1-b2)*b*b for a,b in zip(v,g)]; lrt=lr*math.sqrt(1-b2**t)/(1-b1**t)
//     p=[a-lrt*b/(math.sqrt(c)+eps) for a,b,c in zip(p,m,v)]; print(t,p,m,v)'
#include "pancan/optim.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "pancan/error.hpp"

namespace pancan {
namespace {

TEST(Adam, TwoStepsEqualHandComputedValues) {
  std::vector<float> p = {0.5f, -1.0f, 0.0f}, m(3, 0.0f), v(3, 0.0f);
  const AdamOptions options{0.01};
  EXPECT_EQ(options.beta1, 0.9);
  EXPECT_EQ(options.beta2, 0.999);
  EXPECT_EQ(options.epsilon, 1e-7);
  std::vector<float> g1 = {0.2f, -0.4f, 0.0f}, g2 = {-0.6f, 0.2f, 1e-3f};
  adam_step(p, g1, 0.5f, m, v, 1, options);
  // Step 1 moves every non-zero-gradient weight by about lr (the update is m / sqrt(v)).
  EXPECT_NEAR(p[0], 0.49000031621776635, 2e-7);
  EXPECT_NEAR(p[1], -0.9900001581113831, 2e-7);
  EXPECT_EQ(p[2], 0.0f);  // zero gradient, zero moments: no move (epsilon keeps 0/0 away)
  EXPECT_NEAR(m[1], -0.02, 1e-8);
  EXPECT_NEAR(v[1], 4e-5, 1e-11);
  adam_step(p, g2, 0.5f, m, v, 2, options);
  EXPECT_NEAR(p[0], 0.49494216512977696, 2e-7);
  EXPECT_NEAR(p[1], -0.9873368253950667, 2e-7);
  EXPECT_NEAR(p[2], -0.007394600674631315, 2e-7);
  EXPECT_NEAR(m[0], -0.021, 1e-8);
  EXPECT_NEAR(v[0], 9.999e-5, 1e-10);  // float: ~1e-7 relative
  EXPECT_NEAR(v[2], 2.5e-10, 1e-15);
}

TEST(Adam, SlicesUpdateLikeTheWhole) {
  // Elementwise: two halves updated separately equal one update of everything (ZeRO-1).
  std::vector<float> whole = {1, 2, 3, 4, 5}, m1(5, 0.1f), v1(5, 0.2f);
  std::vector<float> parts = whole, m2 = m1, v2 = v1;
  const std::vector<float> g = {0.5f, -1, 2, 0, 3};
  adam_step(whole, g, 0.25f, m1, v1, 3, {});
  const std::span<float> p(parts), mm(m2), vv(v2);
  const std::span<const float> gg(g);
  adam_step(p.subspan(0, 2), gg.subspan(0, 2), 0.25f, mm.subspan(0, 2), vv.subspan(0, 2), 3, {});
  adam_step(p.subspan(2), gg.subspan(2), 0.25f, mm.subspan(2), vv.subspan(2), 3, {});
  EXPECT_EQ(whole, parts);
  EXPECT_EQ(m1, m2);
}

TEST(Adam, RejectsMismatchedSlices) {
  std::vector<float> p(3), g(2), m(3), v(3);
  EXPECT_THROW(adam_step(p, g, 1, m, v, 1, {}), Error);
  std::vector<float> g3(3);
  EXPECT_THROW(adam_step(p, g3, 1, m, v, 0, {}), Error);
}

// The update against Keras' formula in double, over many elements of every kind (zero
// gradients and moments, tiny and large ones; lengths that leave a tail), and an element's
// result does not depend on where its slice or block starts (bit for bit: the vectorised
// body and the scalar tail must agree, since ranks and update blocks cut differently).
TEST(Adam, UpdateMatchesTheExactFormulaAndIgnoresSliceBoundaries) {
  const std::int64_t n = 1000 + 13;
  std::vector<float> p(n), m(n), v(n), g(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const double scale = std::pow(10.0, static_cast<double>(i % 9) - 6);  // 1e-6 .. 1e2
    p[i] = static_cast<float>(std::sin(0.3 * i));
    g[i] = i % 5 == 0 ? 0.0f : static_cast<float>(scale * std::cos(0.7 * i));
    m[i] = i % 10 == 0 ? 0.0f : static_cast<float>(0.1 * scale * std::sin(1.3 * i));
    v[i] = i % 10 == 0 ? 0.0f : static_cast<float>(scale * scale * (1.1 + std::sin(0.9 * i)));
  }
  const AdamOptions options{0.01};
  const auto c = adam_coefficients(3, options);
  auto p1 = p, m1 = m, v1 = v;
  adam_update(p1.data(), g.data(), 0.5f, m1.data(), v1.data(), n, c);
  for (std::int64_t i = 0; i < n; ++i) {
    const double gg = 0.5 * g[i], mm = m[i] + 0.1 * (gg - m[i]);
    const double vv = v[i] + 0.001 * (gg * gg - v[i]);
    const double step = 0.01 * std::sqrt(1 - std::pow(0.999, 3)) / (1 - std::pow(0.9, 3)) * mm /
                        (std::sqrt(vv) + 1e-7);
    EXPECT_NEAR(p1[i], p[i] - step, 2e-6 * std::abs(step) + 1e-7 * std::abs(p[i])) << i;
    EXPECT_NEAR(m1[i], mm, 1e-6 * (std::abs(m[i]) + std::abs(gg))) << i;  // float rounding
  }
  auto p2 = p, m2 = m, v2 = v;
  for (std::int64_t begin = 0, size = 1; begin < n; begin += size, size = size % 37 + 5) {
    const std::int64_t k = std::min(size, n - begin);
    adam_update(p2.data() + begin, g.data() + begin, 0.5f, m2.data() + begin, v2.data() + begin, k,
                c);
  }
  EXPECT_EQ(p1, p2);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(v1, v2);
}

// Training flushes denormals (FTZ + DAZ) and restores the mode afterwards.
TEST(FlushDenormals, FlushesInsideAndRestoresAfter) {
  volatile float tiny = 1e-38f;  // normal; half of it is denormal
  const float before = tiny * 0.5f;
  EXPECT_GT(before, 0.0f);
  {
    const FlushDenormals flush;
#if defined(__SSE__)
    EXPECT_EQ(tiny * 0.5f, 0.0f);
#endif
  }
  EXPECT_EQ(tiny * 0.5f, before);
}

}  // namespace
}  // namespace pancan
