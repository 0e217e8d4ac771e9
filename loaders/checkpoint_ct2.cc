#include "loaders/checkpoint_ct2.h"

#include <string.h>

#include <map>
#include <memory>
#include <new>
#include <set>

#include "loaders/checkpoint_data.h"

namespace edgeseq::loaders {
namespace {


// A bounds-checked cursor over the file: every read says what it wanted and
// where when the file ends first.
class Cursor {
 public:
  Cursor(const uint8_t* p, uint64_t size, const std::string& name) : p_(p), size_(size), name_(name) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }
  [[noreturn]] void Fail(const std::string& why) const {
    throw CheckpointError(name_ + ": not a valid CTranslate2 model.bin: " + why);
  }
  void Need(uint64_t n, const std::string& what) const {
    if (n > left()) {
      Fail("truncated: " + what + " needs " + std::to_string(n) + " byte(s) at offset " + std::to_string(pos_) +
           ", the file has " + std::to_string(left()) + " left (file size " + std::to_string(size_) + ")");
    }
  }
  template <class T>
  T Get(const std::string& what) {
    Need(sizeof(T), what);
    T v;
    memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string String(const std::string& what) {
    const uint64_t at = pos_;
    const uint16_t n = Get<uint16_t>(what + " length");
    Need(n, what);
    if (n == 0 || p_[pos_ + n - 1] != 0) Fail(what + " at offset " + std::to_string(at) + " is not NUL-terminated");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n - 1);
    if (s.find('\0') != std::string::npos) Fail(what + " at offset " + std::to_string(at) + " holds a NUL byte");
    pos_ += n;
    return s;
  }
  void Skip(uint64_t n, const std::string& what) {
    Need(n, what);
    pos_ += n;
  }

 private:
  const uint8_t* p_;
  uint64_t size_, pos_ = 0;
  const std::string& name_;
};

Ct2ModelBin Parse(const std::shared_ptr<const uint8_t>& base, uint64_t size, const std::string& name) {
  Cursor in(base.get(), size, name);
  Ct2ModelBin m;
  m.checkpoint.format = "ctranslate2";
  m.binary_version = in.Get<uint32_t>("the binary version");
  if (m.binary_version == 0 || m.binary_version > kCt2MaxBinaryVersion) {
    in.Fail("binary version " + std::to_string(m.binary_version) + " (this reader knows versions 1 to " +
            std::to_string(kCt2MaxBinaryVersion) + "; a newer CTranslate2 may have written it)");
  }
  if (m.binary_version >= 2) {
    m.spec = in.String("the spec name");
    m.spec_revision = in.Get<uint32_t>("the spec revision");
    if (m.spec_revision == 0) in.Fail("spec revision 0");
  }
  m.checkpoint.root = "CTranslate2 " + (m.spec.empty() ? std::string("(unnamed spec)") : m.spec) +
                      ", binary version " + std::to_string(m.binary_version) + ", spec revision " +
                      std::to_string(m.spec_revision);
  const uint32_t count = in.Get<uint32_t>("the variable count");
  // Each variable takes at least 2 (name) + 1 (rank) + 1 + 4 bytes.
  if (count > in.left() / 8) {
    in.Fail("the variable count " + std::to_string(count) + " cannot fit in the " + std::to_string(in.left()) +
            " bytes left");
  }
  std::map<std::string, size_t> index;
  for (uint32_t i = 0; i < count; ++i) {
    const std::string where = "variable " + std::to_string(i);
    SourceTensor t;
    t.name = in.String(where + "'s name");
    if (t.name.empty()) in.Fail(where + " has an empty name");
    const std::string what = "variable " + t.name;
    const uint8_t rank = in.Get<uint8_t>(what + "'s rank");
    if (rank > 8) in.Fail(what + " has rank " + std::to_string(rank) + " (at most 8)");
    uint64_t elements = 1;
    for (uint8_t d = 0; d < rank; ++d) {
      const uint32_t dim = in.Get<uint32_t>(what + "'s dimension " + std::to_string(d));
      t.shape.push_back(dim);
      // Any product beyond the file's size is refused before it can overflow.
      if (dim != 0 && elements > size / dim) in.Fail(what + "'s shape holds more elements than the file has bytes");
      elements *= dim;
    }
    uint64_t nbytes = 0;
    if (m.binary_version >= 4) {
      const uint8_t id = in.Get<uint8_t>(what + "'s dtype");
      static const ElementType kTypes[] = {ElementType::kFloat, ElementType::kChar, ElementType::kShort,
                                           ElementType::kInt, ElementType::kHalf, ElementType::kBFloat16};
      if (id >= sizeof(kTypes) / sizeof(kTypes[0])) {
        in.Fail(what + " has dtype id " + std::to_string(id) + " (known: 0 float32, 1 int8, 2 int16, 3 int32, " +
                "4 float16, 5 bfloat16)");
      }
      t.type = kTypes[id];
      nbytes = in.Get<uint32_t>(what + "'s byte count");
    } else {
      const uint8_t item = in.Get<uint8_t>(what + "'s item size");
      if (item == 4) {
        t.type = ElementType::kFloat;
      } else if (item == 2) {
        t.type = ElementType::kShort;
      } else if (item == 1) {
        t.type = ElementType::kChar;
      } else {
        in.Fail(what + " has item size " + std::to_string(item) + " (known: 4 float32, 2 int16, 1 int8)");
      }
      nbytes = uint64_t{in.Get<uint32_t>(what + "'s element count")} * item;
    }
    if (nbytes != elements * pickle::StorageElementSize(t.type)) {
      in.Fail(what + " declares " + std::to_string(nbytes) + " bytes, but its shape and dtype make " +
              std::to_string(elements * pickle::StorageElementSize(t.type)));
    }
    const uint64_t offset = in.pos();
    in.Skip(nbytes, what + "'s data");
    t.reader = std::make_shared<detail::SliceData>(base, offset, nbytes);
    if (!index.emplace(t.name, m.checkpoint.tensors.size()).second) in.Fail("variable " + t.name + " appears twice");
    m.checkpoint.tensors.push_back(std::move(t));
  }
  if (m.binary_version >= 3) {
    const uint32_t aliases = in.Get<uint32_t>("the alias count");
    if (aliases > in.left() / 4) {
      in.Fail("the alias count " + std::to_string(aliases) + " cannot fit in the " + std::to_string(in.left()) +
              " bytes left");
    }
    for (uint32_t i = 0; i < aliases; ++i) {
      std::string alias = in.String("alias " + std::to_string(i));
      std::string target = in.String("alias " + alias + "'s target");
      m.aliases.emplace_back(alias, target);
    }
  }
  if (in.left() != 0) {
    in.Fail(std::to_string(in.left()) + " unexpected byte(s) after the " +
            (m.binary_version >= 3 ? std::string("aliases") : std::string("variables")) + " at offset " +
            std::to_string(in.pos()) + " (a damaged or concatenated file)");
  }
  // Aliases share their target's data; as in CTranslate2, an alias of a
  // quantized weight also aliases its scale. An alias whose target is absent
  // is skipped, as CTranslate2 does; one that shadows a variable is refused.
  for (const auto& [alias, target] : m.aliases) {
    for (const std::string suffix : {"", "_scale"}) {
      const auto it = index.find(target + suffix);
      if (it == index.end()) continue;
      if (index.count(alias + suffix)) in.Fail("alias " + alias + suffix + " has the name of a variable");
      SourceTensor t = m.checkpoint.tensors[it->second];
      t.name = alias + suffix;
      index.emplace(t.name, m.checkpoint.tensors.size());
      m.checkpoint.tensors.push_back(std::move(t));
    }
  }
  return m;
}


}  // namespace

Ct2ModelBin ReadCt2ModelBin(const std::string& path) {
  return detail::NoAbortOnMemory(path, [&] {
    uint64_t size = 0;
    const auto base = detail::MapWhole(path, &size);
    return Parse(base, size, path);
  });
}

Ct2ModelBin ParseCt2ModelBin(const uint8_t* bytes, uint64_t size, const std::string& name) {
  return detail::NoAbortOnMemory(name, [&] {
    auto owner = std::make_shared<std::vector<uint8_t>>(bytes, bytes + size);
    return Parse(std::shared_ptr<const uint8_t>(owner, owner->data()), size, name);
  });
}

}  // namespace edgeseq::loaders
