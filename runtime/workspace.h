// Every buffer one Generator needs, sized once for its limits, so that
// encoding and the decode loop allocate nothing.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <memory>
#include <vector>

#include "ops/matmul.h"
#include "runtime/buffer.h"

namespace edgeseq::runtime {

class Model;

struct Limits {
  size_t max_batch = 16;      // sequences per call
  size_t max_source = 256;    // tokens per source (≤ the model's max_positions); log-mel
                              // models: set to the model's max_positions (the encoder
                              // always sees all of them)
  size_t max_target = 256;    // decoding steps (≤ the model's decoder positions)
  size_t max_beam = 1;        // beam width (decoder rows per source)
};

struct BufferDeleter {
  size_t bytes;
  void operator()(void* p) const { BufferFree(p, bytes); }
};

// 64-byte aligned untyped storage (the matmul's scratch).
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  void* data() const { return mem_.get(); }
  size_t bytes() const { return bytes_; }

 private:
  std::unique_ptr<void, BufferDeleter> mem_{nullptr, BufferDeleter{0}};
  size_t bytes_ = 0;
};

struct Workspace {
  Workspace(const Model& model, const Limits& limits);

  Limits limits;
  size_t d = 0, ffn = 0, vocab = 0, layers = 0;
  // Columns of the *_wide buffers: fc1's output, and for a gated FFN the
  // un-activated branch's after it ([rows, ffn] each).
  // Encoder, [batch·source, ·]
  Buffer<float> enc_x, enc_norm, enc_wide, enc_attn, enc_delta;
  Buffer<int32_t> enc_ids, enc_pos;
  Buffer<float> key_mask;  // [batch, source]: 0 or -inf
  Buffer<size_t> src_len;
  // Cross-attention K|V per layer: [layers][batch·source, 2d]
  Buffer<float> cross_kv;
  // Self-attention cache per layer: [layers][rows][max_target][d] for K and V,
  // rows = max_batch · max_beam; beam search reorders into the *_next copies.
  Buffer<float> cache_k, cache_v, cache_k_next, cache_v_next;
  size_t dec_rows = 0;
  // Decoder step, [rows, ·]
  Buffer<float> dec_x, dec_norm, dec_wide, dec_attn, dec_delta, logits;
  Buffer<int32_t> dec_ids, dec_pos;
  // The alignment of the last step: the cross-attention of the decoder layer
  // and heads the model file names (docs/FORMAT.md; by default all heads of
  // the last layer), averaged (CTranslate2's return_attention): [rows,
  // max_source], row r
  // holding the source length's weights (summing to 1, 0 on padding).
  // Filled by DecodeStep only while keep_cross_attention is set (its pages
  // stay untouched otherwise).
  bool keep_cross_attention = false;
  Buffer<float> cross_attention;
  // Attention scores for one head, one slice per thread that attends (rows
  // of a batch run in parallel): [kAttentionThreads][t·t], t = max(source,
  // target). Pages become resident only for the threads that use them.
  static constexpr size_t kAttentionThreads = 8;
  size_t scores_slice = 0;
  Buffer<float> scores;
  // T5 relative attention (empty otherwise): each head's bias for every
  // relative position a query can see, computed once from the model's
  // tables, times √d_head (the attention scale is applied to the sum: the
  // converter folded T5's missing 1/√d_head into the query weights).
  // Encoder: [heads][2·max_source − 1], column (max_source − 1) + key − query;
  // decoder: [heads][max_target], column (max_target − 1) + key − query.
  Buffer<float> enc_rel_bias, dec_rel_bias;
  // Log-mel front end (empty otherwise), one source at a time: im2col rows
  // [frames, 3·max(n_mels, d)] and the first convolution's output [frames, d].
  Buffer<float> conv_cols, conv_mid;
  AlignedBuffer matmul_scratch;

  ops::MatmulScratch scratch() const { return {matmul_scratch.data(), matmul_scratch.bytes()}; }
};

}  // namespace edgeseq::runtime
