// Errors reading training checkpoints (PyTorch zip/pickle, safetensors).
#pragma once

#include <stdexcept>
#include <string>

namespace edgeseq::loaders {

class CheckpointError : public std::runtime_error {
 public:
  explicit CheckpointError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace edgeseq::loaders
