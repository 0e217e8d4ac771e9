// Reading ../shared/testdata/ (real files no one here made: tokenizer
// models, texts) from tests: the folder, whole files, lines as the file has
// them, and the "1 2 3" id lists the fixtures store.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace edgeseq::test {

inline const std::string kSharedTestdata = std::string(EDGESEQ_SOURCE_DIR) + "/../shared/testdata/";

inline bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

#define REQUIRE_SHARED_TESTDATA()                                                                   \
  if (!::edgeseq::test::Exists(::edgeseq::test::kSharedTestdata))                                   \
  GTEST_SKIP() << "no " << ::edgeseq::test::kSharedTestdata << " (CI and the project's machines have " \
               << "shared/ beside the checkout)"

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Split at '\n' only: a CRLF file's lines keep their '\r', as the fixture
// scripts read them.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  for (size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) lines.push_back(text.substr(at, nl - at));
  lines.push_back(text.substr(at));
  return lines;
}

template <typename T>
std::vector<T> IdList(const std::string& s) {
  std::vector<T> ids;
  std::istringstream in(s);
  for (T v; in >> v;) ids.push_back(v);
  return ids;
}

}  // namespace edgeseq::test
