// libFuzzer target: byte-level BPE from strangers (issue 18). The first byte
// picks what the rest is:
//   0  a .tiktoken file (ByteLevelBpe::FromTiktoken), then encoding with it;
//   1  an .esq byte-level BPE section (FromSection: what a model file holds);
//   2  text, encoded and decoded by the tiny fixture tokenizer
//      (tests/fixtures/bpe/tiny) in both merge modes, with added tokens;
//   3  a merges.txt beside the fixture's vocab.json, through the converter;
//   4  a tokenizer.json, through the converter.
// Loading may only throw runtime::Error(kModel) / tools::ConvertError,
// encoding only Error(kInput) (invalid UTF-8); decode(encode(x)) == x for
// valid text; never a crash or another exception.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loaders/utf8.h"
#include "runtime/bpe_tokenizer.h"
#include "runtime/error.h"
#include "tools/convert.h"
#include "tools/convert_bpe.h"

using edgeseq::runtime::ByteLevelBpe;
using edgeseq::runtime::Error;
using edgeseq::runtime::ErrorKind;

namespace {

const std::string kTiny = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/bpe/tiny/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The fixture's tokens in ranks mode, and the same tokens with a merge list
// (each token's first split into two earlier tokens), both with added tokens.
struct Tokenizers {
  std::optional<ByteLevelBpe> ranks, merges;
  Tokenizers() {
    ranks.emplace(ByteLevelBpe::FromTiktoken(ReadFile(kTiny + "tiny.tiktoken")));
    std::vector<std::string> tokens;
    for (size_t i = 0; i < ranks->size(); ++i) tokens.push_back(ranks->Token(static_cast<int32_t>(i)));
    std::vector<std::pair<int32_t, int32_t>> pairs;
    for (size_t id = 256; id < tokens.size(); ++id) {
      for (size_t k = 1; k < tokens[id].size(); ++k) {
        int32_t l = -1, r = -1;
        for (size_t j = 0; j < id; ++j) {
          if (tokens[j] == tokens[id].substr(0, k)) l = static_cast<int32_t>(j);
          if (tokens[j] == tokens[id].substr(k)) r = static_cast<int32_t>(j);
        }
        if (l >= 0 && r >= 0) {
          pairs.emplace_back(l, r);
          break;
        }
      }
    }
    merges.emplace(ByteLevelBpe::FromMerges(tokens, pairs));
    for (ByteLevelBpe* b : {&*ranks, &*merges}) b->SetAddedTokens({{"<s>", true}, {"</s>", true}, {"<|x|>", false}});
    merges->set_add_prefix_space(true);
  }
};

// Encoding valid text never fails, and decodes back (with the prefix space
// where the tokenizer adds one); invalid UTF-8 is Error(kInput).
void EncodeAndCheck(const ByteLevelBpe& bpe, std::string_view text) {
  try {
    const std::vector<int32_t> ids = bpe.Encode(text);
    const std::string back = bpe.Decode(ids);
    if (!bpe.add_prefix_space() && back != text) abort();
    if (!edgeseq::loaders::IsValidUtf8(back)) abort();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kInput || edgeseq::loaders::IsValidUtf8(text)) abort();
  }
}

// The converter reads files: the input goes to one per process.
std::string TempFile(std::string_view bytes, const char* name) {
  const std::string path = std::string(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + "/edgeseq-bpe-fuzz-" +
                           std::to_string(getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const Tokenizers tiny;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
    case 1:
      try {
        const ByteLevelBpe b = data[0] % 5 == 0 ? ByteLevelBpe::FromTiktoken(rest) : ByteLevelBpe::FromSection(rest);
        EncodeAndCheck(b, "Hello, world! naïve 日本語 <s>");
        // What loads serializes to a section that loads the same.
        if (ByteLevelBpe::FromSection(b.ToSection()).ToSection() != b.ToSection()) abort();
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kModel) abort();
      }
      break;
    case 2:
      EncodeAndCheck(*tiny.ranks, rest);
      EncodeAndCheck(*tiny.merges, rest);
      break;
    case 3:
    case 4: {
      const bool merges = data[0] % 5 == 3;
      const std::string path = TempFile(rest, merges ? "merges.txt" : "tokenizer.json");
      try {
        const std::string spec = merges ? "bpe:" + kTiny + "vocab.json," + path : "hf:" + path;
        const auto file = edgeseq::tools::ReadBpeTokenizer("--src-tokenizer", spec, nullptr);
        EncodeAndCheck(ByteLevelBpe::FromSection(file.section), "Hello, world! <s>");
      } catch (const edgeseq::tools::ConvertError&) {
      }
      unlink(path.c_str());
      break;
    }
  }
  return 0;
}
