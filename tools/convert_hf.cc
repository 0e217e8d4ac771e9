#include "tools/convert_hf.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "loaders/mapped_file.h"
#include "loaders/checkpoint_hf.h"
#include "tools/convert.h"
#include "tools/convert_conventions.h"
#include "tools/json_file.h"
#include "runtime/error.h"
#include "runtime/sentencepiece_tokenizer.h"
#include "tools/convert_t5.h"

namespace edgeseq::tools {
namespace {

using loaders::SourceTensor;

// config.json, and generation_config.json when present (its values win for
// the generation settings, as they do in Hugging Face's generate). Every
// value is checked against a range before use: a config is input like any
// other file.
class HfConfig {
 public:
  explicit HfConfig(const std::string& dir) : dir_(dir), path_(dir + "/config.json"), config_(ReadJsonObject(path_)) {
    gen_path_ = dir + "/generation_config.json";
    if (loaders::IsRegularFile(gen_path_)) generation_ = ReadJsonObject(gen_path_);
  }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }
  const nlohmann::json& json() const { return config_; }
  bool has_generation() const { return generation_.is_object(); }

  // A non-null entry; from generation_config.json first when `generation`.
  const nlohmann::json* Find(const char* key, bool generation, std::string* where) const {
    if (generation && generation_.is_object() && generation_.contains(key) && !generation_[key].is_null()) {
      *where = "generation_config.json " + std::string(key);
      return &generation_[key];
    }
    if (config_.contains(key) && !config_[key].is_null()) {
      *where = "config.json " + std::string(key);
      return &config_[key];
    }
    return nullptr;
  }
  std::optional<FileValue<int64_t>> Int(const char* key, int64_t lo, int64_t hi, bool generation = false) const {
    std::string where;
    const nlohmann::json* v = Find(key, generation, &where);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) throw ConvertError(where + " is not an integer");
    const int64_t x = v->get<int64_t>();
    if (x < lo || x > hi) {
      throw ConvertError(where + " is " + std::to_string(x) + ", outside [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]");
    }
    return FileValue<int64_t>{x, where};
  }
  FileValue<int64_t> RequireInt(const char* key, int64_t lo, int64_t hi, bool generation = false) const {
    auto v = Int(key, lo, hi, generation);
    if (!v) throw ConvertError(path_ + ": no " + key);
    return *v;
  }
  std::optional<FileValue<bool>> Bool(const char* key) const {
    std::string where;
    const nlohmann::json* v = Find(key, false, &where);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) throw ConvertError(where + " is not true or false");
    return FileValue<bool>{v->get<bool>(), where};
  }
  std::optional<FileValue<std::string>> String(const char* key) const {
    std::string where;
    const nlohmann::json* v = Find(key, false, &where);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw ConvertError(where + " is not a string");
    return FileValue<std::string>{v->get<std::string>(), where};
  }
  // Keys of generation_config.json present (non-null) that edgeseq does not record.
  std::vector<std::string> GenerationKeys(const std::set<std::string>& recorded) const {
    std::vector<std::string> out;
    if (!generation_.is_object()) return out;
    for (const auto& [k, v] : generation_.items()) {
      if (!v.is_null() && !recorded.count(k) && k != "_from_model_config" && k != "transformers_version") {
        out.push_back(k);
      }
    }
    return out;
  }

 private:
  std::string dir_, path_, gen_path_;
  nlohmann::json config_, generation_;
};

// What distinguishes the BART-like families (one encoder-decoder with
// q/k/v/out projections, fc1/fc2 and layer norms under the same names).
struct BartLike {
  bool norm_first;   // pre-LN (normalize_before)
  bool final_norms;  // model.encoder.layer_norm / model.decoder.layer_norm
  bool embed_norm;   // layernorm_embedding after embedding + positions
  enum class Positions { kLearnedOffset2, kMarianSinusoid, kFairseqSinusoid } positions;
  bool scale_default;  // scale_embedding when config.json does not say
  bool bos_prefix;     // sources are <s> ... </s> (BART) rather than ... </s>
  const char* framing_note;  // what the source framing leaves to the caller
};

std::string ActivationOf(const FileValue<std::string>& a) {
  const std::string& s = a.value;
  if (s == "relu") return "relu";
  if (s == "gelu") return "gelu";  // exact (erf)
  if (s == "gelu_new" || s == "gelu_pytorch_tanh") return "gelu_tanh";
  if (s == "swish" || s == "silu") return "silu";
  throw ConvertError(a.where + " '" + s + "' is not an activation edgeseq runs (relu, gelu, gelu_new, swish/silu)");
}

// Layer indices of "<prefix>layers.<i>." names: the count (max + 1).
uint64_t LayerCount(const std::vector<SourceTensor>& tensors, const std::string& prefix) {
  uint64_t n = 0;
  for (const SourceTensor& t : tensors) {
    if (t.name.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t dot = t.name.find('.', prefix.size());
    const std::string mid = t.name.substr(prefix.size(), dot == std::string::npos ? dot : dot - prefix.size());
    if (mid.empty() || mid.size() > 6 || !std::all_of(mid.begin(), mid.end(), ::isdigit)) continue;
    n = std::max<uint64_t>(n, std::stoull(mid) + 1);
  }
  return n;
}

// config.json's sizes against the tensors (layers counted under P); sets
// the heads. Returns d_model.
FileValue<int64_t> CheckSizes(const HfConfig& cfg, const std::string& P, HfSource& s) {
  const auto d = cfg.RequireInt("d_model", 1, loaders::Limits::kMaxDModel);
  const auto enc_heads = cfg.RequireInt("encoder_attention_heads", 1, loaders::Limits::kMaxHeads);
  const auto dec_heads = cfg.RequireInt("decoder_attention_heads", 1, loaders::Limits::kMaxHeads);
  if (enc_heads.value != dec_heads.value) {
    throw ConvertError(cfg.path() + ": encoder_attention_heads " + std::to_string(enc_heads.value) +
                       " and decoder_attention_heads " + std::to_string(dec_heads.value) +
                       " differ: edgeseq runs one head count");
  }
  if (d.value % enc_heads.value != 0) {
    throw ConvertError(cfg.path() + ": " + std::to_string(enc_heads.value) + " heads do not divide d_model " +
                       std::to_string(d.value));
  }
  s.file.heads = FileValue<uint32_t>{static_cast<uint32_t>(enc_heads.value), enc_heads.where};
  const auto enc_ffn = cfg.Int("encoder_ffn_dim", 1, loaders::Limits::kMaxFfn);
  const auto dec_ffn = cfg.Int("decoder_ffn_dim", 1, loaders::Limits::kMaxFfn);
  if (enc_ffn && dec_ffn && enc_ffn->value != dec_ffn->value) {
    throw ConvertError(cfg.path() + ": encoder_ffn_dim and decoder_ffn_dim differ: edgeseq runs one width");
  }
  for (const auto& [key, stack] : {std::pair<const char*, const char*>{"encoder_layers", "encoder"},
                                   {"decoder_layers", "decoder"}}) {
    const auto want = cfg.RequireInt(key, 1, loaders::Limits::kMaxLayers);
    const uint64_t got = LayerCount(s.checkpoint.tensors, P + stack + ".layers.");
    if (got != static_cast<uint64_t>(want.value)) {
      throw ConvertError(want.where + " is " + std::to_string(want.value) + " but the weights hold " +
                         std::to_string(got) + " " + stack + " layers");
    }
  }

  return d;
}

// The family's positions: learned tables trimmed to the rows read, or a
// sinusoid the runtime computes (a stored one checked against it).
void ReadPositions(const BartLike& f, const HfConfig& cfg, const FileValue<int64_t>& d, const std::string& P,
                   const std::map<std::string, SourceTensor*>& by_name, HfSource& s) {
  auto has = [&](const std::string& n) { return by_name.count(n) != 0; };
  const auto max_pos = cfg.RequireInt("max_position_embeddings", 1, loaders::Limits::kMaxPositions);
  s.max_positions = static_cast<uint32_t>(max_pos.value);
  const auto pad = cfg.Int("pad_token_id", 0, loaders::Limits::kMaxVocab - 1);
  switch (f.positions) {
    case BartLike::Positions::kLearnedOffset2:
      // BartLearnedPositionalEmbedding: position t reads row t + 2 (fairseq
      // reserved two rows); the first two rows are never read, so they are
      // dropped and row t is position t.
      for (const char* stack : {"encoder", "decoder"}) {
        const std::string name = P + stack + ".embed_positions.weight";
        const auto it = by_name.find(name);
        if (it == by_name.end()) continue;  // reported missing by the mapping
        SourceTensor& t = *it->second;
        if (t.shape.size() != 2 || t.shape[1] != d.value || t.shape[0] != max_pos.value + 2) {
          throw ConvertError(name + " is not [max_position_embeddings + 2 = " + std::to_string(max_pos.value + 2) +
                             ", d_model " + std::to_string(d.value) + "]");
        }
        std::vector<uint8_t> bytes;
        try {
          bytes = t.Bytes();
        } catch (const loaders::CheckpointError& e) {
          throw ConvertError(e.what());
        }
        const size_t row = bytes.size() / static_cast<size_t>(t.shape[0]);
        bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(2 * row));
        t = SourceTensor::FromBytes(name, t.type, {t.shape[0] - 2, t.shape[1]}, std::move(bytes));
      }
      s.position_kind = loaders::PositionKind::kLearned;
      s.position_detail = "learned, one table per stack (offset 2: the first 2 rows dropped)";
      break;
    case BartLike::Positions::kMarianSinusoid: {
      // MarianSinusoidalPositionalEmbedding: sin | cos halves, frequencies
      // 10000^(-2i/d), positions from 0. Files usually store the table; it
      // must be that sinusoid (the runtime computes it).
      s.position_kind = loaders::PositionKind::kSinusoidalConcat;
      s.position_frequencies = loaders::PositionFrequencies::kPaper;
      s.position_offset = 0;
      for (const char* stack : {"encoder", "decoder"}) {
        const std::string name = P + stack + ".embed_positions.weight";
        const auto it = by_name.find(name);
        if (it == by_name.end()) continue;
        const SourceTensor& t = *it->second;
        std::vector<float> table;
        try {
          table = t.ToF32();
        } catch (const loaders::CheckpointError& e) {
          throw ConvertError(e.what());
        }
        const uint64_t rows = t.shape.empty() ? 0 : static_cast<uint64_t>(t.shape[0]);
        const auto m = t.shape.size() == 2 && t.shape[1] == d.value
                           ? MatchSinusoid(table, rows, static_cast<uint32_t>(d.value), 0)
                           : std::nullopt;
        if (!m || m->kind != s.position_kind || m->frequencies != s.position_frequencies) {
          throw ConvertError(name + " is not Marian's sinusoid (sin | cos, 10000^(-2i/d), from position 0): "
                             "edgeseq computes that table and would not reproduce this one");
        }
        s.consumed.insert(name);
      }
      s.position_detail = "sinusoidal, sin | cos, frequencies 10000^(-2i/d), first position 0 (Marian; computed)";
      break;
    }
    case BartLike::Positions::kFairseqSinusoid: {
      // M2M100SinusoidalPositionalEmbedding: sin | cos halves, frequencies
      // 10000^(-i/(d/2-1)); token t (no padding inside a sequence) is
      // position padding_idx + 1 + t. Not stored (a non-persistent buffer).
      if (!pad) throw ConvertError(cfg.path() + ": no pad_token_id: M2M100 positions start at padding_idx + 1");
      s.position_kind = loaders::PositionKind::kSinusoidalConcat;
      s.position_frequencies = loaders::PositionFrequencies::kTensor2Tensor;
      s.position_offset = static_cast<uint32_t>(pad->value + 1);
      for (const char* stack : {"encoder", "decoder"}) {
        for (const char* leaf :
             {".embed_positions.weights", ".embed_positions.weight", ".embed_positions._float_tensor"}) {
          if (has(P + stack + leaf)) s.consumed.insert(P + stack + leaf);
        }
      }
      s.position_detail = "sinusoidal, sin | cos, frequencies 10000^(-i/(d/2-1)), first position " +
                          std::to_string(s.position_offset) + " (padding_idx + 1, " + pad->where + "; computed)";
      break;
    }
  }

}

// Hugging Face's BART-family names onto the .esq roles.
Mapping BartLikeMapping(const BartLike& f, const std::string& P, const std::string& enc_emb,
                        const std::string& dec_emb, bool tied) {
  Mapping m;
  auto add = [&](std::string role, std::vector<std::string> sources, bool optional = false) {
    m.rules.push_back({std::move(role), std::move(sources), 1, {}, optional, ""});
  };
  add("encoder.embed_tokens.weight", {enc_emb});
  add("decoder.embed_tokens.weight", {dec_emb});
  if (!tied) add("decoder.output_projection.weight", {"lm_head.weight"});
  add("decoder.output_projection.bias", {"final_logits_bias"}, /*optional=*/true);
  auto linear = [&](const std::string& ours, std::vector<std::string> theirs) {
    std::vector<std::string> w, b;
    for (const std::string& t : theirs) {
      w.push_back(t + ".weight");
      b.push_back(t + ".bias");
    }
    add(ours + ".weight", w);
    add(ours + ".bias", b);
  };
  auto norm = [&](const std::string& ours, const std::string& theirs) { linear(ours, {theirs}); };
  for (const std::string stack : {"encoder", "decoder"}) {
    const std::string ours = stack + ".layers.{i}.", theirs = P + stack + ".layers.{i}.";
    linear(ours + "self_attn.qkv_proj",
           {theirs + "self_attn.q_proj", theirs + "self_attn.k_proj", theirs + "self_attn.v_proj"});
    linear(ours + "self_attn.out_proj", {theirs + "self_attn.out_proj"});
    norm(ours + "self_attn_norm", theirs + "self_attn_layer_norm");
    linear(ours + "ffn.fc1", {theirs + "fc1"});
    linear(ours + "ffn.fc2", {theirs + "fc2"});
    norm(ours + "ffn_norm", theirs + "final_layer_norm");
    if (f.final_norms) norm(stack + ".norm", P + stack + ".layer_norm");
    if (f.embed_norm) norm(stack + ".embed_norm", P + stack + ".layernorm_embedding");
    if (f.positions == BartLike::Positions::kLearnedOffset2) {
      add(stack + ".embed_positions.weight", {P + stack + ".embed_positions.weight"});
    }
  }
  linear("decoder.layers.{i}.cross_attn.q_proj", {P + "decoder.layers.{i}.encoder_attn.q_proj"});
  linear("decoder.layers.{i}.cross_attn.kv_proj",
         {P + "decoder.layers.{i}.encoder_attn.k_proj", P + "decoder.layers.{i}.encoder_attn.v_proj"});
  linear("decoder.layers.{i}.cross_attn.out_proj", {P + "decoder.layers.{i}.encoder_attn.out_proj"});
  norm("decoder.layers.{i}.cross_attn_norm", P + "decoder.layers.{i}.encoder_attn_layer_norm");
  return m;
}

// Special ids (generation_config.json first, as generate() reads them) and
// the generation defaults the format holds (forced first token, pad never
// generated); the others are listed in a note. Shared by every family.
void ReadSpecialIds(const HfConfig& cfg, HfSource& s) {
  const int64_t vmax = loaders::Limits::kMaxVocab - 1;
  auto id = [&](const char* key, bool required) -> std::optional<FileValue<int32_t>> {
    const auto v = cfg.Int(key, 0, vmax, /*generation=*/true);
    if (!v) {
      if (required) throw ConvertError(cfg.path() + ": no " + key);
      return std::nullopt;
    }
    return FileValue<int32_t>{static_cast<int32_t>(v->value), v->where};
  };
  s.file.pad = id("pad_token_id", true);
  {
    // generation_config.json may list several end ids ([2, 3]): the first is
    // the model's EOS; the others are end tokens the caller passes.
    std::string where;
    const nlohmann::json* eos = cfg.Find("eos_token_id", true, &where);
    if (eos && eos->is_array() && !eos->empty() && std::all_of(eos->begin(), eos->end(), [&](const auto& v) {
          return v.is_number_integer() && v.template get<int64_t>() >= 0 && v.template get<int64_t>() <= vmax;
        })) {
      s.file.eos = FileValue<int32_t>{(*eos)[0].get<int32_t>(), where + "[0]"};
      if (eos->size() > 1) {
        s.notes.push_back(where + " lists " + std::to_string(eos->size()) + " end ids: the first is the model's EOS, "
                          "the others are not recorded (pass them as --end-token)");
      }
    } else {
      s.file.eos = id("eos_token_id", true);
    }
  }
  s.file.bos = id("bos_token_id", false);
  if (!s.file.bos) s.file.bos = FileValue<int32_t>{-1, "no bos_token_id"};
  s.file.decoder_start = id("decoder_start_token_id", true);
  // Ids only unless the family's tokenizer files are read (ReadTokenizerFiles
  // sets the unknown token from their vocabulary).
  s.file.unk = s.file.src_unk = s.file.tgt_unk = FileValue<int32_t>{-1, "ids only: no vocabulary in the model"};
  // Generation defaults.
  std::set<std::string> recorded = {"pad_token_id", "eos_token_id", "bos_token_id", "decoder_start_token_id"};
  std::vector<std::string> left;
  if (const auto forced = cfg.Int("forced_bos_token_id", 0, vmax, true)) {
    s.file.forced_bos = FileValue<int32_t>{static_cast<int32_t>(forced->value), forced->where};
  }
  recorded.insert("forced_bos_token_id");
  // bad_words_ids: the one rule the format holds is "never the pad" (Marian's
  // [[pad]]); any other list is left to the caller (--suppress).
  std::string bad_where;
  if (const nlohmann::json* bad = cfg.Find("bad_words_ids", true, &bad_where)) {
    if (*bad == nlohmann::json::array({nlohmann::json::array({s.file.pad->value})})) {
      s.file.never_generate_pad = FileValue<bool>{true, bad_where + " [[pad]]"};
      recorded.insert("bad_words_ids");
    }
  } else if (s.model_type == "marian") {
    // MarianMTModel masks the pad in every step whatever the config says.
    s.file.never_generate_pad = FileValue<bool>{true, "MarianMTModel (its logits never allow the pad)"};
  }
  for (const std::string& k : cfg.GenerationKeys(recorded)) left.push_back(k);
  if (!left.empty()) {
    std::string list;
    for (const auto& k : left) list += (list.empty() ? "" : ", ") + k;
    s.notes.push_back("generation_config.json settings not recorded in the model (pass them as decoding options): " +
                      list);
  }
}

void ReadBartLike(const BartLike& f, const HfConfig& cfg, HfSource& s) {
  std::map<std::string, SourceTensor*> by_name;
  for (SourceTensor& t : s.checkpoint.tensors) by_name[t.name] = &t;
  // ForConditionalGeneration checkpoints prefix the model with "model.";
  // a bare model (BartModel.save_pretrained) has none.
  std::string P = "model.";
  if (std::none_of(by_name.begin(), by_name.end(), [](const auto& e) { return e.first.rfind("model.", 0) == 0; })) {
    P = "";
  }
  auto has = [&](const std::string& n) { return by_name.count(n) != 0; };

  const FileValue<int64_t> d = CheckSizes(cfg, P, s);

  // Embeddings: Hugging Face ties model.shared, the encoder's and decoder's
  // embed_tokens (and lm_head) to one Parameter; a file holds whichever of
  // the aliases its writer kept. Marian with separate vocabularies has its
  // own decoder table.
  auto first_of = [&](std::initializer_list<std::string> names) -> std::string {
    for (const std::string& n : names) {
      if (has(n)) return n;
    }
    return *names.begin();  // reported missing under its usual name
  };
  const std::string enc_emb = first_of({P + "encoder.embed_tokens.weight", P + "shared.weight"});
  const std::string dec_emb = first_of({P + "decoder.embed_tokens.weight", P + "shared.weight"});
  for (const std::string& alias :
       {P + "shared.weight", P + "encoder.embed_tokens.weight", P + "decoder.embed_tokens.weight"}) {
    if (alias != enc_emb && alias != dec_emb && has(alias)) s.consumed.insert(alias);
  }
  if (has(enc_emb)) {
    const SourceTensor& e = *by_name[enc_emb];
    if (e.shape.size() != 2 || e.shape[1] != d.value) {
      throw ConvertError(enc_emb + " is not [vocab, d_model " + std::to_string(d.value) + "]");
    }
    if (const auto v = cfg.Int("vocab_size", 1, loaders::Limits::kMaxVocab); v && v->value != e.shape[0]) {
      throw ConvertError(v->where + " is " + std::to_string(v->value) + " but " + enc_emb + " has " +
                         std::to_string(e.shape[0]) + " rows");
    }
  }
  // Marian with separate vocabularies sizes the decoder's by decoder_vocab_size.
  if (const auto v = cfg.Int("decoder_vocab_size", 1, loaders::Limits::kMaxVocab); v && has(dec_emb)) {
    const SourceTensor& e = *by_name[dec_emb];
    if (e.shape.empty() || v->value != e.shape[0]) {
      throw ConvertError(v->where + " is " + std::to_string(v->value) + " but " + dec_emb + " has " +
                         (e.shape.empty() ? std::string("no") : std::to_string(e.shape[0])) + " rows");
    }
  }
  const auto tie = cfg.Bool("tie_word_embeddings");
  const bool tied = !tie || tie->value;  // PretrainedConfig's default: tied
  if (tied && has("lm_head.weight")) {
    s.consumed.insert("lm_head.weight");  // Hugging Face overwrites it with the decoder embedding
    s.notes.push_back("lm_head.weight is tied to " + dec_emb + " (" +
                      (tie ? tie->where : std::string("tie_word_embeddings defaults to true")) + "): not stored twice");
  }

  ReadPositions(f, cfg, d, P, by_name, s);
  s.mapping = BartLikeMapping(f, P, enc_emb, dec_emb, tied);
  // final_logits_bias [1, V] is added to the logits: the output bias [V].
  if (const auto it = by_name.find("final_logits_bias"); it != by_name.end()) {
    SourceTensor& t = *it->second;
    if (t.shape.size() != 2 || t.shape[0] != 1) throw ConvertError("final_logits_bias is not [1, vocab]");
    t.shape = {t.shape[1]};  // same bytes, one row fewer dimension
  }

  // Settings.
  const std::string family = "the " + s.model_type + " family";
  s.file.norm_first = FileValue<bool>{f.norm_first, family + (f.norm_first ? " (pre-LN)" : " (post-LN)")};
  if (const auto nb = cfg.Bool("normalize_before"); nb && nb->value != f.norm_first) {
    throw ConvertError(nb->where + " is " + (nb->value ? "true" : "false") + ", which " + family +
                       "'s Hugging Face implementation does not follow; refusing rather than guessing");
  }
  const auto act = cfg.String("activation_function");
  s.file.activation = FileValue<std::string>{
      act ? ActivationOf(*act) : std::string("gelu"),
      act ? act->where : std::string("no activation_function in config.json (the configuration's default gelu)")};
  s.file.eps = FileValue<float>{1e-5f, family + "'s nn.LayerNorm (eps 1e-5; config.json records none)"};
  const auto scale = cfg.Bool("scale_embedding");
  const bool scaled = scale ? scale->value : f.scale_default;
  s.file.embedding_scale = FileValue<float>{
      scaled ? sqrtf(static_cast<float>(d.value)) : 1.0f,
      (scale ? scale->where : "no scale_embedding (" + family + "'s default)") +
          (scaled ? ": sqrt(d_model)" : ": 1")};

  ReadSpecialIds(cfg, s);
  std::vector<int32_t> prefix, suffix;
  if (f.bos_prefix && s.file.bos->value >= 0) prefix.push_back(s.file.bos->value);
  suffix.push_back(s.file.eos->value);
  const std::string framing = family + "'s tokenizer" + (f.framing_note ? std::string("; ") + f.framing_note : "");
  s.file.src_prefix = FileValue<std::vector<int32_t>>{prefix, framing};
  s.file.src_suffix = FileValue<std::vector<int32_t>>{suffix, framing};
  if (f.framing_note) s.notes.push_back(s.model_type + ": " + f.framing_note);
}

void ReadMarian(const HfConfig& cfg, HfSource& s) {
  ReadBartLike({false, false, false, BartLike::Positions::kMarianSinusoid, true, false, nullptr}, cfg, s);
}
void ReadBart(const HfConfig& cfg, HfSource& s) {
  ReadBartLike({false, false, true, BartLike::Positions::kLearnedOffset2, false, true, nullptr}, cfg, s);
}
void ReadMbart(const HfConfig& cfg, HfSource& s) {
  ReadBartLike({true, true, true, BartLike::Positions::kLearnedOffset2, false, false,
                "sources end with </s> and the source language code (not recorded: append it), "
                "the target language code is the first target token (forced_bos_token_id)"},
               cfg, s);
}
void ReadM2M100(const HfConfig& cfg, HfSource& s) {
  ReadBartLike({true, true, false, BartLike::Positions::kFairseqSinusoid, true, false,
                "sources begin with the source language code (not recorded: prepend it) and end with </s>, "
                "the target language code is the first target token (forced_bos_token_id)"},
               cfg, s);
}

// T5 and mT5 (tools/convert_t5.h): the mapping and settings FromT5Config
// reads; special ids as the other families read them (generation_config.json
// first); no position table (relative position buckets instead).
void ReadT5(const HfConfig& cfg, HfSource& s) {
  const T5Settings t = FromT5Config(cfg.json());
  s.mapping = t.mapping;
  const std::string from = cfg.path() + " (" + s.model_type + ")";
  s.file.heads = FileValue<uint32_t>{t.heads, from + " num_heads"};
  s.file.norm_first = FileValue<bool>{true, "the t5 family (pre-LN)"};
  s.file.activation = FileValue<std::string>{t.activation, from + " feed_forward_proj"};
  s.file.eps = FileValue<float>{t.eps, from + " layer_norm_epsilon"};
  s.file.embedding_scale = FileValue<float>{1.0f, "the t5 family: embeddings unscaled"};
  ReadSpecialIds(cfg, s);
  s.file.src_prefix = FileValue<std::vector<int32_t>>{{}, "the t5 family's tokenizer"};
  s.file.src_suffix = FileValue<std::vector<int32_t>>{{s.file.eos->value}, "the t5 family's tokenizer: sources end with </s>"};
  s.position_kind = loaders::PositionKind::kNone;
  s.max_positions = t.max_positions;
  s.position_detail = "relative position buckets (no table)";
}

// Whisper (WhisperForConditionalGeneration; tools/convert_whisper.h): the
// log-mel encoder's sizes from config.json, learned positions per stack
// (the encoder's table is the stored sinusoid), the end and start ids as the
// other families read them; no pad, BOS or unknown id in the model.
void ReadWhisper(const HfConfig& cfg, HfSource& s) {
  using L = loaders::Limits;
  const auto heads = cfg.RequireInt("encoder_attention_heads", 1, L::kMaxHeads);
  const auto dec_heads = cfg.RequireInt("decoder_attention_heads", 1, L::kMaxHeads);
  if (heads.value != dec_heads.value) {
    throw ConvertError(cfg.path() + ": encoder_attention_heads " + std::to_string(heads.value) +
                       " differs from decoder_attention_heads " + std::to_string(dec_heads.value) + ": not supported");
  }
  if (const auto act = cfg.String("activation_function"); act && act->value != "gelu") {
    throw ConvertError(act->where + " '" + act->value + "' is not supported (Whisper: gelu)");
  }
  if (const auto scale = cfg.Bool("scale_embedding"); scale && scale->value) {
    throw ConvertError(scale->where + " true is not supported (Whisper: false)");
  }
  LogMelDims dims;
  dims.n_mels = static_cast<uint32_t>(cfg.RequireInt("num_mel_bins", 1, loaders::kMaxMels).value);
  dims.audio_ctx = static_cast<uint32_t>(cfg.RequireInt("max_source_positions", 1, L::kMaxPositions).value);
  dims.text_ctx = static_cast<uint32_t>(cfg.RequireInt("max_target_positions", 1, L::kMaxPositions).value);
  s.log_mel = dims;
  s.mapping = WhisperMapping(/*hugging_face=*/true);
  ReadSpecialIds(cfg, s);  // EOS and the decoder start; pad/BOS are not the model's (below)
  SetWhisperConventions("the whisper family", s.file);
  s.file.heads = FileValue<uint32_t>{static_cast<uint32_t>(heads.value), heads.where};
  s.position_kind = loaders::PositionKind::kLearned;
  s.max_positions = dims.audio_ctx;
  s.position_detail = "learned, one table per stack: " + std::to_string(dims.audio_ctx) + " encoder, " +
                      std::to_string(dims.text_ctx) + " decoder";
  // Its tokenizer files, checked to be Whisper's and written as the
  // .tiktoken file would be (tools/convert_whisper.h WhisperDirTokenizer).
  if (std::string spec = WhisperDirTokenizerSpec(cfg.dir()); !spec.empty()) {
    HfTokenizer t;
    t.spec = std::move(spec);
    t.where = loaders::IsRegularFile(cfg.dir() + "/tokenizer.json")
                  ? "tokenizer.json, with Whisper's special tokens"
                  : "vocab.json + merges.txt, with Whisper's special tokens";
    s.tgt_tokenizer = std::move(t);
  }
}

// A JSON object of piece → id (vocab.json): the pieces by id. The ids must
// be dense (0 … n-1, each once): a model id without a piece, or a piece
// without an id, is an error naming the file.
std::vector<std::string> ReadPieceIds(const std::string& path) {
  const nlohmann::json j = ReadJsonObject(path);
  std::vector<std::string> out(j.size());
  std::vector<bool> seen(j.size(), false);
  for (const auto& [piece, v] : j.items()) {
    if (!v.is_number_integer()) throw ConvertError(path + ": '" + piece + "' maps to " + v.dump() + ", not an id");
    const int64_t id = v.get<int64_t>();
    if (id < 0 || static_cast<uint64_t>(id) >= out.size()) {
      throw ConvertError(path + ": '" + piece + "' has id " + std::to_string(id) + ", but the " +
                         std::to_string(out.size()) + " ids must be 0 … " + std::to_string(out.size() - 1));
    }
    if (seen[static_cast<size_t>(id)]) throw ConvertError(path + ": id " + std::to_string(id) + " is given twice");
    seen[static_cast<size_t>(id)] = true;
    out[static_cast<size_t>(id)] = piece;
  }
  return out;
}

// tokenizer_config.json when present (an empty object otherwise).
nlohmann::json TokenizerConfig(const HfConfig& cfg) {
  const std::string path = cfg.dir() + "/tokenizer_config.json";
  return loaders::IsRegularFile(path) ? ReadJsonObject(path) : nlohmann::json::object();
}

// A SentencePiece model file's pieces (in its id order), checked by loading it.
std::vector<std::string> SentencePiecePieces(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError("cannot read " + path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> pieces;
  try {
    const runtime::SentencePieceTokenizer sp(bytes);
    for (size_t i = 0; i < sp.size(); ++i) pieces.push_back(sp.Piece(static_cast<int>(i)));
  } catch (const runtime::Error& e) {
    throw ConvertError(path + " is not a SentencePiece model (" + e.what() + ")");
  }
  return pieces;
}

// Marian (MarianTokenizer): source.spm splits sources, target.spm targets;
// both map pieces to ids through vocab.json, or the target through
// target_vocab.json when the vocabularies are separate (tokenizer_config.json
// separate_vocabs; without that file, when target_vocab.json exists).
void ReadMarianTokenizer(const HfConfig& cfg, HfSource& s) {
  const std::string d = cfg.dir() + "/";
  const char* kFiles[] = {"source.spm", "target.spm", "vocab.json"};
  if (std::none_of(std::begin(kFiles), std::end(kFiles), [&](const char* f) { return loaders::IsRegularFile(d + f); })) return;
  for (const char* f : kFiles) {
    if (!loaders::IsRegularFile(d + f)) {
      throw ConvertError(d + f + " is missing: a Marian tokenizer is source.spm, target.spm and vocab.json");
    }
  }
  const nlohmann::json tc = TokenizerConfig(cfg);
  bool separate = loaders::IsRegularFile(d + "target_vocab.json");
  if (tc.contains("separate_vocabs") && tc["separate_vocabs"].is_boolean()) {
    separate = tc["separate_vocabs"].get<bool>();
    if (separate && !loaders::IsRegularFile(d + "target_vocab.json")) {
      throw ConvertError(d + "tokenizer_config.json separate_vocabs is true but there is no target_vocab.json");
    }
  }
  for (const char* f : {"source.spm", "target.spm"}) SentencePiecePieces(d + f);  // a clear error when damaged
  HfTokenizer src{"sentencepiece:" + d + "source.spm", ReadPieceIds(d + "vocab.json"),
                  "source.spm, pieces to ids by vocab.json (MarianTokenizer)", {}};
  HfTokenizer tgt{"sentencepiece:" + d + "target.spm", separate ? ReadPieceIds(d + "target_vocab.json") : src.vocab,
                  std::string("target.spm, pieces to ids by ") + (separate ? "target_vocab.json" : "vocab.json") +
                      " (MarianTokenizer)", {}};
  s.src_tokenizer = std::move(src);
  s.tgt_tokenizer = std::move(tgt);
}

// T5 / mT5 (T5Tokenizer): spiece.model's ids are the model's, then
// tokenizer_config.json's extra_ids sentinels (default 100, at most what the
// embedding leaves) counting down from the last: <extra_id_0> is id
// S + extra_ids - 1. Rows past them (T5's embedding is padded to a multiple
// of 128) are no token.
void ReadT5Tokenizer(const HfConfig& cfg, HfSource& s) {
  const std::string path = cfg.dir() + "/spiece.model";
  if (!loaders::IsRegularFile(path)) return;
  std::vector<std::string> vocab = SentencePiecePieces(path);
  const size_t S = vocab.size();
  const auto V = cfg.RequireInt("vocab_size", 1, loaders::Limits::kMaxVocab);
  if (S > static_cast<uint64_t>(V.value)) {
    throw ConvertError(path + " has " + std::to_string(S) + " pieces, more than " + V.where + " " +
                       std::to_string(V.value));
  }
  const nlohmann::json tc = TokenizerConfig(cfg);
  size_t extra = std::min<size_t>(100, static_cast<size_t>(V.value) - S);
  std::string extra_where = "T5Tokenizer's default (100, at most the rows left)";
  if (tc.contains("extra_ids")) {
    if (!tc["extra_ids"].is_number_integer() || tc["extra_ids"].get<int64_t>() < 0 ||
        static_cast<uint64_t>(tc["extra_ids"].get<int64_t>()) > static_cast<uint64_t>(V.value) - S) {
      throw ConvertError(cfg.dir() + "/tokenizer_config.json extra_ids is " + tc["extra_ids"].dump() + ": " +
                         std::to_string(S) + " pieces and the sentinels must fit in " + V.where + " " +
                         std::to_string(V.value));
    }
    extra = static_cast<size_t>(tc["extra_ids"].get<int64_t>());
    extra_where = "tokenizer_config.json extra_ids";
  }
  vocab.resize(static_cast<size_t>(V.value));
  for (size_t i = 0; i < extra; ++i) vocab[S + extra - 1 - i] = "<extra_id_" + std::to_string(i) + ">";
  for (size_t i = S + extra; i < vocab.size(); ++i) vocab[i] = "<no token: row " + std::to_string(i) + ">";
  HfTokenizer t{"sentencepiece:" + path, vocab,
                "spiece.model ids, then " + std::to_string(extra) + " <extra_id_N> sentinels (" + extra_where + ")",
                {}};
  for (size_t i = 0; i < extra; ++i) t.special.push_back(vocab[S + i]);  // matched whole in text
  s.src_tokenizer = t;
  s.tgt_tokenizer = std::move(t);
}

// BART (BartTokenizer): byte-level BPE from vocab.json + merges.txt (the
// vocabulary is the model's ids), or tokenizer.json when it is the only file.
void ReadBartTokenizer(const HfConfig& cfg, HfSource& s) {
  const std::string d = cfg.dir() + "/";
  const bool vocab = loaders::IsRegularFile(d + "vocab.json"), merges = loaders::IsRegularFile(d + "merges.txt");
  HfTokenizer t;
  if (vocab && merges) {
    t = {"bpe:" + d + "vocab.json," + d + "merges.txt", ReadPieceIds(d + "vocab.json"),
         "vocab.json + merges.txt (BartTokenizer, byte-level BPE)", {}};
  } else if (vocab || merges) {
    throw ConvertError(d + (vocab ? "merges.txt" : "vocab.json") + " is missing: BART's tokenizer is vocab.json "
                       "and merges.txt");
  } else if (loaders::IsRegularFile(d + "tokenizer.json")) {
    t = {"hf:" + d + "tokenizer.json", {}, "tokenizer.json (byte-level BPE)", {}};
  } else {
    return;
  }
  s.src_tokenizer = t;
  s.tgt_tokenizer = std::move(t);
}

// A language token as the multilingual families spell them: mBART's en_XX,
// NLLB's eng_Latn, M2M100's __en__.
bool IsLanguageToken(const std::string& t) {
  static const std::regex kLanguage("[a-z]{2,3}_[A-Z][A-Za-z]{1,3}|__[a-z]{2,3}(_[A-Za-z]+)?__");
  return std::regex_match(t, kLanguage);
}

// The added tokens a directory lists with their ids: tokenizer.json's
// added_tokens, else added_tokens.json (token → id), in id order. Empty
// when neither.
std::vector<std::pair<std::string, int64_t>> AddedTokens(const HfConfig& cfg, std::string* where) {
  std::vector<std::pair<std::string, int64_t>> out;
  const std::string d = cfg.dir() + "/";
  if (loaders::IsRegularFile(d + "tokenizer.json")) {
    const nlohmann::json j = ReadJsonObject(d + "tokenizer.json");
    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
      for (const auto& a : j["added_tokens"]) {
        if (!a.is_object() || !a.contains("content") || !a["content"].is_string() || !a.contains("id") ||
            !a["id"].is_number_integer()) {
          throw ConvertError(d + "tokenizer.json: an added token without a content string and an integer id");
        }
        out.emplace_back(a["content"].get<std::string>(), a["id"].get<int64_t>());
      }
      *where = "tokenizer.json added_tokens";
      return out;
    }
  }
  if (loaders::IsRegularFile(d + "added_tokens.json")) {
    const nlohmann::json j = ReadJsonObject(d + "added_tokens.json");
    for (const auto& [token, id] : j.items()) {
      if (!id.is_number_integer()) throw ConvertError(d + "added_tokens.json: '" + token + "' has no integer id");
      out.emplace_back(token, id.get<int64_t>());
    }
    *where = "added_tokens.json";
  }
  // In id order (a JSON object's keys come sorted by name).
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return out;
}

// additional_special_tokens (tokenizer_config.json, else
// special_tokens_map.json), in order: the language codes when no file gives
// their ids. Entries may be strings or AddedToken objects ({"content": ...}).
std::vector<std::string> AdditionalSpecialTokens(const HfConfig& cfg, std::string* where) {
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    const std::string path = cfg.dir() + "/" + name;
    if (!loaders::IsRegularFile(path)) continue;
    const nlohmann::json j = ReadJsonObject(path);
    if (!j.contains("additional_special_tokens") || !j["additional_special_tokens"].is_array()) continue;
    std::vector<std::string> out;
    for (const auto& t : j["additional_special_tokens"]) {
      if (t.is_string()) out.push_back(t.get<std::string>());
      else if (t.is_object() && t.contains("content") && t["content"].is_string()) out.push_back(t["content"].get<std::string>());
      else throw ConvertError(path + ": additional_special_tokens holds " + t.dump() + ", not a token");
    }
    *where = std::string(name) + " additional_special_tokens";
    return out;
  }
  return {};
}

// The fairseq-derived families' tokenizers (Hugging Face's MBartTokenizer,
// MBart50Tokenizer, NllbTokenizer, M2M100Tokenizer):
// - mBART and NLLB: sentencepiece.bpe.model's pieces shifted by one (fairseq
//   puts <s> 0, <pad> 1, </s> 2, <unk> 3 first; the model's own <unk>, <s>,
//   </s> are those), then the language codes from id S + 1 (S: the
//   SentencePiece model's size), then <mask>.
// - M2M100: vocab.json's ids (pieces of sentencepiece.bpe.model looked up
//   there), then the __xx__ language tokens from its size on, then
//   madeupword0000 … 0007.
// The language tokens and their ids come from tokenizer.json's added tokens
// (or added_tokens.json); without those, from additional_special_tokens in
// the family's order. Rows left over are no token.
void ReadFairseqTokenizer(const HfConfig& cfg, HfSource& s) {
  const std::string d = cfg.dir() + "/";
  const std::string spm = d + "sentencepiece.bpe.model";
  if (!loaders::IsRegularFile(spm)) return;
  const nlohmann::json tc = TokenizerConfig(cfg);
  const std::string cls = tc.contains("tokenizer_class") && tc["tokenizer_class"].is_string()
                              ? tc["tokenizer_class"].get<std::string>() : "";
  const bool nllb = cls.rfind("Nllb", 0) == 0, mbart50 = cls.rfind("MBart50", 0) == 0;
  const bool m2m = s.model_type == "m2m_100" && !nllb;
  if (m2m && !loaders::IsRegularFile(d + "vocab.json")) {
    throw ConvertError(d + "vocab.json is missing: M2M100's tokenizer is sentencepiece.bpe.model and vocab.json "
                       "(an NLLB model says tokenizer_class NllbTokenizer in tokenizer_config.json)");
  }
  const auto V = cfg.RequireInt("vocab_size", 1, loaders::Limits::kMaxVocab);
  const std::vector<std::string> pieces = SentencePiecePieces(spm);
  std::vector<std::string> vocab;
  std::string rule;
  if (m2m) {
    vocab = ReadPieceIds(d + "vocab.json");
    rule = "sentencepiece.bpe.model, pieces to ids by vocab.json, then the __xx__ language tokens (M2M100Tokenizer)";
  } else {
    vocab = {"<s>", "<pad>", "</s>", "<unk>"};
    for (size_t i = 3; i < pieces.size(); ++i) vocab.push_back(pieces[i]);
    rule = std::string("sentencepiece.bpe.model ids + 1 after <s> <pad> </s> <unk>, then the language codes and "
                       "<mask> (") + (nllb ? "NllbTokenizer" : mbart50 ? "MBart50Tokenizer" : "MBartTokenizer") + ")";
  }
  const size_t base = vocab.size();
  if (base > static_cast<uint64_t>(V.value)) {
    throw ConvertError(d + ": the tokenizer has " + std::to_string(base) + " tokens, more than " + V.where + " " +
                       std::to_string(V.value));
  }
  vocab.resize(static_cast<size_t>(V.value));
  std::vector<bool> filled(vocab.size(), false);
  std::fill(filled.begin(), filled.begin() + static_cast<std::ptrdiff_t>(base), true);
  std::vector<std::string> special, languages;
  auto place = [&](const std::string& token, int64_t id, const std::string& where) {
    if (id < 0 || static_cast<uint64_t>(id) >= vocab.size()) {
      throw ConvertError(d + where + ": '" + token + "' has id " + std::to_string(id) + ", outside the model's " +
                         std::to_string(vocab.size()) + " ids");
    }
    const size_t i = static_cast<size_t>(id);
    if (filled[i] && vocab[i] != token) {
      throw ConvertError(d + where + ": '" + token + "' has id " + std::to_string(id) + ", which is '" + vocab[i] +
                         "' already");
    }
    vocab[i] = token;
    filled[i] = true;
  };
  std::string where;
  const auto added = AddedTokens(cfg, &where);
  if (!added.empty()) {
    for (const auto& [token, id] : added) {
      place(token, id, where);
      if (IsLanguageToken(token)) languages.push_back(token);
      special.push_back(token);
    }
  } else {
    std::vector<std::string> codes;
    for (const std::string& t : AdditionalSpecialTokens(cfg, &where)) {
      if (IsLanguageToken(t)) codes.push_back(t);
    }
    size_t next = base;
    for (const std::string& c : codes) {
      place(c, static_cast<int64_t>(next++), where);
      languages.push_back(c);
      special.push_back(c);
    }
    if (!codes.empty()) {
      const std::vector<std::string> tail =
          m2m ? std::vector<std::string>{"madeupword0000", "madeupword0001", "madeupword0002", "madeupword0003",
                                         "madeupword0004", "madeupword0005", "madeupword0006", "madeupword0007"}
              : std::vector<std::string>{"<mask>"};
      for (const std::string& t : tail) {
        if (next < vocab.size()) place(t, static_cast<int64_t>(next++), "the family's layout");
      }
      // <mask> and M2M100's padding words are never text (Hugging Face skips them).
      for (const std::string& t : tail) special.push_back(t);
    }
  }
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (!filled[i]) vocab[i] = "<no token: row " + std::to_string(i) + ">";
  }
  if (languages.empty()) {
    s.notes.push_back("no language tokens in " + d + " (tokenizer.json, added_tokens.json or "
                      "additional_special_tokens): --source-lang / --target-lang unavailable; give language ids");
  } else {
    s.languages = languages;
    const bool legacy = tc.contains("legacy_behaviour") && tc["legacy_behaviour"].is_boolean() &&
                        tc["legacy_behaviour"].get<bool>();
    // MBartTokenizer and NLLB's legacy behaviour: tokens </s> lang; the others: lang tokens </s>.
    s.source_language_place = (!m2m && !nllb && !mbart50) || (nllb && legacy)
                                  ? loaders::SourceLanguagePlace::kAfterSuffix
                                  : loaders::SourceLanguagePlace::kBeforeTokens;
    // The target language is the forced first token unless the model's
    // decoder start is itself a language code (mBART fine-tuned for one pair).
    const int32_t start = s.file.decoder_start->value;
    const bool fixed = start >= 0 && static_cast<size_t>(start) < vocab.size() &&
                       std::find(languages.begin(), languages.end(), vocab[static_cast<size_t>(start)]) != languages.end();
    s.target_language_place = fixed ? loaders::TargetLanguagePlace::kNone : loaders::TargetLanguagePlace::kFirstToken;
    // The family's framing note ("not recorded: append it") is superseded.
    for (auto* framing : {&s.file.src_prefix, &s.file.src_suffix}) {
      if (*framing) (*framing)->where = "the " + s.model_type + " family's tokenizer (the language token: --source-lang)";
    }
    s.notes.erase(std::remove_if(s.notes.begin(), s.notes.end(),
                                 [](const std::string& n) { return n.find("(not recorded: ") != std::string::npos; }),
                  s.notes.end());
    s.notes.push_back(std::to_string(languages.size()) + " language tokens (" + where + "): --source-lang " +
                      (s.source_language_place == loaders::SourceLanguagePlace::kBeforeTokens
                           ? "goes before the source's tokens" : "goes after its </s>") +
                      (fixed ? "; the target language is fixed by decoder_start_token_id"
                             : "; --target-lang is the forced first target token"));
  }
  HfTokenizer t{"sentencepiece:" + spm, std::move(vocab), rule + (where.empty() ? "" : "; " + where), std::move(special)};
  s.src_tokenizer = t;
  s.tgt_tokenizer = std::move(t);
}

// The family's tokenizer files, and the unknown token from their
// vocabularies; without them ids only, with a note.
void ReadTokenizerFiles(const HfConfig& cfg, HfSource& s) {
  if (s.model_type == "marian") ReadMarianTokenizer(cfg, s);
  if (s.model_type == "t5" || s.model_type == "mt5") ReadT5Tokenizer(cfg, s);
  if (s.model_type == "bart") ReadBartTokenizer(cfg, s);
  if (s.model_type == "mbart" || s.model_type == "m2m_100") ReadFairseqTokenizer(cfg, s);
  if (!s.src_tokenizer) {
    std::string tokenizer_files;
    for (const char* name : {"source.spm", "target.spm", "sentencepiece.bpe.model", "spm.model", "spiece.model",
                             "tokenizer.json", "vocab.json"}) {
      if (loaders::IsRegularFile(cfg.dir() + "/" + name)) tokenizer_files += std::string(tokenizer_files.empty() ? "" : ", ") + name;
    }
    s.notes.push_back("ids only: " +
                      (tokenizer_files.empty() ? std::string("no tokenizer files beside the weights")
                                               : "the tokenizer files beside the weights (" + tokenizer_files +
                                                     ") are not read yet for " + s.model_type) +
                      "; give ids (the source framing applies to text sources only)");
    return;
  }
  const nlohmann::json tc = TokenizerConfig(cfg);
  const std::string unk = tc.contains("unk_token") && tc["unk_token"].is_string() ? tc["unk_token"].get<std::string>()
                                                                                  : std::string("<unk>");
  for (auto [tok, slot] : {std::pair<const std::optional<HfTokenizer>*, std::optional<FileValue<int32_t>>*>{
                               &s.src_tokenizer, &s.file.src_unk},
                           {&s.tgt_tokenizer, &s.file.tgt_unk}}) {
    const std::vector<std::string>& v = (*tok)->vocab;
    const auto it = std::find(v.begin(), v.end(), unk);
    *slot = FileValue<int32_t>{it == v.end() ? -1 : static_cast<int32_t>(it - v.begin()),
                               it == v.end() ? "no " + unk + " in the tokenizer's vocabulary" : unk + " in " + (*tok)->where};
  }
  s.file.unk = s.file.tgt_unk;
  // The header's special tokens are matched whole in text too (as Hugging
  // Face's tokenizers match </s>, <pad>, <unk>); rows without a token (an
  // embedding padded past the tokenizer) are never text either.
  for (std::optional<HfTokenizer>* tok : {&s.src_tokenizer, &s.tgt_tokenizer}) {
    for (const std::string& t : (*tok)->vocab) {
      if (t.rfind("<no token: row ", 0) == 0) (*tok)->special.push_back(t);
    }
    for (const auto& id : {s.file.pad, s.file.eos, s.file.bos, s.file.decoder_start, s.file.src_unk, s.file.tgt_unk}) {
      if (id && id->value >= 0 && static_cast<size_t>(id->value) < (*tok)->vocab.size()) {
        (*tok)->special.push_back((*tok)->vocab[static_cast<size_t>(id->value)]);
      }
    }
  }
  s.notes.push_back("tokenizer: source " + s.src_tokenizer->where + "; target " + s.tgt_tokenizer->where);
}

// model_type → the family's reader. T5 / mT5 plug in here: an entry whose
// reader fills HfSource (the mapping onto the .esq roles and the settings,
// with the shared steps above: HfConfig's checked getters, LayerCount,
// ReadSpecialIds) and refuses what the runtime cannot run.
using FamilyReader = void (*)(const HfConfig&, HfSource&);
const std::map<std::string, FamilyReader>& Families() {
  static const std::map<std::string, FamilyReader> kFamilies = {
      {"marian", ReadMarian}, {"bart", ReadBart}, {"mbart", ReadMbart}, {"m2m_100", ReadM2M100},
      {"t5", ReadT5},         {"mt5", ReadT5},         {"whisper", ReadWhisper}};
  return kFamilies;
}

}  // namespace

bool IsHfModelDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && loaders::IsRegularFile(path + "/config.json") &&
         !loaders::IsRegularFile(path + "/model.bin");
}

std::string HfSupportedModelTypes() {
  std::string out;
  for (const auto& [name, f] : Families()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

HfSource ReadHfSource(const std::string& dir) {
  HfSource s;
  const HfConfig cfg(dir);
  const auto type = cfg.String("model_type");
  if (!type) throw ConvertError(cfg.path() + ": no model_type (supported: " + HfSupportedModelTypes() + ")");
  const auto it = Families().find(type->value);
  if (it == Families().end()) {
    throw ConvertError(cfg.path() + ": model_type '" + type->value + "' is not supported (supported: " +
                       HfSupportedModelTypes() + ")");
  }
  s.model_type = type->value;
  std::string weights;
  try {
    s.checkpoint = loaders::ReadHfWeights(dir, &weights);
  } catch (const loaders::CheckpointError& e) {
    throw ConvertError(e.what());
  }
  s.description = "Hugging Face " + s.model_type + " checkpoint (" + weights + ", " + s.checkpoint.root + ")";
  s.notes.push_back("read " + cfg.path() + (cfg.has_generation() ? " and generation_config.json" : "") +
                    ": model_type " + s.model_type);
  it->second(cfg, s);
  ReadTokenizerFiles(cfg, s);
  return s;
}

}  // namespace edgeseq::tools
