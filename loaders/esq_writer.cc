#include "loaders/esq_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loaders/checksum.h"
#include "loaders/esq_error.h"
#include "loaders/esq_reader.h"

namespace edgeseq::loaders {
namespace {

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

template <typename T>
void Put(std::vector<uint8_t>& b, T v) {
  const size_t at = b.size();
  b.resize(at + sizeof(T));
  memcpy(b.data() + at, &v, sizeof(T));
}

void PutAt(std::vector<uint8_t>& b, size_t at, uint64_t v) { memcpy(b.data() + at, &v, sizeof(v)); }

std::vector<uint8_t> HeaderBytes(const ModelConfig& c) {
  for (const auto* ids : {&c.src_prefix, &c.src_suffix}) {
    if (ids->size() > kMaxSourceFraming) {
      throw EsqError(EsqErrorKind::kLimit, "(writer)", ids == &c.src_prefix ? "header.src_prefix" : "header.src_suffix",
                     std::to_string(ids->size()) + " ids (at most " + std::to_string(kMaxSourceFraming) + ")");
    }
  }
  std::vector<uint8_t> b;
  for (uint32_t v : {c.d_model, c.num_heads, c.encoder_layers, c.decoder_layers, c.ffn_dim, c.src_vocab_size,
                     c.tgt_vocab_size, c.max_positions}) {
    Put(b, v);
  }
  Put(b, static_cast<uint8_t>(c.norm_placement));
  Put(b, static_cast<uint8_t>(c.norm_type));
  Put(b, static_cast<uint8_t>(c.activation));
  Put(b, static_cast<uint8_t>(c.position_kind));
  Put(b, static_cast<uint8_t>((c.encoder_final_norm ? 1 : 0) | (c.decoder_final_norm ? 2 : 0) |
                              (c.shared_embeddings ? 4 : 0) | (c.tied_output ? 8 : 0) |
                              (NeedsV1_1(c) ? kHeaderFlagNeedsV1_1 : 0) |
                              (NeedsV1_3(c) ? kHeaderFlagNeedsV1_3 : 0) |
                              (NeedsV1_4(c) ? kHeaderFlagNeedsV1_4 : 0)));
  b.insert(b.end(), 3, 0);
  Put(b, c.embedding_scale);
  Put(b, c.norm_eps);
  // unk_id (1.0: both vocabularies' unknown id): the shared one when the two
  // agree, so that a 1.0 reader sees what it would have seen.
  const int32_t unk = c.src_unk_id == c.tgt_unk_id ? c.src_unk_id : -1;
  for (int32_t v : {c.pad_id, c.bos_id, c.eos_id, c.decoder_start_id, unk}) Put(b, v);
  Put(b, uint32_t{0});
  // Version 1.1.
  Put(b, c.src_unk_id);
  Put(b, c.tgt_unk_id);
  Put(b, static_cast<uint8_t>(c.src_prefix.size()));
  Put(b, static_cast<uint8_t>(c.src_suffix.size()));
  Put(b, static_cast<uint8_t>(c.src_normalization));
  Put(b, static_cast<uint8_t>(c.position_frequencies));
  Put(b, c.position_offset);
  Put(b, static_cast<uint8_t>((c.shared_positions ? 1 : 0) | (c.encoder_embed_norm ? 2 : 0) |
                              (c.decoder_embed_norm ? 4 : 0) | (c.forced_bos_id >= 0 ? 8 : 0) |
                              (c.never_generate_pad ? 16 : 0)));
  Put(b, c.alignment_heads);
  Put(b, c.alignment_layer_back);
  b.insert(b.end(), 1, 0);
  for (const auto* ids : {&c.src_prefix, &c.src_suffix}) {
    for (size_t i = 0; i < kMaxSourceFraming; ++i) Put(b, i < ids->size() ? (*ids)[i] : int32_t{-1});
  }
  Put(b, c.forced_bos_id >= 0 ? c.forced_bos_id : int32_t{-1});
  if (NeedsV1_3(c) || NeedsV1_4(c)) {
    // Version 1.3 (docs/FORMAT.md): model-family strategies; 1.4: the
    // encoder's input and the decoder's positions; then reserved.
    Put(b, static_cast<uint8_t>(c.relative_attention));
    Put(b, static_cast<uint8_t>(c.ffn_kind));
    Put(b, c.relative_num_buckets);
    Put(b, c.relative_max_distance);
    Put(b, static_cast<uint8_t>(c.encoder_input));
    Put(b, uint8_t{0});
    Put(b, c.n_mels);
    Put(b, c.decoder_max_positions);
    b.resize(kHeaderSizeV1_3, 0);
  }
  return b;
}

std::vector<uint8_t> VocabBytes(const std::vector<std::string>& tokens, const char* which) {
  std::vector<uint8_t> b;
  Put(b, static_cast<uint32_t>(tokens.size()));
  Put(b, uint32_t{0});
  uint64_t off = 0;
  Put(b, uint32_t{0});
  for (const std::string& t : tokens) {
    off += t.size();
    if (off > UINT32_MAX) throw EsqError(EsqErrorKind::kLimit, "(writer)", which, "vocabulary larger than 4 GiB");
    Put(b, static_cast<uint32_t>(off));
  }
  for (const std::string& t : tokens) b.insert(b.end(), t.begin(), t.end());
  return b;
}

struct TensorLayout {
  uint64_t data_offset = 0, data_size = 0, scales_offset = 0, scales_size = 0, checksum = 0;
};

}  // namespace

void SerializeEsq(const EsqContents& in, const std::function<void(const void*, size_t)>& sink) {
  // Small sections first, in file order.
  struct Small {
    uint32_t kind, flags;
    std::vector<uint8_t> bytes;
  };
  std::vector<Small> small;
  small.push_back({static_cast<uint32_t>(SectionKind::kHeader), 0, HeaderBytes(in.config)});
  if (in.tokenizer) {
    std::vector<uint8_t> b;
    Put(b, static_cast<uint32_t>(in.tokenizer->first));
    Put(b, static_cast<uint32_t>(in.tokenizer->second));
    small.push_back({static_cast<uint32_t>(SectionKind::kTokenizer), 0, b});
    for (const auto& [kind, section, model, which] :
         {std::tuple{in.tokenizer->first, SectionKind::kSrcTokenizerModel, &in.src_tokenizer_model, "source"},
          std::tuple{in.tokenizer->second, SectionKind::kTgtTokenizerModel, &in.tgt_tokenizer_model, "target"}}) {
      if (!TokenizerHasModel(kind)) continue;
      if (model->empty()) {
        throw EsqError(EsqErrorKind::kMissingSection, "(writer)", std::string(which) + " tokenizer model",
                       "a SentencePiece or BPE tokenizer needs its model");
      }
      small.push_back({static_cast<uint32_t>(section), 0, std::vector<uint8_t>(model->begin(), model->end())});
    }
  }
  if (in.src_vocab) small.push_back({static_cast<uint32_t>(SectionKind::kSrcVocab), 0, VocabBytes(*in.src_vocab, "source vocabulary")});
  if (in.tgt_vocab) small.push_back({static_cast<uint32_t>(SectionKind::kTgtVocab), 0, VocabBytes(*in.tgt_vocab, "target vocabulary")});
  if (in.text_tokens) {
    const TextTokens& t = *in.text_tokens;
    std::vector<uint8_t> b;
    Put(b, static_cast<uint32_t>(t.src_special.size()));
    Put(b, static_cast<uint32_t>(t.tgt_special.size()));
    Put(b, static_cast<uint32_t>(t.languages.size()));
    Put(b, static_cast<uint8_t>(t.source_place));
    Put(b, static_cast<uint8_t>(t.target_place));
    Put(b, uint16_t{0});
    for (int32_t id : t.src_special) Put(b, id);
    for (int32_t id : t.tgt_special) Put(b, id);
    for (const TextTokens::Language& l : t.languages) {
      Put(b, l.src_id);
      Put(b, l.tgt_id);
    }
    small.push_back({static_cast<uint32_t>(SectionKind::kTextTokens), kSectionMustUnderstand, std::move(b)});
  }
  for (const RawSection& r : in.extra_sections) small.push_back({r.kind, r.flags, r.bytes});

  // Tensor layout inside the data section, each part 64-byte aligned. All
  // int8 scales come first, together: a load reads (and validates) them, and
  // kept apart they would fault in a page-cluster of weights per tensor.
  std::vector<TensorLayout> layout(in.tensors.size());
  std::vector<uint8_t> dir;
  Put(dir, static_cast<uint32_t>(in.tensors.size()));
  Put(dir, static_cast<uint32_t>(kTensorEntrySizeV1));
  std::string names;
  uint64_t rel = 0;        // offset within the data section
  uint64_t data_size = 0;  // ends at the last tensor's last byte: no trailing padding
  auto place = [&](uint64_t bytes) {
    const uint64_t at = rel;
    data_size = rel + bytes;
    rel = AlignUp(data_size, kTensorAlignment);
    return at;
  };
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const TensorToWrite& t = in.tensors[i];
    const std::string where = "tensor '" + t.name + "'";
    if (t.dims.empty() || t.dims.size() > Limits::kMaxDims) {
      throw EsqError(EsqErrorKind::kShapeMismatch, "(writer)", where, "needs 1 to 4 dimensions");
    }
    uint64_t elements = 1;
    for (uint64_t d : t.dims) {
      if (d == 0 || __builtin_mul_overflow(elements, d, &elements)) {
        throw EsqError(EsqErrorKind::kShapeMismatch, "(writer)", where, "bad dimension");
      }
    }
    if (t.data == nullptr || (t.dtype == DType::kI8 && t.scales == nullptr)) {
      throw EsqError(EsqErrorKind::kBadOffset, "(writer)", where, "no data (or no int8 scales)");
    }
    TensorLayout& l = layout[i];
    l.data_size = elements * DTypeSize(t.dtype);
    if (t.dtype == DType::kI8) {
      l.scales_size = elements / t.dims.back() * 4;
      l.scales_offset = place(l.scales_size);
    }
    l.checksum = Checksum2(t.data, l.data_size, t.scales, l.scales_size);
  }
  for (TensorLayout& l : layout) l.data_offset = place(l.data_size);
  const size_t entries_at = dir.size();
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const TensorToWrite& t = in.tensors[i];
    Put(dir, static_cast<uint32_t>(names.size()));
    Put(dir, static_cast<uint32_t>(t.name.size()));
    Put(dir, static_cast<uint8_t>(t.dtype));
    Put(dir, static_cast<uint8_t>(t.dims.size()));
    Put(dir, uint16_t{0});
    Put(dir, uint32_t{0});
    for (size_t d = 0; d < Limits::kMaxDims; ++d) Put(dir, d < t.dims.size() ? t.dims[d] : uint64_t{0});
    Put(dir, uint64_t{0});  // data offset, absolute: patched below
    Put(dir, layout[i].data_size);
    Put(dir, uint64_t{0});  // scales offset: patched below
    Put(dir, layout[i].scales_size);
    Put(dir, layout[i].checksum);
    Put(dir, uint64_t{0});
    names += t.name;
  }
  dir.insert(dir.end(), names.begin(), names.end());
  small.push_back({static_cast<uint32_t>(SectionKind::kDirectory), 0, std::move(dir)});
  Small& directory = small.back();

  // Place the sections.
  const uint32_t count = static_cast<uint32_t>(small.size() + 1);
  uint64_t pos = kPreambleSize + uint64_t{count} * kSectionEntrySize;
  std::vector<uint64_t> offsets;
  for (const Small& s : small) {
    pos = AlignUp(pos, 8);
    offsets.push_back(pos);
    pos += s.bytes.size();
  }
  const uint64_t data_offset = AlignUp(pos, kTensorAlignment);
  const uint64_t file_size = data_offset + data_size;
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const size_t e = entries_at + i * kTensorEntrySizeV1;
    PutAt(directory.bytes, e + 48, data_offset + layout[i].data_offset);
    PutAt(directory.bytes, e + 64, layout[i].scales_size ? data_offset + layout[i].scales_offset : 0);
  }

  std::vector<uint8_t> table;
  for (size_t i = 0; i < small.size(); ++i) {
    Put(table, small[i].kind);
    Put(table, small[i].flags);
    Put(table, offsets[i]);
    Put(table, static_cast<uint64_t>(small[i].bytes.size()));
    Put(table, Checksum(small[i].bytes.data(), small[i].bytes.size()));
  }
  Put(table, static_cast<uint32_t>(SectionKind::kData));
  Put(table, uint32_t{0});
  Put(table, data_offset);
  Put(table, data_size);
  Put(table, uint64_t{0});  // tensors carry their own checksums

  std::vector<uint8_t> pre(sizeof(kEsqMagic));
  memcpy(pre.data(), kEsqMagic, sizeof(kEsqMagic));
  Put(pre, kEsqMajor);
  // The oldest minor version that holds everything written: 1.3 for a
  // byte-level BPE side or a 1.3 model-family feature, 1.2 for a
  // SentencePiece side, so other files stay readable by older readers.
  uint16_t minor = NeedsV1_3(in.config) ? 3 : 1;
  if (in.tokenizer) {
    for (TokenizerKind k : {in.tokenizer->first, in.tokenizer->second}) {
      if (k == TokenizerKind::kByteLevelBpe) minor = 3;
      if (k == TokenizerKind::kSentencePiece && minor < 2) minor = 2;
    }
  }
  if (in.text_tokens || NeedsV1_4(in.config)) minor = 4;
  if (in.config.src_normalization == TextNormalization::kLowercaseJoin) minor = 5;
  Put(pre, minor);
  Put(pre, count);
  Put(pre, file_size);
  Put(pre, Checksum(table.data(), table.size()));

  static const uint8_t kZeros[kTensorAlignment] = {};
  uint64_t written = 0;
  auto emit = [&](const void* p, size_t n) {
    if (n) sink(p, n);
    written += n;
  };
  auto pad_to = [&](uint64_t target) {
    while (written < target) emit(kZeros, std::min<uint64_t>(target - written, sizeof(kZeros)));
  };
  emit(pre.data(), pre.size());
  emit(table.data(), table.size());
  for (size_t i = 0; i < small.size(); ++i) {
    pad_to(offsets[i]);
    emit(small[i].bytes.data(), small[i].bytes.size());
  }
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    if (layout[i].scales_size) {
      pad_to(data_offset + layout[i].scales_offset);
      emit(in.tensors[i].scales, layout[i].scales_size);
    }
  }
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    pad_to(data_offset + layout[i].data_offset);
    emit(in.tensors[i].data, layout[i].data_size);
  }
  pad_to(file_size);
}

std::vector<uint8_t> SerializeEsqToBytes(const EsqContents& contents) {
  std::vector<uint8_t> out;
  SerializeEsq(contents, [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  });
  return out;
}

void WriteEsq(const std::string& path, const EsqContents& contents) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw EsqError(EsqErrorKind::kIo, path, "", std::string("cannot create a temporary file: ") + strerror(errno));
  try {
    fchmod(fd, 0644);
    SerializeEsq(contents, [&](const void* p, size_t n) {
      const auto* b = static_cast<const uint8_t*>(p);
      while (n > 0) {
        const ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw EsqError(EsqErrorKind::kIo, path, "", std::string("write failed: ") + strerror(errno));
        b += w;
        n -= static_cast<size_t>(w);
      }
    });
    if (fsync(fd) != 0) throw EsqError(EsqErrorKind::kIo, path, "", std::string("fsync failed: ") + strerror(errno));
    close(fd);
    // What we wrote must read back: structure and every checksum.
    EsqFile::Open(tmp, /*verify_checksums=*/true);
    // Drop the file from the page cache (it is on disk): the runtime reads
    // what it needs on demand, whereas the large cached blocks the writes
    // left behind would be mapped whole on a lookup, making a process that
    // reads 24 rows of an embedding table hold megabytes of it (bench-base:
    // 100 MB resident instead of 75; docs/PERFORMANCE.md). A hint only.
    const int rfd = open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      posix_fadvise(rfd, 0, 0, POSIX_FADV_DONTNEED);
      close(rfd);
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
      throw EsqError(EsqErrorKind::kIo, path, "", std::string("cannot rename into place: ") + strerror(errno));
    }
  } catch (...) {
    close(fd);  // harmless if already closed (EBADF)
    unlink(tmp.c_str());
    throw;
  }
}

}  // namespace edgeseq::loaders
