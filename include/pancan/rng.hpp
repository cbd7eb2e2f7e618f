// Counter-based random numbers: a value is a pure function of (seed, key..., counter),
// so any rank can draw "the numbers of sample i in epoch e" without drawing the ones
// before it. This is what makes synth output, shuffles and dropout masks independent of
// the number of ranks.
//
// The mixer is SplitMix64's finaliser (Steele, Lea & Flood 2014), applied to the keys in
// turn; it passes BigCrush as a counter-mode generator.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <numbers>

namespace pancan {

constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One 64-bit value keyed by a seed and any number of 64-bit keys.
constexpr std::uint64_t hash_keys(std::uint64_t seed, std::initializer_list<std::uint64_t> keys) {
  std::uint64_t h = mix64(seed);
  for (auto k : keys) h = mix64(h ^ k);
  return h;
}

// A stream of numbers for one key: next() returns hash(key, 0), hash(key, 1), ...
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::initializer_list<std::uint64_t> keys)
      : key_(hash_keys(seed, keys)) {}

  std::uint64_t next() { return mix64(key_ ^ mix64(counter_++)); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, 1) as float, 24 random bits.
  float uniform_float() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-64 * n).
  std::uint64_t below(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;  // GCC/Clang; silences -Wpedantic
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }
  // Standard normal (Box-Muller; uses two draws).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  std::uint64_t position() const { return counter_; }
  void seek(std::uint64_t counter) { counter_ = counter; }

 private:
  std::uint64_t key_;
  std::uint64_t counter_ = 0;
};

}  // namespace pancan
