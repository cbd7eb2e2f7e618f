// Where outputs go: a check, before any work, that an output path can be written, so a
// typo in --out fails in a second instead of after an hour of training.
#pragma once

#include <string>

namespace pancan {

// Throws Error("PATH: the output directory DIR does not exist" / "... is not writable" /
// "PATH: is a directory") unless a file can be created at `path` and renamed into place.
void check_output_path(const std::string& path);

}  // namespace pancan
