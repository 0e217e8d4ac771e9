#include "tools/convert_t5.h"

#include <memory>
#include <optional>

#include "loaders/esq_format.h"

namespace edgeseq::tools {

nlohmann::json T5MappingJson(bool gated, uint32_t max_distance) {
  using nlohmann::json;
  json t = json::object();
  auto concat = [](std::vector<std::string> names) { return json{{"concat", names}}; };
  for (const bool decoder : {false, true}) {
    const std::string stack = decoder ? "decoder" : "encoder";
    const std::string role = stack + ".layers.{i}.", block = stack + ".block.{i}.layer.";
    const std::string sa = block + "0.SelfAttention.";
    t[role + "self_attn.qkv_proj.weight"] = concat({sa + "q.weight", sa + "k.weight", sa + "v.weight"});
    t[role + "self_attn.out_proj.weight"] = sa + "o.weight";
    t[role + "self_attn_norm.weight"] = block + "0.layer_norm.weight";
    // The FFN is layer 1 of an encoder block, layer 2 of a decoder block
    // (after the cross-attention, layer 1).
    const std::string ff = block + (decoder ? "2" : "1");
    if (gated) {
      t[role + "ffn.fc1.weight"] = ff + ".DenseReluDense.wi_0.weight";
      t[role + "ffn.fc1_linear.weight"] = ff + ".DenseReluDense.wi_1.weight";
    } else {
      t[role + "ffn.fc1.weight"] = ff + ".DenseReluDense.wi.weight";
    }
    t[role + "ffn.fc2.weight"] = ff + ".DenseReluDense.wo.weight";
    t[role + "ffn_norm.weight"] = ff + ".layer_norm.weight";
    if (decoder) {
      const std::string ca = block + "1.EncDecAttention.";
      t[role + "cross_attn.q_proj.weight"] = ca + "q.weight";
      t[role + "cross_attn.kv_proj.weight"] = concat({ca + "k.weight", ca + "v.weight"});
      t[role + "cross_attn.out_proj.weight"] = ca + "o.weight";
      t[role + "cross_attn_norm.weight"] = block + "1.layer_norm.weight";
    }
    // Only the first block holds the table; every layer uses it.
    t[stack + ".relative_attention_bias.weight"] = stack + ".block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    t[stack + ".norm.weight"] = stack + ".final_layer_norm.weight";
  }
  t["encoder.embed_tokens.weight"] = "shared.weight";
  // Absent (tie_word_embeddings, T5 v1.0): the output is the shared table.
  t["decoder.output_projection.weight"] = json{{"from", "lm_head.weight"}, {"optional", true}};
  return json{{"tensors", t},
              {"aliases", {{"encoder.embed_tokens.weight", "shared.weight"}, {"decoder.embed_tokens.weight", "shared.weight"}}},
              {"model",
               {{"norm", "rms"},
                {"unscaled_attention", true},
                {"tied_output_rescale", true},
                {"relative_max_distance", max_distance}}}};
}

namespace {

uint32_t PositiveKey(const nlohmann::json& c, const char* key, uint64_t max, std::optional<uint32_t> dflt = {}) {
  if (!c.contains(key)) {
    if (dflt) return *dflt;
    throw ConvertError(std::string("config.json has no ") + key);
  }
  const auto& v = c[key];
  if (!v.is_number_unsigned() || v.get<uint64_t>() < 1 || v.get<uint64_t>() > max) {
    throw ConvertError(std::string("config.json ") + key + " must be an integer from 1 to " + std::to_string(max));
  }
  return v.get<uint32_t>();
}

}  // namespace

T5Settings FromT5Config(const nlohmann::json& c) {
  if (!c.is_object()) throw ConvertError("config.json is not an object");
  T5Settings t;
  const uint32_t d = PositiveKey(c, "d_model", loaders::Limits::kMaxDModel);
  t.heads = PositiveKey(c, "num_heads", loaders::Limits::kMaxHeads);
  const uint32_t d_kv = PositiveKey(c, "d_kv", loaders::Limits::kMaxDModel);
  if (uint64_t{d_kv} * t.heads != d) {
    // The runtime's attention splits d_model into the heads (T5 3B/11B do not).
    throw ConvertError("config.json d_kv " + std::to_string(d_kv) + " × num_heads " + std::to_string(t.heads) +
                       " differs from d_model " + std::to_string(d) + ": not supported");
  }
  const uint32_t buckets = PositiveKey(c, "relative_attention_num_buckets", loaders::kMaxRelativeBuckets, 32);
  (void)buckets;  // the table's rows say it; the reader checks they agree
  const uint32_t max_distance = PositiveKey(c, "relative_attention_max_distance", 65535, 128);
  if (c.contains("layer_norm_epsilon")) {
    if (!c["layer_norm_epsilon"].is_number() || !(c["layer_norm_epsilon"].get<double>() > 0)) {
      throw ConvertError("config.json layer_norm_epsilon must be a positive number");
    }
    t.eps = c["layer_norm_epsilon"].get<float>();
  }
  // feed_forward_proj: "[gated-]ACT" (configuration_t5.py); "gated-gelu"
  // means the tanh approximation (gelu_new).
  const std::string ffp = c.value("feed_forward_proj", std::string("relu"));
  const bool gated = ffp.rfind("gated-", 0) == 0;
  const std::string act = gated ? ffp.substr(6) : ffp;
  if (act == "relu") {
    t.activation = "relu";
  } else if (act == "gelu") {
    t.activation = gated ? "gelu_tanh" : "gelu";
  } else if (act == "gelu_new" || act == "gelu_pytorch_tanh") {
    t.activation = "gelu_tanh";
  } else if (act == "silu" || act == "swish") {
    t.activation = "silu";
  } else {
    throw ConvertError("config.json feed_forward_proj '" + ffp + "' is not supported (relu, gelu, gelu_new, silu, "
                       "each optionally gated-)");
  }
  auto id = [&](const char* key, int32_t dflt) {
    if (!c.contains(key) || c[key].is_null()) return dflt;
    if (!c[key].is_number_integer()) throw ConvertError(std::string("config.json ") + key + " must be an integer");
    return c[key].get<int32_t>();
  };
  t.pad = id("pad_token_id", 0);
  t.eos = id("eos_token_id", 1);
  t.decoder_start = id("decoder_start_token_id", t.pad);
  t.max_positions = PositiveKey(c, "n_positions", loaders::Limits::kMaxPositions, 512);
  t.mapping = ParseMappingJson(T5MappingJson(gated, max_distance).dump());
  // An untied checkpoint maps lm_head, a tied one does not: the same rule
  // serves both (optional); tie_word_embeddings only decides which is right.
  const bool tied = c.value("tie_word_embeddings", true);
  for (MappingRule& r : t.mapping.rules) {
    if (r.role == "decoder.output_projection.weight") r.optional = tied;
  }
  return t;
}

void ApplyT5Settings(const T5Settings& t, ConvertOptions& o) {
  o.mapping = std::make_shared<const Mapping>(t.mapping);
  o.heads = t.heads;
  o.norm_first = true;
  o.activation = t.activation;
  o.eps = t.eps;
  o.pad = t.pad;
  o.eos = t.eos;
  o.bos = -1;  // T5 has no BOS
  o.unk = t.unk;
  o.decoder_start = t.decoder_start;
  o.embedding_scale = 1.0f;
  o.max_positions = t.max_positions;
  o.src_prefix = std::vector<int32_t>{};
  o.src_suffix = std::vector<int32_t>{t.eos};  // T5 tokenizers append </s>
  o.src_normalize = "none";
}

}  // namespace edgeseq::tools
