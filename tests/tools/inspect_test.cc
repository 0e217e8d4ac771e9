// `edgeseq inspect`: the report of a valid file, and one line + exit 1 for a
// damaged one.
#include "tools/inspect.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "loaders/esq_writer.h"
#include "tests/loaders/esq_fixture.h"

namespace edgeseq::tools {
namespace {

std::string TempPath(const char* name) {
  return std::string(testing::TempDir()) + "/edgeseq-inspect-" + std::to_string(getpid()) + "-" + name;
}

TEST(Inspect, PrintsHeaderVocabulariesAndEveryTensor) {
  test::EsqFixture fx;
  const std::string path = TempPath("ok.esq");
  loaders::WriteEsq(path, fx.contents);
  std::ostringstream out, err;
  EXPECT_EQ(Inspect(path, /*verify=*/true, out, err), 0);
  const std::string s = out.str();
  EXPECT_EQ(err.str(), "");
  EXPECT_NE(s.find("d_model 8, heads 2, encoder layers 1, decoder layers 1, ffn 16"), std::string::npos) << s;
  EXPECT_NE(s.find("pre-LN"), std::string::npos) << s;
  EXPECT_NE(s.find("source vocabulary: 5 ids, tokens stored (characters)"), std::string::npos) << s;
  for (const auto& t : fx.contents.tensors) EXPECT_NE(s.find(t.name), std::string::npos) << t.name;
  EXPECT_NE(s.find("encoder.layers.0.self_attn.qkv_proj.weight  int8   [24, 8]"), std::string::npos) << s;
  EXPECT_NE(s.find("total: 8 tensors"), std::string::npos) << s;
  EXPECT_NE(s.find("(not a known role)"), std::string::npos) << s;
  EXPECT_NE(s.find("all 8 tensors verified"), std::string::npos) << s;
  remove(path.c_str());
}

TEST(Inspect, DamagedFileGivesOneLineAndExitOne) {
  test::EsqFixture fx;
  auto bytes = loaders::SerializeEsqToBytes(fx.contents);
  bytes[bytes.size() - 3] ^= 0x10;  // inside the last tensor: only --verify sees it
  const std::string path = TempPath("bad.esq");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::ostringstream out1, err1;
  EXPECT_EQ(Inspect(path, /*verify=*/false, out1, err1), 0);
  std::ostringstream out2, err2;
  EXPECT_EQ(Inspect(path, /*verify=*/true, out2, err2), 1);
  const std::string e = err2.str();
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  EXPECT_NE(e.find("checksum mismatch"), std::string::npos) << e;
  bytes.resize(100);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::ostringstream out3, err3;
  EXPECT_EQ(Inspect(path, false, out3, err3), 1);
  EXPECT_NE(err3.str().find("file says"), std::string::npos) << err3.str();
  remove(path.c_str());
}

}  // namespace
}  // namespace edgeseq::tools
