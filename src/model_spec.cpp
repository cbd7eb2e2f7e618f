// Parsing NAME:SPEC model specifications (model_spec.hpp).
#include "pancan/model_spec.hpp"

#include <algorithm>
#include <cctype>

#include "pancan/config.hpp"
#include "pancan/error.hpp"

namespace pancan {

ModelSpec parse_model_spec(const std::string& text) {
  const auto colon = text.find(':');
  ModelSpec spec;
  spec.name = text.substr(0, colon);
  const bool name_ok =
      !spec.name.empty() && std::all_of(spec.name.begin(), spec.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
  if (colon == std::string::npos || !name_ok)
    throw UsageError("--model: '" + text +
                     "' is not NAME:HIDDEN or NAME:knn (e.g. model2:100,10; softmax: for no hidden "
                     "layer; NAME: letters, digits, _ or -)");
  const std::string rest = text.substr(colon + 1);
  if (rest == "knn" || rest == "knn-euclidean" || rest == "knn-cosine") {
    spec.knn = true;
    spec.distance = rest == "knn-cosine" ? Distance::Cosine : Distance::Euclidean;
    return spec;
  }
  for (int size : parse_int_list("model", rest)) {
    if (size < 1) throw UsageError("--model: layer sizes must be positive in '" + text + "'");
    spec.hidden.push_back(size);
  }
  return spec;
}

std::string model_spec_text(const ModelSpec& spec) {
  if (spec.knn) return std::string("knn-") + distance_name(spec.distance);
  std::string text;
  for (auto h : spec.hidden) text += (text.empty() ? "" : ",") + std::to_string(h);
  return text;
}

}  // namespace pancan
