// Stratified, seeded train / validation / test split (see split.hpp for the rules).
#include "pancan/split.hpp"

#include <cmath>
#include <utility>

#include "pancan/error.hpp"
#include "pancan/log.hpp"
#include "pancan/rng.hpp"

namespace pancan {

namespace {

// Separates the split's random stream from every other use of the same seed.
constexpr std::uint64_t kSplitStream = 0x73706c6974ULL;  // "split"

std::int64_t round_half_up(double x) { return static_cast<std::int64_t>(std::floor(x + 0.5)); }

void check_fraction(double value, const char* what) {
  if (!(value >= 0.0 && value < 1.0))
    throw Error(strprintf("%s fraction must be in [0, 1), got %g", what, value));
}

}  // namespace

ClassSplitSizes class_split_sizes(std::int64_t count, const SplitFractions& fractions) {
  check_fraction(fractions.test, "test");
  check_fraction(fractions.validation, "validation");
  ClassSplitSizes sizes;
  if (count <= 0) return sizes;
  // Keep at least one sample of the class for training.
  sizes.test = std::min(round_half_up(fractions.test * static_cast<double>(count)), count - 1);
  const std::int64_t rest = count - sizes.test;
  sizes.validation =
      std::min(round_half_up(fractions.validation * static_cast<double>(rest)), rest - 1);
  sizes.train = rest - sizes.validation;
  return sizes;
}

std::vector<Split> stratified_split(std::span<const std::int32_t> labels, int classes,
                                    const SplitFractions& fractions, std::uint64_t seed) {
  std::vector<std::vector<std::int64_t>> members(static_cast<std::size_t>(classes));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes)
      throw Error(
          strprintf("split: sample %zu has label %d, outside [0, %d)", i, labels[i], classes));
    members[static_cast<std::size_t>(labels[i])].push_back(static_cast<std::int64_t>(i));
  }
  std::vector<Split> split(labels.size(), Split::Train);
  for (int c = 0; c < classes; ++c) {
    auto& samples = members[static_cast<std::size_t>(c)];
    const auto sizes = class_split_sizes(static_cast<std::int64_t>(samples.size()), fractions);
    CounterRng rng(seed, {kSplitStream, static_cast<std::uint64_t>(c)});
    for (std::size_t i = samples.size(); i > 1; --i)
      std::swap(samples[i - 1], samples[rng.below(i)]);
    for (std::int64_t k = 0; k < sizes.test + sizes.validation; ++k)
      split[static_cast<std::size_t>(samples[static_cast<std::size_t>(k)])] =
          k < sizes.test ? Split::Test : Split::Validation;
  }
  return split;
}

}  // namespace pancan
