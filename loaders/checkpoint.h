// Training checkpoints as the converter reads them: PyTorch's zip format
// (torch.save, PyTorch ≥ 1.6: a state dict, a whole pickled model, or a
// checkpoint dict that nests the state dict) and safetensors. Tensors come
// out contiguous, row-major, with their original element type. Nothing in a
// file is executed (see pickle.h), every size is checked before it is used,
// and errors are CheckpointError with a one-line reason.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "loaders/checkpoint_error.h"
#include "loaders/pickle.h"

namespace edgeseq::loaders {

using ElementType = pickle::StorageType;

struct SourceTensor {
  std::string name;              // state-dict name ("transformer.encoder.layers.0.linear1.weight")
  ElementType type = ElementType::kFloat;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;     // contiguous, little-endian

  int64_t elements() const;
  bool is_floating() const;
  // Values as f32 (exact for f32/f16/bf16; f64 rounded). Throws
  // CheckpointError for integer tensors.
  std::vector<float> ToF32() const;
};

struct Checkpoint {
  std::string format;  // "pytorch-zip" or "safetensors"
  std::string root;    // what the tensors came from: "state dict", "key 'model'", "pickled object __main__.Seq2SeqTransformer"
  std::vector<SourceTensor> tensors;
};

// Reads `path`, choosing the format from its first bytes. `key` picks the
// state dict inside a checkpoint dict ({"model": ..., "optimizer": ...});
// empty: the top level if it holds tensors, else the one entry that does.
Checkpoint ReadCheckpoint(const std::string& path, const std::string& key = "");

Checkpoint ReadTorchZip(const std::string& path, const std::string& key = "");
Checkpoint ReadSafetensors(const std::string& path);
// Safetensors bytes already in memory (fuzzing); `name` stands for the file.
Checkpoint ParseSafetensors(const uint8_t* bytes, uint64_t size, const std::string& name);

}  // namespace edgeseq::loaders
