// Reads a .esq model file: maps it read-only and validates its structure
// before anything is used (docs/FORMAT.md, "What a reader checks"). Tensor
// data is not copied: TensorInfo points into the mapping, which lives as long
// as the EsqFile (or any copy of it).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loaders/esq_error.h"
#include "loaders/esq_format.h"

namespace edgeseq::loaders {

struct TensorInfo {
  std::string_view name;
  DType dtype = DType::kF32;
  uint32_t ndim = 0;
  uint64_t dims[Limits::kMaxDims] = {0, 0, 0, 0};
  const void* data = nullptr;    // 64-byte aligned, data_size bytes
  uint64_t data_offset = 0;
  uint64_t data_size = 0;
  const float* scales = nullptr;  // int8: rows() scales; else nullptr
  uint64_t scales_offset = 0;
  uint64_t scales_size = 0;
  uint64_t checksum = 0;

  uint64_t elements() const;
  uint64_t cols() const { return dims[ndim - 1]; }
  uint64_t rows() const { return elements() / cols(); }
};

struct Vocabulary {
  std::vector<std::string_view> tokens;  // views into the mapping
};

struct SectionInfo {
  uint32_t kind = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  bool known = false;
};

class EsqFile {
 public:
  // Maps and validates `path`. Throws EsqError naming the file and the part
  // that is wrong. verify_checksums additionally hashes every tensor.
  static EsqFile Open(const std::string& path, bool verify_checksums = false);
  // Validates bytes already in memory (tests, fuzzing); `bytes` must outlive
  // the result. `name` stands for the file name in errors.
  static EsqFile FromBytes(const uint8_t* bytes, size_t size, const std::string& name);

  // Hashes every tensor's data and scales; throws EsqError(kChecksum) naming
  // the first tensor that does not match.
  void VerifyChecksums() const;

  const std::string& path() const { return path_; }
  uint16_t major_version() const { return major_; }
  uint16_t minor_version() const { return minor_; }
  uint64_t file_size() const { return size_; }
  const ModelConfig& config() const { return config_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* Find(std::string_view name) const;
  const Vocabulary* src_vocab() const { return has_src_vocab_ ? &src_vocab_ : nullptr; }
  const Vocabulary* tgt_vocab() const { return has_tgt_vocab_ ? &tgt_vocab_ : nullptr; }
  bool has_tokenizer() const { return has_tokenizer_; }
  TokenizerKind src_tokenizer() const { return src_tokenizer_; }
  TokenizerKind tgt_tokenizer() const { return tgt_tokenizer_; }
  // The tokenizer's own model bytes (SentencePiece ModelProto), inside the
  // mapping; empty unless that side's tokenizer needs one.
  std::string_view src_tokenizer_model() const { return src_tokenizer_model_; }
  std::string_view tgt_tokenizer_model() const { return tgt_tokenizer_model_; }
  // Section 9 (1.4): special tokens matched whole in text, and languages;
  // nullptr when the file has none.
  const TextTokens* text_tokens() const { return has_text_tokens_ ? &text_tokens_ : nullptr; }
  const std::vector<SectionInfo>& sections() const { return sections_; }

  // Tells the kernel how the mapped tensors are read (AdviseAccess in
  // loaders/mapped_file.h): `lookup_tables` (embeddings) at random rows, the
  // other tensors whole. A hint; nothing for a FromBytes file.
  void AdviseAccess(const std::vector<const TensorInfo*>& lookup_tables) const;

 private:
  class Parser;
  friend class Parser;
  void Parse(const uint8_t* bytes, size_t size);

  std::shared_ptr<const void> keep_alive_;  // the mapping, when we own one
  std::string path_;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint16_t major_ = 0, minor_ = 0;
  ModelConfig config_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> by_name_;
  Vocabulary src_vocab_, tgt_vocab_;
  bool has_src_vocab_ = false, has_tgt_vocab_ = false;
  bool has_tokenizer_ = false;
  TokenizerKind src_tokenizer_ = TokenizerKind::kWhitespace;
  TokenizerKind tgt_tokenizer_ = TokenizerKind::kWhitespace;
  std::string_view src_tokenizer_model_, tgt_tokenizer_model_;
  TextTokens text_tokens_;
  bool has_text_tokens_ = false;
  std::vector<SectionInfo> sections_;
};

// The shape a tensor with this role name must have under `config`; an empty
// vector for a name that is not a known role (docs/FORMAT.md, "Tensor roles").
// Throws EsqError(kShapeMismatch) for a layer index beyond the layer count.
std::vector<uint64_t> ExpectedShape(std::string_view name, const ModelConfig& config,
                                    const std::string& file);

}  // namespace edgeseq::loaders
