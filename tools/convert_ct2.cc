#include "tools/convert_ct2.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loaders/mapped_file.h"
#include "loaders/checkpoint_ct2.h"
#include "loaders/half.h"
#include "tools/convert.h"
#include "tools/json_file.h"
#include "tools/convert_whisper.h"
#include "runtime/error.h"
#include "runtime/whisper_tokens.h"

namespace edgeseq::tools {
namespace {

using loaders::ElementType;
using loaders::SourceTensor;

bool StartsWith(const std::string& s, const std::string& head) { return s.compare(0, head.size(), head) == 0; }
bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
// Revision-1 files carry OpenNMT-tf's variable names; CTranslate2 renames
// them on load (first occurrence of each pattern, in this order).
std::string RenameV1(std::string name) {
  auto sub = [&](const std::string& from, const std::string& to) {
    const size_t at = name.find(from);
    if (at != std::string::npos) name.replace(at, from.size(), to);
  };
  sub("transformer/", "");
  sub(":0", "");
  sub("w_embs", "embeddings/weight");
  sub("kernel", "weight");
  sub("LayerNorm", "layer_norm");
  sub("dense", "projection");
  sub("conv1d_", "linear_");
  sub("conv1d", "linear_0");
  if (name.find("encoder") != std::string::npos) {
    sub("multi_head", "self_attention");
  } else {
    sub("masked_multi_head", "self_attention");
    sub("multi_head", "attention");
  }
  return name;
}

// A scalar flag's value (int8/int16/int32/float32 scalars as CTranslate2
// writes them).
double Scalar(const SourceTensor& t) {
  if (t.elements() != 1) throw ConvertError("CTranslate2 flag " + t.name + " is not a scalar");
  const std::vector<uint8_t> b = t.Bytes();
  switch (t.type) {
    case ElementType::kChar: return static_cast<int8_t>(b[0]);
    case ElementType::kByte:
    case ElementType::kBool: return b[0];
    case ElementType::kShort: { int16_t v; memcpy(&v, b.data(), 2); return v; }
    case ElementType::kInt: { int32_t v; memcpy(&v, b.data(), 4); return v; }
    case ElementType::kFloat: { float v; memcpy(&v, b.data(), 4); return v; }
    case ElementType::kHalf: { uint16_t h; memcpy(&h, b.data(), 2); return loaders::HalfToFloat(h); }
    default: throw ConvertError("CTranslate2 flag " + t.name + " has an unexpected dtype");
  }
}

// Vocabulary files as CTranslate2 reads them: .txt one token per line (a
// trailing CR removed only when every line has one), .json a list of strings.
std::vector<std::string> ReadVocabFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError("cannot open " + path + ": " + strerror(errno));
  std::vector<std::string> tokens;
  if (EndsWith(path, ".json")) {
    try {
      const nlohmann::json j = nlohmann::json::parse(in);
      if (!j.is_array()) throw ConvertError(path + ": a JSON vocabulary must be a list of strings");
      for (const auto& t : j) {
        if (!t.is_string()) throw ConvertError(path + ": a JSON vocabulary must be a list of strings");
        tokens.push_back(t.get<std::string>());
      }
    } catch (const nlohmann::json::exception& e) {
      throw ConvertError(path + ": not valid JSON: " + e.what());
    }
    return tokens;
  }
  std::string line;
  bool all_cr = true;
  while (std::getline(in, line)) {
    if (line.empty() || line.back() != '\r') all_cr = false;
    tokens.push_back(line);
  }
  if (all_cr) {
    for (auto& t : tokens) t.pop_back();
  }
  return tokens;
}

std::string FindVocab(const std::string& dir, const std::string& stem) {
  for (const char* ext : {".txt", ".json"}) {
    const std::string p = dir + "/" + stem + "_vocabulary" + ext;
    if (loaders::IsRegularFile(p)) return p;
  }
  return "";
}

int32_t IdOf(const std::vector<std::string>& vocab, const std::string& token) {
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (vocab[i] == token) return static_cast<int32_t>(i);
  }
  return -1;
}

const char* Kind(const std::string& spec) {
  if (spec == "TransformerDecoderSpec" || spec == "TransformerDecoderModelSpec") return "a decoder-only language model";
  if (spec == "TransformerEncoderSpec" || spec == "TransformerEncoderModelSpec") return "an encoder-only model";
  if (spec == "WhisperSpec") return "a Whisper speech model";
  if (spec.find("Wav2Vec") != std::string::npos || spec.find("WavLM") != std::string::npos) return "a speech encoder";
  return "a model family edgeseq-convert does not know";
}

Mapping Ct2TransformerMapping() {
  Mapping m;
  auto add = [&](std::string role, std::string source, bool optional = false) {
    std::string group;
    if (EndsWith(role, ".bias")) group = role.find("norm") != std::string::npos ? "norm biases" : "linear biases";
    m.rules.push_back({std::move(role), {std::move(source)}, 1, {}, optional, std::move(group)});
  };
  add("encoder.embed_tokens.weight", "encoder/embeddings/weight");
  add("decoder.embed_tokens.weight", "decoder/embeddings/weight");
  auto linear = [&](const std::string& ours, const std::string& theirs) {
    add(ours + ".weight", theirs + "/weight");
    add(ours + ".bias", theirs + "/bias");
  };
  auto norm = [&](const std::string& ours, const std::string& theirs, bool optional = false) {
    add(ours + ".weight", theirs + "/gamma", optional);
    add(ours + ".bias", theirs + "/beta", optional);
  };
  for (const std::string stack : {"encoder", "decoder"}) {
    const std::string ours = stack + ".layers.{i}.", theirs = stack + "/layer_{i}/";
    linear(ours + "self_attn.qkv_proj", theirs + "self_attention/linear_0");
    linear(ours + "self_attn.out_proj", theirs + "self_attention/linear_1");
    norm(ours + "self_attn_norm", theirs + "self_attention/layer_norm");
    linear(ours + "ffn.fc1", theirs + "ffn/linear_0");
    linear(ours + "ffn.fc2", theirs + "ffn/linear_1");
    norm(ours + "ffn_norm", theirs + "ffn/layer_norm");
    norm(stack + ".norm", stack + "/layer_norm", true);
  }
  linear("decoder.layers.{i}.cross_attn.q_proj", "decoder/layer_{i}/attention/linear_0");
  linear("decoder.layers.{i}.cross_attn.kv_proj", "decoder/layer_{i}/attention/linear_1");
  linear("decoder.layers.{i}.cross_attn.out_proj", "decoder/layer_{i}/attention/linear_2");
  norm("decoder.layers.{i}.cross_attn_norm", "decoder/layer_{i}/attention/layer_norm");
  add("decoder.output_projection.weight", "decoder/projection/weight");
  add("decoder.output_projection.bias", "decoder/projection/bias", true);
  return m;
}

// CTranslate2's WhisperSpec (its transformers converter's WhisperLoader):
// the encoder's two convolutions and stored position table, pre-LN layers
// with q, k, v fused, a decoder with its own learned positions and the token
// table as output (an alias). The flags it stores must be Whisper's.
Ct2Source ReadCt2Whisper(const std::string& dir, loaders::Ct2ModelBin bin) {
  Ct2Source s;
  s.description = bin.checkpoint.root;
  s.checkpoint = std::move(bin.checkpoint);
  std::map<std::string, const SourceTensor*> by_name;
  for (const SourceTensor& t : s.checkpoint.tensors) {
    if (!by_name.emplace(t.name, &t).second) throw ConvertError(dir + ": model.bin holds " + t.name + " twice");
  }
  auto scalar = [&](const std::string& name) -> std::optional<double> {
    const auto it = by_name.find(name);
    if (it == by_name.end()) return std::nullopt;
    s.consumed.insert(name);
    return Scalar(*it->second);
  };
  auto must = [&](const std::string& name, double want, const char* what) {
    const auto v = scalar(name);
    if (v && *v != want) {
      throw ConvertError(dir + ": model.bin " + name + " is " + std::to_string(*v) + "; Whisper's is " +
                         std::to_string(want) + " (" + what + ")");
    }
  };
  must("decoder/pre_norm", 1, "pre-LN");
  must("decoder/activation", 3, "GELU");
  must("decoder/scale_embeddings", 0, "unscaled token embeddings");
  for (const char* off : {"decoder/alibi", "decoder/alibi_use_positive_positions", "decoder/scale_alibi",
                          "decoder/start_from_zero_embedding"}) {
    must(off, 0, "off");
  }
  if (const auto v = scalar("decoder/alignment_heads")) s.alignment_heads = static_cast<int>(*v);
  if (const auto v = scalar("decoder/alignment_layer")) s.alignment_layer = static_cast<int>(*v);
  const auto enc_heads = scalar("encoder/num_heads"), dec_heads = scalar("decoder/num_heads");
  if (!enc_heads || !dec_heads) throw ConvertError(dir + ": model.bin lacks encoder/num_heads or decoder/num_heads");
  if (*enc_heads != *dec_heads) {
    throw ConvertError(dir + ": encoder/num_heads " + std::to_string(*enc_heads) + " differs from decoder/num_heads " +
                       std::to_string(*dec_heads) + ": not supported");
  }
  if (*enc_heads < 1 || *enc_heads > loaders::Limits::kMaxHeads) throw ConvertError(dir + ": encoder/num_heads is out of range");
  SetWhisperConventions("CTranslate2 WhisperSpec", s.file);
  s.eps = s.file.eps;
  s.file.heads = FileValue<uint32_t>{static_cast<uint32_t>(*enc_heads), "model.bin encoder/num_heads"};
  // The sizes, from the tensors.
  auto shape = [&](const std::string& name, size_t rank) {
    const auto it = by_name.find(name);
    if (it == by_name.end() || it->second->shape.size() != rank) {
      throw ConvertError(dir + ": model.bin has no " + std::to_string(rank) + "-D " + name);
    }
    return it->second->shape;
  };
  LogMelDims dims;
  const auto conv1 = shape("encoder/conv1/weight", 3), enc_pos = shape("encoder/position_encodings/encodings", 2),
             dec_pos = shape("decoder/position_encodings/encodings", 2), tokens = shape("decoder/embeddings/weight", 2);
  if (conv1[2] != 3) throw ConvertError(dir + ": encoder/conv1/weight has kernel " + std::to_string(conv1[2]) + ", Whisper's is 3");
  dims.n_mels = static_cast<uint32_t>(conv1[1]);
  dims.audio_ctx = static_cast<uint32_t>(enc_pos[0]);
  dims.text_ctx = static_cast<uint32_t>(dec_pos[0]);
  if (dims.n_mels < 1 || dims.n_mels > loaders::kMaxMels || dims.audio_ctx < 1 ||
      dims.audio_ctx > loaders::Limits::kMaxPositions || dims.text_ctx < 1 ||
      dims.text_ctx > loaders::Limits::kMaxPositions) {
    throw ConvertError(dir + ": the mel bins (" + std::to_string(dims.n_mels) + ") or position tables (" +
                       std::to_string(dims.audio_ctx) + ", " + std::to_string(dims.text_ctx) + ") are out of range");
  }
  s.log_mel = dims;
  s.mapping = WhisperCt2Mapping();
  // The vocabulary: CTranslate2's Whisper finds <|endoftext|> and
  // <|startoftranscript|> by name.
  std::vector<std::string> vocab;
  const std::string vocab_path = dir + "/vocabulary.json";
  if (loaders::IsRegularFile(vocab_path)) {
    nlohmann::json list;
    try {
      list = nlohmann::json::parse(std::ifstream(vocab_path, std::ios::binary));
    } catch (const std::exception& e) {
      throw ConvertError(vocab_path + " is not valid JSON: " + e.what());
    }
    if (!list.is_array()) throw ConvertError(vocab_path + ": expected a list of tokens");
    for (const auto& t : list) {
      if (!t.is_string()) throw ConvertError(vocab_path + ": an entry is not a string");
      vocab.push_back(t.get<std::string>());
    }
  } else if (loaders::IsRegularFile(dir + "/vocabulary.txt")) {
    vocab = ReadVocabFile(dir + "/vocabulary.txt");
  } else {
    throw ConvertError(dir + ": no vocabulary.json (CTranslate2's Whisper models carry one)");
  }
  if (tokens[0] < 0 || vocab.size() != static_cast<size_t>(tokens[0])) {
    throw ConvertError(dir + ": the vocabulary has " + std::to_string(vocab.size()) +
                       " tokens, decoder/embeddings/weight " + std::to_string(tokens[0]) + " rows");
  }
  for (const auto& [token, slot, what] :
       {std::tuple<const char*, std::optional<FileValue<int32_t>>*, const char*>{"<|endoftext|>", &s.file.eos, "end"},
        {"<|startoftranscript|>", &s.file.decoder_start, "decoder start"}}) {
    const int32_t id = IdOf(vocab, token);
    if (id < 0) throw ConvertError(dir + ": the vocabulary has no " + std::string(token) + " (the " + what + " token)");
    *slot = FileValue<int32_t>{id, std::string(token) + " in the vocabulary (as CTranslate2's Whisper finds it)"};
  }
  try {
    runtime::WhisperLayoutFromVocabSize(vocab.size());
    s.whisper_tokenizer = WhisperDirTokenizerSpec(dir);
  } catch (const runtime::Error&) {
    s.notes.push_back(std::to_string(vocab.size()) + " tokens are none of Whisper's vocabularies: no tokenizer "
                      "written (ids in and out)");
  }
  return s;
}

}  // namespace

bool IsCt2ModelDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && loaders::IsRegularFile(path + "/model.bin");
}

Ct2Source ReadCt2Source(const std::string& dir) {
  Ct2Source s;
  loaders::Ct2ModelBin bin;
  try {
    bin = loaders::ReadCt2ModelBin(dir + "/model.bin");
  } catch (const loaders::CheckpointError& e) {
    throw ConvertError(e.what());
  }
  const std::string spec = bin.spec;
  if (spec == "WhisperSpec") return ReadCt2Whisper(dir, std::move(bin));
  s.description = bin.checkpoint.root;
  if (spec != "" && spec != "TransformerBase" && spec != "TransformerBig" && spec != "TransformerSpec") {
    throw ConvertError(dir + ": CTranslate2 spec " + spec + " (" + Kind(spec) +
                       ") is not supported: edgeseq-convert reads sequence-to-sequence Transformer models "
                       "(TransformerSpec)");
  }
  // Names as CTranslate2 uses them today.
  std::map<std::string, const SourceTensor*> by_name;
  s.checkpoint = std::move(bin.checkpoint);
  for (SourceTensor& t : s.checkpoint.tensors) {
    if (bin.spec_revision == 1) t.name = RenameV1(t.name);
  }
  // One source embedding is "encoder/embeddings_0" in current specs,
  // "encoder/embeddings" in older ones; source factors are not supported.
  for (const SourceTensor& t : s.checkpoint.tensors) {
    if (StartsWith(t.name, "encoder/embeddings_1/")) {
      throw ConvertError(dir + ": the model has several source embeddings (source factors, " + t.name +
                         "): edgeseq reads one source token stream");
    }
  }
  for (SourceTensor& t : s.checkpoint.tensors) {
    if (StartsWith(t.name, "encoder/embeddings_0/")) t.name = "encoder/embeddings/" + t.name.substr(21);
  }
  for (const SourceTensor& t : s.checkpoint.tensors) {
    if (!by_name.emplace(t.name, &t).second) throw ConvertError(dir + ": model.bin holds " + t.name + " twice");
  }
  // Features edgeseq does not run: refused by name before anything else.
  for (const auto& [name, t] : by_name) {
    const std::string leaf = name.substr(name.rfind('/') + 1);
    const char* why = nullptr;
    if (StartsWith(leaf, "relative_position") || StartsWith(leaf, "relative_asymmetric")) {
      why = "relative position representations (Shaw et al.)";
    } else if (StartsWith(leaf, "relative_attention")) {
      why = "relative attention bias (T5)";
    } else if (StartsWith(leaf, "rotary")) {
      why = "rotary position embeddings";
    } else if (leaf == "alibi" && Scalar(*t) != 0) {
      why = "ALiBi attention biases";
    } else if (name.find("linear_0_noact") != std::string::npos) {
      why = "gated feed-forward layers (GLU)";
    } else if (name.find("layernorm_embedding") != std::string::npos) {
      why = "a layer norm after the embeddings";
    } else if (leaf == "num_heads_kv" || leaf == "head_dim" || leaf == "sliding_window") {
      why = "multi-query, grouped or windowed attention";
    } else if (name.find("project_in") != std::string::npos || name.find("project_out") != std::string::npos) {
      why = "input/output projections around the decoder";
    } else if (leaf == "start_from_zero_embedding" && Scalar(*t) != 0) {
      why = "a zero first decoder embedding";
    } else if (leaf == "scale_outputs") {
      why = "a scale on the decoder outputs";
    } else if (leaf == "gamma" && !by_name.count(name.substr(0, name.size() - 5) + "beta")) {
      why = "RMS norms (a layer norm without beta)";
    }
    if (why) {
      throw ConvertError(dir + ": the model uses " + std::string(why) + " (" + name +
                         "), which edgeseq does not run");
    }
  }

  // Flags: per stack, or at the top level before spec revision 5; the number
  // of heads from the spec name before revision 3.
  auto flag = [&](const std::string& stack, const std::string& name) -> const SourceTensor* {
    for (const std::string& n : {stack + "/" + name, name}) {
      const auto it = by_name.find(n);
      if (it != by_name.end()) {
        s.consumed.insert(n);
        return it->second;
      }
    }
    return nullptr;
  };
  std::optional<FileValue<double>> heads[2], pre_norm[2], activation[2];
  const char* stacks[2] = {"encoder", "decoder"};
  for (int k = 0; k < 2; ++k) {
    if (const SourceTensor* t = flag(stacks[k], "num_heads")) heads[k] = FileValue<double>{Scalar(*t), t->name};
    if (const SourceTensor* t = flag(stacks[k], "pre_norm")) pre_norm[k] = FileValue<double>{Scalar(*t), t->name};
    if (const SourceTensor* t = flag(stacks[k], "activation")) activation[k] = FileValue<double>{Scalar(*t), t->name};
    for (const char* harmless : {"embeddings_merge", "alibi", "alibi_use_positive_positions", "scale_alibi",
                                 "start_from_zero_embedding"}) {
      flag(stacks[k], harmless);
    }
  }
  if (const SourceTensor* t = flag("decoder", "alignment_heads")) s.alignment_heads = static_cast<int>(Scalar(*t));
  if (const SourceTensor* t = flag("decoder", "alignment_layer")) s.alignment_layer = static_cast<int>(Scalar(*t));
  flag("encoder", "alignment_heads");
  flag("encoder", "alignment_layer");
  for (const auto& [name, t] : by_name) {
    if (EndsWith(name, "/keep_in_float32")) s.consumed.insert(name);  // a dtype hint for CTranslate2's loader
  }
  auto agree = [&](std::optional<FileValue<double>>* v, const char* what) {
    if (v[0] && v[1] && v[0]->value != v[1]->value) {
      throw ConvertError(dir + ": the encoder and decoder differ in " + std::string(what) + " (" + v[0]->where +
                         " " + std::to_string(v[0]->value) + ", " + v[1]->where + " " +
                         std::to_string(v[1]->value) + "): edgeseq runs one value for the whole model");
    }
    return v[0] ? v[0] : v[1];
  };
  const auto h = agree(heads, "the number of heads");
  if (h) {
    if (h->value < 1 || h->value > loaders::Limits::kMaxHeads) throw ConvertError(h->where + " is out of range");
    s.file.heads = FileValue<uint32_t>{static_cast<uint32_t>(h->value), "model.bin " + h->where};
  } else if (bin.spec_revision < 3) {
    const uint32_t n = spec == "TransformerBig" ? 16 : 8;
    s.file.heads = FileValue<uint32_t>{n, "model.bin spec name '" + spec + "' (CTranslate2 reads it as " +
                                              std::to_string(n) + " heads)"};
  } else {
    s.file.heads = FileValue<uint32_t>{8, "model.bin without num_heads (CTranslate2 reads it as 8 heads)"};
  }
  const auto p = agree(pre_norm, "pre_norm");
  s.file.norm_first = p ? FileValue<bool>{p->value != 0, "model.bin " + p->where}
                        : FileValue<bool>{true, "model.bin without pre_norm (CTranslate2 reads it as pre-norm)"};
  const auto a = agree(activation, "activation");
  {
    static const char* kNames[] = {"relu", "gelu_tanh", "silu", "gelu"};
    const int id = a ? static_cast<int>(a->value) : 0;
    if (id < 0 || id > 3) {
      throw ConvertError(dir + ": the model's activation " + std::to_string(id) + " (" + a->where + ": " +
                         (id == 4 ? "GELU with the sigmoid approximation" : id == 5 ? "tanh" : "unknown") +
                         ") is not one edgeseq runs (relu, gelu, gelu_tanh, silu)");
    }
    s.file.activation = FileValue<std::string>{
        kNames[id], a ? "model.bin " + a->where : std::string("model.bin without activation (CTranslate2: relu)")};
  }

  // config.json (optional).
  nlohmann::json config = nlohmann::json::object();
  const std::string config_path = dir + "/config.json";
  if (loaders::IsRegularFile(config_path)) {
    config = ReadJsonObject(config_path);
    s.notes.push_back("read " + config_path);
  }
  auto cfg_string = [&](const char* key, const std::string& dflt) -> std::pair<std::string, std::string> {
    if (config.contains(key) && config[key].is_string()) return {config[key].get<std::string>(), std::string("config.json ") + key};
    if (config.contains(key) && !config[key].is_null()) throw ConvertError(config_path + ": " + key + " is not a string");
    return {dflt, std::string("CTranslate2's default ") + key + " (no config.json entry)"};
  };
  auto cfg_bool = [&](const char* key) -> std::pair<bool, std::string> {
    if (config.contains(key) && config[key].is_boolean()) return {config[key].get<bool>(), std::string("config.json ") + key};
    if (config.contains(key) && !config[key].is_null()) throw ConvertError(config_path + ": " + key + " is not true or false");
    return {false, std::string("CTranslate2's default ") + key + "=false (no config.json entry)"};
  };
  if (config.contains("multi_query_attention") && config["multi_query_attention"].is_boolean() &&
      config["multi_query_attention"].get<bool>()) {
    throw ConvertError(dir + ": the model uses multi-query attention (config.json), which edgeseq does not run");
  }
  if (config.contains("layer_norm_epsilon") && !config["layer_norm_epsilon"].is_null()) {
    if (!config["layer_norm_epsilon"].is_number()) throw ConvertError(config_path + ": layer_norm_epsilon is not a number");
    s.eps = FileValue<float>{config["layer_norm_epsilon"].get<float>(), "config.json layer_norm_epsilon"};
  } else {
    s.eps = FileValue<float>{1e-5f, "no layer_norm_epsilon in config.json (CTranslate2's LayerNorm then uses 1e-5)"};
  }

  // Vocabularies: shared, or source and target.
  const std::string shared = FindVocab(dir, "shared");
  s.src_vocab_file = shared.empty() ? FindVocab(dir, "source") : shared;
  s.tgt_vocab_file = shared.empty() ? FindVocab(dir, "target") : shared;
  if (s.src_vocab_file.empty() || s.tgt_vocab_file.empty()) {
    if (!FindVocab(dir, "source_1").empty()) {
      throw ConvertError(dir + ": the model has several source vocabularies (source factors): edgeseq reads one");
    }
    throw ConvertError(dir + ": no vocabulary: CTranslate2 models carry shared_vocabulary.txt, or "
                       "source_vocabulary.txt and target_vocabulary.txt (or their .json forms)");
  }
  const auto [unk_token, unk_where] = cfg_string("unk_token", "<unk>");
  const auto [bos_token, bos_where] = cfg_string("bos_token", "<s>");
  const auto [eos_token, eos_where] = cfg_string("eos_token", "</s>");
  std::string start_token = "<s>", start_where = "CTranslate2's default decoder_start_token (no config.json entry)";
  if (config.contains("decoder_start_token")) {
    if (config["decoder_start_token"].is_null()) {
      throw ConvertError(dir + ": config.json decoder_start_token is null (the user passes it in a target prefix): "
                         "edgeseq needs the decoder start token in the model");
    }
    std::tie(start_token, start_where) = cfg_string("decoder_start_token", "<s>");
  }
  s.src_vocab = ReadVocabFile(s.src_vocab_file);
  s.tgt_vocab = shared.empty() ? ReadVocabFile(s.tgt_vocab_file) : s.src_vocab;
  for (auto* v : {&s.src_vocab, &s.tgt_vocab}) {
    if (IdOf(*v, unk_token) < 0) v->push_back(unk_token);  // as CTranslate2's Vocabulary does
  }
  auto id = [&](const std::vector<std::string>& vocab, const std::string& token, const std::string& where,
                const char* which) {
    const int32_t i = IdOf(vocab, token);
    if (i < 0) throw ConvertError(dir + ": the " + std::string(which) + " vocabulary has no " + token + " (" + where + ")");
    return FileValue<int32_t>{i, token + " in the " + which + " vocabulary (" + where + ")"};
  };
  s.file.bos = id(s.tgt_vocab, bos_token, bos_where, "target");
  s.file.eos = id(s.tgt_vocab, eos_token, eos_where, "target");
  s.file.decoder_start = id(s.tgt_vocab, start_token, start_where, "target");
  {
    // One --unk for both: the same token; ids may differ per vocabulary.
    const int32_t su = IdOf(s.src_vocab, unk_token), tu = IdOf(s.tgt_vocab, unk_token);
    if (su != tu) {
      s.notes.push_back(unk_token + " is source id " + std::to_string(su) + ", target id " + std::to_string(tu));
    }
    s.file.unk = FileValue<int32_t>{tu, unk_token + " (" + unk_where + ")"};
    s.file.src_unk = FileValue<int32_t>{su, unk_token + " in the source vocabulary (" + unk_where + ")"};
    s.file.tgt_unk = FileValue<int32_t>{tu, unk_token + " in the target vocabulary (" + unk_where + ")"};
  }
  // Padding: CTranslate2 pads batches with id 0 and masks it by length.
  s.file.pad = FileValue<int32_t>{-1, "none: CTranslate2 masks padding by length"};
  const auto [add_bos, add_bos_where] = cfg_bool("add_source_bos");
  const auto [add_eos, add_eos_where] = cfg_bool("add_source_eos");
  std::vector<int32_t> prefix, suffix;
  if (add_bos) prefix.push_back(id(s.src_vocab, bos_token, bos_where, "source").value);
  if (add_eos) suffix.push_back(id(s.src_vocab, eos_token, eos_where, "source").value);
  s.file.src_prefix = FileValue<std::vector<int32_t>>{prefix, add_bos_where};
  s.file.src_suffix = FileValue<std::vector<int32_t>>{suffix, add_eos_where};

  // Embedding scale: scale_embeddings (a flag or a value), else the older
  // embeddings/multiply_by_sqrt_depth, else sqrt(d) — per stack, one value.
  const auto emb = by_name.find("encoder/embeddings/weight");
  if (emb == by_name.end() || emb->second->shape.size() != 2) {
    throw ConvertError(dir + ": model.bin has no 2-D encoder/embeddings/weight (the file lists " +
                       std::to_string(by_name.size()) + " variables)");
  }
  const float d = static_cast<float>(emb->second->shape[1]);
  std::optional<FileValue<float>> scale[2];
  for (int k = 0; k < 2; ++k) {
    const SourceTensor* t = flag(stacks[k], "scale_embeddings");
    if (!t) t = flag(stacks[k], "embeddings/multiply_by_sqrt_depth");
    float v = sqrtf(d);
    std::string where = std::string("no ") + stacks[k] + " scale_embeddings (CTranslate2: sqrt(d_model))";
    if (t) {
      const double x = Scalar(*t);
      where = "model.bin " + t->name;
      v = t->type == ElementType::kChar ? (x != 0 ? sqrtf(d) : 1.0f) : static_cast<float>(x);
    }
    scale[k] = FileValue<float>{v, where};
  }
  if (scale[0]->value != scale[1]->value) {
    throw ConvertError(dir + ": the encoder and decoder scale embeddings differently (" + scale[0]->where + ", " +
                       scale[1]->where + "): edgeseq runs one scale");
  }
  s.file.embedding_scale = scale[0];

  // Positions: a stored table (both stacks the same), or CTranslate2's
  // computed sinusoid.
  const auto enc_pos = by_name.find("encoder/position_encodings/encodings");
  const auto dec_pos = by_name.find("decoder/position_encodings/encodings");
  if ((enc_pos == by_name.end()) != (dec_pos == by_name.end())) {
    throw ConvertError(dir + ": only one stack stores a position table: edgeseq runs one kind for both");
  }
  if (enc_pos != by_name.end()) {
    if (enc_pos->second->shape != dec_pos->second->shape || enc_pos->second->Bytes() != dec_pos->second->Bytes()) {
      throw ConvertError(dir + ": the encoder and decoder store different position tables: edgeseq keeps one");
    }
    s.mapping.positions = enc_pos->first;
    s.consumed.insert(dec_pos->first);
  } else {
    s.computed_positions = true;
  }
  const Mapping rules = Ct2TransformerMapping();
  s.mapping.rules = rules.rules;
  return s;
}

}  // namespace edgeseq::tools
