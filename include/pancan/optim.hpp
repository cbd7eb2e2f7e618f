// Adam (Kingma & Ba 2015) as Keras implements it, on a slice of the parameter buffer:
// elementwise, so ranks can each update their own slice (ZeRO stage 1) and get the same
// numbers as one rank updating everything.
#pragma once

#include <cstdint>
#include <span>

namespace pancan {

// Keras' defaults.
struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-7;
};

// One Adam step (`step` counts from 1) on a slice. The gradient is gradient_sums *
// gradient_scale (the sum over a global batch times 1 / batch size). Keras' form, with
// epsilon added to sqrt(v) outside the bias correction ("epsilon hat" in the paper):
//   m <- m + (1 - beta1) (g - m)         v <- v + (1 - beta2) (g^2 - v)
//   p <- p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
void adam_step(std::span<float> parameters, std::span<const float> gradient_sums,
               float gradient_scale, std::span<float> m, std::span<float> v, std::int64_t step,
               const AdamOptions& options);

// The same step in pieces: the coefficients of step `step` once, then any number of
// updates of blocks of the slice (the training loop updates the first layer's kernel a
// block of rows at a time, right after computing that block's gradient).
struct AdamCoefficients {
  float step_size = 0;  // lr sqrt(1 - beta2^t) / (1 - beta1^t)
  float keep1 = 0, keep2 = 0, epsilon = 0;
};
AdamCoefficients adam_coefficients(std::int64_t step, const AdamOptions& options);
void adam_update(float* parameters, const float* gradient_sums, float gradient_scale, float* m,
                 float* v, std::int64_t n, const AdamCoefficients& c);

// While alive, this thread's float arithmetic flushes denormal results to zero and reads
// denormal inputs as zero (x86 MXCSR FTZ and DAZ; nothing elsewhere); the previous mode is
// restored after. Training runs under it, as TensorFlow (Keras) does on CPU: Adam's first
// moment of a parameter whose gradient stays 0 decays by beta1 = 0.9 a step and becomes
// denormal after ~700 steps, and every operation on a denormal costs a microcode assist
// (measured: a model-1 step 3x slower). Values below 1.2e-38 are all it changes.
class FlushDenormals {
 public:
  FlushDenormals();
  ~FlushDenormals();
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  [[maybe_unused]] unsigned saved_ = 0;
};

}  // namespace pancan
