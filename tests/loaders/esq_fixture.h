// A small model's contents in every dtype, and helpers to damage serialized
// files in specific places (tests and fuzz seeds).
#pragma once

#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "loaders/checksum.h"
#include "loaders/esq_format.h"
#include "loaders/esq_writer.h"

namespace edgeseq::test {

// Owns the tensor buffers EsqContents points into.
struct EsqFixture {
  loaders::EsqContents contents;
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<std::vector<float>> scales;

  EsqFixture() {
    using loaders::DType;
    loaders::ModelConfig& c = contents.config;
    c.d_model = 8;
    c.num_heads = 2;
    c.encoder_layers = 1;
    c.decoder_layers = 1;
    c.ffn_dim = 16;
    c.src_vocab_size = 5;
    c.tgt_vocab_size = 6;
    c.max_positions = 10;
    c.norm_placement = loaders::NormPlacement::kPre;
    c.activation = loaders::ActivationKind::kGelu;
    c.encoder_final_norm = true;
    c.embedding_scale = 2.828427f;
    c.pad_id = 1;
    c.bos_id = 2;
    c.eos_id = 3;
    c.decoder_start_id = 2;
    Add("encoder.embed_tokens.weight", DType::kF32, {5, 8});
    Add("decoder.embed_tokens.weight", DType::kF16, {6, 8});
    Add("encoder.layers.0.self_attn.qkv_proj.weight", DType::kI8, {24, 8});
    Add("encoder.layers.0.self_attn.qkv_proj.bias", DType::kF32, {24});
    Add("encoder.layers.0.ffn.fc1.weight", DType::kBF16, {16, 8});
    Add("decoder.layers.0.cross_attn.kv_proj.weight", DType::kI8, {16, 8});
    Add("encoder.norm.weight", DType::kF32, {8});
    Add("extra.unknown_role", DType::kF32, {3, 1, 2});
    contents.src_vocab = std::vector<std::string>{"<unk>", "<pad>", "a", "b", "é"};
    contents.tgt_vocab = std::vector<std::string>{"<unk>", "<pad>", "<s>", "</s>", "AH0", "B"};
    contents.tokenizer = {{loaders::TokenizerKind::kCharacters, loaders::TokenizerKind::kWhitespace}};
  }

  void Add(const std::string& name, loaders::DType dtype, std::vector<uint64_t> dims) {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;
    std::vector<uint8_t> data(n * loaders::DTypeSize(dtype));
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + buffers.size() * 7 + 3);
    if (dtype == loaders::DType::kF32) {  // finite floats, so they print sensibly
      for (size_t i = 0; i < n; ++i) {
        const float v = 0.01f * static_cast<float>(i) - 0.5f;
        memcpy(data.data() + 4 * i, &v, 4);
      }
    }
    buffers.push_back(std::move(data));
    loaders::TensorToWrite t;
    t.name = name;
    t.dtype = dtype;
    t.dims = dims;
    t.data = buffers.back().data();
    if (dtype == loaders::DType::kI8) {
      scales.emplace_back(n / dims.back());
      for (size_t r = 0; r < scales.back().size(); ++r) scales.back()[r] = 0.001f * static_cast<float>(r + 1);
      t.scales = scales.back().data();
    }
    contents.tensors.push_back(t);
  }
};

// Where things are in a serialized file, read the way FORMAT.md describes.
struct EsqLayout {
  struct Section {
    uint32_t kind;
    uint64_t offset, size;
    size_t entry_at;  // where its section-table entry is
  };
  std::vector<Section> sections;

  explicit EsqLayout(const std::vector<uint8_t>& b) {
    uint32_t count;
    memcpy(&count, b.data() + 12, 4);
    for (uint32_t i = 0; i < count; ++i) {
      const size_t e = loaders::kPreambleSize + i * loaders::kSectionEntrySize;
      Section s;
      memcpy(&s.kind, b.data() + e, 4);
      memcpy(&s.offset, b.data() + e + 8, 8);
      memcpy(&s.size, b.data() + e + 16, 8);
      s.entry_at = e;
      sections.push_back(s);
    }
  }
  const Section& Get(loaders::SectionKind kind) const {
    for (const Section& s : sections) {
      if (s.kind == static_cast<uint32_t>(kind)) return s;
    }
    abort();
  }
  // Byte offset of tensor i's directory entry.
  size_t TensorEntry(size_t i) const { return Get(loaders::SectionKind::kDirectory).offset + 8 + i * 96; }
};

template <typename T>
void Poke(std::vector<uint8_t>& b, size_t at, T v) {
  memcpy(b.data() + at, &v, sizeof(T));
}
template <typename T>
T Peek(const std::vector<uint8_t>& b, size_t at) {
  T v;
  memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

// Recomputes the metadata checksums after a deliberate edit, so that the
// structural check under test is the one that fires.
inline void FixChecksums(std::vector<uint8_t>& b) {
  const EsqLayout l(b);
  for (const auto& s : l.sections) {
    if (s.kind == static_cast<uint32_t>(loaders::SectionKind::kData)) continue;
    if (s.offset + s.size > b.size()) continue;
    Poke(b, s.entry_at + 24, loaders::Checksum(b.data() + s.offset, s.size));
  }
  const size_t table_end = loaders::kPreambleSize + l.sections.size() * loaders::kSectionEntrySize;
  Poke(b, 24, loaders::Checksum(b.data() + loaders::kPreambleSize, table_end - loaders::kPreambleSize));
}

}  // namespace edgeseq::test
