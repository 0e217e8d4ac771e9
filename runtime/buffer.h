// Storage for a Generator's working buffers: std::vector over mimalloc
// (large buffers: anonymous mappings), 64-byte aligned for whole-vector SIMD
// loads, zeroed. Sized once (resize() of a used buffer would not re-zero). mimalloc returns the large
// blocks of a destroyed Generator to the OS and keeps per-thread heaps, so
// many Generators on many threads neither contend nor fragment. Sanitizer
// builds use the system allocator instead, so ASan sees every buffer.
#pragma once

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <new>
#include <utility>
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

// Buffers of at least this size are mapped from the OS directly: the pages
// are zero and become resident only when written, so a buffer planned for
// the largest batch costs memory only for the part a call uses. (mimalloc's
// zeroing allocations write every page.)
inline constexpr size_t kBufferMapBytes = size_t{64} << 10;

inline size_t BufferRoundedBytes(size_t bytes) { return (bytes + kBufferAlign - 1) / kBufferAlign * kBufferAlign; }

// Zeroed, 64-byte aligned memory of `bytes`; free with BufferFree(p, bytes).
inline void* BufferAlloc(size_t bytes) {
  const size_t rounded = BufferRoundedBytes(bytes);
#ifdef EDGESEQ_SYSTEM_ALLOC
  void* p = aligned_alloc(kBufferAlign, rounded);
  if (p != nullptr) memset(p, 0, rounded);
#else
  void* p = nullptr;
  if (rounded >= kBufferMapBytes) {
    p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) p = nullptr;
  } else {
    p = mi_zalloc_aligned(rounded, kBufferAlign);
  }
#endif
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void BufferFree(void* p, size_t bytes) {
  if (p == nullptr) return;
#ifdef EDGESEQ_SYSTEM_ALLOC
  (void)bytes;
  free(p);
#else
  const size_t rounded = BufferRoundedBytes(bytes);
  if (rounded >= kBufferMapBytes) {
    munmap(p, rounded);
  } else {
    mi_free(p);
  }
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
  void deallocate(T* p, size_t n) noexcept { BufferFree(p, n * sizeof(T)); }
  // The memory is zeroed already: resize() writes nothing (value-initializing
  // each element would touch every page of the planned maximum).
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const BufferAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using Buffer = std::vector<T, BufferAllocator<T>>;

}  // namespace edgeseq::runtime
