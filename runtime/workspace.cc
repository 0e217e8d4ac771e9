#include "runtime/workspace.h"

#include <algorithm>
#include <new>

#include "runtime/error.h"
#include "runtime/model.h"

namespace edgeseq::runtime {

AlignedBuffer::AlignedBuffer(size_t bytes) : bytes_((bytes + 63) / 64 * 64) {
  if (bytes_ == 0) return;
  mem_.reset(aligned_alloc(64, bytes_));
  if (!mem_) throw std::bad_alloc();
}

Workspace::Workspace(const Model& model, const Limits& l) : limits(l) {
  const auto& c = model.config();
  if (l.max_batch == 0 || l.max_source == 0 || l.max_target == 0) {
    throw Error(ErrorKind::kLimit, "generator limits must be positive");
  }
  if (l.max_source > c.max_positions || l.max_target > c.max_positions) {
    throw Error(ErrorKind::kLimit, "generator limits exceed the model's " + std::to_string(c.max_positions) +
                                       " positions");
  }
  d = c.d_model;
  ffn = c.ffn_dim;
  vocab = c.tgt_vocab_size;
  layers = c.decoder_layers;
  const size_t rows = l.max_batch * l.max_source;
  const size_t wide = std::max<size_t>(3 * d, ffn);
  enc_x.resize(rows * d);
  enc_norm.resize(rows * d);
  enc_wide.resize(rows * wide);
  enc_attn.resize(rows * d);
  enc_delta.resize(rows * d);
  enc_ids.resize(rows);
  enc_pos.resize(rows);
  key_mask.resize(rows);
  src_len.resize(l.max_batch);
  cross_kv.resize(layers * rows * 2 * d);
  cache_k.resize(layers * l.max_batch * l.max_target * d);
  cache_v.resize(cache_k.size());
  dec_x.resize(l.max_batch * d);
  dec_norm.resize(l.max_batch * d);
  dec_wide.resize(l.max_batch * wide);
  dec_attn.resize(l.max_batch * d);
  dec_delta.resize(l.max_batch * d);
  logits.resize(l.max_batch * vocab);
  dec_ids.resize(l.max_batch);
  dec_pos.resize(l.max_batch);
  const size_t t = std::max(l.max_source, l.max_target);
  scores.resize(t * t);
  matmul_scratch = AlignedBuffer(model.MatmulScratchBytes(rows));
}

}  // namespace edgeseq::runtime
