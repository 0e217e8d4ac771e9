// edgeseq: the command-line tool. Subcommands are thin: each parses its flags
// and calls a library function (tools/<subcommand>.cc).
#include <CLI/CLI.hpp>
#include <iostream>

#include "tools/inspect.h"

int main(int argc, char** argv) {
  CLI::App app{"edgeseq: run quantized Transformer encoder-decoder models on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeseq 0.1.0");

  std::string inspect_path;
  bool verify = false;
  CLI::App* inspect = app.add_subcommand(
      "inspect", "Print a model file's header, vocabularies and tensors; exit 1 with a one-line reason if it is not valid");
  inspect->add_option("model", inspect_path, "Model file (.esq)")->required();
  inspect->add_flag("--verify", verify, "Also check every tensor's checksum (reads the whole file)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors: 2
  }
  if (*inspect) return edgeseq::tools::Inspect(inspect_path, verify, std::cout, std::cerr);
  return 2;
}
