// Synthetic TCGA-PANCAN-shaped CSV: the generative model, fast fixed-point formatting,
// and the parallel writer (ranks take turns of row blocks and pwrite them at their byte
// offsets, so the file is identical for any number of ranks).
#include "pancan/synth.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <optional>

#include "pancan/error.hpp"
#include "pancan/log.hpp"
#include "pancan/rng.hpp"

namespace pancan {

namespace {

// Keys that separate the RNG streams of the model, so e.g. gene 3's parameters and
// sample 3's draws never share numbers.
enum Stream : std::uint64_t {
  kGeneStream = 0x67656e65,    // per-gene parameters
  kSampleStream = 0x73616d70,  // per-sample purity, offset, mixing class
  kOrderStream = 0x6f726465,   // the shuffled class order
  kValueStream = 0x76616c75,   // the noise of each (sample, gene) value
};

// Model constants (see synth.hpp for the model). Tuned so that the notebook's network
// (top-20% variance genes, min-max, Dense(100)+Dropout(0.3), 10 epochs) reaches 0.97-1.0
// test accuracy (0.975 at the default seed; the mixed samples set the ceiling) while the
// best single gene gets ~0.72: bench/synth_check.py, figures in bench/synth_check.txt.
constexpr double kSilentFraction = 0.07;
constexpr double kSilentExpressedRate = 0.02;  // at most; a silent gene's rare non-zero values
constexpr double kLowExpressedFraction = 0.30;
constexpr double kInformativeFraction = 0.18;  // of the expressed genes
constexpr double kSecondClassFraction = 0.30;  // informative genes that move 2 classes
constexpr double kMixedSampleFraction = 0.05;
constexpr double kDropoutSlope = 1.2;  // P(zero | latent x) = exp(-slope x)
constexpr double kMaxValue = 20.0;

// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9):
// one uniform in, one normal out, so a (sample, gene) value needs a single hash.
double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771802e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double low = 0.02425;
  if (p < low || p > 1 - low) {
    const double q = std::sqrt(-2 * std::log(p < low ? p : 1 - p));
    const double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                     ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < low ? x : -x;
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Uniform in (0, 1) from 32 bits (never 0 or 1, so the quantile stays finite).
double open_uniform32(std::uint32_t bits) { return (bits + 0.5) * 0x1.0p-32; }

// "00".."99", for writing two digits at a time.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> pairs{};
  for (int i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

char* append_sample_id(std::int64_t sample, char* out) {
  std::memcpy(out, "sample_", 7);
  return std::to_chars(out + 7, out + 32, sample).ptr;
}

// A file written at explicit offsets (pwrite), so ranks can fill disjoint byte ranges.
class OffsetFile {
 public:
  OffsetFile(const std::string& path, int flags) : path_(path) {
    fd_ = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("cannot open " + path + " for writing: " + std::strerror(errno));
  }
  ~OffsetFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OffsetFile(const OffsetFile&) = delete;
  OffsetFile& operator=(const OffsetFile&) = delete;

  void write_at(std::int64_t offset, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw Error(strprintf("writing %zu bytes at byte %lld of %s: %s", bytes.size() - done,
                              static_cast<long long>(offset + done), path_.c_str(),
                              n < 0 ? std::strerror(errno) : "nothing written"));
      done += static_cast<std::size_t>(n);
    }
  }
  void close() {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw Error("closing " + path_ + ": " + std::strerror(errno));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

std::vector<std::int64_t> synth_class_counts(std::int64_t samples) {
  if (samples < kSynthMinSamples)
    throw UsageError(strprintf("--samples: need at least %lld (one per class), got %lld",
                               static_cast<long long>(kSynthMinSamples),
                               static_cast<long long>(samples)));
  constexpr std::int64_t total = 801;
  const std::size_t classes = kSynthClasses.size();
  std::vector<std::int64_t> counts(classes), remainder(classes);
  std::int64_t assigned = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    // Exact integer quota: samples * count / 801 = counts[c] + remainder[c] / 801.
    counts[c] = samples * kSynthClassCounts801[c] / total;
    remainder[c] = samples * kSynthClassCounts801[c] % total;
    assigned += counts[c];
  }
  std::vector<std::size_t> by_remainder(classes);
  std::iota(by_remainder.begin(), by_remainder.end(), 0);
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](std::size_t x, std::size_t y) { return remainder[x] > remainder[y]; });
  for (std::size_t k = 0; assigned < samples; ++k, ++assigned) ++counts[by_remainder[k]];
  for (std::size_t c = 0; c < classes; ++c)
    if (counts[c] == 0) {
      --*std::max_element(counts.begin(), counts.end());
      counts[c] = 1;
    }
  return counts;
}

std::vector<int> synth_sample_classes(std::int64_t samples, std::uint64_t seed) {
  const auto counts = synth_class_counts(samples);
  std::vector<int> classes;
  classes.reserve(static_cast<std::size_t>(samples));
  for (std::size_t c = 0; c < counts.size(); ++c)
    classes.insert(classes.end(), static_cast<std::size_t>(counts[c]), static_cast<int>(c));
  CounterRng rng(seed, {kOrderStream});
  for (std::size_t i = classes.size() - 1; i > 0; --i)  // Fisher-Yates
    std::swap(classes[i], classes[rng.below(i + 1)]);
  return classes;
}

std::int64_t round_to_micro(double value) { return std::llround(value * kMicro); }

char* format_micro(std::int64_t micro, char* out) {
  std::uint64_t magnitude = static_cast<std::uint64_t>(micro);
  if (micro < 0) {
    *out++ = '-';
    magnitude = 0 - magnitude;
  }
  out = std::to_chars(out, out + 20, magnitude / kMicro).ptr;
  *out++ = '.';
  const auto fraction = static_cast<std::uint32_t>(magnitude % kMicro);
  if (fraction == 0) {
    *out++ = '0';
    return out;
  }
  std::memcpy(out, &kDigitPairs[2 * (fraction / 10000)], 2);
  std::memcpy(out + 2, &kDigitPairs[2 * (fraction / 100 % 100)], 2);
  std::memcpy(out + 4, &kDigitPairs[2 * (fraction % 100)], 2);
  out += 6;
  while (out[-1] == '0') --out;  // fraction != 0, so this stops within the 6 digits
  return out;
}

SynthModel::SynthModel(std::uint64_t seed, std::int64_t samples, std::int64_t genes)
    : seed_(seed), sample_class_(synth_sample_classes(samples, seed)) {
  if (genes < 1) throw UsageError("--genes: need at least 1");
  const int classes = static_cast<int>(kSynthClasses.size());
  const auto n = static_cast<std::size_t>(samples), g_count = static_cast<std::size_t>(genes);

  sample_key_.resize(n);
  sample_other_class_.resize(n);
  sample_purity_.resize(n);
  sample_offset_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    sample_key_[i] = hash_keys(seed, {kValueStream, i});
    CounterRng rng(seed, {kSampleStream, i});
    const bool mixed = rng.uniform() < kMixedSampleFraction;
    // A mixed sample carries 30-70% of its own class's signal: some of them look more
    // like the other class, which no classifier can get right.
    sample_purity_[i] =
        static_cast<float>(mixed ? 0.30 + 0.40 * rng.uniform() : 0.85 + 0.15 * rng.uniform());
    sample_other_class_[i] =
        (sample_class_[i] + 1 + static_cast<int>(rng.below(classes - 1))) % classes;
    sample_offset_[i] = static_cast<float>(0.15 * rng.normal());
  }

  base_.resize(g_count);
  noise_.resize(g_count);
  silent_.resize(g_count);
  informative_.resize(g_count);
  shift_.assign(static_cast<std::size_t>(classes) * g_count, 0.0f);
  for (std::size_t g = 0; g < g_count; ++g) {
    CounterRng rng(seed, {kGeneStream, g});
    if (rng.uniform() < kSilentFraction) {
      // Most silent genes are zero everywhere, a few show up in a sample now and then.
      const double rate = kSilentExpressedRate * std::pow(rng.uniform(), 3);
      silent_[g] = 1;
      noise_[g] = static_cast<float>(rate);
      continue;
    }
    base_[g] = static_cast<float>(rng.uniform() < kLowExpressedFraction
                                      ? 0.3 + 3.7 * rng.uniform()
                                      : std::clamp(8.5 + 2.2 * rng.normal(), 2.0, 16.0));
    noise_[g] = static_cast<float>(std::clamp(0.85 * std::exp(0.45 * rng.normal()), 0.15, 3.5));
    if (rng.uniform() >= kInformativeFraction) continue;
    informative_[g] = 1;
    const int primary = static_cast<int>(rng.below(classes));
    const double sign = rng.uniform() < 0.65 ? 1.0 : -1.0;
    shift_[primary * g_count + g] = static_cast<float>(sign * (1.5 + 4.5 * rng.uniform()));
    if (rng.uniform() < kSecondClassFraction) {
      const int second = (primary + 1 + static_cast<int>(rng.below(classes - 1))) % classes;
      const double second_sign = rng.uniform() < 0.5 ? 1.0 : -1.0;
      shift_[second * g_count + g] = static_cast<float>(second_sign * (0.5 + 2.0 * rng.uniform()));
    }
  }
}

std::int64_t SynthModel::value(std::int64_t sample, std::int64_t gene) const {
  const auto i = static_cast<std::size_t>(sample), g = static_cast<std::size_t>(gene);
  const std::uint64_t bits = mix64(sample_key_[i] ^ g);  // = hash_keys(seed, {stream, i, g})
  const double u_noise = open_uniform32(static_cast<std::uint32_t>(bits >> 32));
  const double u_dropout = static_cast<std::uint32_t>(bits) * 0x1.0p-32;
  if (silent_[g]) {
    if (u_dropout >= noise_[g]) return 0;  // noise_ holds the non-zero rate
    return round_to_micro(0.1 + 1.4 * u_noise);
  }
  const std::size_t genes = base_.size();
  const double purity = sample_purity_[i];
  const double mean = base_[g] + purity * shift_[sample_class_[i] * genes + g] +
                      (1 - purity) * shift_[sample_other_class_[i] * genes + g] + sample_offset_[i];
  const double x = std::min(mean + noise_[g] * normal_quantile(u_noise), kMaxValue);
  if (x <= 0) return 0;
  // Low counts drop out (a zero read count): likely near 0, rare above ~4.
  // exp(-y) <= 1 / (1 + y) spares the exp for most values without changing any result.
  const double y = kDropoutSlope * x;
  if (u_dropout * (1 + y) < 1 && u_dropout < std::exp(-y)) return 0;
  return round_to_micro(x);
}

void SynthModel::append_row(std::int64_t sample, std::string& out) const {
  const std::int64_t genes = this->genes();
  const std::size_t start = out.size();
  // A value is at most "20.0" or "19.999999": 9 characters and a separator.
  out.resize(start + 32 + static_cast<std::size_t>(genes) * 10);
  char* at = append_sample_id(sample, out.data() + start);
  for (std::int64_t g = 0; g < genes; ++g) {
    *at++ = ',';
    at = format_micro(value(sample, g), at);
  }
  *at++ = '\n';
  out.resize(static_cast<std::size_t>(at - out.data()));
}

namespace {

// User + system time of this process: on a shared machine, MB per CPU-second says more
// about the code than MB per wall-second.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

std::string expression_header(std::int64_t genes) {
  std::string header;
  header.reserve(static_cast<std::size_t>(genes) * 12 + 2);
  char id[32];
  for (std::int64_t g = 0; g < genes; ++g) {
    header += ",gene_";
    header.append(id, std::to_chars(id, id + sizeof id, g).ptr);
  }
  header += '\n';
  return header;
}

std::string labels_csv(const std::vector<int>& classes) {
  std::string text = ",Class\n";
  char id[40];
  for (std::size_t i = 0; i < classes.size(); ++i) {
    text.append(id, append_sample_id(static_cast<std::int64_t>(i), id));
    text += ',';
    text += kSynthClasses[static_cast<std::size_t>(classes[i])];
    text += '\n';
  }
  return text;
}

}  // namespace

SynthSummary write_synthetic_dataset(const SynthOptions& options, const mpi::Comm& comm) {
  namespace fs = std::filesystem;
  if (options.out_dir.empty()) throw UsageError("--out: a directory is required");
  const double start = wall_seconds(), cpu_start = cpu_seconds();
  const SynthModel model(options.seed, options.samples, options.genes);
  const int rank = comm.rank(), ranks = comm.size();

  // Temporary names unique to this run (rank 0's pid), renamed when every rank is done.
  const fs::path dir = options.out_dir;
  const auto token = comm.broadcast<std::int64_t>(static_cast<std::int64_t>(::getpid()));
  const fs::path expression = dir / "expression.csv", labels = dir / "labels.csv";
  const fs::path expression_tmp = dir / strprintf(".expression.csv.%lld.tmp", (long long)token);
  const fs::path labels_tmp = dir / strprintf(".labels.csv.%lld.tmp", (long long)token);
  auto remove_temporaries = [&] {
    std::error_code ignored;
    fs::remove(expression_tmp, ignored);
    fs::remove(labels_tmp, ignored);
  };

  SynthSummary summary;
  summary.samples = options.samples;
  summary.genes = options.genes;
  summary.ranks = ranks;
  try {
    mpi::agree(comm, [&] {
      if (rank != 0) return;
      std::error_code error;
      fs::create_directories(dir, error);
      if (error) throw Error("cannot create directory " + dir.string() + ": " + error.message());
      OffsetFile(expression_tmp, O_WRONLY | O_CREAT | O_TRUNC).close();
      OffsetFile labels_file(labels_tmp, O_WRONLY | O_CREAT | O_TRUNC);
      const std::string text = labels_csv(synth_sample_classes(options.samples, options.seed));
      labels_file.write_at(0, text);
      labels_file.close();
      summary.bytes += static_cast<std::int64_t>(text.size());
    });
    std::optional<OffsetFile> file;
    mpi::agree(comm, [&] { file.emplace(expression_tmp, O_WRONLY); });

    // Ranks take turns of `rows_per_turn` rows each: memory stays at one turn's text per
    // rank whatever the file size. A turn's byte offsets are an exclusive scan of the
    // sizes of its blocks. A failing rank keeps taking part in the collectives and
    // reports at the end, so no rank waits forever.
    const std::int64_t rows_per_turn =
        options.rows_per_turn > 0
            ? options.rows_per_turn
            : std::clamp<std::int64_t>((4 << 20) / (10 * options.genes + 32), 1,
                                       (options.samples + ranks - 1) / ranks);
    std::string failure;
    std::string text;
    std::int64_t offset = 0;
    if (rank == 0) {
      text = expression_header(options.genes);
      try {
        file->write_at(0, text);
      } catch (const std::exception& e) {
        failure = e.what();
      }
    }
    offset = comm.broadcast<std::int64_t>(static_cast<std::int64_t>(text.size()));
    std::optional<Progress> progress;
    if (options.progress) progress.emplace("synth: writing " + expression.string());
    for (std::int64_t first = 0; first < options.samples; first += rows_per_turn * ranks) {
      const std::int64_t begin = std::min(options.samples, first + rank * rows_per_turn);
      const std::int64_t end = std::min(options.samples, begin + rows_per_turn);
      text.clear();
      if (failure.empty())
        for (std::int64_t i = begin; i < end; ++i) model.append_row(i, text);
      const auto sizes = comm.allgather<std::int64_t>(static_cast<std::int64_t>(text.size()));
      const std::int64_t mine =
          offset + std::accumulate(sizes.begin(), sizes.begin() + rank, std::int64_t{0});
      offset += std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
      if (failure.empty()) try {
          file->write_at(mine, text);
        } catch (const std::exception& e) {
          failure = e.what();
        }
      if (progress) {
        const double seconds = wall_seconds() - start;
        progress->update(strprintf(
            "%lld of %lld samples, %.1f MB, %.0f MB/s",
            static_cast<long long>(std::min(options.samples, first + rows_per_turn * ranks)),
            static_cast<long long>(options.samples), offset / 1e6,
            offset / 1e6 / std::max(seconds, 1e-9)));
      }
    }
    if (failure.empty()) try {
        file->close();
      } catch (const std::exception& e) {
        failure = e.what();
      }
    mpi::agree_on_failure(comm, failure, kExitError);

    mpi::agree(comm, [&] {
      if (rank != 0) return;
      std::error_code error;
      fs::rename(labels_tmp, labels, error);
      if (!error) fs::rename(expression_tmp, expression, error);
      if (error)
        throw Error("cannot rename the output into " + dir.string() + ": " + error.message());
    });
    summary.bytes = comm.broadcast(summary.bytes) + offset;
    summary.seconds = comm.max(wall_seconds() - start);
    summary.cpu_seconds = comm.sum(cpu_seconds() - cpu_start);
    if (progress) {
      const double megabytes = summary.bytes / 1e6;
      progress->finish(strprintf(
          "%lld samples x %lld genes, %.1f MB in %.2f s on %d rank%s: %.0f MB/s, %.0f MB/s per "
          "rank, %.0f MB per CPU-second",
          static_cast<long long>(summary.samples), static_cast<long long>(summary.genes), megabytes,
          summary.seconds, ranks, ranks == 1 ? "" : "s", megabytes / summary.seconds,
          megabytes / summary.seconds / ranks, megabytes / summary.cpu_seconds));
    }
  } catch (...) {
    if (rank == 0) remove_temporaries();
    throw;
  }
  return summary;
}

}  // namespace pancan
