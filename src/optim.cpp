// Adam with Keras' update rule; see optim.hpp.
#include "pancan/optim.hpp"

#include <cmath>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "pancan/error.hpp"

namespace pancan {

AdamCoefficients adam_coefficients(std::int64_t step, const AdamOptions& options) {
  if (step < 1) throw Error("adam_step: steps count from 1");
  const double t = static_cast<double>(step);
  // The bias corrections fold into one step size, computed once in double.
  AdamCoefficients c;
  c.step_size =
      static_cast<float>(options.learning_rate * std::sqrt(1 - std::pow(options.beta2, t)) /
                         (1 - std::pow(options.beta1, t)));
  c.keep1 = static_cast<float>(1 - options.beta1);
  c.keep2 = static_cast<float>(1 - options.beta2);
  c.epsilon = static_cast<float>(options.epsilon);
  return c;
}

void adam_update(float* __restrict p, const float* __restrict g_sum, float gradient_scale,
                 float* __restrict mm, float* __restrict vv, std::int64_t n,
                 const AdamCoefficients& c) {
  // One vectorised pass over four arrays (-fno-math-errno lets std::sqrt become the exact
  // vector instruction): at batch 32 this update is a large share of a step.
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = g_sum[i] * gradient_scale;
    mm[i] += c.keep1 * (g - mm[i]);
    vv[i] += c.keep2 * (g * g - vv[i]);
    p[i] -= c.step_size * mm[i] / (std::sqrt(vv[i]) + c.epsilon);
  }
}

void adam_step(std::span<float> parameters, std::span<const float> gradient_sums,
               float gradient_scale, std::span<float> m, std::span<float> v, std::int64_t step,
               const AdamOptions& options) {
  const std::size_t n = parameters.size();
  if (gradient_sums.size() != n || m.size() != n || v.size() != n)
    throw Error("adam_step: parameter, gradient and moment slices differ in size");
  adam_update(parameters.data(), gradient_sums.data(), gradient_scale, m.data(), v.data(),
              static_cast<std::int64_t>(n), adam_coefficients(step, options));
}

#if defined(__SSE__)
FlushDenormals::FlushDenormals() : saved_(_mm_getcsr()) {
  _mm_setcsr(saved_ | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
}
FlushDenormals::~FlushDenormals() { _mm_setcsr(saved_); }
#else
FlushDenormals::FlushDenormals() {}
FlushDenormals::~FlushDenormals() {}
#endif

}  // namespace pancan
