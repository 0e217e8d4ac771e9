// The static pipeline: the encoder over a batch of sources, and one decoder
// step for a batch of target tokens. Fixed sequences of op calls on the
// Workspace's buffers; no allocation.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <vector>

#include "runtime/model.h"
#include "runtime/workspace.h"

namespace edgeseq::runtime {

// Encodes `sources` (ids, validated by the caller) into ws.enc_x
// [batch, source_len, d], fills the key mask and every decoder layer's
// cross-attention K|V. Returns the padded source length.
size_t Encode(const Model& m, Workspace& ws, const std::vector<std::vector<int32_t>>& sources);

// Encodes log-mel features (a model with log_mel_input(); each source
// frames() × n_mels floats, time-major, validated by the caller) into
// ws.enc_x [batch, max_positions, d], as Encode. Returns max_positions.
size_t EncodeLogMel(const Model& m, Workspace& ws, const std::vector<const float*>& features);

// One decoder step at position `step` for ws.dec_ids [rows]: appends to the
// self-attention cache and leaves the logits in ws.logits [rows, vocab].
// Row r decodes for source r / rows_per_source (beam search keeps several
// rows per source). With ws.keep_cross_attention, also the last layer's
// cross-attention weights (mean over heads) in ws.cross_attention.
void DecodeStep(const Model& m, Workspace& ws, size_t rows, size_t rows_per_source, size_t source_len, size_t step);

}  // namespace edgeseq::runtime
