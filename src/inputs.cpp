// Gene matching by name and the model's own min-max scaling (see inputs.hpp).
#include "pancan/inputs.hpp"

#include <unordered_map>

#include "pancan/error.hpp"
#include "pancan/features.hpp"
#include "pancan/log.hpp"

namespace pancan {

GeneMatch match_genes(const std::vector<std::string>& model_genes,
                      const std::vector<std::string>& available) {
  std::unordered_map<std::string, std::int64_t> where;
  where.reserve(available.size());
  for (std::size_t i = 0; i < available.size(); ++i)
    where.emplace(available[i], static_cast<std::int64_t>(i));  // first occurrence wins
  GeneMatch match;
  match.columns.reserve(model_genes.size());
  for (const auto& gene : model_genes) {
    auto it = where.find(gene);
    match.columns.push_back(it == where.end() ? -1 : it->second);
    if (it == where.end()) match.missing.push_back(gene);
  }
  return match;
}

void model_inputs(const Model& model, const GeneMatch& match, std::span<const float> raw,
                  std::int64_t raw_cols, std::int64_t rows, std::span<float> out) {
  const auto genes = static_cast<std::int64_t>(match.columns.size());
  if (genes != static_cast<std::int64_t>(model.minimum.size()) ||
      static_cast<std::int64_t>(raw.size()) < rows * raw_cols ||
      static_cast<std::int64_t>(out.size()) < rows * genes)
    throw Error(strprintf("model inputs: shapes do not fit (%lld genes, %lld rows)",
                          static_cast<long long>(genes), static_cast<long long>(rows)));
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* in = raw.data() + r * raw_cols;
    float* row = out.data() + r * genes;
    for (std::int64_t g = 0; g < genes; ++g) {
      const std::int64_t c = match.columns[static_cast<std::size_t>(g)];
      row[g] = c >= 0 ? in[c] : model.minimum[static_cast<std::size_t>(g)];
    }
  }
  scale_min_max(out.first(static_cast<std::size_t>(rows * genes)), model.minimum, model.maximum);
}

}  // namespace pancan
