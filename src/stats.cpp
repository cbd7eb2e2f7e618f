// Per-gene streaming moments, the numpy-exact quantile and the gene selection.
#include "pancan/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "pancan/error.hpp"
#include "pancan/log.hpp"

namespace pancan {

namespace {

// Genes handled together: the five accumulator arrays (3 double, 2 float: 32 KiB) stay
// in L1 while the rows stream by.
constexpr std::size_t kTileGenes = 1024;

// Moments of rows `rows` of chunk columns [g0, g0 + width) merged into `moments`.
// `rows` == nullptr means every row 0..row_count-1.
//
// One pass over the chunk with each gene's values shifted by its first value c in the
// chunk: with d = x - c, S1 = sum d and S2 = sum d^2, the chunk's mean is c + S1/n and its
// M2 = S2 - S1^2/n. The cancellation in that subtraction costs at most a relative
// n * eps, because S1^2/n = n (mean - c)^2 and c is one of the values, so
// M2 >= (mean - c)^2: for a 1024-row chunk, 2e-13, far inside the 1e-9 required of the
// variances. A single pass keeps the kernel streaming (no second read of the chunk).
void accumulate_tile(const float* chunk, std::size_t stride, const std::int64_t* rows,
                     std::size_t row_count, std::size_t g0, std::size_t width,
                     GeneMoments& moments) {
  auto row_at = [&](std::size_t k) {
    const std::size_t r = rows ? static_cast<std::size_t>(rows[k]) : k;
    return chunk + r * stride + g0;
  };
  double shift[kTileGenes], s1[kTileGenes], s2[kTileGenes];
  float lo[kTileGenes], hi[kTileGenes];
  {
    const float* x = row_at(0);
    for (std::size_t j = 0; j < width; ++j) {
      shift[j] = static_cast<double>(x[j]);
      s1[j] = s2[j] = 0.0;
      lo[j] = hi[j] = x[j];
    }
  }
  for (std::size_t k = 1; k < row_count; ++k) {
    const float* x = row_at(k);
    for (std::size_t j = 0; j < width; ++j) {
      const double d = static_cast<double>(x[j]) - shift[j];
      s1[j] += d;
      s2[j] += d * d;
    }
    for (std::size_t j = 0; j < width; ++j) {
      const float v = x[j];
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
    }
  }
  // Chan's update (a = running, b = this chunk).
  const double nb = static_cast<double>(row_count);
  const double na = static_cast<double>(moments.count), n = na + nb;
  const double weight_b = nb / n, cross = na * nb / n;
  const bool first = moments.count == 0;
  for (std::size_t j = 0; j < width; ++j) {
    const std::size_t g = g0 + j;
    const double mean_b = shift[j] + s1[j] / nb;
    const double m2_b = std::max(0.0, s2[j] - s1[j] * s1[j] / nb);
    const double delta = mean_b - moments.mean[g];
    moments.mean[g] += delta * weight_b;
    moments.m2[g] += m2_b + delta * delta * cross;
    moments.minimum[g] = first ? lo[j] : std::min(moments.minimum[g], lo[j]);
    moments.maximum[g] = first ? hi[j] : std::max(moments.maximum[g], hi[j]);
  }
}

void accumulate_chunk(std::span<const float> chunk, std::size_t stride, const std::int64_t* rows,
                      std::size_t row_count, GeneMoments& moments) {
  const std::size_t genes = moments.genes();
  if (row_count == 0 || genes == 0) return;
  if (stride < genes || chunk.size() % stride != 0)
    throw Error(
        strprintf("stats: a chunk of %zu values is not a whole number of rows of %zu "
                  "(holding %zu genes)",
                  chunk.size(), stride, genes));
  const std::size_t chunk_rows = chunk.size() / stride;
  if (rows)
    for (std::size_t k = 0; k < row_count; ++k)
      if (rows[k] < 0 || static_cast<std::size_t>(rows[k]) >= chunk_rows)
        throw Error(strprintf("stats: row %lld outside a chunk of %zu rows",
                              static_cast<long long>(rows[k]), chunk_rows));
  if (!rows && row_count > chunk_rows)
    throw Error(strprintf("stats: %zu rows asked of a chunk of %zu", row_count, chunk_rows));
  for (std::size_t g0 = 0; g0 < genes; g0 += kTileGenes)
    accumulate_tile(chunk.data(), stride, rows, row_count, g0, std::min(kTileGenes, genes - g0),
                    moments);
  moments.count += static_cast<std::int64_t>(row_count);
}

}  // namespace

void accumulate_rows(std::span<const float> chunk, std::span<const std::int64_t> rows,
                     GeneMoments& moments) {
  accumulate_chunk(chunk, moments.genes(), rows.data(), rows.size(), moments);
}

void accumulate_rows(std::span<const float> chunk, std::size_t stride,
                     std::span<const std::int64_t> rows, GeneMoments& moments) {
  accumulate_chunk(chunk, stride, rows.data(), rows.size(), moments);
}

void accumulate(std::span<const float> chunk, GeneMoments& moments) {
  const std::size_t genes = moments.genes();
  accumulate_chunk(chunk, genes, nullptr, genes ? chunk.size() / genes : 0, moments);
}

void combine(GeneMoments& into, const GeneMoments& part) {
  if (into.genes() != part.genes())
    throw Error(
        strprintf("stats: combining moments of %zu and %zu genes", into.genes(), part.genes()));
  if (part.count == 0) return;
  if (into.count == 0) {
    into = part;
    return;
  }
  const double na = static_cast<double>(into.count), nb = static_cast<double>(part.count);
  const double n = na + nb, weight_b = nb / n, cross = na * nb / n;
  for (std::size_t g = 0; g < into.genes(); ++g) {
    const double delta = part.mean[g] - into.mean[g];
    into.mean[g] += delta * weight_b;
    into.m2[g] += part.m2[g] + delta * delta * cross;
    into.minimum[g] = std::min(into.minimum[g], part.minimum[g]);
    into.maximum[g] = std::max(into.maximum[g], part.maximum[g]);
  }
  into.count += part.count;
}

std::vector<double> sample_variances(const GeneMoments& moments) {
  if (moments.count < 2)
    throw Error(strprintf("the variance needs at least 2 samples, got %lld",
                          static_cast<long long>(moments.count)));
  std::vector<double> variances(moments.genes());
  const double dof = static_cast<double>(moments.count - 1);
  for (std::size_t g = 0; g < variances.size(); ++g) variances[g] = moments.m2[g] / dof;
  return variances;
}

double quantile_linear(std::span<const double> values, double q) {
  if (values.empty()) throw Error("quantile of no values");
  if (!(q >= 0.0 && q <= 1.0)) throw Error(strprintf("quantile %g outside [0, 1]", q));
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double h = static_cast<double>(n - 1) * q;
  if (h >= static_cast<double>(n - 1)) return sorted.back();
  const double below = std::floor(h);
  const double gamma = h - below;
  const double a = sorted[static_cast<std::size_t>(below)];
  const double b = sorted[static_cast<std::size_t>(below) + 1];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

double pandas_quantile(std::span<const double> values, double q) {
  return quantile_linear(values, (q * 100.0) / 100.0);
}

GeneSelection select_by_quantile(std::span<const double> variances, double q) {
  if (!(q > 0.0 && q < 1.0)) throw Error(strprintf("quantile must be in (0, 1), got %g", q));
  GeneSelection selection;
  selection.threshold = pandas_quantile(variances, q);
  for (std::size_t g = 0; g < variances.size(); ++g)
    if (variances[g] >= selection.threshold)
      selection.genes.push_back(static_cast<std::int64_t>(g));
  return selection;
}

GeneSelection select_top_genes(std::span<const double> variances, std::int64_t n) {
  const auto genes = static_cast<std::int64_t>(variances.size());
  if (n < 1 || n > genes)
    throw Error(strprintf("top genes must be between 1 and the number of genes (%lld), got %lld",
                          static_cast<long long>(genes), static_cast<long long>(n)));
  std::vector<std::int64_t> order(variances.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest variance first; equal variances keep column order.
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return variances[static_cast<std::size_t>(a)] > variances[static_cast<std::size_t>(b)];
  });
  GeneSelection selection;
  selection.genes.assign(order.begin(), order.begin() + n);
  selection.threshold = variances[static_cast<std::size_t>(order[static_cast<std::size_t>(n - 1)])];
  std::sort(selection.genes.begin(), selection.genes.end());
  return selection;
}

}  // namespace pancan
