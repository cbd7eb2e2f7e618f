// One model of a comparison (`pancan run --model`, `pancan cv`): a dense network given by
// its hidden layer sizes (none = softmax regression) or the k-nearest-neighbour baseline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pancan/knn.hpp"

namespace pancan {

// "model2:100,10" = network model2 with hidden layers 100 and 10; "softmax:" = softmax
// regression (no hidden layer); "knn:knn" = k-NN (euclidean), "knn:knn-cosine" = cosine.
struct ModelSpec {
  std::string name;
  std::vector<std::int64_t> hidden;
  bool knn = false;
  Distance distance = Distance::Euclidean;  // k-NN only
};
// Parses NAME:H1,H2,... | NAME: | NAME:knn | NAME:knn-euclidean | NAME:knn-cosine (NAME:
// letters, digits, '_', '-'). UsageError otherwise.
ModelSpec parse_model_spec(const std::string& text);

// "100,10", "" (softmax regression) or "knn-euclidean": the text after NAME:.
std::string model_spec_text(const ModelSpec& spec);

}  // namespace pancan
