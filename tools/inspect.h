// `edgeseq inspect`: prints a model file's header, vocabularies and tensors.
#pragma once

#include <iosfwd>
#include <string>

namespace edgeseq::tools {

// Writes the report for the model at `path` to `out`. Returns the process
// exit status: 0, or 1 after writing one line "edgeseq inspect: <reason>" to
// `err` when the file is not a valid model (or, with verify, a checksum
// fails).
int Inspect(const std::string& path, bool verify, std::ostream& out, std::ostream& err);

}  // namespace edgeseq::tools
