#include "tools/convert.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <tuple>

#include "loaders/checkpoint.h"
#include "loaders/checkpoint_ct2.h"
#include "loaders/mapped_file.h"
#include "loaders/checkpoint_hf.h"
#include "loaders/esq_error.h"
#include "loaders/esq_reader.h"
#include "loaders/esq_writer.h"
#include "loaders/half.h"
#include "ops/embedding.h"
#include "ops/quantize.h"
#include "runtime/error.h"
#include "runtime/sentencepiece_tokenizer.h"
#include "tools/convert_bpe.h"
#include "tools/convert_conventions.h"
#include "tools/convert_ct2.h"
#include "tools/convert_hf.h"
#include "tools/convert_mapping.h"
#include "tools/convert_settings.h"
#include "tools/convert_whisper.h"

namespace edgeseq::tools {
namespace {

using loaders::DType;
using loaders::SourceTensor;

// A role's tensor as f32 [rows, cols...] before the output dtype is chosen.
struct RoleTensor {
  std::string role, source;  // source: for messages
  std::vector<uint64_t> shape;
  std::vector<float> values;
  // An int8 source with per-row scales (CTranslate2): its own values and
  // scales (value = q · scale), kept as they are when the role is int8.
  std::vector<int8_t> q;
  std::vector<float> q_scales;
};

// An integer weight with a "<name>_scale" companion (CTranslate2's int8 with
// one scale per row, int16 with one per tensor: value = q / scale) as f32,
// and for int8 the values and edgeseq's scales (1 / scale).
bool Dequantize(const SourceTensor& t, const std::map<std::string, const SourceTensor*>& src,
                std::vector<float>* values, std::vector<int8_t>* q, std::vector<float>* q_scales,
                std::string* scale_name) {
  if (t.type != loaders::ElementType::kChar && t.type != loaders::ElementType::kShort) return false;
  const auto it = src.find(t.name + "_scale");
  if (it == src.end()) return false;
  const SourceTensor& s = *it->second;
  *scale_name = s.name;
  if (t.shape.empty()) throw ConvertError("quantized tensor " + t.name + " has no rows");
  const uint64_t rows = static_cast<uint64_t>(t.shape[0]), n = static_cast<uint64_t>(t.elements());
  const uint64_t cols = rows ? n / rows : 0;
  const uint64_t count = static_cast<uint64_t>(s.elements());
  if (s.type != loaders::ElementType::kFloat || (count != 1 && count != rows)) {
    throw ConvertError(s.name + " must be float32 with 1 or " + std::to_string(rows) + " values (one per row of " +
                       t.name + ")");
  }
  std::vector<float> scale;
  try {
    scale = s.ToF32();
  } catch (const loaders::CheckpointError& e) {
    throw ConvertError(e.what());
  }
  for (float x : scale) {
    if (!std::isfinite(x) || x <= 0) throw ConvertError(s.name + " holds a scale that is not finite and positive");
  }
  std::vector<uint8_t> bytes;
  try {
    bytes = t.Bytes();
  } catch (const loaders::CheckpointError& e) {
    throw ConvertError(e.what());
  }
  values->resize(n);
  const bool i8 = t.type == loaders::ElementType::kChar;
  if (i8) {
    q->resize(n);
    memcpy(q->data(), bytes.data(), n);
    q_scales->resize(rows);
  }
  for (uint64_t r = 0; r < rows; ++r) {
    const float sc = scale[count == 1 ? 0 : r];
    if (i8) (*q_scales)[r] = 1.0f / sc;
    for (uint64_t k = 0; k < cols; ++k) {
      float v;
      if (i8) {
        v = static_cast<float>((*q)[r * cols + k]);
      } else {
        int16_t x;
        memcpy(&x, bytes.data() + 2 * (r * cols + k), 2);
        v = static_cast<float>(x);
      }
      (*values)[r * cols + k] = v / sc;
    }
  }
  return true;
}

std::string ShapeString(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// Layer indices present in the checkpoint for a source pattern with "{i}".
std::set<uint64_t> LayerIndices(const std::string& pattern, const std::map<std::string, const SourceTensor*>& src) {
  std::set<uint64_t> out;
  const size_t at = pattern.find("{i}");
  if (at == std::string::npos) return out;
  const std::string pre = pattern.substr(0, at), post = pattern.substr(at + 3);
  for (const auto& [name, t] : src) {
    if (name.size() <= pre.size() + post.size() || name.compare(0, pre.size(), pre) != 0 ||
        name.compare(name.size() - post.size(), post.size(), post) != 0) {
      continue;
    }
    const std::string mid = name.substr(pre.size(), name.size() - pre.size() - post.size());
    if (mid.empty() || mid.size() > 6 || !std::all_of(mid.begin(), mid.end(), ::isdigit)) continue;
    out.insert(std::stoull(mid));
  }
  return out;
}


// Whether every value survives narrowing to f16 (finite, |x| <= 65504 after
// rounding).
bool FitsHalf(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(loaders::HalfToFloat(loaders::FloatToHalf(x)))) return false;
  }
  return true;
}

bool IsMatmulWeight(const std::string& role) {
  for (const char* s : {"qkv_proj.weight", "out_proj.weight", "q_proj.weight", "kv_proj.weight", "fc1.weight",
                        "fc1_linear.weight", "fc2.weight", "encoder.conv1.weight", "encoder.conv2.weight"}) {
    const size_t n = strlen(s);
    if (role.size() >= n && role.compare(role.size() - n, n, s) == 0) return true;
  }
  return false;
}

std::vector<std::string> ReadVocab(const std::string& path, uint32_t expected, const char* which) {
  std::ifstream in(path);
  if (!in) throw ConvertError("cannot open " + path + ": " + strerror(errno) + " (" + which + " vocabulary)");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  if (out.size() != expected) {
    throw ConvertError(std::string(which) + " vocabulary " + path + " has " + std::to_string(out.size()) +
                       " lines, the model's embedding has " + std::to_string(expected) + " rows");
  }
  return out;
}

constexpr std::string_view kSentencePiecePrefix = "sentencepiece:";

loaders::TokenizerKind TokenizerKind(const std::string& flag, const std::string& s) {
  if (s == "whitespace") return loaders::TokenizerKind::kWhitespace;
  if (s == "chars") return loaders::TokenizerKind::kCharacters;
  if (s.rfind(kSentencePiecePrefix, 0) == 0 && s.size() > kSentencePiecePrefix.size()) {
    return loaders::TokenizerKind::kSentencePiece;
  }
  if (IsBpeTokenizerSpec(s) || IsWhisperDirTokenizerSpec(s)) return loaders::TokenizerKind::kByteLevelBpe;
  throw ConvertError(flag + " must be whitespace, chars, sentencepiece:FILE, bpe:VOCAB.json,MERGES.txt, "
                     "hf:tokenizer.json or tiktoken:FILE[,SPECIALS.txt], not '" + s + "'");
}

// A SentencePiece model file, checked by loading it with the library; its
// bytes and its pieces (in its id order).
struct SentencePieceFile {
  std::string bytes;
  std::vector<std::string> pieces;
};

SentencePieceFile ReadSentencePiece(const std::string& flag, const std::string& spec) {
  const std::string path = spec.substr(kSentencePiecePrefix.size());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError(flag + ": cannot read " + path);
  SentencePieceFile f;
  f.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  try {
    const runtime::SentencePieceTokenizer sp(f.bytes);
    for (size_t i = 0; i < sp.size(); ++i) f.pieces.push_back(sp.Piece(static_cast<int>(i)));
  } catch (const runtime::Error& e) {
    throw ConvertError(flag + ": " + path + " is not a SentencePiece model (" + e.what() + ")");
  }
  return f;
}

// Wrapper prefixes that training code adds to every name: DataParallel and
// DistributedDataParallel ("module."), torch.compile ("_orig_mod.").
void StripWrapperPrefixes(std::vector<SourceTensor>& tensors, std::ostream& log, bool quiet) {
  for (bool again = true; again;) {
    again = false;
    for (const char* prefix : {"module.", "_orig_mod."}) {
      const size_t n = strlen(prefix);
      const bool all = !tensors.empty() && std::all_of(tensors.begin(), tensors.end(), [&](const SourceTensor& t) {
        return t.name.size() > n && t.name.compare(0, n, prefix) == 0;
      });
      if (!all) continue;
      for (SourceTensor& t : tensors) t.name.erase(0, n);
      if (!quiet) log << "edgeseq-convert: note: every tensor name began with '" << prefix << "' (a training wrapper); "
                      << "stripped it\n";
      again = true;
    }
  }
}

// The file's own top-level name prefixes, for the error that suggests --map.
std::string TopLevelPrefixes(const std::vector<SourceTensor>& tensors) {
  std::map<std::string, size_t> count;
  for (const SourceTensor& t : tensors) {
    const size_t a = t.name.find('.');
    const size_t b = a == std::string::npos ? a : t.name.find('.', a + 1);
    count[t.name.substr(0, b == std::string::npos ? a : b)]++;
  }
  std::string out;
  size_t shown = 0;
  for (const auto& [prefix, n] : count) {
    if (shown++ == 12) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + prefix + ".* (" + std::to_string(n) + ")";
  }
  return out;
}

// The first tensor value that is NaN or infinite: refused, naming it.
void CheckFinite(const std::string& name, const std::vector<float>& v) {
  for (size_t k = 0; k < v.size(); ++k) {
    if (!std::isfinite(v[k])) {
      throw ConvertError("tensor " + name + " holds " + (std::isnan(v[k]) ? "NaN" : "an infinite value") +
                         " (element " + std::to_string(k) + "): a model with it would give " +
                         "meaningless outputs; fix the checkpoint");
    }
  }
}

loaders::ActivationKind ActivationKind(const std::string& s) {
  if (s == "relu") return loaders::ActivationKind::kReLU;
  if (s == "gelu") return loaders::ActivationKind::kGelu;
  if (s == "gelu_tanh") return loaders::ActivationKind::kGeluTanh;
  if (s == "silu") return loaders::ActivationKind::kSiLU;
  throw ConvertError("--activation must be relu, gelu, gelu_tanh or silu, not '" + s + "'");
}

}  // namespace

namespace {

// The header's model-family strategies (version 1.3) from the mapping's
// "model" settings and the roles present: RMSNorm, a gated FFN (fc1_linear
// roles), T5 relative attention (its tables).
template <class FindRole>
void SetFamilySettings(const MappingModel& mm, const uint64_t layers[2], const FindRole& find_role,
                       loaders::ModelConfig& c, SettingsLog& settings) {
  if (mm.norm == "rms") {
    c.norm_type = loaders::NormType::kRMSNorm;
    settings.Add("norm", "rms", Origin::kFlag, "the mapping's \"model\"");
  }
  if (const RoleTensor* g = find_role(layers[0] ? "encoder.layers.0.ffn.fc1_linear.weight"
                                                : "decoder.layers.0.ffn.fc1_linear.weight")) {
    c.ffn_kind = loaders::FfnKind::kGated;
    settings.Add("ffn", "gated: act(fc1) * fc1_linear", Origin::kTensors, g->source);
  }
  if (mm.unscaled_attention) {
    settings.Add("attention scale", "none: queries * sqrt(d_head) (folded)", Origin::kFlag,
                 "the mapping's \"model\": unscaled_attention");
  }
  if (mm.tied_output_rescale && c.tied_output) {
    settings.Add("tied output", "decoder output * d_model^-0.5 (folded into decoder.norm.weight)", Origin::kFlag,
                 "the mapping's \"model\": tied_output_rescale");
  }
  const RoleTensor* enc = find_role("encoder.relative_attention_bias.weight");
  const RoleTensor* dec = find_role("decoder.relative_attention_bias.weight");
  if (!enc && !dec) {
    if (mm.relative_max_distance) throw ConvertError("the mapping sets relative_max_distance but maps no relative_attention_bias table");
    return;
  }
  if (!dec || (!enc && layers[0])) {
    throw ConvertError("relative attention needs both tables, encoder.relative_attention_bias.weight and "
                       "decoder.relative_attention_bias.weight (the mapping gives one)");
  }
  if (dec->shape.size() != 2 || dec->shape[0] < 1 || dec->shape[0] > loaders::kMaxRelativeBuckets) {
    throw ConvertError(dec->source + ": a relative attention table is [num_buckets, heads], num_buckets 1 to " +
                       std::to_string(loaders::kMaxRelativeBuckets));
  }
  if (!mm.relative_max_distance) {
    throw ConvertError("relative attention tables are mapped but the mapping's \"model\" has no relative_max_distance");
  }
  c.relative_attention = loaders::RelativeAttention::kT5Buckets;
  c.relative_num_buckets = static_cast<uint16_t>(dec->shape[0]);
  c.relative_max_distance = static_cast<uint16_t>(mm.relative_max_distance);
  settings.Add("relative attention", "T5 buckets: " + std::to_string(c.relative_num_buckets) + ", max distance " +
                                         std::to_string(c.relative_max_distance),
               Origin::kTensors, dec->source + " rows; the mapping's \"model\"");
}

// Conventions folded into the weights (docs/CONVERTER.md, "T5"): exact math,
// so the runtime needs no flag for them.
void FoldFamilyConventions(const MappingModel& mm, const loaders::ModelConfig& c, std::vector<RoleTensor>& roles,
                           std::ostream& log, bool quiet) {
  auto scale_rows = [](RoleTensor& r, uint64_t rows, float k) {
    const uint64_t per_row = r.shape.size() > 1 ? r.shape[1] : 1;
    for (uint64_t i = 0; i < rows * per_row && i < r.values.size(); ++i) r.values[i] *= k;
  };
  if (mm.unscaled_attention) {
    // Scores q·k without 1/√d_head: the runtime divides by √d_head, so the
    // queries are multiplied by it (an exact power of two when d_head is a
    // power of 4, as in every T5: 64).
    const float k = sqrtf(static_cast<float>(c.d_model / c.num_heads));
    for (RoleTensor& r : roles) {
      const bool qkv = r.role.find(".self_attn.qkv_proj.") != std::string::npos;
      const bool q = r.role.find(".cross_attn.q_proj.") != std::string::npos;
      if (!qkv && !q) continue;
      if (!r.q.empty()) throw ConvertError(r.source + ": cannot fold the attention scale into an int8 source");
      scale_rows(r, c.d_model, k);  // qkv: the first d rows are q
    }
  }
  if (mm.tied_output_rescale && c.tied_output) {
    // The tied output projection sees the decoder output times d_model^-0.5:
    // the final norm's weight takes the factor (norm(x)·w·s = norm(x)·(w·s)).
    const float k = static_cast<float>(1.0 / sqrt(static_cast<double>(c.d_model)));
    auto it = std::find_if(roles.begin(), roles.end(), [](const RoleTensor& r) { return r.role == "decoder.norm.weight"; });
    if (it == roles.end()) throw ConvertError("tied_output_rescale needs a decoder final norm (decoder.norm.weight)");
    scale_rows(*it, it->shape[0], k);
    if (!quiet) log << "edgeseq-convert: note: decoder.norm.weight carries the tied output's d_model^-0.5\n";
  }
}

}  // namespace

ConvertReport Convert(const ConvertOptions& given, std::ostream& log) {
  ConvertOptions o = given;  // a model directory's tokenizer files fill the sides no flag sets
  if (o.heads && *o.heads == 0) throw ConvertError("--heads must be at least 1");
  if (o.max_positions && (*o.max_positions == 0 || *o.max_positions > loaders::Limits::kMaxPositions)) {
    throw ConvertError("--max-positions must be between 1 and " + std::to_string(loaders::Limits::kMaxPositions));
  }
  if (o.activation) ActivationKind(*o.activation);
  for (const auto& [flag, tok, vocab] : {std::tuple<const char*, const std::optional<std::string>&, const std::string&>{
                                             "--src-tokenizer", o.src_tokenizer, o.src_vocab_file},
                                         {"--tgt-tokenizer", o.tgt_tokenizer, o.tgt_vocab_file}}) {
    if (!tok) continue;
    if (loaders::TokenizerHasModel(TokenizerKind(flag, *tok))) continue;  // the tokenizer's tokens are a vocabulary
    if (vocab.empty()) {
      throw ConvertError(std::string(flag) + " splits text into vocabulary tokens, so it needs --" +
                         (flag[2] == 's' ? "src" : "tgt") + "-vocab");
    }
  }
  for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"--quantize", o.quantize},
                                     {"--embeddings", o.embeddings}, {"--output-projection", o.output_projection}}) {
    if (value != "int8" && value != "f16" && value != "f32" && !(value.empty() && flag[2] != 'q')) {
      throw ConvertError(std::string(flag) + " must be int8, f16 or f32, not '" + value + "'");
    }
  }
  if (o.weight_bits != 7 && o.weight_bits != 8) {
    throw ConvertError("--weight-bits must be 7 or 8, not " + std::to_string(o.weight_bits));
  }
  const int weight_qmax = o.weight_bits == 7 ? 63 : 127;
  std::string embeddings_type = !o.embeddings.empty() ? o.embeddings : o.quantize == "f32" ? "f32" : "f16";
  const std::string output_type = !o.output_projection.empty() ? o.output_projection : o.quantize;
  Mapping mapping;
  if (o.mapping) {
    if (!o.map_file.empty()) throw ConvertError("a mapping given in code excludes --map");
    mapping = *o.mapping;
  } else if (!o.map_file.empty()) {
    std::ifstream in(o.map_file);
    if (!in) throw ConvertError("cannot open " + o.map_file + ": " + strerror(errno) + " (--map)");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      mapping = ParseMappingJson(ss.str());
    } catch (const std::runtime_error& e) {
      throw ConvertError(o.map_file + ": " + e.what());
    }
  } else if (o.arch == "torch-transformer" || o.arch == "auto") {
    mapping = TorchTransformerMapping();  // a file; a directory brings its own below
  } else {
    throw ConvertError("unknown --arch '" + o.arch + "' (known: auto, torch-transformer; or give --map)");
  }

  // A CTranslate2 model directory brings its own mapping and settings
  // (tools/convert_ct2.h).
  std::optional<Ct2Source> ct2;
  std::optional<HfSource> hf;  // a Hugging Face checkpoint directory (tools/convert_hf.h)
  std::optional<WhisperSettings> whisper;  // an openai-whisper checkpoint (tools/convert_whisper.h)
  loaders::Checkpoint ck;
  FileSettings file;
  if (IsHfModelDir(o.input)) {
    if (!o.map_file.empty()) {
      throw ConvertError("--map does not apply to a Hugging Face model directory (config.json names its family)");
    }
    if (!o.key.empty()) throw ConvertError("--key does not apply to a Hugging Face model directory");
    hf = ReadHfSource(o.input);
    ck = std::move(hf->checkpoint);
    ck.root = hf->description;
    mapping = hf->mapping;
    file = hf->file;
    if (!o.quiet) {
      for (const std::string& n : hf->notes) log << "edgeseq-convert: note: " << n << "\n";
    }
    // The directory's tokenizer files, as the flags would give them. A flag
    // wins for its side: --src-tokenizer replaces the directory's tokenizer
    // (and its vocabulary), --src-vocab its vocabulary only.
    for (const auto& [flag, tok, side] :
         {std::tuple<const char*, std::optional<std::string>*, const std::optional<HfTokenizer>*>{
              "--src-tokenizer", &o.src_tokenizer, &hf->src_tokenizer},
          {"--tgt-tokenizer", &o.tgt_tokenizer, &hf->tgt_tokenizer}}) {
      if (!*side) continue;
      if (*tok) {
        if (!o.quiet) log << "edgeseq-convert: note: " << flag << " replaces the directory's " << (*side)->where << "\n";
        continue;
      }
      *tok = (*side)->spec;
    }
  } else if (IsCt2ModelDir(o.input)) {
    if (!o.map_file.empty()) throw ConvertError("--map does not apply to a CTranslate2 model directory (its layout is known)");
    if (!o.key.empty()) throw ConvertError("--key does not apply to a CTranslate2 model directory");
    ct2 = ReadCt2Source(o.input);
    ck = std::move(ct2->checkpoint);
    ck.root = ct2->description;
    mapping = ct2->mapping;
    file = ct2->file;
    file.eps = ct2->eps;
    if (!o.quiet) {
      for (const std::string& n : ct2->notes) log << "edgeseq-convert: note: " << n << "\n";
    }
    // A Whisper model's tokenizer is its vocabulary.json (checked to be
    // Whisper's: tools/convert_whisper.h).
    if (ct2->log_mel && !ct2->whisper_tokenizer.empty() && !o.tgt_tokenizer) o.tgt_tokenizer = ct2->whisper_tokenizer;
    // SentencePiece models copied beside a CTranslate2 model (its converters'
    // --copy_files): source.spm / target.spm, or one model for both sides.
    // CTranslate2's vocabularies map the pieces to the model's ids. A flag
    // wins for its side.
    const std::string d = o.input + "/";
    std::string both;
    for (const char* name : {"sentencepiece.bpe.model", "spiece.model", "sentencepiece.model", "spm.model"}) {
      if (both.empty() && loaders::IsRegularFile(d + name)) both = d + name;
    }
    for (const auto& [flag, tok, own] :
         {std::tuple<const char*, std::optional<std::string>*, const char*>{"--src-tokenizer", &o.src_tokenizer,
                                                                           "source.spm"},
          {"--tgt-tokenizer", &o.tgt_tokenizer, "target.spm"}}) {
      const std::string file_name = loaders::IsRegularFile(d + own) ? d + own : both;
      if (file_name.empty() || *tok || ct2->log_mel) continue;
      *tok = "sentencepiece:" + file_name;
      if (!o.quiet) {
        log << "edgeseq-convert: note: " << flag << " " << **tok << " (found beside model.bin; pieces to ids by "
            << "CTranslate2's vocabulary)\n";
      }
    }
  } else {
    try {
      ck = loaders::ReadCheckpoint(o.input, o.key);
    } catch (const loaders::CheckpointError& e) {
      throw ConvertError(e.what());
    }
    StripWrapperPrefixes(ck.tensors, log, o.quiet);
    file = ReadFileSettings(ck.modules);
    // openai-whisper's checkpoint (tools/convert_whisper.h): its dims and
    // names say everything.
    if (IsWhisperCheckpoint(ck)) {
      if (!o.map_file.empty() || o.mapping) {
        throw ConvertError("--map does not apply to an openai-whisper checkpoint (its layout is known)");
      }
      whisper = FromWhisperCheckpoint(ck);
      mapping = whisper->mapping;
      file = whisper->file;
      if (!whisper->file.eos && (!o.eos || !o.decoder_start)) {
        throw ConvertError("dims.n_vocab " + std::to_string(whisper->vocab) +
                           " is none of Whisper's vocabularies (51864 English-only, 51865 and up multilingual): "
                           "give --eos (<|endoftext|>) and --decoder-start (<|startoftranscript|>)");
      }
      ck.root = whisper->description + " (" + ck.root + ")";
    }
  }
  // A log-mel encoder (Whisper, from either layout): no source vocabulary.
  std::optional<LogMelDims> log_mel;
  if (whisper) log_mel = whisper->dims;
  if (hf) log_mel = hf->log_mel;
  if (ct2) log_mel = ct2->log_mel;
  if (log_mel && !o.src_normalize) o.src_normalize = "none";  // no source text to normalize
  ConvertReport report;
  report.checkpoint_root = ck.root;
  std::map<std::string, const SourceTensor*> src;
  for (const SourceTensor& t : ck.tensors) src[t.name] = &t;
  std::set<std::string> used;
  if (ct2) used.insert(ct2->consumed.begin(), ct2->consumed.end());
  if (hf) used.insert(hf->consumed.begin(), hf->consumed.end());

  // Layer counts: the indices the checkpoint has for the per-layer rules.
  uint64_t layers[2] = {0, 0};
  for (const MappingRule& r : mapping.rules) {
    if (r.role.find("{i}") == std::string::npos) continue;
    const int stack = r.role.rfind("decoder.", 0) == 0 ? 1 : 0;
    for (const std::string& s : r.sources) {
      const auto idx = LayerIndices(s, src);
      if (!idx.empty()) layers[stack] = std::max(layers[stack], *idx.rbegin() + 1);
    }
  }

  if (layers[1] == 0) {
    std::string example;
    for (const MappingRule& r : mapping.rules) {
      if (r.role.rfind("decoder.layers.{i}.", 0) == 0) {
        example = Replace(r.sources[0], "{i}", "0");
        break;
      }
    }
    throw ConvertError(o.input + ": no decoder layers found: the " +
                       (o.map_file.empty() ? "--arch " + o.arch + " layout" : "mapping " + o.map_file) +
                       " expects names such as " + example + ", the file has " + TopLevelPrefixes(ck.tensors) +
                       " (edgeseq-convert --list shows them all; write a --map file for your names, "
                       "docs/CONVERTER.md)");
  }

  // Bias groups: a group none of whose sources exists is a bias-free model.
  std::set<std::string> absent_groups;
  {
    std::map<std::string, bool> seen;
    for (const MappingRule& r : mapping.rules) {
      if (r.group.empty()) continue;
      bool& any = seen[r.group];
      const bool per_layer = r.role.find("{i}") != std::string::npos;
      const uint64_t count = per_layer ? layers[r.role.rfind("decoder.", 0) == 0 ? 1 : 0] : 1;
      for (uint64_t i = 0; i < count && !any; ++i) {
        for (const std::string& pattern : r.sources) {
          if (!pattern.empty() && src.count(Replace(pattern, "{i}", std::to_string(i)))) any = true;
        }
      }
    }
    for (const auto& [g, any] : seen) {
      if (!any) absent_groups.insert(g);
    }
  }

  // Resolve every rule for every layer; list everything missing at once.
  std::vector<RoleTensor> roles;
  std::vector<std::string> missing;
  for (const MappingRule& r : mapping.rules) {
    if (absent_groups.count(r.group)) continue;
    const bool per_layer = r.role.find("{i}") != std::string::npos;
    const uint64_t count = per_layer ? layers[r.role.rfind("decoder.", 0) == 0 ? 1 : 0] : 1;
    for (uint64_t i = 0; i < count; ++i) {
      const std::string idx = std::to_string(i);
      RoleTensor rt;
      rt.role = Replace(r.role, "{i}", idx);
      std::vector<const SourceTensor*> parts;  // nullptr: a zero part
      std::vector<std::string> absent, present;
      for (const std::string& pattern : r.sources) {
        if (pattern.empty()) {
          parts.push_back(nullptr);
          continue;
        }
        const std::string name = Replace(pattern, "{i}", idx);
        const auto it = src.find(name);
        if (it == src.end()) {
          absent.push_back(name);
          continue;
        }
        present.push_back(name);
        parts.push_back(it->second);
        rt.source += (rt.source.empty() ? "" : " + ") + name;
      }
      if (!absent.empty()) {
        // An optional rule skips a role only when none of its parts exists:
        // dropping the parts that are present would silently change outputs.
        if (r.optional && present.empty()) continue;
        for (const std::string& name : absent) {
          missing.push_back(name + " (for " + rt.role + (present.empty() ? "" : ", beside " + present[0]) +
                            (r.sources.size() > 1 ? "; null in \"concat\" stands for a part that is zero" : "") +
                            ")");
        }
        continue;
      }
      // Concatenate along rows; every part must agree on the trailing dims.
      const SourceTensor* first = *std::find_if(parts.begin(), parts.end(), [](auto* p) { return p != nullptr; });
      std::vector<int64_t> trailing(first->shape.begin() + (first->shape.empty() ? 0 : 1), first->shape.end());
      uint64_t rows = 0;
      for (const SourceTensor* p : parts) {
        if (!p) {  // a zero part, shaped like the first present part
          const uint64_t n = static_cast<uint64_t>(first->elements());
          rows += static_cast<uint64_t>(first->shape.empty() ? 1 : first->shape[0]);
          rt.values.insert(rt.values.end(), n, 0.0f);
          rt.source += std::string(rt.source.empty() ? "" : " + ") + "zeros";
          continue;
        }
        std::vector<float> v;
        std::vector<int8_t> q;
        std::vector<float> q_scales;
        std::string scale_name;
        const bool quantized = Dequantize(*p, src, &v, &q, &q_scales, &scale_name);
        if (!quantized && !p->is_floating()) throw ConvertError("tensor " + p->name + " is not floating point");
        if (p->shape.empty() || std::vector<int64_t>(p->shape.begin() + 1, p->shape.end()) != trailing) {
          throw ConvertError("tensors " + first->name + " and " + p->name + " cannot be stacked for " + rt.role);
        }
        rows += static_cast<uint64_t>(p->shape[0]);
        if (quantized) {
          used.insert(scale_name);
          // Kept as stored only when the role is this one tensor, whole.
          if (parts.size() == 1 && r.split == 1 && !q.empty()) {
            rt.q = std::move(q);
            rt.q_scales = std::move(q_scales);
          }
        } else {
          try {
            v = p->ToF32();
          } catch (const loaders::CheckpointError& e) {
            throw ConvertError(e.what());
          }
        }
        CheckFinite(p->name, v);
        rt.values.insert(rt.values.end(), v.begin(), v.end());
        used.insert(p->name);
      }
      if (rows % r.split != 0) {
        throw ConvertError(rt.source + " has " + std::to_string(rows) + " rows, not divisible into " +
                           std::to_string(r.split) + " parts for " + rt.role);
      }
      uint64_t row_elems = 1;
      for (int64_t d : trailing) row_elems *= static_cast<uint64_t>(d);
      const uint64_t part_rows = rows / r.split;
      if (!r.take.empty()) {
        std::vector<float> taken;
        for (uint32_t t : r.take) {
          const auto begin = rt.values.begin() + static_cast<int64_t>(t * part_rows * row_elems);
          taken.insert(taken.end(), begin, begin + static_cast<int64_t>(part_rows * row_elems));
        }
        rt.values = std::move(taken);
        rows = part_rows * r.take.size();
      }
      rt.shape.push_back(rows);
      for (int64_t d : trailing) rt.shape.push_back(static_cast<uint64_t>(d));
      roles.push_back(std::move(rt));
    }
  }
  // A canonical order, whatever the mapping's: by stack, by layer, by name,
  // so that a layer's weights sit together in the file.
  auto order = [](const std::string& role) {
    const int stack = role.rfind("encoder.", 0) == 0 ? 0 : role.rfind("decoder.", 0) == 0 ? 1 : 2;
    long layer = -1;
    const size_t at = role.find(".layers.");
    if (at != std::string::npos) layer = std::strtol(role.c_str() + at + 8, nullptr, 10);
    return std::make_tuple(stack, layer, role);
  };
  std::stable_sort(roles.begin(), roles.end(),
                   [&](const RoleTensor& a, const RoleTensor& b) { return order(a.role) < order(b.role); });
  // A decoder embedding equal to the encoder's (CTranslate2 writes it as an
  // alias, PyTorch ties them) is stored once, as the shared embedding: the
  // same rows for the same ids, half the bytes.
  {
    auto is = [&](const char* role) { return [role](const RoleTensor& r) { return r.role == role; }; };
    const auto src = std::find_if(roles.begin(), roles.end(), is("encoder.embed_tokens.weight"));
    const auto tgt = std::find_if(roles.begin(), roles.end(), is("decoder.embed_tokens.weight"));
    if (src != roles.end() && tgt != roles.end() && src->shape == tgt->shape && src->values == tgt->values &&
        src->q == tgt->q && src->q_scales == tgt->q_scales) {
      if (!o.quiet && tgt->source != src->source) {  // (one source tensor for both roles needs no note)
        log << "edgeseq-convert: note: " << tgt->source << " equals " << src->source
            << ": stored once, as the shared embedding\n";
      }
      roles.erase(tgt);
    }
  }
  // A layer norm with a weight but no bias while the model has norm biases
  // elsewhere is a missing tensor, not a bias-free norm. (RMSNorm has none.)
  if (!absent_groups.count("norm biases") && mapping.model.norm != "rms") {
    for (const RoleTensor& r : roles) {
      if (r.role.size() > 7 && r.role.compare(r.role.size() - 7, 7, ".weight") == 0 &&
          r.role.find("norm") != std::string::npos) {
        const std::string bias = r.role.substr(0, r.role.size() - 7) + ".bias";
        if (std::none_of(roles.begin(), roles.end(), [&](const RoleTensor& x) { return x.role == bias; })) {
          missing.push_back("the bias of " + r.source + " (for " + bias + "; other norms have biases)");
        }
      }
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ConvertError(std::to_string(missing.size()) + " tensor(s) missing from " + o.input + ": " + list +
                       " (the file's names: " + TopLevelPrefixes(ck.tensors) +
                       "; edgeseq-convert --list shows them all; a --map file maps other names, docs/CONVERTER.md)");
  }
  // Whisper's convolutions [d, in, 3] become the roles' tap-major matrices
  // [d, 3·in] (docs/FORMAT.md), one int8 scale per output channel.
  for (RoleTensor& r : roles) {
    if (!log_mel || (r.role != "encoder.conv1.weight" && r.role != "encoder.conv2.weight")) continue;
    if (r.shape.size() != 3 || r.shape[2] != 3) {
      throw ConvertError(r.source + " has shape " + ShapeString(r.shape) + ", not [d, in, 3] (a kernel-3 conv1d)");
    }
    r.values = ConvToTapMajor(r.values, r.shape[0], r.shape[1]);
    r.shape = {r.shape[0], 3 * r.shape[1]};
  }
  // Aliases: copies of another tensor (T5's embed_tokens of shared), consumed
  // when equal to it; a copy that differs would be a second table.
  for (const auto& [copy, of] : mapping.aliases) {
    const auto c_it = src.find(copy), o_it = src.find(of);
    if (c_it == src.end()) continue;
    if (o_it == src.end()) throw ConvertError(copy + " is mapped as an alias of " + of + ", which the file lacks");
    std::vector<float> a, b;
    try {
      a = c_it->second->ToF32();
      b = o_it->second->ToF32();
    } catch (const loaders::CheckpointError& e) {
      throw ConvertError(e.what());
    }
    if (c_it->second->shape != o_it->second->shape || a != b) {
      throw ConvertError(copy + " differs from " + of + ", of which the mapping says it is a copy");
    }
    used.insert(copy);
  }
  auto find_role = [&](const std::string& role) -> const RoleTensor* {
    for (const RoleTensor& r : roles) {
      if (r.role == role) return &r;
    }
    return nullptr;
  };

  // The header: sizes from the tensors; every other setting from the file,
  // a flag or the layout's default, each recorded with its origin.
  SettingsLog settings;
  loaders::ModelConfig c;
  const RoleTensor* src_emb = find_role("encoder.embed_tokens.weight");
  const RoleTensor* tgt_emb = find_role("decoder.embed_tokens.weight");
  // A log-mel encoder (Whisper) has no source vocabulary: src_vocab_size 1.
  const RoleTensor* width = log_mel ? tgt_emb : src_emb;
  if (!width || width->shape.size() != 2) {
    throw ConvertError(log_mel ? "no 2-D token embedding (decoder.embed_tokens.weight)"
                               : "no 2-D source embedding (encoder.embed_tokens.weight)");
  }
  c.d_model = static_cast<uint32_t>(width->shape[1]);
  c.src_vocab_size = log_mel ? 1 : static_cast<uint32_t>(src_emb->shape[0]);
  const RoleTensor* out_proj = find_role("decoder.output_projection.weight");
  c.tgt_vocab_size = static_cast<uint32_t>(tgt_emb ? tgt_emb->shape[0] : out_proj ? out_proj->shape[0] : c.src_vocab_size);
  c.shared_embeddings = tgt_emb == nullptr;
  c.tied_output = out_proj == nullptr;
  if (c.tied_output) {
    // A tied output projection is the target embedding table. With int8
    // matmuls that table is stored int8 by default, so the projection (the
    // widest matmul of a decoding step) runs as an int8 GEMM, as
    // CTranslate2's int8 does, instead of f16 weights multiplied in f32
    // (measured, docs/PERFORMANCE.md: marian-base greedy batch 16, 486 ms
    // against 141 ms).
    if (!o.output_projection.empty()) {
      throw ConvertError("--output-projection does not apply: the output projection is tied to the target embedding "
                         "(--embeddings sets the type of both)");
    }
    if (o.embeddings.empty() && o.quantize == "int8") {
      embeddings_type = "int8";
      if (!o.quiet) {
        log << "edgeseq-convert: note: the output projection is tied to the target embedding: embeddings stored "
               "int8 so that it runs as an int8 matmul (--embeddings f16 keeps them f16)\n";
      }
    }
  }
  c.encoder_layers = static_cast<uint32_t>(layers[0]);
  c.decoder_layers = static_cast<uint32_t>(layers[1]);
  const RoleTensor* fc1 = find_role(layers[0] ? "encoder.layers.0.ffn.fc1.weight" : "decoder.layers.0.ffn.fc1.weight");
  if (!fc1) throw ConvertError("no feed-forward layer found (ffn.fc1.weight)");
  c.ffn_dim = static_cast<uint32_t>(fc1->shape[0]);
  c.encoder_final_norm = find_role("encoder.norm.weight") != nullptr;
  c.decoder_final_norm = find_role("decoder.norm.weight") != nullptr;
  c.encoder_embed_norm = find_role("encoder.embed_norm.weight") != nullptr;
  c.decoder_embed_norm = find_role("decoder.embed_norm.weight") != nullptr;
  settings.Add("d_model", std::to_string(c.d_model), Origin::kTensors, width->source);
  settings.Add("layers", std::to_string(c.encoder_layers) + " + " + std::to_string(c.decoder_layers), Origin::kTensors,
               "encoder + decoder");
  settings.Add("ffn_dim", std::to_string(c.ffn_dim), Origin::kTensors, fc1->source);
  settings.Add("vocabularies", std::to_string(c.src_vocab_size) + " / " + std::to_string(c.tgt_vocab_size),
               Origin::kTensors,
               std::string("source / target") + (c.shared_embeddings ? ", one shared embedding" : "") +
                   (c.tied_output ? ", output tied to the target embedding" : ""));
  settings.Add("final norms", std::string(c.encoder_final_norm ? "encoder" : "") +
                                  (c.encoder_final_norm && c.decoder_final_norm ? " + " : "") +
                                  (c.decoder_final_norm ? "decoder" : "") +
                                  (!c.encoder_final_norm && !c.decoder_final_norm ? "none" : ""),
               Origin::kTensors, "");
  for (const char* g : {"linear biases", "norm biases"}) {
    bool in_mapping = false;
    for (const MappingRule& r : mapping.rules) in_mapping |= r.group == g;
    if (in_mapping) {
      settings.Add(g, absent_groups.count(g) ? "none" : "present", Origin::kTensors,
                   absent_groups.count(g) ? "the checkpoint has none (bias=False): zero" : "");
    }
  }

  const bool builtin = o.map_file.empty() && !o.mapping && !ct2 && !hf && !whisper;
  const std::string layout = ct2       ? "CTranslate2's"
                             : whisper ? std::string("openai-whisper's")
                             : hf      ? "the Hugging Face " + hf->model_type + " family's"
                             : builtin ? "the " + o.arch + " layout's"
                                       : "edgeseq's";
  c.num_heads = Resolve<uint32_t>(settings, "--heads", o.heads, file.heads, std::nullopt,
                                  "a state dict does not record the number of attention heads");
  if (c.d_model % c.num_heads != 0) {
    throw ConvertError((file.heads ? file.heads->where : std::string("--heads")) + " " +
                       std::to_string(c.num_heads) + " does not divide d_model " + std::to_string(c.d_model));
  }
  const bool norm_first = Resolve<bool>(settings, "--norm-first", o.norm_first, file.norm_first, false,
                                        layout + " default (nn.Transformer norm_first=False: post-LN)");
  c.norm_placement = norm_first ? loaders::NormPlacement::kPre : loaders::NormPlacement::kPost;
  c.activation = ActivationKind(Resolve<std::string>(settings, "--activation", o.activation, file.activation,
                                                     std::string("relu"),
                                                     layout + " default (nn.Transformer activation=relu)"));
  c.norm_eps = Resolve<float>(settings, "--eps", o.eps, file.eps, 1e-5f,
                              layout + " default (nn.LayerNorm eps=1e-5)");
  if (!std::isfinite(c.norm_eps) || c.norm_eps <= 0) throw ConvertError("--eps must be finite and positive");
  SetFamilySettings(mapping.model, layers, find_role, c, settings);
  c.embedding_scale = Resolve<float>(settings, "--embedding-scale", o.embedding_scale, file.embedding_scale,
                                     sqrtf(static_cast<float>(c.d_model)),
                                     layout + " default (the tutorial's TokenEmbedding multiplies by sqrt(d_model))");
  if (!std::isfinite(c.embedding_scale) || c.embedding_scale <= 0) {
    throw ConvertError("--embedding-scale must be finite and positive");
  }
  const std::string ids = layout + " default (the tutorial's UNK 0, PAD 1, BOS 2, EOS 3)";
  c.pad_id = Resolve<int32_t>(settings, "--pad", o.pad, file.pad, 1, ids);
  c.bos_id = Resolve<int32_t>(settings, "--bos", o.bos, file.bos, 2, ids);
  c.eos_id = Resolve<int32_t>(settings, "--eos", o.eos, file.eos, 3, ids);
  const int32_t unk = Resolve<int32_t>(settings, "--unk", o.unk, file.unk, 0, ids);
  c.decoder_start_id = Resolve<int32_t>(settings, "--decoder-start", o.decoder_start, file.decoder_start, c.bos_id,
                                        "the begin-of-sequence id");
  // Every id against the vocabulary it indexes, named by its flag.
  for (const auto& [flag, id, vocab, which, optional] :
       {std::tuple<const char*, int32_t, uint32_t, const char*, bool>{
            "--pad", c.pad_id, std::min(c.src_vocab_size, c.tgt_vocab_size), "both vocabularies", true},
        {"--bos", c.bos_id, c.tgt_vocab_size, "the target vocabulary", true},
        {"--eos", c.eos_id, c.tgt_vocab_size, "the target vocabulary", false},
        {"--unk", unk, std::min(c.src_vocab_size, c.tgt_vocab_size), "both vocabularies", true},
        {"--decoder-start", c.decoder_start_id, c.tgt_vocab_size, "the target vocabulary", false}}) {
    if (optional && id == -1) continue;
    if (id < 0 || static_cast<uint32_t>(id) >= vocab) {
      throw ConvertError(std::string(flag) + " " + std::to_string(id) + " is not an id of " + which + " (ids 0 to " +
                         std::to_string(vocab - 1) + (optional ? "; -1 for none" : "") + ")");
    }
  }

  // Text conventions (header 1.1; tools/convert_conventions.h): unknown ids
  // --src-unk / --tgt-unk (default: --unk); source framing --src-prefix /
  // --src-suffix (default: with the torch-transformer layout BOS ... EOS, as
  // PyTorch's tutorial frames every source; with --map none); --src-normalize
  // (default none).
  SetTextConventions(o, builtin && o.arch == "torch-transformer", unk, c.bos_id, c.eos_id, c, settings, &file);

  // Generation defaults a Hugging Face directory records (header flags2
  // bits 3 and 4).
  if (file.forced_bos) {
    c.forced_bos_id = file.forced_bos->value;
    if (c.forced_bos_id < 0 || static_cast<uint32_t>(c.forced_bos_id) >= c.tgt_vocab_size) {
      throw ConvertError(file.forced_bos->where + " " + std::to_string(c.forced_bos_id) +
                         " is not an id of the target vocabulary");
    }
    settings.Add("forced first token", std::to_string(c.forced_bos_id), Origin::kFile, file.forced_bos->where);
  }
  if (file.never_generate_pad && file.never_generate_pad->value) {
    if (c.pad_id < 0) throw ConvertError(file.never_generate_pad->where + ": the model has no pad id");
    c.never_generate_pad = true;
    settings.Add("pad never generated", "true", Origin::kFile, file.never_generate_pad->where);
  }

  // Alignment (returned attention, unknown-token replacement): CTranslate2
  // records its own; other sources take all heads of the last layer.
  if (ct2) {
    const int heads = ct2->alignment_heads, layer = ct2->alignment_layer, L = static_cast<int>(c.decoder_layers);
    if (heads < 0 || heads > static_cast<int>(c.num_heads)) {
      throw ConvertError("decoder/alignment_heads is " + std::to_string(heads) + ", outside [0, " +
                         std::to_string(c.num_heads) + "]");
    }
    if (layer < -L || layer >= L) {
      throw ConvertError("decoder/alignment_layer is " + std::to_string(layer) + ", outside the decoder's " +
                         std::to_string(L) + " layers");
    }
    c.alignment_heads = static_cast<uint8_t>(heads == static_cast<int>(c.num_heads) ? 0 : heads);
    c.alignment_layer_back = static_cast<uint8_t>(layer < 0 ? -layer - 1 : L - 1 - layer);
  }
  // Positions: a table that a sinusoidal parameterization computes (either
  // layout, either frequency formula, first position 0 to 2) is recorded as
  // those parameters (the runtime computes it); any other table is kept as
  // learned positions, stored once for both stacks (header shared_positions).
  std::vector<float> learned_positions;
  c.position_kind = loaders::PositionKind::kNone;
  c.max_positions = o.max_positions.value_or(1024);
  if (ct2 && ct2->computed_positions) {
    // CTranslate2 computes sin | cos with 10000^(-i/(d/2-1)), positions from 1.
    c.position_kind = loaders::PositionKind::kSinusoidalConcat;
    c.position_frequencies = loaders::PositionFrequencies::kTensor2Tensor;
    c.position_offset = 1;
  }
  if (hf) {
    c.position_kind = hf->position_kind;
    c.position_frequencies = hf->position_frequencies;
    c.position_offset = hf->position_offset;
    if (hf->position_kind == loaders::PositionKind::kLearned && o.max_positions &&
        *o.max_positions != hf->max_positions) {
      throw ConvertError("--max-positions does not apply: the learned position tables hold " +
                         std::to_string(hf->max_positions) + " positions");
    }
    c.max_positions = o.max_positions.value_or(hf->max_positions);
  }
  if (log_mel) {
    // Learned tables per stack (the encoder's is Whisper's sinusoid, stored:
    // kept as it is), of different lengths.
    if (o.max_positions) {
      throw ConvertError("--max-positions does not apply: Whisper's position tables hold " +
                         std::to_string(log_mel->audio_ctx) + " and " + std::to_string(log_mel->text_ctx) + " positions");
    }
    c.encoder_input = loaders::EncoderInput::kLogMel;
    c.n_mels = log_mel->n_mels;
    c.position_kind = loaders::PositionKind::kLearned;
    c.max_positions = log_mel->audio_ctx;
    c.decoder_max_positions = log_mel->text_ctx;
  }
  if (!mapping.positions.empty()) {
    const auto it = src.find(mapping.positions);
    if (it == src.end()) throw ConvertError("1 tensor(s) missing from " + o.input + ": " + mapping.positions + " (positions)");
    const SourceTensor& p = *it->second;
    used.insert(p.name);
    uint64_t elems = static_cast<uint64_t>(p.elements());
    if (p.shape.empty() || static_cast<uint64_t>(p.shape.back()) != c.d_model || elems % c.d_model != 0) {
      throw ConvertError("position table " + p.name + " does not end in d_model " + std::to_string(c.d_model));
    }
    const uint64_t max = elems / c.d_model;
    std::vector<float> table = p.ToF32();
    CheckFinite(p.name, table);
    if (const auto match = MatchSinusoid(table, max, c.d_model)) {
      c.position_kind = match->kind;
      c.position_frequencies = match->frequencies;
      c.position_offset = match->offset;
    } else {
      c.position_kind = loaders::PositionKind::kLearned;
      c.shared_positions = true;  // the one table serves both stacks
      learned_positions = std::move(table);
    }
    // A learned table holds only its rows; a sinusoid extends past the table.
    if (o.max_positions && *o.max_positions > max && c.position_kind == loaders::PositionKind::kLearned) {
      throw ConvertError("--max-positions " + std::to_string(*o.max_positions) + " exceeds the " +
                         std::to_string(max) + " positions the learned table " + p.name + " holds");
    }
    c.max_positions = static_cast<uint32_t>(o.max_positions ? *o.max_positions : max);
    if (!learned_positions.empty()) learned_positions.resize(uint64_t{c.max_positions} * c.d_model);
  }

  {
    static const char* kPositionNames[] = {"none", "sinusoidal (interleaved)", "sinusoidal (concatenated)",
                                           "learned table"};
    if (log_mel) {
      const std::string from = whisper ? "the checkpoint's dims" : "config.json";
      settings.Add("encoder input", "log-mel features, " + std::to_string(c.n_mels) + " mels, " +
                                        std::to_string(2 * c.max_positions) + " frames (two conv1d + GELU)",
                   Origin::kFile, from + (whisper ? ".n_mels" : " num_mel_bins"));
      settings.Add("positions", "learned, one table per stack: " + std::to_string(c.max_positions) + " encoder, " +
                                    std::to_string(c.decoder_max_positions) + " decoder",
                   Origin::kFile,
                   from + (whisper ? ".n_audio_ctx, n_text_ctx" : " max_source_positions, max_target_positions"));
    } else if (hf) {
      settings.Add("positions", hf->position_detail, Origin::kFile, "config.json model_type " + hf->model_type);
    } else if (ct2 && ct2->computed_positions) {
      settings.Add("positions", std::string(kPositionNames[static_cast<int>(c.position_kind)]) +
                                    ", frequencies 10000^(-i/(d/2-1)), first position 1",
                   Origin::kFile, "model.bin stores no table: CTranslate2 computes this sinusoid");
    } else {
      settings.Add("positions", kPositionNames[static_cast<int>(c.position_kind)], Origin::kTensors,
                   mapping.positions.empty() ? "the layout has no position table" : mapping.positions);
    }
    if (!log_mel) settings.Add("--max-positions", std::to_string(c.max_positions), o.max_positions ? Origin::kFlag : Origin::kTensors,
                 o.max_positions ? ""
                 : hf            ? (hf->position_kind == loaders::PositionKind::kNone
                                        ? "config.json n_positions (a length limit: no position table)"
                                        : "config.json max_position_embeddings")
                 : mapping.positions.empty() ? "no table: 1024"
                                             : "the table's length");
  }
  for (const auto& [flag, tok, vocab] : {std::tuple<const char*, const std::optional<std::string>&, const std::string&>{
                                             "--src-tokenizer", o.src_tokenizer, o.src_vocab_file},
                                         {"--tgt-tokenizer", o.tgt_tokenizer, o.tgt_vocab_file}}) {
    if (!vocab.empty() || (ct2 && !log_mel) || tok) {
      const bool flagged = flag[2] == 's' ? given.src_tokenizer.has_value() : given.tgt_tokenizer.has_value();
      const std::optional<HfTokenizer>* dir = hf ? (flag[2] == 's' ? &hf->src_tokenizer : &hf->tgt_tokenizer) : nullptr;
      settings.Add(flag, tok.value_or("whitespace"),
                   flagged ? Origin::kFlag : tok ? Origin::kFile : Origin::kDefault,
                   flagged ? "" : tok && dir && *dir ? (*dir)->where
                           : ct2 ? "CTranslate2 reads tokens, given separated by spaces" : "tokens separated by spaces");
    }
  }
  if (o.strict) {
    const auto defaulted = settings.Defaulted();
    if (!defaulted.empty()) {
      std::string list;
      for (const auto& d : defaulted) list += (list.empty() ? "" : ", ") + d;
      throw ConvertError("--strict: " + std::to_string(defaulted.size()) +
                         " setting(s) would come from defaults, pass each explicitly: " + list);
    }
  }
  report.settings = settings.Lines();

  // Every tensor's shape against what the header implies: names both.
  for (const RoleTensor& r : roles) {
    std::vector<uint64_t> want;
    try {
      want = loaders::ExpectedShape(r.role, c, o.output);
    } catch (const loaders::EsqError& e) {
      throw ConvertError(e.what());
    }
    if (!want.empty() && want != r.shape) {
      throw ConvertError(r.source + " has shape " + ShapeString(r.shape) + " but " + r.role + " must be " +
                         ShapeString(want) + " for d_model " + std::to_string(c.d_model) + ", ffn " +
                         std::to_string(c.ffn_dim) + " (from the embeddings and " + fc1->source + ")");
    }
  }

  for (const auto& [name, t] : src) {
    if (!used.count(name)) report.unexpected.push_back(name);
  }
  // A bias group the layout did not find is a bias-free model only if the
  // file has no biases elsewhere: biases under other names are a mapping
  // problem, and dropping them would change every output.
  if (!absent_groups.empty()) {
    std::vector<std::string> stray;
    for (const auto& u : report.unexpected) {
      if (u.size() > 5 && u.compare(u.size() - 5, 5, ".bias") == 0) stray.push_back(u);
    }
    if (!stray.empty()) {
      std::string groups, names;
      for (const auto& g : absent_groups) groups += (groups.empty() ? "" : " and ") + g;
      for (size_t k = 0; k < stray.size() && k < 3; ++k) names += (k ? ", " : "") + stray[k];
      throw ConvertError("the layout finds no " + groups + ", yet the file has " + std::to_string(stray.size()) +
                         " bias tensor(s) it does not use (" + names + (stray.size() > 3 ? ", ..." : "") +
                         "): their names differ from the layout's; map them with --map (--list shows the names)");
    }
  }
  if (!report.unexpected.empty()) {
    std::string list;
    for (const auto& u : report.unexpected) list += (list.empty() ? "" : ", ") + u;
    if (hf) {
      throw ConvertError(o.input + ": the weights hold " + std::to_string(report.unexpected.size()) +
                         " tensor(s) the Hugging Face " + hf->model_type + " mapping does not know, so the model may "
                         "compute something edgeseq does not: " + list);
    }
    if (ct2) {
      throw ConvertError(o.input + ": model.bin holds " + std::to_string(report.unexpected.size()) +
                         " variable(s) the CTranslate2 Transformer mapping does not know, so the model may compute "
                         "something edgeseq does not: " + list);
    }
    const std::string msg = std::to_string(report.unexpected.size()) + " unexpected tensor(s) not converted: " + list;
    if (o.strict) throw ConvertError(msg);
    log << "edgeseq-convert: warning: " << msg << "\n";
  }

  FoldFamilyConventions(mapping.model, c, roles, log, o.quiet);

  // Output dtypes and quantization.
  loaders::EsqContents out;
  out.config = c;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> keep;
  std::vector<std::unique_ptr<std::vector<float>>> keep_scales;
  size_t kept_int8 = 0;
  auto emit = [&](const std::string& role, const std::vector<uint64_t>& shape, const std::vector<float>& v,
                  const RoleTensor* stored = nullptr) {
    const bool matmul = IsMatmulWeight(role);
    const bool output = role == "decoder.output_projection.weight";
    const bool embedding = role == "encoder.embed_tokens.weight" || role == "decoder.embed_tokens.weight";
    const std::string& type = matmul ? o.quantize : output ? output_type : embedding ? embeddings_type : "f32";
    const DType dt = type == "int8" ? DType::kI8 : type == "f16" ? DType::kF16 : DType::kF32;
    loaders::TensorToWrite t;
    t.name = role;
    t.dims = shape;
    t.dtype = dt;
    const uint64_t cols = shape.back(), rows = v.size() / cols;
    auto buf = std::make_unique<std::vector<uint8_t>>(v.size() * loaders::DTypeSize(dt));
    if (dt == DType::kF32) {
      memcpy(buf->data(), v.data(), v.size() * 4);
    } else if (dt == DType::kF16 && !FitsHalf(v)) {
      // f16 would turn these weights into infinities: this tensor stays f32.
      t.dtype = DType::kF32;
      buf->resize(v.size() * 4);
      memcpy(buf->data(), v.data(), v.size() * 4);
      float amax = 0;
      for (float x : v) amax = std::max(amax, fabsf(x));
      log << "edgeseq-convert: note: " << role << " stays f32: its largest weight " << amax
          << " exceeds f16's range (65504)\n";
      report.tensors.push_back({role, "f32 (beyond f16's range)", 0, 0});
    } else if (dt == DType::kF16) {
      QuantReport q{role, "f16", 0, 0};
      for (size_t k = 0; k < v.size(); ++k) {
        const uint16_t h = loaders::FloatToHalf(v[k]);
        memcpy(buf->data() + 2 * k, &h, 2);
      }
      report.tensors.push_back(q);
    } else if (stored && stored->q.size() == v.size() && stored->q_scales.size() == rows) {
      // The input's own int8 values and per-row scales: no second rounding.
      memcpy(buf->data(), stored->q.data(), stored->q.size());
      auto scales = std::make_unique<std::vector<float>>(stored->q_scales);
      report.tensors.push_back({role, "int8 (the input's values and scales, 8-bit, kept as stored)", 0, 0});
      t.scales = scales->data();
      keep_scales.push_back(std::move(scales));
      ++kept_int8;
    } else {
      auto scales = std::make_unique<std::vector<float>>(rows);
      auto* q8 = reinterpret_cast<int8_t*>(buf->data());
      ops::QuantizeRowsS8(v.data(), rows, cols, q8, scales->data(), weight_qmax);
      QuantReport q{role, "int8", 0, 0};
      double sum = 0;
      for (uint64_t r = 0; r < rows; ++r) {
        const float amax = (*scales)[r] * static_cast<float>(weight_qmax);
        for (uint64_t k = 0; k < cols; ++k) {
          const double err = amax > 0 ? fabs(v[r * cols + k] - q8[r * cols + k] * (*scales)[r]) / amax : 0.0;
          q.max_rel_error = std::max(q.max_rel_error, err);
          sum += err;
        }
      }
      q.mean_rel_error = sum / static_cast<double>(v.size());
      report.tensors.push_back(q);
      t.scales = scales->data();
      keep_scales.push_back(std::move(scales));
    }
    t.data = buf->data();
    keep.push_back(std::move(buf));
    out.tensors.push_back(std::move(t));
  };
  const size_t total = roles.size();
  for (size_t k = 0; k < total; ++k) {
    emit(roles[k].role, roles[k].shape, roles[k].values, &roles[k]);
    if (o.progress) {
      const int width = 30, done = static_cast<int>((k + 1) * width / total);
      log << "\r[" << std::string(done, '#') << std::string(width - done, ' ') << "] " << (k + 1) << "/" << total
          << " tensors" << std::flush;
    }
  }
  if (o.progress) log << "\n";
  if (!learned_positions.empty()) {
    const std::vector<uint64_t> shape = {c.max_positions, c.d_model};
    emit("encoder.embed_positions.weight", shape, learned_positions);  // decoder too: shared_positions
  }
  if (kept_int8 && !o.quiet) {
    log << "edgeseq-convert: note: " << kept_int8 << " int8 tensor(s) keep the input's own 8-bit values and "
        << "scales (|q| <= 127); --weight-bits " << o.weight_bits << " applies only to weights quantized here\n";
  }
  if (!o.src_vocab_file.empty()) out.src_vocab = ReadVocab(o.src_vocab_file, c.src_vocab_size, "source");
  if (!o.tgt_vocab_file.empty()) out.tgt_vocab = ReadVocab(o.tgt_vocab_file, c.tgt_vocab_size, "target");
  if (ct2 && !ct2->log_mel) {
    // The directory's vocabularies, as CTranslate2 reads them.
    for (const auto& [vocab, size, file_name, slot, given] :
         {std::tuple<const std::vector<std::string>&, uint32_t, const std::string&,
                     std::optional<std::vector<std::string>>*, bool>{ct2->src_vocab, c.src_vocab_size,
                                                                     ct2->src_vocab_file, &out.src_vocab,
                                                                     !o.src_vocab_file.empty()},
          {ct2->tgt_vocab, c.tgt_vocab_size, ct2->tgt_vocab_file, &out.tgt_vocab, !o.tgt_vocab_file.empty()}}) {
      if (given) continue;
      if (vocab.size() != size) {
        throw ConvertError(file_name + " has " + std::to_string(vocab.size()) + " tokens (with <unk> if CTranslate2 " +
                           "appends it), the model's embedding has " + std::to_string(size) + " rows");
      }
      *slot = vocab;
    }
  }
  if (hf) {
    // The directory's vocabularies (a side's flags win: above, or the
    // tokenizer's own numbering for a --src-tokenizer / --tgt-tokenizer).
    for (const auto& [side, size, slot, flagged, which] :
         {std::tuple<const std::optional<HfTokenizer>&, uint32_t, std::optional<std::vector<std::string>>*, bool,
                     const char*>{hf->src_tokenizer, c.src_vocab_size, &out.src_vocab,
                                  !o.src_vocab_file.empty() || given.src_tokenizer.has_value(), "source"},
          {hf->tgt_tokenizer, c.tgt_vocab_size, &out.tgt_vocab,
           !o.tgt_vocab_file.empty() || given.tgt_tokenizer.has_value(), "target"}}) {
      if (flagged || !side || side->vocab.empty()) continue;
      if (side->vocab.size() != size) {
        throw ConvertError(o.input + ": the tokenizer's " + side->where + " has " + std::to_string(side->vocab.size()) +
                           " tokens, the model's " + which + " embedding has " + std::to_string(size) + " rows");
      }
      *slot = side->vocab;
    }
  }
  // SentencePiece and byte-level BPE sides carry their tokenizer; without a
  // vocabulary file the tokenizer's own numbering is the model's (the .model
  // file's ids; vocab.json / tokenizer.json ids; tiktoken ranks, then
  // SPECIALS.txt).
  for (const auto& [flag, tok, vocab, model, size, which] :
       {std::tuple<const char*, const std::optional<std::string>&, std::optional<std::vector<std::string>>*,
                   std::string*, uint32_t, const char*>{"--src-tokenizer", o.src_tokenizer, &out.src_vocab,
                                                        &out.src_tokenizer_model, c.src_vocab_size, "source"},
        {"--tgt-tokenizer", o.tgt_tokenizer, &out.tgt_vocab, &out.tgt_tokenizer_model, c.tgt_vocab_size, "target"}}) {
    if (!tok || !loaders::TokenizerHasModel(TokenizerKind(flag, *tok))) continue;
    std::vector<std::string> own;
    if (TokenizerKind(flag, *tok) == loaders::TokenizerKind::kSentencePiece) {
      SentencePieceFile sp = ReadSentencePiece(flag, *tok);
      own = std::move(sp.pieces);
      *model = std::move(sp.bytes);
    } else {
      // A Whisper target from a bare .tiktoken file gets Whisper's special
      // tokens after it (tools/convert_whisper.h).
      const bool whisper_tiktoken = log_mel && which[0] == 't' && !*vocab && tok->rfind("tiktoken:", 0) == 0 &&
                                    tok->find(',') == std::string::npos;
      // A Hugging Face Whisper directory's own files: the same (whisper-dir:,
      // set by the directory reader).
      if (IsWhisperDirTokenizerSpec(*tok) && (!log_mel || which[0] != 't' || *vocab)) {
        throw ConvertError(std::string(flag) + " " + *tok + ": only a Whisper model's target reads a Whisper directory's "
                           "tokenizer (without --tgt-vocab)");
      }
      BpeTokenizerFile bpe = whisper_tiktoken              ? WhisperTiktoken(flag, tok->substr(9), size)
                             : IsWhisperDirTokenizerSpec(*tok) ? WhisperDirTokenizer(flag, *tok, size)
                                                               : ReadBpeTokenizer(flag, *tok, *vocab ? &**vocab : nullptr);
      own = std::move(bpe.vocab);
      *model = std::move(bpe.section);
    }
    if (!*vocab) {
      if (own.size() != size) {
        throw ConvertError(std::string(flag) + ": the tokenizer has " + std::to_string(own.size()) +
                           " tokens, the model's " + which + " embedding " + std::to_string(size) +
                           " rows; give the model's own vocabulary (--" + (which[0] == 's' ? "src" : "tgt") +
                           "-vocab) to map tokens to its ids");
      }
      *vocab = std::move(own);
    }
  }
  if (hf) {
    // Section 9: the directory's special tokens and languages, by their ids
    // in the vocabularies written (a side given by flags has none).
    loaders::TextTokens t;
    auto ids_of = [](const std::optional<std::vector<std::string>>& vocab, const std::vector<std::string>& texts) {
      std::vector<int32_t> ids;
      if (!vocab) return ids;
      for (const std::string& text : texts) {
        const auto it = std::find(vocab->begin(), vocab->end(), text);
        if (it != vocab->end()) ids.push_back(static_cast<int32_t>(it - vocab->begin()));
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      return ids;
    };
    const bool src_dir = hf->src_tokenizer && !given.src_tokenizer && o.src_vocab_file.empty();
    const bool tgt_dir = hf->tgt_tokenizer && !given.tgt_tokenizer && o.tgt_vocab_file.empty();
    if (src_dir) t.src_special = ids_of(out.src_vocab, hf->src_tokenizer->special);
    if (tgt_dir) t.tgt_special = ids_of(out.tgt_vocab, hf->tgt_tokenizer->special);
    if (src_dir && tgt_dir) {
      for (const std::string& name : hf->languages) {
        const std::vector<int32_t> s = ids_of(out.src_vocab, {name}), g = ids_of(out.tgt_vocab, {name});
        if (!s.empty() || !g.empty()) t.languages.push_back({s.empty() ? -1 : s[0], g.empty() ? -1 : g[0]});
      }
      if (!t.languages.empty()) {
        t.source_place = hf->source_language_place;
        t.target_place = hf->target_language_place;
      }
    }
    if (!t.src_special.empty() || !t.tgt_special.empty() || !t.languages.empty()) out.text_tokens = std::move(t);
  }
  if (out.src_vocab || out.tgt_vocab) {
    out.tokenizer = {{TokenizerKind("--src-tokenizer", o.src_tokenizer.value_or("whitespace")),
                      TokenizerKind("--tgt-tokenizer", o.tgt_tokenizer.value_or("whitespace"))}};
  }
  try {
    loaders::WriteEsq(o.output, out);
  } catch (const loaders::EsqError& e) {
    // The writer names its temporary file; the user knows only the output.
    std::string what = e.what();
    const std::string tmp = o.output + ".tmp.";
    for (size_t at = what.find(tmp); at != std::string::npos; at = what.find(tmp, at)) {
      size_t end = at + tmp.size();
      while (end < what.size() && isalnum(static_cast<unsigned char>(what[end]))) ++end;
      what.replace(at, end - at, o.output);
    }
    throw ConvertError(what);
  }
  report.output_bytes = loaders::EsqFile::Open(o.output).file_size();
  return report;
}

void ListCheckpoint(const std::string& input, const std::string& key, std::ostream& out) {
  loaders::Checkpoint ck;
  try {
    if (IsCt2ModelDir(input)) {
      ck = loaders::ReadCt2ModelBin(input + "/model.bin").checkpoint;
    } else if (IsHfModelDir(input)) {
      ck = loaders::ReadHfWeights(input);
    } else {
      ck = loaders::ReadCheckpoint(input, key);
    }
  } catch (const loaders::CheckpointError& e) {
    throw ConvertError(e.what());
  }
  out << input << ": " << ck.format << ", " << ck.root << "\n";
  if (!ck.keys.empty()) {
    std::string keys;
    for (const auto& k : ck.keys) keys += (keys.empty() ? "" : ", ") + k;
    out << "top-level keys: " << keys << "\n";
  }
  size_t width = 0;
  for (const SourceTensor& t : ck.tensors) width = std::max(width, t.name.size());
  out << ck.tensors.size() << " tensors:\n";
  for (const SourceTensor& t : ck.tensors) {
    std::vector<uint64_t> shape(t.shape.begin(), t.shape.end());
    out << "  " << t.name << std::string(width - t.name.size() + 2, ' ') << loaders::pickle::StorageTypeName(t.type)
        << "  " << ShapeString(shape) << "\n";
  }
  if (!ck.modules.empty()) {
    const FileSettings f = ReadFileSettings(ck.modules);
    out << "settings the pickled modules record:\n";
    if (f.heads) out << "  heads " << f.heads->value << " (" << f.heads->where << ")\n";
    if (f.norm_first) out << "  norm_first " << FormatValue(f.norm_first->value) << " (" << f.norm_first->where << ")\n";
    if (f.activation) out << "  activation " << f.activation->value << " (" << f.activation->where << ")\n";
    if (f.eps) out << "  eps " << FormatValue(f.eps->value) << " (" << f.eps->where << ")\n";
    if (f.pad) out << "  pad " << f.pad->value << " (" << f.pad->where << ")\n";
  }
}

}  // namespace edgeseq::tools
