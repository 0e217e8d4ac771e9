#include "tests/alloc_counter.h"

#include <errno.h>
#include <stdint.h>

#include <atomic>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_count{0};
inline void Note() {
  if (g_counting.load(std::memory_order_relaxed)) g_count.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if defined(EDGESEQ_ALLOC_COUNTING)
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) { Note(); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { Note(); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { Note(); return __libc_realloc(p, n); }
void free(void* p) { __libc_free(p); }
void* memalign(size_t a, size_t n) { Note(); return __libc_memalign(a, n); }
void* aligned_alloc(size_t a, size_t n) { Note(); return __libc_memalign(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  if (a < sizeof(void*) || (a & (a - 1)) != 0) return EINVAL;
  Note();
  void* p = __libc_memalign(a, n);
  if (p == nullptr && n != 0) return ENOMEM;
  *out = p;
  return 0;
}
}
#endif

namespace edgeseq::test {

bool AllocCountingAvailable() {
#if defined(EDGESEQ_ALLOC_COUNTING)
  return true;
#else
  return false;
#endif
}

void StartCountingAllocations() {
  g_count.store(0);
  g_counting.store(true);
}

size_t StopCountingAllocations() {
  g_counting.store(false);
  return g_count.load();
}

}  // namespace edgeseq::test
