// Internal to the checkpoint readers (checkpoint.cc, checkpoint_ct2.cc):
// tensor bytes that are a slice of a mapped or held buffer, mapping a whole
// file, and turning allocation failures into one-line CheckpointErrors.
#pragma once

#include <stdint.h>
#include <string.h>

#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "loaders/checkpoint.h"

namespace edgeseq::loaders::detail {

// Bytes held in memory or mapped; `base` keeps its owner alive.
class SliceData final : public detail::TensorData {
 public:
  SliceData(std::shared_ptr<const uint8_t> base, uint64_t offset, uint64_t size)
      : base_(std::move(base)), offset_(offset), size_(size) {}
  void Read(uint8_t* out) const override {
    if (size_) memcpy(out, base_.get() + offset_, size_);
  }

 private:
  std::shared_ptr<const uint8_t> base_;
  uint64_t offset_, size_;
};

// Runs `f`, turning a failed allocation into a one-line CheckpointError.
template <typename F>
auto NoAbortOnMemory(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw CheckpointError(what + ": out of memory");
  } catch (const std::length_error&) {
    throw CheckpointError(what + ": out of memory (size too large)");
  }
}

// Maps `path` read-only; the pointer keeps the mapping alive. Errors name
// the file in one line.
std::shared_ptr<const uint8_t> MapWhole(const std::string& path, uint64_t* size);

}  // namespace edgeseq::loaders::detail
