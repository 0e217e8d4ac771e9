// Storage for a Generator's working buffers: std::vector over mimalloc,
// 64-byte aligned for whole-vector SIMD loads. mimalloc returns the large
// blocks of a destroyed Generator to the OS and keeps per-thread heaps, so
// many Generators on many threads neither contend nor fragment. Sanitizer
// builds use the system allocator instead, so ASan sees every buffer.
#pragma once

#include <stddef.h>
#include <stdlib.h>

#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define EDGESEQ_SYSTEM_ALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define EDGESEQ_SYSTEM_ALLOC 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EDGESEQ_SYSTEM_ALLOC 1
#endif

#ifndef EDGESEQ_SYSTEM_ALLOC
#include <mimalloc.h>
#endif

namespace edgeseq::runtime {

inline constexpr size_t kBufferAlign = 64;

inline void* BufferAlloc(size_t bytes) {
#ifdef EDGESEQ_SYSTEM_ALLOC
  void* p = aligned_alloc(kBufferAlign, (bytes + kBufferAlign - 1) / kBufferAlign * kBufferAlign);
#else
  void* p = mi_malloc_aligned(bytes, kBufferAlign);
#endif
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void BufferFree(void* p) {
#ifdef EDGESEQ_SYSTEM_ALLOC
  free(p);
#else
  mi_free(p);
#endif
}

// Which allocator the buffers use ("mimalloc" or "system"), for --stats.
inline const char* BufferAllocatorName() {
#ifdef EDGESEQ_SYSTEM_ALLOC
  return "system";
#else
  return "mimalloc";
#endif
}

template <typename T>
struct BufferAllocator {
  using value_type = T;
  BufferAllocator() = default;
  template <typename U>
  BufferAllocator(const BufferAllocator<U>&) noexcept {}  // NOLINT: allocator conversion
  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(BufferAlloc(n * sizeof(T)));
  }
  void deallocate(T* p, size_t) noexcept { BufferFree(p); }
  template <typename U>
  bool operator==(const BufferAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using Buffer = std::vector<T, BufferAllocator<T>>;

}  // namespace edgeseq::runtime
