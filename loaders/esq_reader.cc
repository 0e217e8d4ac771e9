// .esq reader: every offset, size and count is checked before it is used,
// in the order docs/FORMAT.md lists ("What a reader checks").
#include "loaders/esq_reader.h"

#include <math.h>
#include <string.h>

#include <algorithm>
#include <charconv>
#include <tuple>
#include <unordered_set>

#include "loaders/checksum.h"
#include "loaders/mapped_file.h"
#include "loaders/utf8.h"

namespace edgeseq::loaders {
namespace {

template <typename T>
T Load(const uint8_t* p) {
  T v;
  memcpy(&v, p, sizeof(v));
  return v;
}

std::string SectionName(uint32_t kind) {
  switch (static_cast<SectionKind>(kind)) {
    case SectionKind::kHeader: return "header section";
    case SectionKind::kDirectory: return "tensor directory";
    case SectionKind::kSrcVocab: return "source vocabulary";
    case SectionKind::kTgtVocab: return "target vocabulary";
    case SectionKind::kTokenizer: return "tokenizer section";
    case SectionKind::kData: return "data section";
    case SectionKind::kSrcTokenizerModel: return "source tokenizer model";
    case SectionKind::kTgtTokenizerModel: return "target tokenizer model";
    case SectionKind::kTextTokens: return "text tokens section";
  }
  return "section kind " + std::to_string(kind);
}

bool KnownSection(uint32_t kind) { return kind >= 1 && kind <= 9; }

}  // namespace

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (uint32_t i = 0; i < ndim; ++i) n *= dims[i];
  return n;
}

class EsqFile::Parser {
 public:
  Parser(EsqFile& f, const uint8_t* base, uint64_t size) : f_(f), base_(base), size_(size) {}

  [[noreturn]] void Fail(EsqErrorKind kind, const std::string& where, const std::string& msg) const {
    throw EsqError(kind, f_.path_, where, msg);
  }

  void Run() {
    ParsePreamble();
    ParseSectionTable();
    ParseHeader();
    ParseTokenizer();
    ParseVocab(SectionKind::kSrcVocab, f_.config_.src_vocab_size, &f_.src_vocab_, &f_.has_src_vocab_);
    ParseVocab(SectionKind::kTgtVocab, f_.config_.tgt_vocab_size, &f_.tgt_vocab_, &f_.has_tgt_vocab_);
    ParseTextTokens();
    ParseDirectory();
  }

 private:
  void ParsePreamble() {
    if (size_ < kPreambleSize) {
      Fail(EsqErrorKind::kTruncated, "preamble",
           "file is " + std::to_string(size_) + " bytes, shorter than the " +
               std::to_string(kPreambleSize) + "-byte preamble");
    }
    if (memcmp(base_, kEsqMagic, sizeof(kEsqMagic)) != 0) {
      Fail(EsqErrorKind::kBadMagic, "preamble", "not an .esq model file (wrong magic bytes)");
    }
    f_.major_ = Load<uint16_t>(base_ + 8);
    f_.minor_ = Load<uint16_t>(base_ + 10);
    if (f_.major_ != kEsqMajor) {
      Fail(EsqErrorKind::kUnsupportedVersion, "preamble",
           "file has format version " + std::to_string(f_.major_) + "." + std::to_string(f_.minor_) +
               "; this reader supports version " + std::to_string(kEsqMajor) + ".x");
    }
    section_count_ = Load<uint32_t>(base_ + 12);
    const uint64_t declared = Load<uint64_t>(base_ + 16);
    if (declared != size_) {
      Fail(declared > size_ ? EsqErrorKind::kTruncated : EsqErrorKind::kBadOffset, "preamble.file_size",
           "file says it is " + std::to_string(declared) + " bytes but it is " + std::to_string(size_));
    }
    if (section_count_ > Limits::kMaxSections) {
      Fail(EsqErrorKind::kLimit, "preamble.section_count",
           std::to_string(section_count_) + " sections (limit " + std::to_string(Limits::kMaxSections) + ")");
    }
    table_end_ = kPreambleSize + uint64_t{section_count_} * kSectionEntrySize;
    if (table_end_ > size_) {
      Fail(EsqErrorKind::kTruncated, "section table", "the section table runs past the end of the file");
    }
    if (Checksum(base_ + kPreambleSize, table_end_ - kPreambleSize) != Load<uint64_t>(base_ + 24)) {
      Fail(EsqErrorKind::kChecksum, "section table", "checksum mismatch");
    }
  }

  void ParseSectionTable() {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (uint32_t i = 0; i < section_count_; ++i) {
      const uint8_t* e = base_ + kPreambleSize + uint64_t{i} * kSectionEntrySize;
      SectionInfo s;
      s.kind = Load<uint32_t>(e);
      s.flags = Load<uint32_t>(e + 4);
      s.offset = Load<uint64_t>(e + 8);
      s.size = Load<uint64_t>(e + 16);
      s.known = KnownSection(s.kind);
      const std::string where = SectionName(s.kind);
      uint64_t end;
      if (__builtin_add_overflow(s.offset, s.size, &end)) Fail(EsqErrorKind::kOverflow, where, "offset + size overflows");
      if (s.offset < table_end_ || end > size_) {
        Fail(EsqErrorKind::kBadOffset, where,
             "bytes [" + std::to_string(s.offset) + ", " + std::to_string(end) + ") are not inside the file body [" +
                 std::to_string(table_end_) + ", " + std::to_string(size_) + ")");
      }
      if (!s.known && (s.flags & kSectionMustUnderstand)) {
        Fail(EsqErrorKind::kUnknownSection, where, "unknown section marked must-understand (written by a newer writer?)");
      }
      if (s.known) {
        for (const SectionInfo& o : f_.sections_) {
          if (o.kind == s.kind) Fail(EsqErrorKind::kBadHeader, where, "appears twice");
        }
        checksums_[s.kind] = Load<uint64_t>(e + 24);
      }
      if (s.size > 0) ranges.push_back({s.offset, end});
      f_.sections_.push_back(s);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      if (ranges[i].first < ranges[i - 1].second) Fail(EsqErrorKind::kOverlap, "section table", "two sections overlap");
    }
    for (SectionKind required : {SectionKind::kHeader, SectionKind::kDirectory, SectionKind::kData}) {
      if (!Section(required)) {
        Fail(EsqErrorKind::kMissingSection, SectionName(static_cast<uint32_t>(required)), "missing");
      }
    }
  }

  const SectionInfo* Section(SectionKind kind) const {
    for (const SectionInfo& s : f_.sections_) {
      if (s.kind == static_cast<uint32_t>(kind)) return &s;
    }
    return nullptr;
  }

  // Small metadata sections are checksummed on every open: it costs little and
  // catches damage before any of their numbers is believed.
  void CheckSectionChecksum(const SectionInfo& s) const {
    if (Checksum(base_ + s.offset, s.size) != checksums_.at(s.kind)) {
      Fail(EsqErrorKind::kChecksum, SectionName(s.kind), "checksum mismatch");
    }
  }

  void ParseHeader() {
    const SectionInfo& s = *Section(SectionKind::kHeader);
    if (s.size < kHeaderSizeV1) {
      Fail(EsqErrorKind::kTruncated, "header section",
           std::to_string(s.size) + " bytes, version 1 headers have " + std::to_string(kHeaderSizeV1));
    }
    CheckSectionChecksum(s);
    const uint8_t* h = base_ + s.offset;
    ModelConfig& c = f_.config_;
    c.d_model = Load<uint32_t>(h + 0);
    c.num_heads = Load<uint32_t>(h + 4);
    c.encoder_layers = Load<uint32_t>(h + 8);
    c.decoder_layers = Load<uint32_t>(h + 12);
    c.ffn_dim = Load<uint32_t>(h + 16);
    c.src_vocab_size = Load<uint32_t>(h + 20);
    c.tgt_vocab_size = Load<uint32_t>(h + 24);
    c.max_positions = Load<uint32_t>(h + 28);
    const uint8_t placement = h[32], norm_type = h[33], act = h[34], pos = h[35], flags = h[36];
    c.embedding_scale = Load<float>(h + 40);
    c.norm_eps = Load<float>(h + 44);
    c.pad_id = Load<int32_t>(h + 48);
    c.bos_id = Load<int32_t>(h + 52);
    c.eos_id = Load<int32_t>(h + 56);
    c.decoder_start_id = Load<int32_t>(h + 60);
    const int32_t unk_id = Load<int32_t>(h + 64);

    auto range = [&](const char* field, uint64_t v, uint64_t lo, uint64_t hi) {
      if (v < lo || v > hi) {
        Fail(v > hi && hi >= 1024 ? EsqErrorKind::kLimit : EsqErrorKind::kBadHeader, std::string("header.") + field,
             std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
    };
    range("d_model", c.d_model, 1, Limits::kMaxDModel);
    range("num_heads", c.num_heads, 1, Limits::kMaxHeads);
    range("encoder_layers", c.encoder_layers, 0, Limits::kMaxLayers);
    range("decoder_layers", c.decoder_layers, 1, Limits::kMaxLayers);
    range("ffn_dim", c.ffn_dim, 1, Limits::kMaxFfn);
    range("src_vocab_size", c.src_vocab_size, 1, Limits::kMaxVocab);
    range("tgt_vocab_size", c.tgt_vocab_size, 1, Limits::kMaxVocab);
    range("max_positions", c.max_positions, 1, Limits::kMaxPositions);
    range("norm_placement", placement, 0, 1);
    range("norm_type", norm_type, 0, 1);
    range("activation", act, 0, 3);
    range("position_kind", pos, 0, 3);
    range("flags", flags, 0, 127);
    if (c.d_model % c.num_heads != 0) {
      Fail(EsqErrorKind::kBadHeader, "header.num_heads",
           std::to_string(c.num_heads) + " heads do not divide d_model " + std::to_string(c.d_model));
    }
    c.norm_placement = static_cast<NormPlacement>(placement);
    c.norm_type = static_cast<NormType>(norm_type);
    c.activation = static_cast<ActivationKind>(act);
    c.position_kind = static_cast<PositionKind>(pos);
    c.encoder_final_norm = flags & 1;
    c.decoder_final_norm = flags & 2;
    c.shared_embeddings = flags & 4;
    c.tied_output = flags & 8;
    if (c.shared_embeddings && c.src_vocab_size != c.tgt_vocab_size) {
      Fail(EsqErrorKind::kBadHeader, "header.flags", "shared embeddings need equal source and target vocabulary sizes");
    }
    if (!std::isfinite(c.embedding_scale) || c.embedding_scale <= 0.0f) {
      Fail(EsqErrorKind::kBadHeader, "header.embedding_scale", "must be finite and positive");
    }
    if (!std::isfinite(c.norm_eps) || c.norm_eps <= 0.0f) {
      Fail(EsqErrorKind::kBadHeader, "header.norm_eps", "must be finite and positive");
    }
    auto id = [&](const char* field, int32_t v, uint32_t vocab, bool optional) {
      if ((optional && v == -1)) return;
      if (v < 0 || static_cast<uint32_t>(v) >= vocab) {
        Fail(EsqErrorKind::kBadHeader, std::string("header.") + field,
             std::to_string(v) + " is not an id of a vocabulary of " + std::to_string(vocab));
      }
    };
    id("pad_id", c.pad_id, std::min(c.src_vocab_size, c.tgt_vocab_size), true);
    id("bos_id", c.bos_id, c.tgt_vocab_size, true);
    id("eos_id", c.eos_id, c.tgt_vocab_size, false);
    id("decoder_start_id", c.decoder_start_id, c.tgt_vocab_size, false);
    id("unk_id", unk_id, std::min(c.src_vocab_size, c.tgt_vocab_size), true);
    c.src_unk_id = c.tgt_unk_id = unk_id;  // 1.0: one unknown id for both
    if (s.size < kHeaderSizeV1_1) {
      if (flags & (kHeaderFlagNeedsV1_3 | kHeaderFlagNeedsV1_4)) {
        Fail(EsqErrorKind::kBadHeader, "header.flags",
             "bits 5-6 say the file uses version-1.3/1.4 features, but the header has only " + std::to_string(s.size) +
                 " bytes");
      }
      if (flags & kHeaderFlagNeedsV1_1) {
        Fail(EsqErrorKind::kBadHeader, "header.flags",
             "bit 4 says the file uses version-1.1 fields, but the header has only " + std::to_string(s.size) +
                 " bytes (1.1 headers have " + std::to_string(kHeaderSizeV1_1) + ")");
      }
      return;
    }
    ParseHeaderV1_1(h, c, id);
    if (s.size < kHeaderSizeV1_3) {
      if (flags & (kHeaderFlagNeedsV1_3 | kHeaderFlagNeedsV1_4)) {
        Fail(EsqErrorKind::kBadHeader, "header.flags",
             std::string(flags & kHeaderFlagNeedsV1_3 ? "bit 5" : "bit 6") + " says the file uses version-" +
                 (flags & kHeaderFlagNeedsV1_3 ? "1.3" : "1.4") + " features, but the header has only " +
                 std::to_string(s.size) + " bytes (1.3 and 1.4 headers have " + std::to_string(kHeaderSizeV1_3) + ")");
      }
      return;
    }
    ParseHeaderV1_3(h, c);
    if (NeedsV1_3(c) && !(flags & kHeaderFlagNeedsV1_3)) {
      Fail(EsqErrorKind::kBadHeader, "header.flags",
           "the header uses version-1.3 features but bit 5 is clear (older readers would misread the file)");
    }
    ParseHeaderV1_4(h, c);
    if (NeedsV1_4(c) && !(flags & kHeaderFlagNeedsV1_4)) {
      Fail(EsqErrorKind::kBadHeader, "header.flags",
           "the header uses version-1.4 fields but bit 6 is clear (older readers would misread the file)");
    }
  }

  // The fields version 1.4 added to the 160-byte header: the encoder's input
  // and the decoder's own position limit.
  void ParseHeaderV1_4(const uint8_t* h, ModelConfig& c) {
    const uint8_t input = h[134], reserved = h[135];
    c.n_mels = Load<uint32_t>(h + 136);
    c.decoder_max_positions = Load<uint32_t>(h + 140);
    if (input > 1) Fail(EsqErrorKind::kBadHeader, "header.encoder_input", std::to_string(input) + " is outside [0, 1]");
    if (reserved != 0) Fail(EsqErrorKind::kBadHeader, "header byte 135", "reserved, must be 0");
    c.encoder_input = static_cast<EncoderInput>(input);
    if (c.decoder_max_positions > Limits::kMaxPositions) {
      Fail(EsqErrorKind::kLimit, "header.decoder_max_positions",
           std::to_string(c.decoder_max_positions) + " is outside [0, " + std::to_string(Limits::kMaxPositions) + "]");
    }
    if (c.shared_positions && c.decoder_max_positions > c.max_positions) {
      Fail(EsqErrorKind::kBadHeader, "header.decoder_max_positions",
           "exceeds max_positions while the decoder shares the encoder's position table");
    }
    if (c.encoder_input == EncoderInput::kTokenIds) {
      if (c.n_mels != 0) Fail(EsqErrorKind::kBadHeader, "header.n_mels", "must be 0 for a token-id encoder");
      return;
    }
    if (c.n_mels < 1 || c.n_mels > kMaxMels) {
      Fail(EsqErrorKind::kBadHeader, "header.n_mels",
           std::to_string(c.n_mels) + " is outside [1, " + std::to_string(kMaxMels) + "]");
    }
    if (c.encoder_layers == 0) Fail(EsqErrorKind::kBadHeader, "header.encoder_layers", "a log-mel encoder needs layers");
    if (c.shared_embeddings) {
      Fail(EsqErrorKind::kBadHeader, "header.flags", "a log-mel encoder has no token embedding to share");
    }
  }

  // The fields version 1.3 appended: model-family strategies.
  void ParseHeaderV1_3(const uint8_t* h, ModelConfig& c) {
    const uint8_t relative = h[128], ffn = h[129];
    const uint16_t buckets = Load<uint16_t>(h + 130), max_distance = Load<uint16_t>(h + 132);
    if (relative > 1) {
      Fail(EsqErrorKind::kBadHeader, "header.relative_attention", std::to_string(relative) + " is outside [0, 1]");
    }
    if (ffn > 1) Fail(EsqErrorKind::kBadHeader, "header.ffn_kind", std::to_string(ffn) + " is outside [0, 1]");
    c.relative_attention = static_cast<RelativeAttention>(relative);
    c.ffn_kind = static_cast<FfnKind>(ffn);
    c.relative_num_buckets = buckets;
    c.relative_max_distance = max_distance;
    if (c.relative_attention == RelativeAttention::kNone) {
      if (buckets != 0 || max_distance != 0) {
        Fail(EsqErrorKind::kBadHeader, buckets ? "header.relative_num_buckets" : "header.relative_max_distance",
             "must be 0 without relative attention");
      }
      return;
    }
    if (buckets < 1 || buckets > kMaxRelativeBuckets) {
      Fail(EsqErrorKind::kBadHeader, "header.relative_num_buckets",
           std::to_string(buckets) + " is outside [1, " + std::to_string(kMaxRelativeBuckets) + "]");
    }
    if (max_distance < 1) Fail(EsqErrorKind::kBadHeader, "header.relative_max_distance", "0 is outside [1, 65535]");
  }

  // The fields version 1.1 appended (docs/FORMAT.md, "Header section").
  template <typename IdCheck>
  void ParseHeaderV1_1(const uint8_t* h, ModelConfig& c, const IdCheck& id) {
    c.src_unk_id = Load<int32_t>(h + 72);
    c.tgt_unk_id = Load<int32_t>(h + 76);
    id("src_unk_id", c.src_unk_id, c.src_vocab_size, true);
    id("tgt_unk_id", c.tgt_unk_id, c.tgt_vocab_size, true);
    const uint8_t prefix_count = h[80], suffix_count = h[81], normalization = h[82], frequencies = h[83],
                  flags2 = h[88];
    c.position_offset = Load<uint32_t>(h + 84);
    auto small = [&](const char* field, uint64_t v, uint64_t hi) {
      if (v > hi) {
        Fail(EsqErrorKind::kBadHeader, std::string("header.") + field,
             std::to_string(v) + " is outside [0, " + std::to_string(hi) + "]");
      }
    };
    small("src_prefix_count", prefix_count, kMaxSourceFraming);
    small("src_suffix_count", suffix_count, kMaxSourceFraming);
    // Value 2 (lowercase-join) is a 1.5 addition: a file that says 1.4 or
    // older holds only 0 or 1.
    small("src_normalization", normalization, f_.minor_ >= 5 ? 2 : 1);
    small("position_frequencies", frequencies, 1);
    small("position_offset", c.position_offset, Limits::kMaxPositions);
    small("flags2", flags2, 31);
    for (const auto& [count, at, ids, name] :
         {std::tuple{prefix_count, 92, &c.src_prefix, "src_prefix"}, std::tuple{suffix_count, 108, &c.src_suffix, "src_suffix"}}) {
      for (uint32_t i = 0; i < count; ++i) {
        const int32_t v = Load<int32_t>(h + at + 4 * i);
        id((std::string(name) + "[" + std::to_string(i) + "]").c_str(), v, c.src_vocab_size, false);
        ids->push_back(v);
      }
    }
    c.src_normalization = static_cast<TextNormalization>(normalization);
    c.position_frequencies = static_cast<PositionFrequencies>(frequencies);
    c.shared_positions = flags2 & 1;
    c.encoder_embed_norm = flags2 & 2;
    c.decoder_embed_norm = flags2 & 4;
    // Byte 124 holds the forced first token only with bit 3 (earlier writers left it 0).
    if (flags2 & 8) {
      c.forced_bos_id = Load<int32_t>(h + 124);
      id("forced_bos_id", c.forced_bos_id, c.tgt_vocab_size, false);
    }
    c.never_generate_pad = flags2 & 16;
    if (c.never_generate_pad && c.pad_id < 0) {
      Fail(EsqErrorKind::kBadHeader, "header.flags2", "the pad is never generated (bit 4), but the model has no pad id");
    }
    c.alignment_heads = h[89];
    c.alignment_layer_back = h[90];
    small("alignment_heads", c.alignment_heads, c.num_heads);
    if (c.decoder_layers > 0) small("alignment_layer_back", c.alignment_layer_back, c.decoder_layers - 1);
    const bool sinusoidal = c.position_kind == PositionKind::kSinusoidalInterleaved ||
                            c.position_kind == PositionKind::kSinusoidalConcat;
    if (!sinusoidal && (c.position_frequencies != PositionFrequencies::kPaper || c.position_offset != 0)) {
      Fail(EsqErrorKind::kBadHeader, c.position_offset != 0 ? "header.position_offset" : "header.position_frequencies",
           "applies to sinusoidal positions only, and position_kind is " +
               std::to_string(static_cast<int>(c.position_kind)));
    }
    if (c.shared_positions && c.position_kind != PositionKind::kLearned) {
      Fail(EsqErrorKind::kBadHeader, "header.flags2", "shared positions (bit 0) need learned positions (position_kind 3)");
    }
  }

  void ParseTokenizer() {
    const SectionInfo* s = Section(SectionKind::kTokenizer);
    if (!s) return;
    if (s->size < 8) Fail(EsqErrorKind::kTruncated, "tokenizer section", "shorter than 8 bytes");
    CheckSectionChecksum(*s);
    const uint32_t src = Load<uint32_t>(base_ + s->offset), tgt = Load<uint32_t>(base_ + s->offset + 4);
    if (src > 3 || tgt > 3) Fail(EsqErrorKind::kBadHeader, "tokenizer section", "unknown tokenizer kind");
    f_.has_tokenizer_ = true;
    f_.src_tokenizer_ = static_cast<TokenizerKind>(src);
    f_.tgt_tokenizer_ = static_cast<TokenizerKind>(tgt);
    // A SentencePiece or BPE side needs its model section (checksummed; the
    // runtime parses and validates the bytes when the model is loaded:
    // the SentencePiece library, runtime/bpe_tokenizer.h).
    for (const auto& [kind, which, model] :
         {std::tuple{f_.src_tokenizer_, SectionKind::kSrcTokenizerModel, &f_.src_tokenizer_model_},
          std::tuple{f_.tgt_tokenizer_, SectionKind::kTgtTokenizerModel, &f_.tgt_tokenizer_model_}}) {
      if (!TokenizerHasModel(kind)) continue;
      const SectionInfo* m = Section(which);
      if (!m) {
        Fail(EsqErrorKind::kMissingSection, SectionName(static_cast<uint32_t>(which)),
             std::string("the tokenizer section names ") +
                 (kind == TokenizerKind::kSentencePiece ? "SentencePiece" : "byte-level BPE") +
                 ", whose model is not in the file");
      }
      CheckSectionChecksum(*m);
      *model = std::string_view(reinterpret_cast<const char*>(base_ + m->offset), m->size);
    }
  }

  void ParseVocab(SectionKind kind, uint32_t expected, Vocabulary* vocab, bool* present) {
    const SectionInfo* s = Section(kind);
    if (!s) return;
    const std::string where = SectionName(static_cast<uint32_t>(kind));
    if (s->size < 8) Fail(EsqErrorKind::kTruncated, where, "shorter than its 8-byte count");
    CheckSectionChecksum(*s);
    const uint8_t* p = base_ + s->offset;
    const uint32_t count = Load<uint32_t>(p);
    if (count != expected) {
      Fail(EsqErrorKind::kBadVocabulary, where,
           std::to_string(count) + " tokens, the header says " + std::to_string(expected));
    }
    const uint64_t table = 8 + (uint64_t{count} + 1) * 4;
    if (table > s->size) Fail(EsqErrorKind::kTruncated, where, "the offset table runs past the section");
    const uint64_t blob = s->size - table;
    std::unordered_set<std::string_view> seen;
    vocab->tokens.reserve(count);
    uint32_t prev = Load<uint32_t>(p + 8);
    if (prev != 0) Fail(EsqErrorKind::kBadVocabulary, where, "first offset is not 0");
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t next = Load<uint32_t>(p + 8 + (uint64_t{i} + 1) * 4);
      if (next < prev || next > blob || next - prev > Limits::kMaxTokenBytes) {
        Fail(EsqErrorKind::kBadVocabulary, where + " token " + std::to_string(i), "bad offset");
      }
      const std::string_view tok(reinterpret_cast<const char*>(p + table + prev), next - prev);
      if (!IsValidUtf8(tok)) Fail(EsqErrorKind::kBadVocabulary, where + " token " + std::to_string(i), "not valid UTF-8");
      if (!seen.insert(tok).second) {
        Fail(EsqErrorKind::kBadVocabulary, where + " token " + std::to_string(i), "duplicate token '" + std::string(tok) + "'");
      }
      vocab->tokens.push_back(tok);
      prev = next;
    }
    *present = true;
  }

  // Section 9 (1.4): sizes first, then every id against its vocabulary.
  void ParseTextTokens() {
    const SectionInfo* s = Section(SectionKind::kTextTokens);
    if (!s) return;
    const std::string where = SectionName(s->kind);
    if (s->size < 16) Fail(EsqErrorKind::kTruncated, where, "shorter than its 16-byte counts");
    CheckSectionChecksum(*s);
    const uint8_t* p = base_ + s->offset;
    const uint32_t ns = Load<uint32_t>(p), nt = Load<uint32_t>(p + 4), nl = Load<uint32_t>(p + 8);
    const uint8_t src_place = p[12], tgt_place = p[13];
    if (ns > f_.config_.src_vocab_size || nt > f_.config_.tgt_vocab_size || nl > kMaxLanguages) {
      Fail(EsqErrorKind::kLimit, where, "more special tokens than the vocabulary has, or more than " +
                                            std::to_string(kMaxLanguages) + " languages");
    }
    if (s->size != 16 + (uint64_t{ns} + nt) * 4 + uint64_t{nl} * 8) {
      Fail(EsqErrorKind::kTruncated, where, "its size does not match its counts");
    }
    if (src_place > 2 || tgt_place > 1 || Load<uint16_t>(p + 14) != 0) {
      Fail(EsqErrorKind::kBadHeader, where, "unknown language place or nonzero reserved bytes");
    }
    if ((ns && !f_.has_src_vocab_) || (nt && !f_.has_tgt_vocab_)) {
      Fail(EsqErrorKind::kBadVocabulary, where, "special tokens for a side without a vocabulary");
    }
    TextTokens& t = f_.text_tokens_;
    const uint8_t* q = p + 16;
    for (auto [n, vocab, ids, side] : {std::tuple{ns, f_.config_.src_vocab_size, &t.src_special, "source"},
                                       std::tuple{nt, f_.config_.tgt_vocab_size, &t.tgt_special, "target"}}) {
      for (uint32_t i = 0; i < n; ++i, q += 4) {
        const int32_t id = Load<int32_t>(q);
        if (id < 0 || static_cast<uint32_t>(id) >= vocab || (!ids->empty() && id <= ids->back())) {
          Fail(EsqErrorKind::kBadVocabulary, where, std::string(side) + " special id " + std::to_string(id) +
                                                        " is outside the vocabulary or out of order");
        }
        ids->push_back(id);
      }
    }
    for (uint32_t i = 0; i < nl; ++i, q += 8) {
      TextTokens::Language l{Load<int32_t>(q), Load<int32_t>(q + 4)};
      const bool src_ok = l.src_id == -1 || (l.src_id >= 0 && f_.has_src_vocab_ &&
                                              static_cast<uint32_t>(l.src_id) < f_.config_.src_vocab_size);
      const bool tgt_ok = l.tgt_id == -1 || (l.tgt_id >= 0 && f_.has_tgt_vocab_ &&
                                              static_cast<uint32_t>(l.tgt_id) < f_.config_.tgt_vocab_size);
      if (!src_ok || !tgt_ok || (l.src_id < 0 && l.tgt_id < 0)) {
        Fail(EsqErrorKind::kBadVocabulary, where, "language " + std::to_string(i) + " has no valid token id");
      }
      t.languages.push_back(l);
    }
    if (nl == 0 && (src_place || tgt_place)) Fail(EsqErrorKind::kBadHeader, where, "a language place without languages");
    t.source_place = static_cast<SourceLanguagePlace>(src_place);
    t.target_place = static_cast<TargetLanguagePlace>(tgt_place);
    f_.has_text_tokens_ = true;
  }

  void ParseDirectory() {
    const SectionInfo& s = *Section(SectionKind::kDirectory);
    const SectionInfo& data = *Section(SectionKind::kData);
    if (s.size < 8) Fail(EsqErrorKind::kTruncated, "tensor directory", "shorter than its 8-byte count");
    CheckSectionChecksum(s);
    const uint8_t* p = base_ + s.offset;
    const uint32_t count = Load<uint32_t>(p);
    const uint32_t entry_size = Load<uint32_t>(p + 4);
    if (count > Limits::kMaxTensors) {
      Fail(EsqErrorKind::kLimit, "tensor directory", std::to_string(count) + " tensors (limit " +
                                                         std::to_string(Limits::kMaxTensors) + ")");
    }
    if (entry_size < kTensorEntrySizeV1 || entry_size > 4096) {
      Fail(EsqErrorKind::kBadHeader, "tensor directory", "entry size " + std::to_string(entry_size));
    }
    const uint64_t strings = 8 + uint64_t{count} * entry_size;
    if (strings > s.size) Fail(EsqErrorKind::kTruncated, "tensor directory", "entries run past the section");
    const uint64_t strings_size = s.size - strings;
    const uint64_t data_begin = data.offset, data_end = data.offset + data.size;

    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    f_.tensors_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t* e = p + 8 + uint64_t{i} * entry_size;
      TensorInfo t;
      const uint32_t name_off = Load<uint32_t>(e), name_len = Load<uint32_t>(e + 4);
      std::string where = "tensor #" + std::to_string(i);
      if (name_len == 0 || name_len > Limits::kMaxNameLength || uint64_t{name_off} + name_len > strings_size) {
        Fail(EsqErrorKind::kBadOffset, where, "name outside the string table or of bad length");
      }
      t.name = std::string_view(reinterpret_cast<const char*>(p + strings + name_off), name_len);
      for (char ch : t.name) {
        if (static_cast<unsigned char>(ch) < 0x21 || static_cast<unsigned char>(ch) > 0x7e) {
          Fail(EsqErrorKind::kBadHeader, where, "name has a byte outside printable ASCII");
        }
      }
      where = "tensor '" + std::string(t.name) + "'";
      const uint8_t dtype = e[8];
      t.ndim = e[9];
      if (DTypeSize(static_cast<DType>(dtype)) == 0) {
        Fail(EsqErrorKind::kUnknownDType, where, "unknown dtype " + std::to_string(dtype));
      }
      t.dtype = static_cast<DType>(dtype);
      if (t.ndim < 1 || t.ndim > Limits::kMaxDims) {
        Fail(EsqErrorKind::kShapeMismatch, where, std::to_string(t.ndim) + " dimensions (1 to 4 allowed)");
      }
      uint64_t elements = 1;
      for (uint32_t d = 0; d < Limits::kMaxDims; ++d) {
        t.dims[d] = Load<uint64_t>(e + 16 + 8 * d);
        if (d < t.ndim) {
          if (t.dims[d] == 0) Fail(EsqErrorKind::kShapeMismatch, where, "a dimension is 0");
          if (__builtin_mul_overflow(elements, t.dims[d], &elements)) {
            Fail(EsqErrorKind::kOverflow, where, "the shape's element count overflows");
          }
        } else if (t.dims[d] != 0) {
          Fail(EsqErrorKind::kShapeMismatch, where, "unused dimension slots must be 0");
        }
      }
      t.data_offset = Load<uint64_t>(e + 48);
      t.data_size = Load<uint64_t>(e + 56);
      t.scales_offset = Load<uint64_t>(e + 64);
      t.scales_size = Load<uint64_t>(e + 72);
      t.checksum = Load<uint64_t>(e + 80);
      uint64_t want_bytes;
      if (__builtin_mul_overflow(elements, DTypeSize(t.dtype), &want_bytes)) {
        Fail(EsqErrorKind::kOverflow, where, "the shape's byte size overflows");
      }
      if (want_bytes != t.data_size) {
        Fail(EsqErrorKind::kShapeMismatch, where,
             "shape " + ShapeString(t) + " of " + DTypeName(t.dtype) + " needs " + std::to_string(want_bytes) +
                 " bytes, the directory says " + std::to_string(t.data_size));
      }
      CheckRange(where + " data", t.data_offset, t.data_size, data_begin, data_end);
      ranges.push_back({t.data_offset, t.data_offset + t.data_size});
      t.data = base_ + t.data_offset;
      if (t.dtype == DType::kI8) {
        const uint64_t want_scales = t.rows() * 4;  // rows ≤ elements ≤ data_size: no overflow
        if (t.scales_size != want_scales) {
          Fail(EsqErrorKind::kShapeMismatch, where,
               "int8 needs " + std::to_string(t.rows()) + " row scales (" + std::to_string(want_scales) +
                   " bytes), the directory says " + std::to_string(t.scales_size) + " bytes");
        }
        CheckRange(where + " scales", t.scales_offset, t.scales_size, data_begin, data_end);
        ranges.push_back({t.scales_offset, t.scales_offset + t.scales_size});
        t.scales = reinterpret_cast<const float*>(base_ + t.scales_offset);
        for (uint64_t r = 0; r < t.rows(); ++r) {
          const float v = t.scales[r];
          if (!std::isfinite(v) || v < 0.0f) {
            Fail(EsqErrorKind::kBadScale, where, "row " + std::to_string(r) + " has scale " + std::to_string(v));
          }
        }
      } else if (t.scales_offset != 0 || t.scales_size != 0) {
        Fail(EsqErrorKind::kBadOffset, where, "only int8 tensors have scales");
      }
      if (!f_.by_name_.emplace(t.name, f_.tensors_.size()).second) {
        Fail(EsqErrorKind::kDuplicateName, where, "appears twice in the directory");
      }
      const std::vector<uint64_t> expected = ExpectedShape(t.name, f_.config_, f_.path_);
      if (!expected.empty() && !SameShape(t, expected)) {
        Fail(EsqErrorKind::kShapeMismatch, where,
             "shape " + ShapeString(t) + " disagrees with the header, which implies " + ShapeString(expected));
      }
      f_.tensors_.push_back(t);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      if (ranges[i].first < ranges[i - 1].second) {
        Fail(EsqErrorKind::kOverlap, "tensor directory",
             "tensor data at offset " + std::to_string(ranges[i].first) + " overlaps another tensor");
      }
    }
  }

  void CheckRange(const std::string& where, uint64_t offset, uint64_t size, uint64_t begin, uint64_t end) const {
    uint64_t stop;
    if (__builtin_add_overflow(offset, size, &stop)) Fail(EsqErrorKind::kOverflow, where, "offset + size overflows");
    if (offset < begin || stop > end) {
      Fail(EsqErrorKind::kBadOffset, where,
           "bytes [" + std::to_string(offset) + ", " + std::to_string(stop) + ") lie outside the data section [" +
               std::to_string(begin) + ", " + std::to_string(end) + ")");
    }
    if (offset % kTensorAlignment != 0) {
      Fail(EsqErrorKind::kMisaligned, where, "offset " + std::to_string(offset) + " is not a multiple of 64");
    }
  }

  static std::string ShapeString(const TensorInfo& t) {
    return ShapeString(std::vector<uint64_t>(t.dims, t.dims + t.ndim));
  }
  static std::string ShapeString(const std::vector<uint64_t>& dims) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
  }
  static bool SameShape(const TensorInfo& t, const std::vector<uint64_t>& dims) {
    if (dims.size() != t.ndim) return false;
    for (uint32_t i = 0; i < t.ndim; ++i) {
      if (dims[i] != t.dims[i]) return false;
    }
    return true;
  }

  EsqFile& f_;
  const uint8_t* base_;
  uint64_t size_;
  uint32_t section_count_ = 0;
  uint64_t table_end_ = 0;
  std::unordered_map<uint32_t, uint64_t> checksums_;
};

void EsqFile::Parse(const uint8_t* bytes, size_t size) {
  base_ = bytes;
  size_ = size;
  Parser(*this, bytes, size).Run();
}

EsqFile EsqFile::Open(const std::string& path, bool verify_checksums) {
  auto map = std::make_shared<MappedFile>(path);
  EsqFile f;
  f.path_ = path;
  f.keep_alive_ = map;
  f.Parse(map->data(), map->size());
  if (verify_checksums) f.VerifyChecksums();
  return f;
}

EsqFile EsqFile::FromBytes(const uint8_t* bytes, size_t size, const std::string& name) {
  EsqFile f;
  f.path_ = name;
  f.Parse(bytes, size);
  return f;
}

void EsqFile::AdviseAccess(const std::vector<const TensorInfo*>& lookup_tables) const {
  if (!keep_alive_ || tensors_.empty()) return;
  uint64_t first = size_;
  for (const TensorInfo& t : tensors_) first = std::min(first, t.data_offset);
  std::vector<std::pair<uint64_t, uint64_t>> lookups;
  for (const TensorInfo* t : lookup_tables) lookups.emplace_back(t->data_offset, t->data_offset + t->data_size);
  loaders::AdviseAccess(base_, size_, first, std::move(lookups));
}

void EsqFile::VerifyChecksums() const {
  for (const TensorInfo& t : tensors_) {
    if (Checksum2(t.data, t.data_size, t.scales, t.scales_size) != t.checksum) {
      throw EsqError(EsqErrorKind::kChecksum, path_, "tensor '" + std::string(t.name) + "'",
                     "checksum mismatch: the data is damaged");
    }
  }
}

const TensorInfo* EsqFile::Find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace edgeseq::loaders
