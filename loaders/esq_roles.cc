// Tensor roles: the names the runtime looks for and the shapes the header
// implies for them (docs/FORMAT.md, "Tensor roles").
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "loaders/esq_reader.h"

namespace edgeseq::loaders {
namespace {

using Shape = std::vector<uint64_t>;

// Shapes of the per-layer tensors, by the part of the name after
// "<stack>.layers.<i>.". Attention projections are fused: self-attention
// computes q, k and v in one matmul, cross-attention k and v in one.
Shape LayerShape(std::string_view rest, const ModelConfig& c, bool decoder) {
  const uint64_t d = c.d_model, f = c.ffn_dim;
  if (rest == "self_attn.qkv_proj.weight") return {3 * d, d};
  if (rest == "self_attn.qkv_proj.bias") return {3 * d};
  if (rest == "self_attn.out_proj.weight") return {d, d};
  if (rest == "self_attn.out_proj.bias") return {d};
  if (rest == "self_attn_norm.weight" || rest == "self_attn_norm.bias") return {d};
  if (rest == "ffn.fc1.weight") return {f, d};
  if (rest == "ffn.fc1.bias") return {f};
  if (rest == "ffn.fc1_linear.weight") return {f, d};  // gated FFN (version 1.3)
  if (rest == "ffn.fc1_linear.bias") return {f};
  if (rest == "ffn.fc2.weight") return {d, f};
  if (rest == "ffn.fc2.bias") return {d};
  if (rest == "ffn_norm.weight" || rest == "ffn_norm.bias") return {d};
  if (decoder) {
    if (rest == "cross_attn.q_proj.weight") return {d, d};
    if (rest == "cross_attn.q_proj.bias") return {d};
    if (rest == "cross_attn.kv_proj.weight") return {2 * d, d};
    if (rest == "cross_attn.kv_proj.bias") return {2 * d};
    if (rest == "cross_attn.out_proj.weight") return {d, d};
    if (rest == "cross_attn.out_proj.bias") return {d};
    if (rest == "cross_attn_norm.weight" || rest == "cross_attn_norm.bias") return {d};
  }
  return {};
}

}  // namespace

std::vector<uint64_t> ExpectedShape(std::string_view name, const ModelConfig& c, const std::string& file) {
  const uint64_t d = c.d_model;
  if (name == "encoder.embed_tokens.weight") return {c.src_vocab_size, d};
  if (name == "decoder.embed_tokens.weight") return {c.tgt_vocab_size, d};
  if (name == "encoder.embed_positions.weight") return {c.max_positions, d};
  if (name == "decoder.embed_positions.weight") return {DecoderPositions(c), d};
  // Log-mel encoders (version 1.4): the convolutions as matrices in the
  // Linear orientation, [out, kernel·in], column k·in + i holding PyTorch's
  // weight[o, i, k] (tap-major: im2col copies 3 whole input rows), so that
  // int8 keeps one scale per output channel.
  if (c.encoder_input == EncoderInput::kLogMel) {
    if (name == "encoder.conv1.weight") return {d, 3 * uint64_t{c.n_mels}};
    if (name == "encoder.conv2.weight") return {d, 3 * d};
    if (name == "encoder.conv1.bias" || name == "encoder.conv2.bias") return {d};
  }
  if (name == "encoder.norm.weight" || name == "encoder.norm.bias" || name == "decoder.norm.weight" ||
      name == "decoder.norm.bias" || name == "encoder.embed_norm.weight" || name == "encoder.embed_norm.bias" ||
      name == "decoder.embed_norm.weight" || name == "decoder.embed_norm.bias") {
    return {d};
  }
  if (name == "encoder.relative_attention_bias.weight" || name == "decoder.relative_attention_bias.weight") {
    return {c.relative_num_buckets, c.num_heads};  // version 1.3, T5 buckets
  }
  if (name == "decoder.output_projection.weight") return {c.tgt_vocab_size, d};
  if (name == "decoder.output_projection.bias") return {c.tgt_vocab_size};
  for (const bool decoder : {false, true}) {
    const std::string_view prefix = decoder ? "decoder.layers." : "encoder.layers.";
    if (name.substr(0, prefix.size()) != prefix) continue;
    const std::string_view tail = name.substr(prefix.size());
    const size_t dot = tail.find('.');
    if (dot == std::string_view::npos || dot == 0) return {};
    uint64_t layer = 0;
    const auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + dot, layer);
    if (ec != std::errc() || ptr != tail.data() + dot) return {};
    Shape shape = LayerShape(tail.substr(dot + 1), c, decoder);
    const uint64_t layers = decoder ? c.decoder_layers : c.encoder_layers;
    if (!shape.empty() && layer >= layers) {
      throw EsqError(EsqErrorKind::kShapeMismatch, file, "tensor '" + std::string(name) + "'",
                     "layer " + std::to_string(layer) + " but the header has " + std::to_string(layers) +
                         (decoder ? " decoder" : " encoder") + " layers");
    }
    return shape;
  }
  return {};
}

}  // namespace edgeseq::loaders
