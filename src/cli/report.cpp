// `pancan report`: renders report.md and report.html again from a report.json (after
// editing it, after an upgrade of pancan, or from a report made elsewhere). The metrics
// are recomputed from the test labels and predictions the JSON holds.
#include "pancan/report.hpp"

#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"
#include "pancan/mpi.hpp"

namespace pancan::cli {

int report(const Args& args) {
  po::options_description options;
  options.add_options()("from", po::value<std::string>()->value_name("FILE"),
                        "a report.json written by pancan evaluate or pancan run (required)")(
      "out", po::value<std::string>()->value_name("DIR"),
      "directory for report.json, report.md and report.html (required; created if missing)");
  const auto command_line = parse_command_line("report", options, args);
  if (command_line.help) {
    say(help_text("pancan report --from report.json --out DIR",
                  "Renders the report files again from a report.json: the metrics are\n"
                  "recomputed from its test labels and predictions, the best model is chosen\n"
                  "by validation accuracy, and report.html is one self-contained page.",
                  options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  require_option(values.count("from") > 0, "from", "a report.json is required");
  require_option(values.count("out") > 0, "out", "an output directory is required");
  const auto from = values["from"].as<std::string>();
  const auto out = values["out"].as<std::string>();
  // Serial work: rank 0 renders, the others wait to learn whether it worked.
  const auto world = mpi::Comm::world();
  mpi::agree(world, [&] {
    if (!world.is_root()) return;
    std::ifstream in(from);
    if (!in) throw Error("cannot open " + from);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(from + ": not JSON: " + e.what());
    }
    std::filesystem::create_directories(out);
    write_report(report_from_json(json), out);
    say("report: " + out + "/report.html (also report.md, report.json)");
  });
  return kExitOk;
}

}  // namespace pancan::cli
