// Converts a parity fixture checkpoint (tests/fixtures/parity/NAME.pth, 4
// heads) to a temporary .esq in the given precision, for runtime tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "tools/convert.h"

namespace edgeseq::test {

inline std::string ConvertParityFixture(const std::string& name, const std::string& quantize) {
  const std::string out = std::string(testing::TempDir()) + "/edgeseq-" + name + "-" + std::to_string(getpid()) +
                          "-" + quantize + ".esq";
  tools::ConvertOptions o;
  o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/" + name + ".pth";
  o.output = out;
  o.heads = 4;
  o.quantize = quantize;
  std::ostringstream log;
  tools::Convert(o, log);
  return out;
}

}  // namespace edgeseq::test
