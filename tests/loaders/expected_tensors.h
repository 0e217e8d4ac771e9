// Reads the expected_*.bin files tests/fixtures/make_checkpoints.py writes
// with PyTorch's values: u32 count; per tensor u32 name length, name, u32
// ndim, i64 dims, f32 values.
#pragma once

#include <stdint.h>

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeseq::test {

struct ExpectedTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

inline std::string FixturePath(const std::string& name) {
  return std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/checkpoints/" + name;
}

inline std::map<std::string, ExpectedTensor> ReadExpected(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  auto u32 = [&] {
    uint32_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 4);
    return v;
  };
  std::map<std::string, ExpectedTensor> out;
  const uint32_t count = u32();
  for (uint32_t i = 0; i < count; ++i) {
    std::string n(u32(), '\0');
    in.read(n.data(), static_cast<std::streamsize>(n.size()));
    ExpectedTensor t;
    t.shape.resize(u32());
    in.read(reinterpret_cast<char*>(t.shape.data()), static_cast<std::streamsize>(8 * t.shape.size()));
    int64_t elems = 1;
    for (int64_t d : t.shape) elems *= d;
    t.values.resize(static_cast<size_t>(elems));
    in.read(reinterpret_cast<char*>(t.values.data()), static_cast<std::streamsize>(4 * elems));
    if (!in) throw std::runtime_error("truncated fixture " + name);
    out[n] = std::move(t);
  }
  return out;
}

}  // namespace edgeseq::test
