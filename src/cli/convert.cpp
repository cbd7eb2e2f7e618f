// `pancan convert`: expression CSV/TSV + labels -> AnnData-compatible dataset.h5ad.
#include "pancan/convert.hpp"

#include "commands.hpp"
#include "pancan/config.hpp"
#include "pancan/log.hpp"

namespace pancan::cli {

int convert(const Args& args) {
  const ConvertOptions defaults;
  po::options_description options;
  options.add_options()(
      "expression", po::value<std::string>()->value_name("FILE"),
      "expression table: header of ids, then one line per sample (or per gene, see --layout); "
      "CSV or TSV, optionally gzip-compressed (required)")(
      "labels", po::value<std::string>()->value_name("FILE"),
      "labels table: header, then 'sample id,label,...' lines; joined to the expression rows "
      "by sample id (required)")(
      "out", po::value<std::string>()->value_name("FILE"),
      "the .h5ad file to write; replaced only when the new one is complete (required)")(
      "label-column", po::value<std::string>()->default_value(defaults.label_column),
      "the labels file's column holding the class")(
      "sep", po::value<std::string>()->default_value("auto"),
      "field separator of both files: auto (from each header line), comma or tab")(
      "layout", po::value<std::string>()->default_value("samples-as-rows"),
      "samples-as-rows (UCI PANCAN) or genes-as-rows (GDC, UCSC Xena: first column gene id, "
      "one column per sample)")("compression",
                                po::value<int>()->default_value(defaults.compression),
                                "gzip level 0-9 of /X (0 = none: fastest to write and read)")(
      "stats", po::bool_switch(), "print each rank's peak memory and the parse/write times");
  const auto command_line = parse_command_line("convert", options, args);
  if (command_line.help) {
    say(help_text(
        "pancan convert --expression FILE --labels FILE --out FILE [options]",
        "Parses the expression table in parallel (each rank its own byte range; a .gz file is\n"
        "decompressed by rank 0 and dealt out in blocks), checks it, joins the labels by\n"
        "sample id and writes an AnnData .h5ad: /X float32 samples x genes (chunked 64 x\n"
        "1024), /obs sample ids + the label column as a categorical, /var gene ids.\n"
        "Bad input stops with `FILE:LINE:COLUMN: what is wrong` and leaves no output file.",
        options));
    return kExitOk;
  }
  const auto& values = command_line.values;
  for (const char* required : {"expression", "labels", "out"})
    require_option(values.count(required) > 0, required, "is required");
  ConvertOptions convert_options;
  convert_options.expression = values["expression"].as<std::string>();
  convert_options.labels = values["labels"].as<std::string>();
  convert_options.out = values["out"].as<std::string>();
  convert_options.label_column = values["label-column"].as<std::string>();
  convert_options.separator = csv::parse_separator(values["sep"].as<std::string>());
  convert_options.orientation = csv::parse_orientation(values["layout"].as<std::string>());
  convert_options.compression = values["compression"].as<int>();
  convert_options.stats = values["stats"].as<bool>();
  require_option(convert_options.compression >= 0 && convert_options.compression <= 9,
                 "compression", "expected a level 0-9");
  require_option(!convert_options.label_column.empty(), "label-column", "must not be empty");
  pancan::convert(convert_options, mpi::Comm::world());
  return kExitOk;
}

}  // namespace pancan::cli
