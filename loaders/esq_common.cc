// Names of the format's enums, for messages and `edgeseq inspect`.
#include "loaders/esq_error.h"
#include "loaders/esq_format.h"

namespace edgeseq::loaders {

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kI8: return "int8";
  }
  return "unknown";
}

const char* TokenizerKindName(TokenizerKind k) {
  switch (k) {
    case TokenizerKind::kWhitespace: return "whitespace";
    case TokenizerKind::kCharacters: return "characters";
    case TokenizerKind::kSentencePiece: return "SentencePiece";
    case TokenizerKind::kByteLevelBpe: return "byte-level BPE";
  }
  return "unknown";
}

size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kI8: return 1;
  }
  return 0;
}

bool NeedsV1_1(const ModelConfig& c) {
  // Fields a 1.0 reader would ignore and then compute other outputs. (Unknown
  // ids and normalization are not among them: a 1.0 runtime refuses text it
  // cannot look up, it never reads it differently.)
  return !c.src_prefix.empty() || !c.src_suffix.empty() || c.position_frequencies != PositionFrequencies::kPaper ||
         c.position_offset != 0 || c.shared_positions || c.encoder_embed_norm ||
         c.decoder_embed_norm || c.forced_bos_id >= 0 || c.never_generate_pad;
}

bool NeedsV1_3(const ModelConfig& c) {
  return c.relative_attention != RelativeAttention::kNone || c.ffn_kind != FfnKind::kPlain;
}

bool NeedsV1_4(const ModelConfig& c) {
  return c.encoder_input != EncoderInput::kTokenIds || c.n_mels != 0 || c.decoder_max_positions != 0;
}

const char* EsqErrorKindName(EsqErrorKind kind) {
  switch (kind) {
    case EsqErrorKind::kIo: return "io";
    case EsqErrorKind::kBadMagic: return "bad-magic";
    case EsqErrorKind::kUnsupportedVersion: return "unsupported-version";
    case EsqErrorKind::kTruncated: return "truncated";
    case EsqErrorKind::kBadOffset: return "bad-offset";
    case EsqErrorKind::kOverflow: return "overflow";
    case EsqErrorKind::kOverlap: return "overlap";
    case EsqErrorKind::kMisaligned: return "misaligned";
    case EsqErrorKind::kUnknownDType: return "unknown-dtype";
    case EsqErrorKind::kShapeMismatch: return "shape-mismatch";
    case EsqErrorKind::kDuplicateName: return "duplicate-name";
    case EsqErrorKind::kBadScale: return "bad-scale";
    case EsqErrorKind::kBadHeader: return "bad-header";
    case EsqErrorKind::kBadVocabulary: return "bad-vocabulary";
    case EsqErrorKind::kLimit: return "limit";
    case EsqErrorKind::kMissingSection: return "missing-section";
    case EsqErrorKind::kUnknownSection: return "unknown-section";
    case EsqErrorKind::kChecksum: return "checksum";
  }
  return "unknown";
}

}  // namespace edgeseq::loaders
