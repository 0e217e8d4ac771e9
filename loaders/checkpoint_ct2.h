// CTranslate2 model.bin files, as CTranslate2's model_spec.py writes them
// (binary format versions 1 to 6), read into a Checkpoint: every variable
// with its CTranslate2 name ("encoder/layer_0/self_attention/linear_0/weight"),
// dtype and shape, its data read lazily from a mapping of the file. Aliases
// (version 3 and up) become further tensors that share their target's data;
// an int8/int16 weight's "<name>_scale" is aliased with it, as CTranslate2
// does. Every size and offset is checked against the file before it is used;
// a truncated or damaged file is one CheckpointError line naming the field
// and the byte offset.
//
// The layout (little-endian): u32 version; version >= 2: spec name (u16
// length including a NUL, bytes), u32 spec revision; u32 variable count; per
// variable: name, u8 rank, rank x u32 dims, then version >= 4: u8 dtype id
// (0 f32, 1 int8, 2 int16, 3 int32, 4 f16, 5 bf16) and u32 byte count;
// versions 1-3: u8 item size (4 f32, 2 int16, 1 int8) and u32 element count;
// the raw bytes. Version >= 3: u32 alias count, then (alias, target) names.
#pragma once

#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

#include "loaders/checkpoint.h"

namespace edgeseq::loaders {

struct Ct2ModelBin {
  uint32_t binary_version = 0;
  std::string spec;           // "" for version 1 (and old TransformerBase/TransformerBig files)
  uint32_t spec_revision = 1; // 1 when the file does not record it (version 1)
  Checkpoint checkpoint;      // format "ctranslate2"; aliases included as tensors
  std::vector<std::pair<std::string, std::string>> aliases;  // (alias, target), as stored
};

// Newest binary version this reader knows.
inline constexpr uint32_t kCt2MaxBinaryVersion = 6;

Ct2ModelBin ReadCt2ModelBin(const std::string& path);
// The same from bytes in memory (tests, fuzzing); the bytes are copied.
Ct2ModelBin ParseCt2ModelBin(const uint8_t* bytes, uint64_t size, const std::string& name);

}  // namespace edgeseq::loaders
