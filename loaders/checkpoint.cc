// Format dispatch, safetensors, and element conversions.
#include "loaders/checkpoint.h"

#include <stdio.h>
#include <string.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "loaders/half.h"
#include "loaders/mapped_file.h"

namespace edgeseq::loaders {

int64_t SourceTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool SourceTensor::is_floating() const {
  return type == ElementType::kFloat || type == ElementType::kHalf || type == ElementType::kBFloat16 ||
         type == ElementType::kDouble;
}

std::vector<float> SourceTensor::ToF32() const {
  const size_t n = static_cast<size_t>(elements());
  std::vector<float> out(n);
  const uint8_t* p = data.data();
  switch (type) {
    case ElementType::kFloat: memcpy(out.data(), p, n * 4); break;
    case ElementType::kDouble:
      for (size_t i = 0; i < n; ++i) {
        double d;
        memcpy(&d, p + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    case ElementType::kHalf:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = HalfToFloat(h);
      }
      break;
    case ElementType::kBFloat16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = BFloat16ToFloat(h);
      }
      break;
    default:
      throw CheckpointError("tensor " + name + " is " + pickle::StorageTypeName(type) + ", not floating point");
  }
  return out;
}

Checkpoint ReadSafetensors(const std::string& path) {
  MappedFile map(path);
  return ParseSafetensors(map.data(), map.size(), path);
}

Checkpoint ParseSafetensors(const uint8_t* p, uint64_t size, const std::string& path) {
  if (size < 8) throw CheckpointError(path + ": too short for a safetensors file");
  uint64_t header_len;
  memcpy(&header_len, p, 8);
  if (header_len > size - 8 || header_len > (100u << 20)) {
    throw CheckpointError(path + ": safetensors header length " + std::to_string(header_len) + " exceeds the file");
  }
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - data_start;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(p + 8, p + data_start);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": safetensors header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw CheckpointError(path + ": safetensors header is not a JSON object");
  static const std::pair<const char*, ElementType> kTypes[] = {
      {"F32", ElementType::kFloat}, {"F16", ElementType::kHalf},  {"BF16", ElementType::kBFloat16},
      {"F64", ElementType::kDouble}, {"I64", ElementType::kLong}, {"I32", ElementType::kInt},
      {"I16", ElementType::kShort}, {"I8", ElementType::kChar},   {"U8", ElementType::kByte},
      {"BOOL", ElementType::kBool}};
  Checkpoint ck;
  ck.format = "safetensors";
  ck.root = "state dict";
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = path + ": tensor " + name;
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets") ||
        !info["dtype"].is_string() || !info["shape"].is_array() || !info["data_offsets"].is_array() ||
        info["data_offsets"].size() != 2) {
      throw CheckpointError(where + ": malformed entry");
    }
    SourceTensor t;
    t.name = name;
    bool known = false;
    for (const auto& [n, ty] : kTypes) {
      if (info["dtype"] == n) {
        t.type = ty;
        known = true;
      }
    }
    if (!known) throw CheckpointError(where + ": unsupported dtype " + info["dtype"].get<std::string>());
    uint64_t elements = 1;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned()) throw CheckpointError(where + ": shape entries must be non-negative integers");
      const uint64_t v = d.get<uint64_t>();
      if (__builtin_mul_overflow(elements, v, &elements)) throw CheckpointError(where + ": shape overflows");
      t.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& off = info["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      throw CheckpointError(where + ": data_offsets must be non-negative integers");
    }
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    uint64_t want;
    if (__builtin_mul_overflow(elements, pickle::StorageElementSize(t.type), &want)) {
      throw CheckpointError(where + ": size overflows");
    }
    if (begin > end || end > data_size || end - begin != want) {
      throw CheckpointError(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") do not hold " + std::to_string(want) + " bytes inside the " +
                            std::to_string(data_size) + "-byte data area");
    }
    t.data.assign(p + data_start + begin, p + data_start + end);
    ck.tensors.push_back(std::move(t));
  }
  if (ck.tensors.empty()) throw CheckpointError(path + ": no tensors in the safetensors file");
  return ck;
}

Checkpoint ReadCheckpoint(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open");
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && memcmp(magic, "PK\x03\x04", 4) == 0) return ReadTorchZip(path, key);
  if (in.gcount() >= 2 && static_cast<unsigned char>(magic[0]) == 0x80) {
    throw CheckpointError(path + ": a legacy (pre-zip) torch.save file; re-save it with PyTorch ≥ 1.6 defaults");
  }
  if (in.gcount() == 4 && (path.size() > 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0)) {
    return ReadSafetensors(path);
  }
  if (in.gcount() == 4) {
    // Safetensors has no magic: try it, and say both if it fails.
    try {
      return ReadSafetensors(path);
    } catch (const CheckpointError& e) {
      throw CheckpointError(path + ": neither a PyTorch zip checkpoint nor a safetensors file");
    }
  }
  throw CheckpointError(path + ": too short to be a checkpoint");
}

}  // namespace edgeseq::loaders
