#include "tools/convert_whisper.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "loaders/esq_format.h"
#include "tools/convert.h"

namespace edgeseq::tools {
namespace {

// openai-whisper's names (model.py: AudioEncoder, TextDecoder,
// ResidualAttentionBlock, MultiHeadAttention) onto the .esq roles. The key
// projections have no bias: a zero part (null) in the fused biases.
nlohmann::json WhisperMappingJson() {
  using nlohmann::json;
  json t = json::object();
  auto concat = [](std::vector<json> names) { return json{{"concat", names}}; };
  for (const bool decoder : {false, true}) {
    const std::string stack = decoder ? "decoder" : "encoder";
    const std::string role = stack + ".layers.{i}.", block = stack + ".blocks.{i}.";
    for (const auto& [attn, ours] : {std::pair<std::string, std::string>{"attn", "self_attn"}, {"cross_attn", "cross_attn"}}) {
      if (attn == "cross_attn" && !decoder) continue;
      const std::string a = block + attn + ".";
      if (attn == "attn") {
        t[role + "self_attn.qkv_proj.weight"] = concat({a + "query.weight", a + "key.weight", a + "value.weight"});
        t[role + "self_attn.qkv_proj.bias"] = concat({a + "query.bias", nullptr, a + "value.bias"});
      } else {
        t[role + "cross_attn.q_proj.weight"] = a + "query.weight";
        t[role + "cross_attn.q_proj.bias"] = a + "query.bias";
        t[role + "cross_attn.kv_proj.weight"] = concat({a + "key.weight", a + "value.weight"});
        t[role + "cross_attn.kv_proj.bias"] = concat({nullptr, a + "value.bias"});
      }
      t[role + ours + ".out_proj.weight"] = a + "out.weight";
      t[role + ours + ".out_proj.bias"] = a + "out.bias";
      t[role + ours + "_norm.weight"] = block + attn + "_ln.weight";
      t[role + ours + "_norm.bias"] = block + attn + "_ln.bias";
    }
    t[role + "ffn.fc1.weight"] = block + "mlp.0.weight";
    t[role + "ffn.fc1.bias"] = block + "mlp.0.bias";
    t[role + "ffn.fc2.weight"] = block + "mlp.2.weight";
    t[role + "ffn.fc2.bias"] = block + "mlp.2.bias";
    t[role + "ffn_norm.weight"] = block + "mlp_ln.weight";
    t[role + "ffn_norm.bias"] = block + "mlp_ln.bias";
    t[stack + ".embed_positions.weight"] = stack + ".positional_embedding";
  }
  for (const char* conv : {"conv1", "conv2"}) {
    for (const char* part : {".weight", ".bias"}) {
      t[std::string("encoder.") + conv + part] = std::string("encoder.") + conv + part;
    }
  }
  t["encoder.norm.weight"] = "encoder.ln_post.weight";
  t["encoder.norm.bias"] = "encoder.ln_post.bias";
  t["decoder.norm.weight"] = "decoder.ln.weight";
  t["decoder.norm.bias"] = "decoder.ln.bias";
  t["decoder.embed_tokens.weight"] = "decoder.token_embedding.weight";  // and the tied output
  return json{{"tensors", t}};
}

}  // namespace

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
  w.n_mels = dim("n_mels", loaders::kMaxMels);
  w.audio_ctx = dim("n_audio_ctx", L::kMaxPositions);
  const uint32_t audio_state = dim("n_audio_state", L::kMaxDModel), text_state = dim("n_text_state", L::kMaxDModel);
  const uint32_t audio_head = dim("n_audio_head", L::kMaxHeads), text_head = dim("n_text_head", L::kMaxHeads);
  dim("n_audio_layer", L::kMaxLayers);
  dim("n_text_layer", L::kMaxLayers);
  const uint32_t vocab = w.vocab = dim("n_vocab", L::kMaxVocab);
  w.text_ctx = dim("n_text_ctx", L::kMaxPositions);
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
  const std::string model = "openai-whisper model.py";
  w.file.heads = FileValue<uint32_t>{audio_head, where + ".n_audio_head"};
  w.file.norm_first = FileValue<bool>{true, model + " (ResidualAttentionBlock: pre-LN)"};
  w.file.activation = FileValue<std::string>{"gelu", model + " (mlp: nn.GELU)"};
  w.file.eps = FileValue<float>{1e-5f, model + " (LayerNorm: nn.LayerNorm's eps)"};
  w.file.embedding_scale = FileValue<float>{1.0f, model + " (token_embedding unscaled)"};
  w.file.pad = FileValue<int32_t>{-1, model + " (no padding token in the model)"};
  w.file.bos = FileValue<int32_t>{-1, model + " (decoding starts from <|startoftranscript|>)"};
  w.file.unk = FileValue<int32_t>{-1, model + " (byte-level vocabulary: no unknown token)"};
  w.file.src_unk = FileValue<int32_t>{-1, model + " (audio sources)"};
  w.file.tgt_unk = FileValue<int32_t>{-1, model + " (byte-level vocabulary: no unknown token)"};
  w.file.src_prefix = FileValue<std::vector<int32_t>>{{}, model + " (audio sources)"};
  w.file.src_suffix = FileValue<std::vector<int32_t>>{{}, model + " (audio sources)"};
  // <|endoftext|> and <|startoftranscript|> (openai-whisper tokenizer.py):
  // the English-only vocabulary (51864) has no <|endoftext|> gap for the
  // multilingual tokens.
  if (vocab == 51864 || vocab >= 51865) {
    const int32_t eot = vocab == 51864 ? 50256 : 50257;
    const std::string v = where + ".n_vocab " + std::to_string(vocab);
    w.file.eos = FileValue<int32_t>{eot, v + ": <|endoftext|>"};
    w.file.decoder_start = FileValue<int32_t>{eot + 1, v + ": <|startoftranscript|>"};
  }
  w.description = "openai-whisper checkpoint: " + std::to_string(w.n_mels) + " mels, " + std::to_string(w.audio_ctx) +
                  " audio / " + std::to_string(w.text_ctx) + " text positions";
  w.mapping = ParseMappingJson(WhisperMappingJson().dump());
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

}  // namespace edgeseq::tools
