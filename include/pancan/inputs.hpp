// Turning raw expression values into a model's inputs: find the model's genes among the
// genes of a data source (a dataset file or a CSV) by name, pick them in the model's
// order, and apply the min-max scaling stored in the model. Shared by `pancan evaluate`
// and `pancan predict`, so both feed the network exactly the same numbers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pancan/model.hpp"

namespace pancan {

// For each of the model's genes, its column among `available` (or -1 when missing).
// Extra available genes are simply not used.
struct GeneMatch {
  std::vector<std::int64_t> columns;  // model.genes.size()
  std::vector<std::string> missing;   // names of the model genes with column -1
};
GeneMatch match_genes(const std::vector<std::string>& model_genes,
                      const std::vector<std::string>& available);

// Model inputs for `rows` rows of raw values (rows x raw_cols, row-major): out (rows x
// model.genes.size()) = the matched columns scaled by the model's minimum/maximum. A
// missing gene (column -1) takes the training minimum, which scales to 0.
void model_inputs(const Model& model, const GeneMatch& match, std::span<const float> raw,
                  std::int64_t raw_cols, std::int64_t rows, std::span<float> out);

}  // namespace pancan
