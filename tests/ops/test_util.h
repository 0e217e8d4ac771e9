// Shared helpers for the ops tests: sizes and misalignments to sweep, random
// data, and buffers whose start is deliberately misaligned.
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <random>
#include <vector>

namespace edgeseq::test {

// Row lengths every kernel is swept over: below, at and around vector sizes
// of every target, plus long odd rows.
inline const std::vector<size_t>& KernelSizes() {
  static const std::vector<size_t> sizes = {1, 3, 7, 16, 17, 63, 64, 65, 1000, 4099};
  return sizes;
}

// Element offsets applied to buffer starts (0 = as allocated, 64-byte aligned).
inline const std::vector<size_t>& Misalignments() {
  static const std::vector<size_t> offsets = {0, 1, 3};
  return offsets;
}

// A buffer of n T's starting `offset` elements past a 64-byte boundary.
template <typename T>
class Buffer {
 public:
  Buffer(size_t n, size_t offset) : storage_(n + offset + 64 / sizeof(T)) {
    uintptr_t p = reinterpret_cast<uintptr_t>(storage_.data());
    const uintptr_t aligned = (p + 63) & ~uintptr_t{63};
    data_ = reinterpret_cast<T*>(aligned) + offset;
    n_ = n;
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  std::vector<T> ToVector() const { return std::vector<T>(data_, data_ + n_); }
  void CopyFrom(const std::vector<T>& v) {
    for (size_t i = 0; i < n_; ++i) data_[i] = v[i];
  }

 private:
  std::vector<T> storage_;
  T* data_;
  size_t n_;
};

inline std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace edgeseq::test
