// Per-gene statistics of a samples x genes matrix read a block of rows at a time: mean,
// unbiased variance, minimum and maximum in one streaming pass, and the variance-based
// gene selection. Pure numerics: no files, no MPI (prepare.cpp shards and gathers).
//
// Shapes: R = rows in a chunk, G = genes (columns) in the block a caller owns.
//
// The moments of a chunk are computed in double in one pass over the chunk, from the
// values shifted by each gene's first value in the chunk (exact to n * eps relative; see
// accumulate_tile in stats.cpp), and merged into the running moments with Chan, Golub &
// LeVeque's pairwise update (Welford's update is its one-row case):
//   n = na + nb, d = mean_b - mean_a,
//   mean = mean_a + d * nb / n,   M2 = M2_a + M2_b + d^2 * na * nb / n.
// Each gene's result depends only on its own column and the chunk boundaries (fixed row
// indices, not ranks), so it is bit-identical whatever the number of ranks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace pancan {

// Running moments of G genes over the same `count` rows.
struct GeneMoments {
  std::int64_t count = 0;
  std::vector<double> mean;    // G
  std::vector<double> m2;      // G: sum of squared deviations from the mean
  std::vector<float> minimum;  // G (meaningless while count == 0)
  std::vector<float> maximum;  // G

  GeneMoments() = default;
  explicit GeneMoments(std::size_t genes)
      : mean(genes, 0.0), m2(genes, 0.0), minimum(genes, 0.0f), maximum(genes, 0.0f) {}
  std::size_t genes() const { return mean.size(); }
};

// Adds rows `rows` (indices into the chunk, each at most once) of `chunk` (R x G,
// row-major, G = moments.genes()) to `moments`.
void accumulate_rows(std::span<const float> chunk, std::span<const std::int64_t> rows,
                     GeneMoments& moments);
// Adds every row of `chunk` (R x G).
void accumulate(std::span<const float> chunk, GeneMoments& moments);
// As accumulate_rows, for rows of `stride` >= G values of which the first G are the genes
// (e.g. an HDF5 chunk read whole, wider than the genes it holds at the matrix's edge).
void accumulate_rows(std::span<const float> chunk, std::size_t stride,
                     std::span<const std::int64_t> rows, GeneMoments& moments);

// Merges `part` (moments of other rows of the same genes) into `into` (Chan's update).
void combine(GeneMoments& into, const GeneMoments& part);

// M2 / (count - 1) per gene: pandas' DataFrame.var (ddof = 1). Throws Error when
// count < 2.
std::vector<double> sample_variances(const GeneMoments& moments);

// numpy.quantile(values, q) with the default 'linear' method (Hyndman & Fan type 7),
// replicating numpy 1.24's arithmetic: h = (n - 1) q, i = floor(h), g = h - i,
// a + (b - a) g when g < 0.5, else b - (b - a)(1 - g). q in [0, 1]; values not empty.
double quantile_linear(std::span<const double> values, double q);

// pandas' Series.quantile(q): pandas hands numpy the percentage q * 100, which numpy
// divides by 100 again; the round trip can move q by one ulp, so it is reproduced.
double pandas_quantile(std::span<const double> values, double q);

// The genes kept and the variance threshold they met.
struct GeneSelection {
  std::vector<std::int64_t> genes;  // column indices, ascending (input column order)
  double threshold = 0;
};

// Keeps every gene whose variance is >= the pandas q-quantile of all variances.
// q in (0, 1).
GeneSelection select_by_quantile(std::span<const double> variances, double q);

// Keeps exactly n genes: the n largest variances, ties broken by column order (the
// earlier column wins). threshold = the n-th largest variance. 1 <= n <= genes.
GeneSelection select_top_genes(std::span<const double> variances, std::int64_t n);

}  // namespace pancan
