// Format detection, safetensors, lazy tensor data and element conversions.
#include "loaders/checkpoint.h"

#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "loaders/checkpoint_data.h"
#include "loaders/half.h"
#include "loaders/mapped_file.h"

namespace edgeseq::loaders {

using detail::MapWhole;
using detail::NoAbortOnMemory;
using detail::SliceData;

int64_t SourceTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

uint64_t SourceTensor::nbytes() const { return static_cast<uint64_t>(elements()) * pickle::StorageElementSize(type); }

bool SourceTensor::is_floating() const {
  return type == ElementType::kFloat || type == ElementType::kHalf || type == ElementType::kBFloat16 ||
         type == ElementType::kDouble;
}

// A size this process cannot address (a 32-bit size_t truncates it) is out
// of memory, before any container sees it.
static void CheckAddressable(uint64_t bytes) {
  if (bytes > static_cast<uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) throw std::bad_alloc();
}

std::vector<uint8_t> SourceTensor::Bytes() const {
  return NoAbortOnMemory("tensor " + name + " (" + std::to_string(nbytes()) + " bytes)", [&] {
    if (!reader) throw CheckpointError("tensor " + name + " has no data");
    CheckAddressable(nbytes());
    reader->CheckReadable();
    std::vector<uint8_t> out(nbytes());
    reader->Read(out.data());
    return out;
  });
}

std::vector<float> SourceTensor::ToF32() const {
  if (!is_floating()) {
    throw CheckpointError("tensor " + name + " is " + pickle::StorageTypeName(type) + ", not floating point");
  }
  return NoAbortOnMemory("tensor " + name + " (" + std::to_string(nbytes()) + " bytes)", [&] {
    if (!reader) throw CheckpointError("tensor " + name + " has no data");
    CheckAddressable(std::max<uint64_t>(nbytes(), static_cast<uint64_t>(elements()) * sizeof(float)));
    reader->CheckReadable();
    const size_t n = static_cast<size_t>(elements());
    std::vector<float> out(n);
    if (type == ElementType::kFloat) {  // straight into the result: no second copy
      reader->Read(reinterpret_cast<uint8_t*>(out.data()));
      return out;
    }
    const std::vector<uint8_t> bytes = Bytes();
    const uint8_t* p = bytes.data();
    for (size_t i = 0; i < n; ++i) {
      if (type == ElementType::kDouble) {
        double d;
        memcpy(&d, p + 8 * i, 8);
        out[i] = static_cast<float>(d);
      } else {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = type == ElementType::kHalf ? HalfToFloat(h) : BFloat16ToFloat(h);
      }
    }
    return out;
  });
}

SourceTensor SourceTensor::FromBytes(std::string name, ElementType type, std::vector<int64_t> shape,
                                     std::vector<uint8_t> bytes) {
  SourceTensor t;
  t.name = std::move(name);
  t.type = type;
  t.shape = std::move(shape);
  if (bytes.size() != t.nbytes()) {
    throw CheckpointError("tensor " + t.name + ": " + std::to_string(bytes.size()) + " bytes for " +
                          std::to_string(t.nbytes()));
  }
  auto owner = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  const uint64_t size = owner->size();
  t.reader = std::make_shared<SliceData>(std::shared_ptr<const uint8_t>(owner, owner->data()), 0, size);
  return t;
}

std::string Attr::ToString() const {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return b ? "True" : "False";
    case Kind::kInt: return std::to_string(i);
    case Kind::kFloat: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof(buf), f);  // shortest round-trip, like Python's repr
      std::string out(buf, r.ptr);
      if (out.find_first_not_of("-0123456789") == std::string::npos) out += ".0";  // 2.0, not 2
      return out;
    }
    case Kind::kString: return "'" + s + "'";
    case Kind::kGlobal: return s;
    case Kind::kSequence: {
      std::string out = "(";
      for (size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + items[k].ToString();
      return out + (items.size() == 1 ? ",)" : ")");
    }
    case Kind::kOther: return "<" + s + ">";
  }
  return "?";
}

namespace {

// Safetensors: u64 header length, a JSON object, the data area. nullopt
// (with `why`) when the outer structure is not safetensors; a
// CheckpointError when it is, but an entry is wrong.
std::optional<Checkpoint> TrySafetensors(const std::shared_ptr<const uint8_t>& base, uint64_t size,
                                         const std::string& path, std::string* why) {
  const uint8_t* p = base.get();
  if (size < 8) {
    *why = "shorter than the 8-byte header length";
    return std::nullopt;
  }
  uint64_t header_len;
  memcpy(&header_len, p, 8);
  if (header_len > size - 8 || header_len > (100u << 20)) {
    *why = "header length " + std::to_string(header_len) + " exceeds the file (or 100 MB)";
    return std::nullopt;
  }
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - data_start;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(p + 8, p + data_start);
  } catch (const nlohmann::json::exception& e) {
    *why = std::string("header is not valid JSON (") + e.what() + ")";
    return std::nullopt;
  }
  if (!header.is_object()) {
    *why = "header is not a JSON object";
    return std::nullopt;
  }
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
      if (v > INT64_MAX || __builtin_mul_overflow(elements, v, &elements)) {
        throw CheckpointError(where + ": shape overflows");
      }
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
    // The bytes must lie in the file: memory is bounded by the file.
    if (begin > end || end > data_size || end - begin != want) {
      throw CheckpointError(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") do not hold " + std::to_string(want) + " bytes inside the " +
                            std::to_string(data_size) + "-byte data area");
    }
    t.reader = std::make_shared<SliceData>(base, data_start + begin, want);
    ck.tensors.push_back(std::move(t));
  }
  if (ck.tensors.empty()) throw CheckpointError(path + ": no tensors in the safetensors file");
  return ck;
}

Checkpoint ParseSafetensorsShared(const std::shared_ptr<const uint8_t>& base, uint64_t size,
                                  const std::string& path) {
  std::string why;
  std::optional<Checkpoint> ck = TrySafetensors(base, size, path, &why);
  if (!ck) throw CheckpointError(path + ": not a safetensors file: " + why);
  return std::move(*ck);
}


// A pre-1.6 torch.save file: a pickle (any protocol) whose first object is
// torch's magic number 0x1950a86a20f9469cfc6c, written as LONG1.
bool IsLegacyTorchSave(const uint8_t* p, uint64_t size) {
  static const uint8_t kMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (size < 2 + sizeof(kMagic) || p[0] != 0x80) return false;
  const uint64_t at = p[2] == 0x95 ? 11 : 2;  // protocol 4+ starts with a FRAME
  return size >= at + sizeof(kMagic) && memcmp(p + at, kMagic, sizeof(kMagic)) == 0;
}

}  // namespace

std::shared_ptr<const uint8_t> detail::MapWhole(const std::string& path, uint64_t* size) {
  std::shared_ptr<MappedFile> map;
  try {
    map = std::make_shared<MappedFile>(path);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw CheckpointError(path + ": out of memory");
  } catch (const std::exception& e) {
    const std::string m = e.what();  // names the file already ("cannot open PATH: REASON")
    throw CheckpointError(m.find(path) != std::string::npos ? m : path + ": cannot open (" + m + ")");
  }
  *size = map->size();
  static const uint8_t kEmpty = 0;
  return std::shared_ptr<const uint8_t>(map, map->data() ? map->data() : &kEmpty);
}

Checkpoint ReadSafetensors(const std::string& path) {
  return NoAbortOnMemory(path, [&] {
    uint64_t size = 0;
    const auto base = MapWhole(path, &size);
    return ParseSafetensorsShared(base, size, path);
  });
}

Checkpoint ParseSafetensors(const uint8_t* p, uint64_t size, const std::string& path) {
  return NoAbortOnMemory(path, [&] {
    auto owner = std::make_shared<std::vector<uint8_t>>(p, p + size);
    return ParseSafetensorsShared(std::shared_ptr<const uint8_t>(owner, owner->data()), size, path);
  });
}

// Each candidate is validated whole, so the order only decides which
// message comes first: a zip needs a readable archive with one
// <name>/data.pkl, safetensors a header length that fits and a JSON object
// after it. They cannot both hold for one file (a zip's first 8 bytes, read
// as a length, exceed any small file; a JSON header starts with '{' at byte
// 8, where a zip's local header has its version field).
Checkpoint ReadCheckpoint(const std::string& path, const std::string& key) {
  return NoAbortOnMemory(path, [&] {
    uint64_t size = 0;
    const auto base = MapWhole(path, &size);
    const uint8_t* p = base.get();
    std::string as_zip = "no zip signature (PK)";
    if (size >= 2 && p[0] == 'P' && p[1] == 'K') {
      if (detail::LooksLikeTorchZip(path, &as_zip)) return ReadTorchZip(path, key);
    }
    std::string as_safetensors;
    if (std::optional<Checkpoint> ck = TrySafetensors(base, size, path, &as_safetensors)) return std::move(*ck);
    if (IsLegacyTorchSave(p, size)) {
      throw CheckpointError(path + ": a legacy (pre-1.6) torch.save file; re-save it with PyTorch >= 1.6 defaults "
                            "(torch.save(torch.load(f), f2))");
    }
    throw CheckpointError(path + ": neither a PyTorch zip checkpoint nor a safetensors file (as a zip: " + as_zip +
                          "; as safetensors: " + as_safetensors + "; not a legacy torch.save pickle either)");
  });
}

}  // namespace edgeseq::loaders
