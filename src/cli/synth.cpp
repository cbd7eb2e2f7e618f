// `pancan synth` (placeholder until the generator lands; replaced in the synth work).
#include "commands.hpp"
#include "pancan/error.hpp"

namespace pancan::cli {
int synth(const Args&) { throw Error("synth: not built yet"); }
}  // namespace pancan::cli
