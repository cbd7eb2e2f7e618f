// Synthetic TCGA-PANCAN-shaped data: expression.csv + labels.csv in the exact layout of
// the UCI "gene expression cancer RNA-Seq" files, with log2(RSEM+1)-like statistics, so
// the whole pipeline can run (and be tested) without the real 200 MB download.
//
// Every value is a pure function of (seed, sample, gene) through the counter-based RNG,
// so the bytes written do not depend on the number of ranks.
//
// The model, per gene g (parameters keyed by (seed, g)):
//   - ~7% "silent" genes: 0.0 except in at most 2% of samples (a small value); about a
//     third of them are zero in all 801 samples;
//   - otherwise a base level m_g (30% low-expressed, U(0.3, 4); else N(8.5, 2.2)) and a
//     noise level s_g (log-normal, 0.15..3.5);
//   - ~18% of the expressed genes are class-informative: they shift up or down in one
//     class (a module) by 1.5-6 (log2 units), 30% of them also in a second class.
// Per sample i (keyed by (seed, i)): its class, a library-size offset b_i, and a purity
// p_i: most samples are (nearly) pure, ~5% are mixed with another class (a contaminated or
// atypical tumour), which is what keeps the classes from being trivially separable.
// A value is latent x = m_g + p_i d_g(class) + (1-p_i) d_g(other class) + b_i + s_g z;
// x <= 0, or dropout with probability exp(-1.2 x) (a zero read count), gives an exact
// 0.0; values are capped at 20 and rounded to 6 decimals.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pancan/mpi.hpp"

namespace pancan {

struct SynthOptions {
  std::int64_t samples = 801;
  std::int64_t genes = 20531;
  std::uint64_t seed = 2023;
  std::string out_dir;   // created if missing; gets expression.csv and labels.csv
  bool progress = true;  // progress and summary lines from rank 0
  // Rows each rank formats per turn; 0 = about 4 MB of text, at most samples / ranks.
  std::int64_t rows_per_turn = 0;
};

// The tumour types of TCGA-PANCAN-HiSeq and their counts in its 801 samples.
inline constexpr std::array<const char*, 5> kSynthClasses = {"BRCA", "KIRC", "LUAD", "PRAD",
                                                             "COAD"};
inline constexpr std::array<std::int64_t, 5> kSynthClassCounts801 = {300, 146, 141, 136, 78};
inline constexpr std::int64_t kSynthMinSamples = 5;  // one sample per class at least

// Samples per class (in kSynthClasses order) for `samples` >= 5: the 801-sample counts
// scaled by largest-remainder rounding (ties to the earlier class), then every empty
// class takes one sample from the currently largest class. Throws UsageError for < 5.
std::vector<std::int64_t> synth_class_counts(std::int64_t samples);

// The class index of every sample: the counts above in a seeded shuffled order.
std::vector<int> synth_sample_classes(std::int64_t samples, std::uint64_t seed);

// Values are fixed-point integers in millionths ("micro units"): rounding happens once,
// in the model, so what is printed is exactly the value.
inline constexpr std::int64_t kMicro = 1000000;
std::int64_t round_to_micro(double value);  // nearest, halves away from zero

// Writes `micro` / 1e6 as the UCI files do: up to 6 decimals, trailing zeros dropped but
// one decimal digit kept ("3.5", "10.0", "0.0", "2.017209", "-0.25"). Returns the end of
// the text written at `out` (at most 22 characters, no terminator).
char* format_micro(std::int64_t micro, char* out);

// The generative model for one (seed, samples, genes): per-gene parameters and per-sample
// draws, built on every rank (O(samples + genes)); value() is then a pure function.
class SynthModel {
 public:
  SynthModel(std::uint64_t seed, std::int64_t samples, std::int64_t genes);

  std::int64_t samples() const { return static_cast<std::int64_t>(sample_class_.size()); }
  std::int64_t genes() const { return static_cast<std::int64_t>(base_.size()); }
  int sample_class(std::int64_t sample) const { return sample_class_[sample]; }
  // True for the genes whose level depends on the class (for tests and benchmarks).
  bool informative(std::int64_t gene) const { return informative_[gene] != 0; }

  // Expression of `gene` in `sample`, in micro units, in [0, 20 * kMicro].
  std::int64_t value(std::int64_t sample, std::int64_t gene) const;

  // Appends the CSV line of `sample` ("sample_7,2.017209,0.0,...\n") to `out`.
  void append_row(std::int64_t sample, std::string& out) const;

 private:
  std::uint64_t seed_;
  std::vector<std::uint64_t> sample_key_;  // hash_keys(seed, {value stream, sample})
  std::vector<int> sample_class_;
  std::vector<int> sample_other_class_;  // the class a mixed sample is mixed with
  std::vector<float> sample_purity_;     // 1 = pure
  std::vector<float> sample_offset_;     // library-size residue, log2 units
  std::vector<float> base_;              // per gene: level without class effect
  std::vector<float> noise_;             // per gene: noise sd (silent genes: non-zero rate)
  std::vector<std::uint8_t> silent_;
  std::vector<std::uint8_t> informative_;
  // shift_[c * genes + g]: how far class c moves gene g (0 for most genes).
  std::vector<float> shift_;
};

struct SynthSummary {
  std::int64_t samples = 0;
  std::int64_t genes = 0;
  std::int64_t bytes = 0;  // both files
  double seconds = 0;      // wall time
  double cpu_seconds = 0;  // user + system time, summed over ranks
  int ranks = 1;
};

// Writes out_dir/expression.csv and out_dir/labels.csv. Collective over `comm`: ranks
// take turns of row blocks, each formats its block and writes it at its byte offset;
// rank 0 writes the header and labels.csv. Files are written under temporary names and
// renamed when every rank is done. Errors are agreed on (every rank throws).
SynthSummary write_synthetic_dataset(const SynthOptions& options, const mpi::Comm& comm);

}  // namespace pancan
