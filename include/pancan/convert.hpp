// `pancan convert`: expression CSV/TSV (+ labels) -> the .h5ad dataset file, in parallel.
// A library function so `pancan run` can call it in-process with its own communicator.
#pragma once

#include <cstdint>
#include <string>

#include "pancan/csv.hpp"
#include "pancan/mpi.hpp"

namespace pancan {

struct ConvertOptions {
  std::string expression;  // expression table (plain or .gz)
  std::string labels;      // sample id + label column(s) (plain or .gz)
  std::string out;         // the .h5ad to write (replaced only when complete)
  std::string label_column = "Class";
  csv::Separator separator = csv::Separator::Auto;
  csv::Orientation orientation = csv::Orientation::SamplesAsRows;
  int compression = 0;                      // gzip level of /X, 0-9
  bool stats = false;                       // print each rank's peak memory and phase times
  std::int64_t gzip_block_bytes = 4 << 20;  // see csv::TableOptions
};

// What was converted, for the caller's summary (the same on every rank).
struct ConvertSummary {
  std::int64_t samples = 0;
  std::int64_t genes = 0;
  std::int64_t classes = 0;
  std::int64_t bytes = 0;  // expression text bytes (decompressed)
  double seconds = 0;
};

// Collective over `comm`. Any bad input ends with the same CollectiveError on every rank
// (message `FILE:LINE:COLUMN: what`) and nothing at options.out.
ConvertSummary convert(const ConvertOptions& options, const mpi::Comm& comm);

}  // namespace pancan
