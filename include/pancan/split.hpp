// The train / validation / test split: stratified by class, seeded, and a pure function
// of (labels, fractions, seed), so every rank computes the same split on its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pancan {

// Codes as stored in obs/split (the categorical's categories are in this order).
enum class Split : std::int8_t { Train = 0, Validation = 1, Test = 2 };

inline constexpr const char* kSplitNames[] = {"train", "validation", "test"};
inline const char* split_name(Split s) { return kSplitNames[static_cast<int>(s)]; }

struct SplitFractions {
  double test = 1.0 / 3.0;  // of all samples of each class
  double validation = 0.2;  // of the samples of each class left after the test part
};

// How many samples of a class of `count` go to the test and validation parts.
//
// Rounding rule: test = round(test_fraction * count), then validation =
// round(validation_fraction * (count - test)), both rounding halves up (floor(x + 0.5)).
// Each part is then capped so that at least one sample of the class stays in training
// (a class of one sample is all training). Per class, so the split is stratified.
struct ClassSplitSizes {
  std::int64_t test = 0;
  std::int64_t validation = 0;
  std::int64_t train = 0;
};
ClassSplitSizes class_split_sizes(std::int64_t count, const SplitFractions& fractions);

// The part of every sample. labels[i] in [0, classes). Within each class the samples are
// shuffled by a Fisher-Yates pass driven by CounterRng(seed, {"split", class}); the first
// `test` of the shuffled order go to test, the next `validation` to validation, the rest
// to training. Throws Error for a fraction outside [0, 1) or a label out of range.
std::vector<Split> stratified_split(std::span<const std::int32_t> labels, int classes,
                                    const SplitFractions& fractions, std::uint64_t seed);

}  // namespace pancan
