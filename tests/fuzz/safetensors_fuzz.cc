// libFuzzer target: the safetensors reader on arbitrary bytes.
#include <stddef.h>
#include <stdint.h>

#include "loaders/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto ck = edgeseq::loaders::ParseSafetensors(data, size, "fuzz.safetensors");
    for (const auto& t : ck.tensors) {
      if (t.is_floating()) (void)t.ToF32();
      else (void)t.Bytes();
    }
  } catch (const edgeseq::loaders::CheckpointError&) {
  }
  return 0;
}
