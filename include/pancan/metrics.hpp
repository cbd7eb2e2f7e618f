// Classification metrics computed on the root rank from gathered predictions: the
// confusion matrix and the per-class and averaged scores scikit-learn's
// classification_report gives, plus specificity (which scikit-learn does not report).
//
// Shapes: K = number of classes, N = number of samples. Labels are class indices 0..K-1.
// A ratio whose denominator is zero is 0, as scikit-learn's default zero_division
// ("warn") returns; no warning is printed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pancan {

// The scores of one class, or an average of them.
struct ClassScores {
  double precision = 0;      // TP / (TP + FP)
  double recall = 0;         // TP / (TP + FN), the sensitivity
  double specificity = 0;    // TN / (TN + FP)
  double f1 = 0;             // 2 TP / (2 TP + FP + FN), the harmonic mean of the two above
  std::int64_t support = 0;  // samples whose true class this is (for averages: all samples)
};

struct Metrics {
  std::vector<std::string> classes;     // K names; index = label
  std::vector<std::int64_t> confusion;  // K x K row-major: rows = true, columns = predicted
  std::vector<ClassScores> per_class;   // K
  double accuracy = 0;                  // trace / N
  ClassScores macro_avg;                // unweighted mean over all K classes
  ClassScores weighted_avg;             // mean weighted by support
  std::int64_t samples = 0;             // N

  std::int64_t count(std::size_t true_class, std::size_t predicted_class) const {
    return confusion[true_class * classes.size() + predicted_class];
  }
};

// K x K counts, rows = true class, columns = predicted class. Throws Error for a label
// outside 0..K-1 or spans of different lengths.
std::vector<std::int64_t> confusion_matrix(std::span<const std::int32_t> truth,
                                           std::span<const std::int32_t> predicted,
                                           std::size_t classes);

// Every score from a K x K confusion matrix (every class counts in the macro average,
// as scikit-learn with labels=range(K)).
Metrics metrics_from_confusion(std::vector<std::string> classes,
                               std::vector<std::int64_t> confusion);

// confusion_matrix + metrics_from_confusion.
Metrics compute_metrics(std::vector<std::string> classes, std::span<const std::int32_t> truth,
                        std::span<const std::int32_t> predicted);

}  // namespace pancan
