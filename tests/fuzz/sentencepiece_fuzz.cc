// libFuzzer target: SentencePiece from strangers (issue 18). The first byte
// picks what the rest is: even, text encoded and decoded by the SentencePiece
// project's test model (../shared/testdata/sentencepiece/test_model.model,
// read at startup; without it the target checks nothing, as the tests skip);
// odd, a serialized model, loaded (SentencePieceTokenizer's constructor) and,
// if it loads, used. Loading may only throw Error(kModel); encoding valid
// UTF-8 never throws; never a crash or another exception.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "loaders/utf8.h"
#include "runtime/error.h"
#include "runtime/sentencepiece_tokenizer.h"

using edgeseq::runtime::Error;
using edgeseq::runtime::ErrorKind;
using edgeseq::runtime::SentencePieceTokenizer;

namespace {

std::unique_ptr<SentencePieceTokenizer> LoadTestModel() {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/../shared/testdata/sentencepiece/test_model.model",
                   std::ios::binary);
  if (!in) return nullptr;
  return std::make_unique<SentencePieceTokenizer>(
      std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

void Use(const SentencePieceTokenizer& sp, std::string_view text) {
  if (!edgeseq::loaders::IsValidUtf8(text)) return;  // text mode refuses it before the library sees it
  const auto pieces = sp.Encode(text);
  const std::string back = sp.Decode(pieces);
  const auto ids = sp.EncodeIds(text);
  if (ids.size() != pieces.size()) abort();
  sp.DecodeIds(ids);
  (void)back;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::unique_ptr<SentencePieceTokenizer> model = LoadTestModel();
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    if (model) Use(*model, rest);
    return 0;
  }
  try {
    const SentencePieceTokenizer sp(rest);
    Use(sp, "Hello, world! naïve 日本語");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kModel) abort();
  }
  return 0;
}
