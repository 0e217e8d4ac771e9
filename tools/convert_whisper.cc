#include "tools/convert_whisper.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loaders/esq_format.h"
#include "loaders/mapped_file.h"
#include "runtime/error.h"
#include "runtime/whisper_tokens.h"
#include "tools/convert.h"
#include "tools/json_file.h"

namespace edgeseq::tools {
namespace {

// One layout's names for the parts of Whisper (the roles' structure is the
// same for both layouts).
struct WhisperNames {
  std::string root;                     // before "encoder." / "decoder."
  std::string blocks;                   // the per-layer list
  std::string self_attn, cross_attn;    // attention modules
  std::string q, k, v, out;             // their projections
  std::string self_ln, cross_ln, mlp_ln;
  std::string fc1, fc2;
  std::string positions;                // after "<root><stack>."
  std::string encoder_ln, decoder_ln;   // the final norms, after "<root><stack>."
  std::string tokens;                   // after "<root>decoder."
};

// openai-whisper model.py: AudioEncoder, TextDecoder, ResidualAttentionBlock,
// MultiHeadAttention.
const WhisperNames kOpenAi = {"",      "blocks",  "attn",          "cross_attn", "query", "key", "value", "out",
                              "attn_ln", "cross_attn_ln", "mlp_ln", "mlp.0", "mlp.2", "positional_embedding",
                              "ln_post", "ln",      "token_embedding.weight"};
// Hugging Face transformers modeling_whisper.py (WhisperForConditionalGeneration).
const WhisperNames kHf = {"model.", "layers", "self_attn", "encoder_attn", "q_proj", "k_proj", "v_proj", "out_proj",
                          "self_attn_layer_norm", "encoder_attn_layer_norm", "final_layer_norm", "fc1", "fc2",
                          "embed_positions.weight", "layer_norm", "layer_norm", "embed_tokens.weight"};

// A layout's names onto the .esq roles. The key projections have no bias: a
// zero part (null) in the fused biases.
nlohmann::json WhisperMappingJson(const WhisperNames& n) {
  using nlohmann::json;
  json t = json::object();
  auto concat = [](std::vector<json> names) { return json{{"concat", names}}; };
  for (const bool decoder : {false, true}) {
    const std::string stack = decoder ? "decoder" : "encoder";
    const std::string role = stack + ".layers.{i}.", block = n.root + stack + "." + n.blocks + ".{i}.";
    for (const bool cross : {false, true}) {
      if (cross && !decoder) continue;
      const std::string a = block + (cross ? n.cross_attn : n.self_attn) + ".";
      const std::string ours = cross ? "cross_attn" : "self_attn";
      if (cross) {
        t[role + "cross_attn.q_proj.weight"] = a + n.q + ".weight";
        t[role + "cross_attn.q_proj.bias"] = a + n.q + ".bias";
        t[role + "cross_attn.kv_proj.weight"] = concat({a + n.k + ".weight", a + n.v + ".weight"});
        t[role + "cross_attn.kv_proj.bias"] = concat({nullptr, a + n.v + ".bias"});
      } else {
        t[role + "self_attn.qkv_proj.weight"] = concat({a + n.q + ".weight", a + n.k + ".weight", a + n.v + ".weight"});
        t[role + "self_attn.qkv_proj.bias"] = concat({a + n.q + ".bias", nullptr, a + n.v + ".bias"});
      }
      t[role + ours + ".out_proj.weight"] = a + n.out + ".weight";
      t[role + ours + ".out_proj.bias"] = a + n.out + ".bias";
      const std::string ln = block + (cross ? n.cross_ln : n.self_ln);
      t[role + ours + "_norm.weight"] = ln + ".weight";
      t[role + ours + "_norm.bias"] = ln + ".bias";
    }
    t[role + "ffn.fc1.weight"] = block + n.fc1 + ".weight";
    t[role + "ffn.fc1.bias"] = block + n.fc1 + ".bias";
    t[role + "ffn.fc2.weight"] = block + n.fc2 + ".weight";
    t[role + "ffn.fc2.bias"] = block + n.fc2 + ".bias";
    t[role + "ffn_norm.weight"] = block + n.mlp_ln + ".weight";
    t[role + "ffn_norm.bias"] = block + n.mlp_ln + ".bias";
    t[stack + ".embed_positions.weight"] = n.root + stack + "." + n.positions;
    const std::string final_ln = n.root + stack + "." + (decoder ? n.decoder_ln : n.encoder_ln);
    t[stack + ".norm.weight"] = final_ln + ".weight";
    t[stack + ".norm.bias"] = final_ln + ".bias";
  }
  for (const char* part : {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"}) {
    t[std::string("encoder.") + part] = n.root + "encoder." + part;
  }
  t["decoder.embed_tokens.weight"] = n.root + "decoder." + n.tokens;  // and the tied output
  json m = json{{"tensors", t}};
  // Hugging Face's output projection is the token table (tied; save_pretrained
  // usually leaves it out).
  if (!n.root.empty()) m["aliases"] = json{{"proj_out.weight", n.root + "decoder." + n.tokens}};
  return m;
}

}  // namespace

void SetWhisperConventions(const std::string& where, FileSettings& f) {
  f.norm_first = FileValue<bool>{true, where + " (pre-LN residual blocks)"};
  f.activation = FileValue<std::string>{"gelu", where + " (GELU MLP)"};
  f.eps = FileValue<float>{1e-5f, where + " (nn.LayerNorm's eps)"};
  f.embedding_scale = FileValue<float>{1.0f, where + " (token embedding unscaled)"};
  f.pad = FileValue<int32_t>{-1, where + " (no padding in the model)"};
  f.bos = FileValue<int32_t>{-1, where + " (decoding starts from <|startoftranscript|>)"};
  f.unk = f.tgt_unk = FileValue<int32_t>{-1, where + " (byte-level vocabulary: no unknown token)"};
  f.src_unk = FileValue<int32_t>{-1, where + " (audio sources)"};
  f.src_prefix = FileValue<std::vector<int32_t>>{{}, where + " (audio sources)"};
  f.src_suffix = FileValue<std::vector<int32_t>>{{}, where + " (audio sources)"};
}

Mapping WhisperCt2Mapping() {
  using nlohmann::json;
  json t = json::object();
  for (const bool decoder : {false, true}) {
    const std::string stack = decoder ? "decoder" : "encoder";
    const std::string role = stack + ".layers.{i}.", block = stack + "/layer_{i}/";
    auto linear = [&](const std::string& ours, const std::string& theirs) {
      t[role + ours + ".weight"] = block + theirs + "/weight";
      t[role + ours + ".bias"] = block + theirs + "/bias";
    };
    auto norm = [&](const std::string& ours, const std::string& theirs) {
      t[ours + ".weight"] = theirs + "/gamma";
      t[ours + ".bias"] = theirs + "/beta";
    };
    linear("self_attn.qkv_proj", "self_attention/linear_0");  // q, k, v fused (the key's bias zeros)
    linear("self_attn.out_proj", "self_attention/linear_1");
    norm(role + "self_attn_norm", block + "self_attention/layer_norm");
    if (decoder) {
      linear("cross_attn.q_proj", "attention/linear_0");
      linear("cross_attn.kv_proj", "attention/linear_1");  // k, v fused
      linear("cross_attn.out_proj", "attention/linear_2");
      norm(role + "cross_attn_norm", block + "attention/layer_norm");
    }
    linear("ffn.fc1", "ffn/linear_0");
    linear("ffn.fc2", "ffn/linear_1");
    norm(role + "ffn_norm", block + "ffn/layer_norm");
    norm(stack + ".norm", stack + "/layer_norm");
    t[stack + ".embed_positions.weight"] = stack + "/position_encodings/encodings";
  }
  for (const char* conv : {"conv1", "conv2"}) {
    t[std::string("encoder.") + conv + ".weight"] = std::string("encoder/") + conv + "/weight";
    t[std::string("encoder.") + conv + ".bias"] = std::string("encoder/") + conv + "/bias";
  }
  t["decoder.embed_tokens.weight"] = "decoder/embeddings/weight";  // and the tied output
  // CTranslate2 stores the output projection as an alias of the token table.
  const json m = json{{"tensors", t}, {"aliases", json{{"decoder/projection/weight", "decoder/embeddings/weight"}}}};
  return ParseMappingJson(m.dump());
}

Mapping WhisperMapping(bool hugging_face) { return ParseMappingJson(WhisperMappingJson(hugging_face ? kHf : kOpenAi).dump()); }

bool IsWhisperCheckpoint(const loaders::Checkpoint& ck) {
  bool conv = false;
  for (const auto& t : ck.tensors) conv |= t.name == "encoder.conv1.weight";
  return conv && (ck.ints.count("dims.n_mels") || ck.ints.count("dims.n_audio_state"));
}

WhisperSettings FromWhisperCheckpoint(const loaders::Checkpoint& ck) {
  auto dim = [&](const char* key, uint64_t max) {
    const auto it = ck.ints.find(std::string("dims.") + key);
    if (it == ck.ints.end()) throw ConvertError(std::string("the checkpoint's dims have no ") + key);
    if (it->second < 1 || static_cast<uint64_t>(it->second) > max) {
      throw ConvertError(std::string("the checkpoint's dims.") + key + " is " + std::to_string(it->second) +
                         ", outside [1, " + std::to_string(max) + "]");
    }
    return static_cast<uint32_t>(it->second);
  };
  using L = loaders::Limits;
  WhisperSettings w;
  w.dims.n_mels = dim("n_mels", loaders::kMaxMels);
  w.dims.audio_ctx = dim("n_audio_ctx", L::kMaxPositions);
  const uint32_t audio_state = dim("n_audio_state", L::kMaxDModel), text_state = dim("n_text_state", L::kMaxDModel);
  const uint32_t audio_head = dim("n_audio_head", L::kMaxHeads), text_head = dim("n_text_head", L::kMaxHeads);
  dim("n_audio_layer", L::kMaxLayers);
  dim("n_text_layer", L::kMaxLayers);
  const uint32_t vocab = w.vocab = dim("n_vocab", L::kMaxVocab);
  w.dims.text_ctx = dim("n_text_ctx", L::kMaxPositions);
  // The runtime has one width and one head count for both stacks (every
  // released Whisper has them equal).
  if (audio_state != text_state) {
    throw ConvertError("dims.n_audio_state " + std::to_string(audio_state) + " differs from n_text_state " +
                       std::to_string(text_state) + ": not supported");
  }
  if (audio_head != text_head) {
    throw ConvertError("dims.n_audio_head " + std::to_string(audio_head) + " differs from n_text_head " +
                       std::to_string(text_head) + ": not supported");
  }
  const std::string where = "the checkpoint's dims";
  w.file.heads = FileValue<uint32_t>{audio_head, where + ".n_audio_head"};
  SetWhisperConventions("openai-whisper model.py", w.file);
  // <|endoftext|> and <|startoftranscript|> (openai-whisper tokenizer.py):
  // the English-only vocabulary (51864) has no <|endoftext|> gap for the
  // multilingual tokens.
  if (vocab == 51864 || vocab >= 51865) {
    const int32_t eot = vocab == 51864 ? 50256 : 50257;
    const std::string v = where + ".n_vocab " + std::to_string(vocab);
    w.file.eos = FileValue<int32_t>{eot, v + ": <|endoftext|>"};
    w.file.decoder_start = FileValue<int32_t>{eot + 1, v + ": <|startoftranscript|>"};
  }
  w.description = "openai-whisper checkpoint: " + std::to_string(w.dims.n_mels) + " mels, " +
                  std::to_string(w.dims.audio_ctx) + " audio / " + std::to_string(w.dims.text_ctx) + " text positions";
  w.mapping = WhisperMapping(false);
  return w;
}

std::vector<float> ConvToTapMajor(const std::vector<float>& w, uint64_t out, uint64_t in) {
  std::vector<float> t(w.size());
  for (uint64_t o = 0; o < out; ++o) {
    for (uint64_t i = 0; i < in; ++i) {
      for (uint64_t k = 0; k < 3; ++k) t[(o * 3 + k) * in + i] = w[(o * in + i) * 3 + k];
    }
  }
  return t;
}

namespace {

runtime::WhisperLayout LayoutFor(const std::string& flag, uint32_t n_vocab) {
  try {
    return runtime::WhisperLayoutFromVocabSize(n_vocab);
  } catch (const runtime::Error& e) {
    throw ConvertError(flag + ": the model's " + std::to_string(n_vocab) +
                       " target tokens are none of Whisper's vocabularies (51864 English-only, 51865 and up "
                       "multilingual), so Whisper's special tokens cannot be laid out: " + e.what());
  }
}

constexpr std::string_view kWhisperDirPrefix = "whisper-dir:";

}  // namespace

std::string WhisperDirTokenizerSpec(const std::string& dir) {
  const std::string d = dir + "/";
  const bool json = loaders::IsRegularFile(d + "tokenizer.json");
  const bool pair = loaders::IsRegularFile(d + "vocab.json") && loaders::IsRegularFile(d + "merges.txt");
  const bool ct2 = loaders::IsRegularFile(d + "vocabulary.json");
  return json || pair || ct2 ? std::string(kWhisperDirPrefix) + dir : std::string();
}

bool IsWhisperDirTokenizerSpec(const std::string& spec) {
  return spec.size() > kWhisperDirPrefix.size() && spec.compare(0, kWhisperDirPrefix.size(), kWhisperDirPrefix) == 0;
}

BpeTokenizerFile WhisperDirTokenizer(const std::string& flag, const std::string& spec, uint32_t n_vocab) {
  const runtime::WhisperLayout layout = LayoutFor(flag, n_vocab);
  const std::string dir = spec.substr(kWhisperDirPrefix.size()) + "/";
  const size_t T = layout.tiktoken_size;
  const std::vector<std::string> specials =
      runtime::WhisperSpecialTokens(T, layout.multilingual, layout.num_languages).specials;
  // Every entry, by id, with the file it came from (for messages).
  std::map<uint64_t, std::pair<std::string, std::string>> entries;
  std::vector<std::pair<std::string, std::string>> merges;
  std::string merges_where;
  auto add = [&](const std::string& where, const std::string& text, const nlohmann::json& id) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= n_vocab) {
      throw ConvertError(flag + ": " + where + ": the id of '" + text + "' is not one of the model's " +
                         std::to_string(n_vocab) + " token ids");
    }
    const auto [it, fresh] = entries.emplace(id.get<uint64_t>(), std::pair{text, where});
    if (!fresh && it->second.first != text) {
      throw ConvertError(flag + ": " + where + ": id " + id.dump() + " is both '" + it->second.first + "' and '" +
                         text + "'");
    }
  };
  auto merge = [&](const std::string& line, size_t i) {
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string::npos) {
      throw ConvertError(flag + ": " + merges_where + " entry " + std::to_string(i + 1) +
                         ": expected two tokens separated by one space");
    }
    merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  };
  if (loaders::IsRegularFile(dir + "tokenizer.json")) {
    const std::string path = dir + "tokenizer.json";
    const nlohmann::json j = ReadJsonObject(path);
    const auto model = j.find("model");
    if (model == j.end() || !model->is_object() || model->value("type", std::string()) != "BPE" ||
        !model->contains("vocab") || !(*model)["vocab"].is_object() || !model->contains("merges") ||
        !(*model)["merges"].is_array()) {
      throw ConvertError(flag + ": " + path + ": expected a BPE model with vocab and merges");
    }
    for (const auto& [text, id] : (*model)["vocab"].items()) add(path + " model.vocab", text, id);
    merges_where = path + " model.merges";
    size_t i = 0;
    for (const auto& m : (*model)["merges"]) {
      if (m.is_string()) {
        merge(m.get<std::string>(), i);
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        merge(m[0].get<std::string>() + " " + m[1].get<std::string>(), i);
      } else {
        throw ConvertError(flag + ": " + merges_where + " entry " + std::to_string(i + 1) + " is not a merge");
      }
      ++i;
    }
    if (j.contains("added_tokens")) {
      if (!j["added_tokens"].is_array()) throw ConvertError(flag + ": " + path + ": added_tokens is not a list");
      for (const auto& t : j["added_tokens"]) {
        if (!t.is_object() || !t.contains("content") || !t["content"].is_string() || !t.contains("id")) {
          throw ConvertError(flag + ": " + path + ": an added_tokens entry lacks its content or id");
        }
        add(path + " added_tokens", t["content"].get<std::string>(), t["id"]);
      }
    }
  } else if (!loaders::IsRegularFile(dir + "vocab.json") && loaders::IsRegularFile(dir + "vocabulary.json")) {
    // CTranslate2's Whisper: the tokens in id order, no merges.
    const std::string path = dir + "vocabulary.json";
    nlohmann::json list;
    try {
      list = nlohmann::json::parse(std::ifstream(path, std::ios::binary));
    } catch (const std::exception& e) {
      throw ConvertError(flag + ": " + path + " is not valid JSON: " + e.what());
    }
    if (!list.is_array()) throw ConvertError(flag + ": " + path + ": expected a list of tokens");
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) throw ConvertError(flag + ": " + path + ": entry " + std::to_string(i) + " is not a string");
      add(path, list[i].get<std::string>(), nlohmann::json(i));
    }
  } else {
    const nlohmann::json vocab = ReadJsonObject(dir + "vocab.json");
    for (const auto& [text, id] : vocab.items()) add(dir + "vocab.json", text, id);
    if (loaders::IsRegularFile(dir + "added_tokens.json")) {
      const nlohmann::json added = ReadJsonObject(dir + "added_tokens.json");
      for (const auto& [text, id] : added.items()) add(dir + "added_tokens.json", text, id);
    }
    merges_where = dir + "merges.txt";
    std::ifstream in(merges_where, std::ios::binary);
    if (!in) throw ConvertError(flag + ": cannot read " + merges_where);
    std::string line;
    size_t i = 0;
    for (size_t n = 0; std::getline(in, line); ++n) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || (n == 0 && line.rfind("#version", 0) == 0)) continue;
      merge(line, i++);
    }
  }

  // The BPE tokens: ids 0 .. T-1, each spelled in GPT-2's byte-to-unicode.
  std::vector<std::string> tokens(T);
  std::unordered_map<std::string, size_t> index;
  for (size_t id = 0; id < T; ++id) {
    const auto it = entries.find(id);
    if (it == entries.end()) {
      throw ConvertError(flag + ": " + dir + ": no token has id " + std::to_string(id) + " (Whisper's " +
                         (layout.multilingual ? "multilingual" : "English-only") + " BPE has " + std::to_string(T) +
                         " tokens)");
    }
    if (!runtime::UnicodeToBytes(it->second.first, &tokens[id]) || (id < 256) != (tokens[id].size() == 1)) {
      throw ConvertError(flag + ": " + it->second.second + ": token " + std::to_string(id) + " '" +
                         it->second.first + "' is not Whisper's BPE token " + std::to_string(id) +
                         " (ids 0-255 are single bytes, the others longer)");
    }
    index.emplace(it->second.first, id);
  }
  // Ranks mode equals the merges exactly when merge i makes id 256 + i from
  // two lower ids (transformers lists a tiktoken file's merges by the rank
  // they make); ids after the last merge must be unreachable (empty).
  if (merges.size() > T - 256) {
    throw ConvertError(flag + ": " + merges_where + " has " + std::to_string(merges.size()) + " merges, more than " +
                       std::to_string(T - 256) + " for " + std::to_string(T) + " tokens");
  }
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto l = index.find(merges[i].first), r = index.find(merges[i].second),
               m = index.find(merges[i].first + merges[i].second);
    const size_t made = 256 + i;
    if (l == index.end() || r == index.end() || m == index.end() || m->second != made || l->second >= made ||
        r->second >= made) {
      throw ConvertError(flag + ": " + merges_where + " entry " + std::to_string(i + 1) + " '" + merges[i].first +
                         " " + merges[i].second + "' does not make token " + std::to_string(made) +
                         " from two earlier ones, as a tokenizer converted from Whisper's .tiktoken file does; "
                         "give the .tiktoken file instead (--tgt-tokenizer tiktoken:FILE)");
    }
  }
  if (!merges_where.empty()) {
    for (size_t id = 256 + merges.size(); id < T; ++id) {
      if (!tokens[id].empty()) {
        throw ConvertError(flag + ": " + merges_where + ": no merge makes token " + std::to_string(id) + " '" +
                           entries[id].first + "'");
      }
    }
  } else {
    // No merges (CTranslate2's vocabulary): every token must be the merge of
    // the two parts BPE by the ranks below its own leaves of its bytes, as
    // in a .tiktoken file (transformers finds a tiktoken file's merges so).
    std::unordered_map<std::string, size_t> rank;
    for (size_t id = 0; id < T; ++id) rank.emplace(tokens[id], id);
    std::vector<std::string> parts;
    for (size_t id = 256; id < T; ++id) {
      if (tokens[id].empty()) continue;
      parts.clear();
      for (char ch : tokens[id]) parts.emplace_back(1, ch);
      for (;;) {
        size_t best = SIZE_MAX, at = 0;
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
          const auto r = rank.find(parts[i] + parts[i + 1]);
          if (r != rank.end() && r->second < id && r->second < best) best = r->second, at = i;
        }
        if (best == SIZE_MAX) break;
        parts[at] += parts[at + 1];
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
      }
      if (parts.size() != 2) {
        throw ConvertError(flag + ": " + entries[id].second + ": token " + std::to_string(id) + " '" +
                           entries[id].first + "' is not what BPE by rank makes of its bytes (the ranks below " +
                           "it leave " + std::to_string(parts.size()) + " parts, not 2), so these are not " +
                           "Whisper's ranks; give the .tiktoken file instead (--tgt-tokenizer tiktoken:FILE)");
      }
    }
  }
  // Every other entry must be Whisper's special token of that id.
  for (auto it = entries.lower_bound(T); it != entries.end(); ++it) {
    const std::string& want = specials[it->first - T];
    const bool alias = want == "<|nospeech|>" && it->second.first == "<|nocaptions|>";
    if (it->second.first != want && !alias) {
      throw ConvertError(flag + ": " + it->second.second + ": id " + std::to_string(it->first) + " is '" +
                         it->second.first + "', Whisper's tokenizer has '" + want + "' there");
    }
  }
  return RanksWithSpecials(flag, std::move(tokens), specials);
}

BpeTokenizerFile WhisperTiktoken(const std::string& flag, const std::string& path, uint32_t n_vocab) {
  const runtime::WhisperLayout layout = LayoutFor(flag, n_vocab);
  return ReadTiktokenWithSpecials(flag, path, [&](size_t size) {
    if (size != layout.tiktoken_size) {
      const bool english = !layout.multilingual;
      throw ConvertError(flag + ": " + path + " has " + std::to_string(size) + " tokens; a" +
                         (english ? "n English-only" : " multilingual") + " Whisper model (n_vocab " +
                         std::to_string(n_vocab) + ") needs " + std::to_string(layout.tiktoken_size) + " (" +
                         (english ? "gpt2" : "multilingual") + ".tiktoken)");
    }
    runtime::WhisperVocabulary v = runtime::WhisperSpecialTokens(size, layout.multilingual, layout.num_languages);
    if (size + v.specials.size() != n_vocab) {
      throw ConvertError(flag + ": " + path + "'s " + std::to_string(size) + " tokens and Whisper's " +
                         std::to_string(v.specials.size()) + " special tokens are not the model's " +
                         std::to_string(n_vocab));
    }
    return v.specials;
  });
}

}  // namespace edgeseq::tools
