// Confusion matrix and classification scores (see metrics.hpp for the definitions).
#include "pancan/metrics.hpp"

#include "pancan/error.hpp"
#include "pancan/log.hpp"

namespace pancan {

namespace {
// scikit-learn's zero_division default: an undefined ratio counts as 0.
double ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}
}  // namespace

std::vector<std::int64_t> confusion_matrix(std::span<const std::int32_t> truth,
                                           std::span<const std::int32_t> predicted,
                                           std::size_t classes) {
  if (truth.size() != predicted.size())
    throw Error(strprintf("confusion matrix: %zu true labels but %zu predictions", truth.size(),
                          predicted.size()));
  std::vector<std::int64_t> confusion(classes * classes, 0);
  const auto k = static_cast<std::int64_t>(classes);
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= k || predicted[i] < 0 || predicted[i] >= k)
      throw Error(
          strprintf("confusion matrix: sample %zu has label %d / prediction %d outside "
                    "0..%lld",
                    i, truth[i], predicted[i], static_cast<long long>(k - 1)));
    ++confusion[static_cast<std::size_t>(truth[i]) * classes +
                static_cast<std::size_t>(predicted[i])];
  }
  return confusion;
}

Metrics metrics_from_confusion(std::vector<std::string> classes,
                               std::vector<std::int64_t> confusion) {
  const std::size_t k = classes.size();
  if (confusion.size() != k * k)
    throw Error(
        strprintf("metrics: confusion matrix has %zu cells for %zu classes", confusion.size(), k));
  Metrics m;
  m.classes = std::move(classes);
  m.confusion = std::move(confusion);

  std::vector<std::int64_t> row_sum(k, 0), column_sum(k, 0);
  std::int64_t total = 0, correct = 0;
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t p = 0; p < k; ++p) {
      const std::int64_t c = m.confusion[t * k + p];
      row_sum[t] += c;
      column_sum[p] += c;
      total += c;
      if (t == p) correct += c;
    }
  m.samples = total;
  m.accuracy = ratio(static_cast<double>(correct), static_cast<double>(total));

  m.per_class.resize(k);
  for (std::size_t c = 0; c < k; ++c) {
    const double tp = static_cast<double>(m.confusion[c * k + c]);
    const double fp = static_cast<double>(column_sum[c]) - tp;
    const double fn = static_cast<double>(row_sum[c]) - tp;
    const double tn = static_cast<double>(total) - tp - fp - fn;
    auto& s = m.per_class[c];
    s.precision = ratio(tp, tp + fp);
    s.recall = ratio(tp, tp + fn);
    s.specificity = ratio(tn, tn + fp);
    s.f1 = ratio(2 * tp, 2 * tp + fp + fn);
    s.support = row_sum[c];
  }

  auto average = [&](bool weighted) {
    ClassScores a;
    double weight_sum = 0;
    for (const auto& s : m.per_class) {
      const double w = weighted ? static_cast<double>(s.support) : 1.0;
      a.precision += w * s.precision;
      a.recall += w * s.recall;
      a.specificity += w * s.specificity;
      a.f1 += w * s.f1;
      weight_sum += w;
    }
    a.precision = ratio(a.precision, weight_sum);
    a.recall = ratio(a.recall, weight_sum);
    a.specificity = ratio(a.specificity, weight_sum);
    a.f1 = ratio(a.f1, weight_sum);
    a.support = total;
    return a;
  };
  m.macro_avg = average(false);
  m.weighted_avg = average(true);
  return m;
}

Metrics compute_metrics(std::vector<std::string> classes, std::span<const std::int32_t> truth,
                        std::span<const std::int32_t> predicted) {
  auto confusion = confusion_matrix(truth, predicted, classes.size());
  return metrics_from_confusion(std::move(classes), std::move(confusion));
}

}  // namespace pancan
