// The weights of a Hugging Face checkpoint directory (what save_pretrained
// writes): model.safetensors, model.safetensors.index.json with its shards,
// pytorch_model.bin, or pytorch_model.bin.index.json with its shards. Each
// file is read by ReadCheckpoint (checkpoint.h); shards are merged into one
// tensor list after checking the index against them: every tensor the index
// names lies in exactly the shard it names, and every tensor of every shard
// is named by the index exactly once.
#pragma once

#include <string>

#include "loaders/checkpoint.h"

namespace edgeseq::loaders {

// The weight files of `dir`, in the order save_pretrained prefers them: the
// first of model.safetensors, model.safetensors.index.json,
// pytorch_model.bin, pytorch_model.bin.index.json that exists. `*source`
// (optional) receives that file's name. Throws CheckpointError (one line)
// when none exists, an index is not valid JSON or names a shard that is
// missing, outside the directory, or disagrees with the shards' contents.
Checkpoint ReadHfWeights(const std::string& dir, std::string* source = nullptr);

}  // namespace edgeseq::loaders
