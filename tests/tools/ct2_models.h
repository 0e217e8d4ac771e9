// The shared CTranslate2 test models (../shared/testdata/ctranslate2-aren/:
// Arabic→English transliteration, f32 and int8, from CTranslate2 4.8.1's
// tests), converted once per test process by edgeseq-convert.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "tools/convert.h"

namespace edgeseq::tools::test {

inline const std::string kShared = std::string(EDGESEQ_SOURCE_DIR) + "/../shared/testdata/ctranslate2-aren/";

inline bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

#define REQUIRE_SHARED_MODELS()                                                                     \
  if (!::edgeseq::tools::test::Exists(::edgeseq::tools::test::kShared))                             \
  GTEST_SKIP() << "no " << ::edgeseq::tools::test::kShared << " (CI and the project's machines have " \
               << "shared/ beside the checkout; this checkout does not)"

// A path in the test's temporary folder, unique to this process.
inline std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-ct2-" + std::to_string(getpid()) + "-" + name;
}

// Files this process made, removed when it exits.
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    for (const auto& p : paths) unlink(p.c_str());
  }
};
inline TempFiles& Made() {
  static TempFiles files;
  return files;
}

// `model` (a folder under kShared) converted with `quantize`, once per
// process; the .esq path.
inline std::string Convert(const std::string& model, const std::string& quantize) {
  const std::string out = Temp(model + "-" + quantize + ".esq");
  if (Exists(out)) return out;
  Made().paths.push_back(out);
  ConvertOptions o;
  o.input = kShared + model;
  o.output = out;
  o.quantize = quantize;
  std::ostringstream log;
  tools::Convert(o, log);
  return out;
}

}  // namespace edgeseq::tools::test
