// Writes .esq model files (the converter's output). WriteEsq never leaves a
// partial file at `path`: it writes a temporary file beside it, checks it
// with the reader (structure and every checksum), and renames it into place;
// on any failure the temporary file is removed and an existing file at
// `path` is untouched.
#pragma once

#include <stdint.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loaders/esq_format.h"

namespace edgeseq::loaders {

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> dims;       // 1 to 4 dimensions, none 0
  const void* data = nullptr;       // elements · DTypeSize(dtype) bytes
  const float* scales = nullptr;    // int8: one per row (rows = elements / last dim)
};

// A section the writer does not interpret (tests of forward compatibility).
struct RawSection {
  uint32_t kind = 0;
  uint32_t flags = 0;
  std::vector<uint8_t> bytes;
};

struct EsqContents {
  ModelConfig config;
  std::vector<TensorToWrite> tensors;
  std::optional<std::vector<std::string>> src_vocab, tgt_vocab;
  std::optional<std::pair<TokenizerKind, TokenizerKind>> tokenizer;  // source, target
  // SentencePiece sides: their serialized model (sections 7 and 8).
  std::string src_tokenizer_model, tgt_tokenizer_model;
  // Section 9 (1.4; the file's minor version is then 4).
  std::optional<TextTokens> text_tokens;
  std::vector<RawSection> extra_sections;
};

// Serializes `contents` to `sink` in order. Throws EsqError for contents the
// format cannot hold (vocabulary sizes, shapes, missing data).
void SerializeEsq(const EsqContents& contents, const std::function<void(const void*, size_t)>& sink);

// The whole file in memory (tests, fuzz seeds).
std::vector<uint8_t> SerializeEsqToBytes(const EsqContents& contents);

// Writes atomically as described above. Throws EsqError.
void WriteEsq(const std::string& path, const EsqContents& contents);

}  // namespace edgeseq::loaders
