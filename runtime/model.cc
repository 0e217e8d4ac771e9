#include "runtime/model.h"

#include <string.h>

#include <algorithm>

#include "loaders/half.h"
#include "ops/embedding.h"
#include "runtime/error.h"

namespace edgeseq::runtime {
namespace {

using loaders::DType;
using loaders::TensorInfo;

[[noreturn]] void Missing(const loaders::EsqFile& f, const std::string& name) {
  throw Error(ErrorKind::kModel, f.path() + ": the model has no tensor '" + name + "'");
}

ops::Activation ToActivation(loaders::ActivationKind k) {
  switch (k) {
    case loaders::ActivationKind::kReLU: return ops::Activation::kReLU;
    case loaders::ActivationKind::kGelu: return ops::Activation::kGeluErf;
    case loaders::ActivationKind::kGeluTanh: return ops::Activation::kGeluTanh;
    case loaders::ActivationKind::kSiLU: return ops::Activation::kSiLU;
  }
  return ops::Activation::kReLU;
}

constexpr const char* kSrcEmbedding = "encoder.embed_tokens.weight";
constexpr const char* kTgtEmbedding = "decoder.embed_tokens.weight";

}  // namespace

// A tensor as f32: in place when stored as f32, else widened once.
const float* Model::F32(const std::string& name, bool required) {
  const TensorInfo* t = file_.Find(name);
  if (!t) {
    if (required) Missing(file_, name);
    return nullptr;
  }
  switch (t->dtype) {
    case DType::kF32: return static_cast<const float*>(t->data);
    case DType::kF16:
    case DType::kBF16: {
      std::vector<float>& v = owned_.emplace_back(t->elements());
      const auto* h = static_cast<const uint16_t*>(t->data);
      for (size_t i = 0; i < v.size(); ++i) v[i] = t->dtype == DType::kF16 ? loaders::HalfToFloat(h[i]) : loaders::BFloat16ToFloat(h[i]);
      return v.data();
    }
    case DType::kI8: {
      std::vector<float>& v = owned_.emplace_back(t->elements());
      const auto* q = static_cast<const int8_t*>(t->data);
      for (size_t i = 0; i < v.size(); ++i) v[i] = q[i] * t->scales[i / t->cols()];
      return v.data();
    }
  }
  Missing(file_, name);
}

Linear Model::MakeLinear(const std::string& name, const std::string& bias_name, ops::Int8Rows rows) {
  const TensorInfo* t = file_.Find(name);
  if (!t) Missing(file_, name);
  if (t->ndim != 2) throw Error(ErrorKind::kModel, file_.path() + ": tensor '" + name + "' is not a matrix");
  Linear l;
  l.out = t->dims[0];
  l.in = t->dims[1];
  const float* bias = bias_name.empty() ? nullptr : F32(bias_name, /*required=*/false);
  if (t->dtype == DType::kI8) {
    l.matmul = ops::Matmul::CreateInt8(static_cast<const int8_t*>(t->data), t->scales, l.out, l.in, bias, rows);
  } else {
    l.matmul = ops::Matmul::CreateF32(F32(name), l.out, l.in, bias);
  }
  return l;
}

Norm Model::MakeNorm(const std::string& prefix) {
  Norm n;
  n.gamma = F32(prefix + ".weight");
  n.beta = norm_kind() == ops::NormKind::kLayerNorm ? F32(prefix + ".bias", /*required=*/false) : nullptr;
  return n;
}

Embedding Model::MakeEmbedding(const std::string& name) {
  const TensorInfo* t = file_.Find(name);
  if (!t) Missing(file_, name);
  Embedding e;
  e.vocab = t->dims[0];
  e.dim = t->dims[1];
  if (t->dtype == DType::kI8) {
    e.i8 = static_cast<const int8_t*>(t->data);
    e.scales = t->scales;
  } else if (t->dtype == DType::kF16) {
    e.f16 = static_cast<const uint16_t*>(t->data);
  } else {
    e.f32 = F32(name);
  }
  return e;
}

std::shared_ptr<const Model> Model::Load(const std::string& path, const ModelOptions& options) {
  return FromFile(loaders::EsqFile::Open(path, options.verify_checksums));
}

std::shared_ptr<const Model> Model::FromBytes(const uint8_t* bytes, size_t size, const std::string& name,
                                              const ModelOptions& options) {
  loaders::EsqFile file = loaders::EsqFile::FromBytes(bytes, size, name);
  if (options.verify_checksums) file.VerifyChecksums();
  return FromFile(std::move(file));
}

std::shared_ptr<const Model> Model::FromFile(loaders::EsqFile file) {
  std::shared_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  const loaders::ModelConfig& c = m->config();
  m->activation_ = ToActivation(c.activation);
  // A log-mel encoder has no token table; its front end is two convolutions.
  if (m->log_mel_input()) {
    m->conv1_ = m->MakeLinear("encoder.conv1.weight", "encoder.conv1.bias");
    m->conv2_ = m->MakeLinear("encoder.conv2.weight", "encoder.conv2.bias");
  } else {
    m->src_embedding_ = m->MakeEmbedding(kSrcEmbedding);
  }
  m->tgt_embedding_ = c.shared_embeddings ? m->src_embedding_ : m->MakeEmbedding(kTgtEmbedding);
  // The table the decoder looks up (and, when tied, the output projection).
  const char* tgt_table = c.shared_embeddings ? kSrcEmbedding : kTgtEmbedding;

  switch (c.position_kind) {
    case loaders::PositionKind::kNone: break;
    case loaders::PositionKind::kSinusoidalInterleaved:
    case loaders::PositionKind::kSinusoidalConcat: {
      // Rows for the longer of the two stacks' limits (one table serves both).
      const uint32_t rows = std::max(c.max_positions, loaders::DecoderPositions(c));
      std::vector<float>& table = m->owned_.emplace_back(size_t{rows} * c.d_model);
      const auto layout = c.position_kind == loaders::PositionKind::kSinusoidalInterleaved
                              ? ops::SinusoidLayout::kInterleaved
                              : ops::SinusoidLayout::kConcatenated;
      const auto frequencies = c.position_frequencies == loaders::PositionFrequencies::kTensor2Tensor
                                   ? ops::SinusoidFrequencies::kTensor2Tensor
                                   : ops::SinusoidFrequencies::kPaper;
      ops::SinusoidalTable(rows, c.d_model, layout, frequencies, c.position_offset, table.data());
      m->src_positions_ = m->tgt_positions_ = table.data();
      break;
    }
    case loaders::PositionKind::kLearned:
      // One table for both stacks when the header says so (stored once).
      m->src_positions_ = m->F32("encoder.embed_positions.weight");
      m->tgt_positions_ = c.shared_positions ? m->src_positions_ : m->F32("decoder.embed_positions.weight");
      break;
  }

  // A step reads a few rows of an embedding table and every other weight
  // whole: keep the tables' other rows out of memory, stream the rest.
  // (A table tied to the output projection is read whole too.)
  std::vector<const TensorInfo*> tables;
  for (const char* name : {kSrcEmbedding, kTgtEmbedding}) {
    const bool distinct = name == kSrcEmbedding ? !m->log_mel_input() : !c.shared_embeddings;
    if (distinct && !(c.tied_output && name == tgt_table)) tables.push_back(m->file_.Find(name));
  }
  m->file_.AdviseAccess(tables);

  for (uint32_t i = 0; i < c.encoder_layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i) + ".";
    EncoderLayer l;
    l.qkv = m->MakeLinear(p + "self_attn.qkv_proj.weight", p + "self_attn.qkv_proj.bias");
    l.out = m->MakeLinear(p + "self_attn.out_proj.weight", p + "self_attn.out_proj.bias");
    l.fc1 = m->MakeLinear(p + "ffn.fc1.weight", p + "ffn.fc1.bias");
    if (m->gated_ffn()) l.fc1_linear = m->MakeLinear(p + "ffn.fc1_linear.weight", p + "ffn.fc1_linear.bias");
    l.fc2 = m->MakeLinear(p + "ffn.fc2.weight", p + "ffn.fc2.bias");
    l.self_attn_norm = m->MakeNorm(p + "self_attn_norm");
    l.ffn_norm = m->MakeNorm(p + "ffn_norm");
    m->encoder_.push_back(std::move(l));
  }
  for (uint32_t i = 0; i < c.decoder_layers; ++i) {
    const std::string p = "decoder.layers." + std::to_string(i) + ".";
    DecoderLayer l;
    // The decode step's projections see only the decoder rows: Highway for
    // every call, 8-bit activations (ops::Int8Rows). The cross-attention K|V
    // projection runs once per source over the encoder's rows.
    const auto few = ops::Int8Rows::kFewRows;
    l.qkv = m->MakeLinear(p + "self_attn.qkv_proj.weight", p + "self_attn.qkv_proj.bias", few);
    l.out = m->MakeLinear(p + "self_attn.out_proj.weight", p + "self_attn.out_proj.bias", few);
    l.cross_q = m->MakeLinear(p + "cross_attn.q_proj.weight", p + "cross_attn.q_proj.bias", few);
    l.cross_kv = m->MakeLinear(p + "cross_attn.kv_proj.weight", p + "cross_attn.kv_proj.bias");
    l.cross_out = m->MakeLinear(p + "cross_attn.out_proj.weight", p + "cross_attn.out_proj.bias", few);
    l.fc1 = m->MakeLinear(p + "ffn.fc1.weight", p + "ffn.fc1.bias", few);
    if (m->gated_ffn()) l.fc1_linear = m->MakeLinear(p + "ffn.fc1_linear.weight", p + "ffn.fc1_linear.bias", few);
    l.fc2 = m->MakeLinear(p + "ffn.fc2.weight", p + "ffn.fc2.bias", few);
    l.self_attn_norm = m->MakeNorm(p + "self_attn_norm");
    l.cross_attn_norm = m->MakeNorm(p + "cross_attn_norm");
    l.ffn_norm = m->MakeNorm(p + "ffn_norm");
    m->decoder_.push_back(std::move(l));
  }
  if (c.relative_attention == loaders::RelativeAttention::kT5Buckets) {
    // Shapes [num_buckets, heads] were checked by the reader (tensor roles).
    if (c.encoder_layers) m->encoder_relative_bias_ = m->F32("encoder.relative_attention_bias.weight");
    m->decoder_relative_bias_ = m->F32("decoder.relative_attention_bias.weight");
  }
  if (c.encoder_final_norm) m->encoder_norm_ = m->MakeNorm("encoder.norm");
  if (c.decoder_final_norm) m->decoder_norm_ = m->MakeNorm("decoder.norm");
  if (c.encoder_embed_norm) m->encoder_embed_norm_ = m->MakeNorm("encoder.embed_norm");
  if (c.decoder_embed_norm) m->decoder_embed_norm_ = m->MakeNorm("decoder.embed_norm");

  if (c.tied_output) {
    const Embedding& e = m->tgt_embedding_;
    m->output_.out = e.vocab;
    m->output_.in = e.dim;
    const float* bias = m->F32("decoder.output_projection.bias", /*required=*/false);
    m->output_.matmul = e.i8 ? ops::Matmul::CreateInt8(e.i8, e.scales, e.vocab, e.dim, bias, ops::Int8Rows::kFewRows)
                             : ops::Matmul::CreateF32(e.f32 ? e.f32 : m->F32(tgt_table), e.vocab, e.dim, bias);
  } else {
    m->output_ = m->MakeLinear("decoder.output_projection.weight", "decoder.output_projection.bias",
                               ops::Int8Rows::kFewRows);
  }

  return m;
}

// The encoder's matmuls (and the cross-attention K|V projection of its
// output) see batch·source rows; the decoder step's see its decoder rows.
size_t Model::MatmulScratchBytes(size_t encoder_rows, size_t decoder_rows) const {
  size_t bytes = 0;
  auto need = [&bytes](const Linear& l, size_t rows) {
    if (l.out) bytes = std::max(bytes, l.matmul.ScratchBytes(rows));  // out 0: a Linear the model lacks
  };
  for (const EncoderLayer& l : encoder_) {
    for (const Linear* x : {&l.qkv, &l.out, &l.fc1, &l.fc1_linear, &l.fc2}) need(*x, encoder_rows);
  }
  for (const DecoderLayer& l : decoder_) {
    need(l.cross_kv, encoder_rows);
    for (const Linear* x : {&l.qkv, &l.out, &l.cross_q, &l.cross_out, &l.fc1, &l.fc1_linear, &l.fc2}) {
      need(*x, decoder_rows);
    }
  }
  need(output_, decoder_rows);
  if (log_mel_input()) {
    need(conv1_, frames());
    need(conv2_, config().max_positions);
  }
  return bytes;
}

}  // namespace edgeseq::runtime
