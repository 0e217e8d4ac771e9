// Counts heap allocations (malloc and friends, hence also operator new) made
// by any thread between Start and Stop, by interposing glibc's allocator in
// the test executable. Unavailable under sanitizers, which interpose it
// themselves: Available() says whether counting works in this build.
#pragma once

#include <stddef.h>

namespace edgeseq::test {

bool AllocCountingAvailable();
void StartCountingAllocations();
size_t StopCountingAllocations();  // allocations since Start

}  // namespace edgeseq::test
