// `pancan prepare`: split the samples, select genes by variance and record min-max
// statistics, all stored in the dataset file itself (DESIGN.md, "HDF5 layout").
//
// Genes are sharded across ranks: each rank streams its block of /X columns in chunks of
// rows, accumulating per-gene moments of the fit rows (stats.hpp); the variances are
// gathered so every rank computes the same threshold and selection; rank 0 then writes
// the results into a copy of the file and renames it over the original, so a run that
// is killed leaves the old file intact.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "pancan/mpi.hpp"
#include "pancan/split.hpp"

namespace pancan {

// Which rows the statistics are fitted on.
enum class FitOn { Train, All };
const char* fit_on_name(FitOn fit_on);
FitOn parse_fit_on(const std::string& text);  // "train" | "all"; UsageError otherwise

struct PrepareOptions {
  std::string data;             // the dataset file, updated in place (atomically)
  SplitFractions fractions;     // test 1/3, validation 0.2 of the rest
  std::uint64_t seed = 2023;    // the split's seed
  double quantile = 0.8;        // keep variance >= this quantile of the variances...
  std::int64_t top_genes = 0;   // ...or, when > 0, exactly this many genes
  FitOn fit_on = FitOn::Train;  // Train: no test/validation rows leak into the statistics
  // Write the results into `data` itself instead of into a copy renamed over it. Only for a
  // file the caller has just made and can make again (pancan run's convert output, whose
  // stage stamp says "incomplete" until prepare is done): a run killed while writing may
  // leave it damaged. Saves copying the whole file (0.03 s of 0.05 for 801 samples).
  bool in_place = false;
};

// Throws UsageError naming the option for a value that cannot work whatever the file.
void validate(const PrepareOptions& options);

struct PrepareResult {
  std::int64_t samples = 0;
  std::int64_t genes = 0;
  std::array<std::int64_t, 3> split_counts{};  // train, validation, test
  std::int64_t fit_rows = 0;
  std::int64_t selected = 0;
  double threshold = 0;
  std::int64_t bytes_read = 0;  // of /X, summed over ranks
  bool whole_chunks = false;    // /X read chunk by chunk as stored (else by hyperslabs)
  double pass_seconds = 0;      // the statistics pass over /X (slowest rank)
  // CPU time of the pass summed over ranks: on shared cores wall time is pessimistic,
  // this is what the cores themselves manage.
  double pass_cpu_seconds = 0;
  double write_seconds = 0;  // copy, update and rename of the file
  double total_seconds = 0;
};

// Collective over `comm`: every rank calls it with the same options. Errors are agreed
// (mpi::agree), so every rank throws the same CollectiveError.
PrepareResult prepare(const PrepareOptions& options, const mpi::Comm& comm);

}  // namespace pancan
