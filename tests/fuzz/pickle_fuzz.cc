// libFuzzer target: the unpickler on arbitrary bytes, with a persistent-id
// loader like the checkpoint reader's. Must only ever return a value or throw
// CheckpointError.
#include <stddef.h>
#include <stdint.h>

#include "loaders/checkpoint_error.h"
#include "loaders/pickle.h"

using namespace edgeseq::loaders;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pickle::Arena arena;
  try {
    pickle::Unpickle(
        data, size,
        [&arena](pickle::ValuePtr pid) {
          if (pid->kind != pickle::Kind::kTuple || pid->items.size() < 5) throw CheckpointError("bad persistent id");
          pickle::Value* v = arena.Make(pickle::Kind::kStorage);
          v->storage_numel = pid->items[4]->kind == pickle::Kind::kInt ? pid->items[4]->i : 0;
          return v;
        },
        arena);
  } catch (const CheckpointError&) {
  }
  return 0;
}
