// libFuzzer target: the CLI's input path (`edgeseq generate` and `edgeseq
// score`: reading lines, --ids parsing, text through the vocabularies,
// UTF-8, splitting words for a character model, batching, --skip-bad) on
// arbitrary bytes, with a small real model (the post-LN parity fixture, 20
// source / 24 target ids, given vocabularies at startup). The first byte
// picks the mode and options; the rest is stdin. Every input must end with
// exit status 0 or 1, never a crash, a hang or an exception.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tools/convert.h"
#include "tools/generate.h"

namespace {

using edgeseq::tools::ConvertOptions;
using edgeseq::tools::GenerateCliOptions;

std::string WriteVocab(const std::string& path, const char* const* tokens, size_t n) {
  std::ofstream out(path);
  for (size_t i = 0; i < n; ++i) out << tokens[i] << "\n";
  return path;
}

// Two models: characters in (no space token: words are decoded one by one),
// and whitespace tokens in. Made once per process in the temp directory.
struct Models {
  std::string dir, chars, words;
  ~Models() {
    for (const char* f : {"/chars.txt", "/words.txt", "/target.txt", "/chars.esq", "/words.esq"}) unlink((dir + f).c_str());
    rmdir(dir.c_str());
  }
  Models() {
    const char* tmp = getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/edgeseq-cli-fuzz-" + std::to_string(getpid());
    mkdir(dir.c_str(), 0700);
    static const char* const kChars[20] = {"<unk>", "<pad>", "<s>", "</s>", "a", "b", "c", "d", "e", "f",
                                           "g",     "h",     "é",   "ß",    "x", "y", "z", "'", "-", "."};
    static const char* const kWords[20] = {"<unk>", "<pad>", "<s>", "</s>", "the", "a", "cat", "sat", "on", "mat",
                                           "é",     "日本",  "x",   "y",    "z",   "1", "2", "3", ".", ","};
    static const char* const kTarget[24] = {"<unk>", "<pad>", "<s>", "</s>", "AA", "AE", "AH", "B",
                                            "CH",    "D",     "EH",  "ER",   "F",  "G",  "HH", "IY",
                                            "K",     "L",     "M",   "N",    "OW", "P",  "S",  "T"};
    const std::string src_chars = WriteVocab(dir + "/chars.txt", kChars, 20);
    const std::string src_words = WriteVocab(dir + "/words.txt", kWords, 20);
    const std::string tgt = WriteVocab(dir + "/target.txt", kTarget, 24);
    chars = Convert(dir + "/chars.esq", src_chars, "chars", tgt);
    words = Convert(dir + "/words.esq", src_words, "whitespace", tgt);
  }
  static std::string Convert(const std::string& out, const std::string& src_vocab, const std::string& tokenizer,
                             const std::string& tgt_vocab) {
    ConvertOptions o;
    o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/post_relu.pth";
    o.output = out;
    o.heads = 4;
    o.src_vocab_file = src_vocab;
    o.tgt_vocab_file = tgt_vocab;
    o.src_tokenizer = tokenizer;
    std::ostringstream log;
    edgeseq::tools::Convert(o, log);
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Models models;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  GenerateCliOptions o;
  o.ids = (mode & 3) == 0;
  o.model = (mode & 3) == 1 ? models.words : models.chars;
  o.skip_bad = (mode & 4) != 0;
  o.batch = 1 + ((mode >> 3) & 3);
  o.max_length = 1 + ((mode >> 5) & 3);
  const bool score = (mode & 0x80) != 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  std::ostringstream out, err;
  const int status = score ? edgeseq::tools::RunScore(o, in, out, err) : edgeseq::tools::RunGenerate(o, in, out, err);
  if (status != 0 && status != 1) abort();
  if (status == 1 && err.str().empty()) abort();  // a refusal always says why
  if (status == 0 && o.skip_bad) {  // one output line per input line, bad ones included
    size_t lines = 0;
    for (size_t i = 1; i < size; ++i) lines += data[i] == '\n';
    if (size > 1 && data[size - 1] != '\n') ++lines;
    size_t outputs = 0;
    for (char c : out.str()) outputs += c == '\n';
    if (outputs != lines) abort();
  }
  return 0;
}
