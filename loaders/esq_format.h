// The .esq model format: constants, on-disk layout and the in-memory model
// configuration. docs/FORMAT.md is the specification; this header mirrors it.
// Everything on disk is little-endian.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <bit>
#include <string>
#include <vector>

namespace edgeseq::loaders {

static_assert(std::endian::native == std::endian::little,
              "the .esq reader and writer assume a little-endian host");

inline constexpr char kEsqMagic[8] = {'E', 'S', 'Q', 'M', 'O', 'D', 'E', 'L'};
inline constexpr uint16_t kEsqMajor = 1;
inline constexpr uint16_t kEsqMinor = 5;  // the newest minor version this code reads and writes

inline constexpr size_t kPreambleSize = 32;
inline constexpr size_t kSectionEntrySize = 32;
inline constexpr size_t kHeaderSizeV1 = 72;    // version 1.0
inline constexpr size_t kHeaderSizeV1_1 = 128; // version 1.1: unknown ids, source framing, positions
// Header flags bit 4: the file uses version-1.1 header fields with a meaning
// other than version 1.0's (a 1.0 reader, which refuses bits 4-7, then refuses
// the file instead of misreading it).
inline constexpr uint8_t kHeaderFlagNeedsV1_1 = 16;
// Version 1.3: a 160-byte header (model-family strategies at bytes 128-159).
// Header flags bit 5: the file uses a 1.3 feature that changes outputs; 1.0-1.2
// readers refuse flags bits 5-7, so they refuse the file instead of misreading
// it. Written only when NeedsV1_3 (other files keep their older layout).
inline constexpr size_t kHeaderSizeV1_3 = 160;
inline constexpr uint8_t kHeaderFlagNeedsV1_3 = 32;
// Version 1.4: header bytes 134-143 (the encoder's input kind, n_mels, the
// decoder's own position limit) in the 160-byte header. Header flags bit 6:
// the file uses them; 1.3 readers refuse flags bit 6 (and older ones bits
// 5-7), so they refuse the file instead of running a log-mel model as a
// token model. Written only when NeedsV1_4.
inline constexpr uint8_t kHeaderFlagNeedsV1_4 = 64;
// Log-mel encoders (version 1.4): header limit on n_mels.
inline constexpr uint32_t kMaxMels = 4096;
// Relative-position buckets (version 1.3): header limit on num_buckets.
inline constexpr uint32_t kMaxRelativeBuckets = 1024;
inline constexpr size_t kMaxSourceFraming = 4;  // source prefix / suffix ids, each
inline constexpr size_t kTensorEntrySizeV1 = 96;
inline constexpr size_t kTensorAlignment = 64;

enum class SectionKind : uint32_t {
  kHeader = 1,     // required
  kDirectory = 2,  // required
  kSrcVocab = 3,
  kTgtVocab = 4,
  kTokenizer = 5,
  kData = 6,       // required
  // Version 1.2: a tokenizer's own model, when the tokenizer section names
  // one that needs it (SentencePiece: its serialized ModelProto; 1.3,
  // byte-level BPE: its tokens, merges and added tokens, docs/FORMAT.md).
  kSrcTokenizerModel = 7,
  kTgtTokenizerModel = 8,
  // Version 1.4: the special tokens text matches whole and the model's
  // language tokens (TextTokens below; docs/FORMAT.md). Written with the
  // must-understand flag: a reader that ignored it would split those tokens
  // and frame sources without their language.
  kTextTokens = 9,
};
// Section flag: a reader that does not know this section's kind must refuse
// the file (set by writers only for sections that change meaning).
inline constexpr uint32_t kSectionMustUnderstand = 1;

enum class DType : uint8_t {
  kF32 = 0,
  kF16 = 1,
  kBF16 = 2,
  kI8 = 3,  // symmetric, one f32 scale per row (rows = product of all dims but the last)
  // 4 is reserved for int4 (packed, grouped scales), a minor-version addition.
};
const char* DTypeName(DType t);
// Bytes per element; 0 for an unknown dtype.
size_t DTypeSize(DType t);

enum class NormPlacement : uint8_t { kPost = 0, kPre = 1 };
enum class NormType : uint8_t { kLayerNorm = 0, kRMSNorm = 1 };
enum class ActivationKind : uint8_t { kReLU = 0, kGelu = 1, kGeluTanh = 2, kSiLU = 3 };
enum class PositionKind : uint8_t {
  kNone = 0,
  kSinusoidalInterleaved = 1,  // PyTorch tutorial: sin on even, cos on odd columns
  kSinusoidalConcat = 2,       // fairseq/Marian: sin first half, cos second half
  kLearned = 3,
};
// The frequencies of sinusoidal positions (version 1.1; 1.0 files: kPaper).
enum class PositionFrequencies : uint8_t {
  kPaper = 0,          // 10000^(-2i/d): the paper, PyTorch's tutorial, Hugging Face Marian
  kTensor2Tensor = 1,  // 10000^(-i/(d/2 - 1)): tensor2tensor, fairseq, CTranslate2
};
// Text normalization applied to source text before tokenizing (version 1.1).
enum class TextNormalization : uint8_t {
  kNone = 0,
  kLowercaseAscii = 1,  // A-Z to a-z; other characters unchanged
  // (1.5) A-Z to a-z, and apostrophes (U+0027 ', U+2019 ’) and hyphens
  // (U+002D -) removed, so that contractions and hyphenated compounds read as
  // the one word a dictionary-trained model knows ("Don't" → "dont",
  // "well-known" → "wellknown"); other characters unchanged.
  kLowercaseJoin = 2,
};
// How self-attention scores learn about positions besides the embeddings
// (version 1.3; older files: kNone).
enum class RelativeAttention : uint8_t {
  kNone = 0,
  // T5 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a
  // Unified Text-to-Text Transformer", section 2.1; Hugging Face
  // modeling_t5.py _relative_position_bucket): a learned scalar per
  // (bucket of key position − query position, head), added to every
  // self-attention layer's scores; bidirectional buckets in the encoder,
  // causal ones in the decoder; none in cross-attention. Tables
  // `encoder.relative_attention_bias.weight` and
  // `decoder.relative_attention_bias.weight`, [num_buckets, heads].
  kT5Buckets = 1,
};
// The feed-forward layer (version 1.3; older files: kPlain).
enum class FfnKind : uint8_t {
  kPlain = 0,  // fc2(act(fc1(x)))
  // fc2(act(fc1(x)) ⊙ fc1_linear(x)): GLU variants (Shazeer 2020), T5 v1.1's
  // "gated-gelu"; role ffn.fc1_linear.weight [f, d] beside ffn.fc1.
  kGated = 1,
};
// What the encoder reads (version 1.4; older files: kTokenIds).
enum class EncoderInput : uint8_t {
  kTokenIds = 0,  // source token ids through encoder.embed_tokens
  // Whisper (Radford et al. 2022, "Robust Speech Recognition via Large-Scale
  // Weak Supervision", section 2.2; openai/whisper model.py AudioEncoder):
  // log-mel features [frames = 2·max_positions, n_mels] per source, then
  // GELU(conv1d(n_mels→d, kernel 3, padding 1)), GELU(conv1d(d→d, kernel 3,
  // stride 2, padding 1)), then the encoder's positions and layers. Roles
  // encoder.conv{1,2}.{weight,bias}; no source vocabulary (src_vocab_size 1,
  // no encoder.embed_tokens).
  kLogMel = 1,
};

enum class TokenizerKind : uint32_t {
  kWhitespace = 0,     // tokens separated by spaces
  kCharacters = 1,     // every UTF-8 code point is a token
  kSentencePiece = 2,  // version 1.2: SentencePiece, its model in section 7 (source) / 8 (target)
  kByteLevelBpe = 3,   // version 1.3: byte-level BPE (GPT-2 style), its data in section 7 / 8
};
const char* TokenizerKindName(TokenizerKind k);
// Whether a side's tokenizer keeps its own data in section 7 / 8.
inline bool TokenizerHasModel(TokenizerKind k) {
  return k == TokenizerKind::kSentencePiece || k == TokenizerKind::kByteLevelBpe;
}

// Where a language token goes (version 1.4, section 9).
enum class SourceLanguagePlace : uint8_t {
  kNone = 0,         // the model has no source language tokens
  kBeforeTokens = 1, // src_prefix, language, tokens, src_suffix (M2M100, NLLB, mBART-50)
  kAfterSuffix = 2,  // src_prefix, tokens, src_suffix, language (mBART, NLLB's legacy tokenizer)
};
enum class TargetLanguagePlace : uint8_t {
  kNone = 0,       // the target language is not chosen by a token (fixed by the model, or none)
  kFirstToken = 1, // the first generated token, forced (Hugging Face's forced_bos_token_id)
};
// Section 9 (version 1.4): tokens that text matches whole, and languages.
struct TextTokens {
  // Ids whose vocabulary text is matched whole in a SentencePiece side's
  // text (never split by the tokenizer: T5's <extra_id_N>, language codes,
  // </s>) and left out of decoded text unless asked for. Ascending, unique,
  // below the side's vocabulary size.
  std::vector<int32_t> src_special, tgt_special;
  // A language's token in each vocabulary (−1 where a side has none); its
  // name is that vocabulary entry (e.g. `en_XX`, `__en__`, `eng_Latn`).
  struct Language {
    int32_t src_id = -1;
    int32_t tgt_id = -1;
  };
  std::vector<Language> languages;
  SourceLanguagePlace source_place = SourceLanguagePlace::kNone;
  TargetLanguagePlace target_place = TargetLanguagePlace::kNone;
};
inline constexpr size_t kMaxLanguages = 4096;

// Hyper-parameters and special ids: the HEADER section.
struct ModelConfig {
  uint32_t d_model = 0;
  uint32_t num_heads = 0;
  uint32_t encoder_layers = 0;
  uint32_t decoder_layers = 0;
  uint32_t ffn_dim = 0;
  uint32_t src_vocab_size = 0;
  uint32_t tgt_vocab_size = 0;
  uint32_t max_positions = 0;
  NormPlacement norm_placement = NormPlacement::kPost;
  NormType norm_type = NormType::kLayerNorm;
  ActivationKind activation = ActivationKind::kReLU;
  PositionKind position_kind = PositionKind::kSinusoidalInterleaved;
  bool encoder_final_norm = false;
  bool decoder_final_norm = false;
  bool shared_embeddings = false;  // decoder.embed_tokens is encoder.embed_tokens
  bool tied_output = false;        // output projection is decoder.embed_tokens
  float embedding_scale = 1.0f;
  float norm_eps = 1e-5f;
  int32_t pad_id = -1;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t decoder_start_id = -1;
  // Version 1.1 (a 1.0 file reads as the defaults here, except that its one
  // unk_id sets both unknown ids).
  int32_t src_unk_id = -1;  // out-of-vocabulary source text maps to it (−1: refused)
  int32_t tgt_unk_id = -1;  // target text (scoring) likewise
  // Source framing, applied to text sources (text mode, the APIs' text calls);
  // ids given as ids are used verbatim.
  std::vector<int32_t> src_prefix;  // source ids before every source (≤ kMaxSourceFraming)
  std::vector<int32_t> src_suffix;  // source ids after every source, e.g. EOS (≤ kMaxSourceFraming)
  TextNormalization src_normalization = TextNormalization::kNone;
  // Sinusoidal positions: frequencies, and the position of the first token
  // (token t is encoded as position t + position_offset).
  PositionFrequencies position_frequencies = PositionFrequencies::kPaper;
  uint32_t position_offset = 0;
  // Learned positions: one table, encoder.embed_positions.weight, read by the
  // decoder too.
  bool shared_positions = false;
  // A layer norm on each stack's embedding output (token embedding × scale +
  // positions), before the first layer: BART's and mBART's layernorm_embedding.
  // Tensors encoder.embed_norm.{weight,bias} / decoder.embed_norm.{weight,bias}.
  bool encoder_embed_norm = false;
  bool decoder_embed_norm = false;
  // Generation defaults of the model's family (Hugging Face's generation
  // config): a target id forced as the first generated token when the caller
  // gives no target prefix (forced_bos_token_id; −1 none), and the pad id
  // never generated (Marian's bad_words_ids = [[pad]]).
  int32_t forced_bos_id = -1;
  bool never_generate_pad = false;
  // Which cross-attention weights are a hypothesis's alignment (attention
  // returned to callers, unknown-token replacement): the first
  // alignment_heads heads (0: all) of the decoder layer alignment_layer_back
  // layers before the last (0: the last). CTranslate2 models carry their
  // own (its defaults: the last layer's first head).
  uint8_t alignment_heads = 0;
  uint8_t alignment_layer_back = 0;
  // Version 1.3: model-family strategies (older files read as these defaults).
  RelativeAttention relative_attention = RelativeAttention::kNone;
  FfnKind ffn_kind = FfnKind::kPlain;
  // T5 buckets: the bucket count (1 ... kMaxRelativeBuckets; half per
  // direction in the encoder) and the distance from which all positions
  // share the last bucket (≥ 1). Both 0 unless relative_attention is set.
  uint16_t relative_num_buckets = 0;
  uint16_t relative_max_distance = 0;
  // Version 1.4 (older files read as these defaults).
  EncoderInput encoder_input = EncoderInput::kTokenIds;
  uint32_t n_mels = 0;  // log-mel bins per frame (kLogMel: 1 ... kMaxMels; else 0)
  // The decoder's position limit when it differs from the encoder's
  // max_positions (Whisper: 1500 encoder positions, 448 decoder ones); 0:
  // max_positions serves both.
  uint32_t decoder_max_positions = 0;
};
// The decoder's position limit: decoder_max_positions, or max_positions.
inline uint32_t DecoderPositions(const ModelConfig& c) {
  return c.decoder_max_positions ? c.decoder_max_positions : c.max_positions;
}
// True when `c` uses a 1.1 field with a meaning other than 1.0's.
bool NeedsV1_1(const ModelConfig& c);
// True when `c` uses a 1.3 feature that changes outputs (the writer then
// writes a 160-byte header, minor version 3 and flags bit 5).
bool NeedsV1_3(const ModelConfig& c);
// True when `c` uses a 1.4 header field (encoder_input, n_mels,
// decoder_max_positions): the writer then writes the 160-byte header,
// minor version 4 and flags bit 6.
bool NeedsV1_4(const ModelConfig& c);

// Limits a reader enforces before it trusts any size (docs/FORMAT.md).
struct Limits {
  static constexpr uint32_t kMaxDModel = 65536;
  static constexpr uint32_t kMaxHeads = 1024;
  static constexpr uint32_t kMaxLayers = 1024;
  static constexpr uint32_t kMaxFfn = 1u << 20;
  static constexpr uint32_t kMaxVocab = 1u << 24;
  static constexpr uint32_t kMaxPositions = 1u << 20;
  static constexpr uint32_t kMaxSections = 64;
  static constexpr uint32_t kMaxTensors = 1u << 20;
  static constexpr uint32_t kMaxNameLength = 256;
  static constexpr uint32_t kMaxDims = 4;
  static constexpr uint32_t kMaxTokenBytes = 1024;
};

}  // namespace edgeseq::loaders
