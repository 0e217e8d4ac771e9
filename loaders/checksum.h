// xxHash64 (Debian's libxxhash-dev, used header-only) over byte ranges.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::loaders {

uint64_t Checksum(const void* data, size_t size);
// Hash of a then b, as if concatenated (a tensor's data, then its scales).
uint64_t Checksum2(const void* a, size_t a_size, const void* b, size_t b_size);

}  // namespace edgeseq::loaders
