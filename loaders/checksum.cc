#include "loaders/checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace edgeseq::loaders {

uint64_t Checksum(const void* data, size_t size) { return XXH64(data, size, 0); }

uint64_t Checksum2(const void* a, size_t a_size, const void* b, size_t b_size) {
  XXH64_state_t state;
  XXH64_reset(&state, 0);
  XXH64_update(&state, a, a_size);
  if (b_size) XXH64_update(&state, b, b_size);
  return XXH64_digest(&state);
}

}  // namespace edgeseq::loaders
