// The options of `pancan run`, shared with `pancan cv` (which reads the same job configs).
#pragma once

#include "pancan/config.hpp"
#include "pancan/run.hpp"

namespace pancan::cli {

// Every option group of `pancan run` (files, convert, prepare, train, k-NN,
// cross-validation), with the defaults of `defaults`.
po::options_description run_options_description(const RunOptions& defaults);

// RunOptions from parsed values; UsageError for a bad value.
RunOptions run_options_from(const po::variables_map& values);

}  // namespace pancan::cli
