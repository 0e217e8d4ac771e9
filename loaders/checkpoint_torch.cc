// PyTorch zip checkpoints: <archive>/data.pkl, <archive>/data/<key>,
// <archive>/byteorder; read with libzip.
#include <string.h>
#include <zip.h>

#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "loaders/checkpoint.h"

namespace edgeseq::loaders {
namespace {

using pickle::Kind;
using pickle::Value;
using pickle::ValuePtr;

class Zip {
 public:
  explicit Zip(const std::string& path) : path_(path) {
    int err = 0;
    z_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z_) {
      zip_error_t e;
      zip_error_init_with_code(&e, err);
      const std::string msg = zip_error_strerror(&e);
      zip_error_fini(&e);
      throw CheckpointError(path + ": not a readable zip archive (" + msg + ")");
    }
  }
  ~Zip() { zip_discard(z_); }

  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    const zip_int64_t n = zip_get_num_entries(z_, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* name = zip_get_name(z_, i, 0);
      if (name) out.push_back(name);
    }
    return out;
  }

  bool Has(const std::string& name) const { return zip_name_locate(z_, name.c_str(), 0) >= 0; }

  // The whole entry. Refuses entries larger than `max_bytes` before
  // allocating, and entries that inflate to more than they declare.
  std::vector<uint8_t> Read(const std::string& name, uint64_t max_bytes) const {
    const zip_int64_t idx = zip_name_locate(z_, name.c_str(), 0);
    if (idx < 0) throw CheckpointError(path_ + ": missing record " + name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z_, idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
      throw CheckpointError(path_ + ": cannot read the size of record " + name);
    }
    // Deflate cannot expand more than ~1032:1: a larger claim is a lie.
    if (st.size > max_bytes || st.size > st.comp_size * 1100 + (1 << 20)) {
      throw CheckpointError(path_ + ": record " + name + " claims " + std::to_string(st.size) +
                            " bytes, more than it can hold");
    }
    std::vector<uint8_t> out(st.size);
    zip_file_t* f = zip_fopen_index(z_, idx, 0);
    if (!f) throw CheckpointError(path_ + ": cannot open record " + name + " (" + zip_strerror(z_) + ")");
    zip_uint64_t got = 0;
    while (got < st.size) {
      const zip_int64_t r = zip_fread(f, out.data() + got, st.size - got);
      if (r <= 0) break;
      got += static_cast<zip_uint64_t>(r);
    }
    uint8_t extra;
    const zip_int64_t more = got == st.size ? zip_fread(f, &extra, 1) : 0;
    const std::string ferr = zip_error_strerror(zip_file_get_error(f));
    zip_fclose(f);
    if (got != st.size) throw CheckpointError(path_ + ": record " + name + " is truncated or damaged (" + ferr + ")");
    if (more != 0) throw CheckpointError(path_ + ": record " + name + " inflates to more than its declared size");
    return out;
  }

 private:
  std::string path_;
  zip_t* z_ = nullptr;
};

// Resolves tensors against storages; keeps storage bytes read once.
class TorchZipReader {
 public:
  TorchZipReader(const std::string& path) : path_(path), zip_(path) {
    std::string pkl;
    for (const std::string& n : zip_.Names()) {
      if (n.size() >= 9 && n.compare(n.size() - 9, 9, "/data.pkl") == 0 && n.find('/') == n.size() - 9) {
        if (!pkl.empty()) throw CheckpointError(path + ": more than one data.pkl in the archive");
        pkl = n;
      }
    }
    if (pkl.empty()) {
      throw CheckpointError(path + ": a zip archive without <name>/data.pkl: not a torch.save checkpoint");
    }
    prefix_ = pkl.substr(0, pkl.size() - 8);  // keeps the trailing '/'
    if (zip_.Has(prefix_ + "byteorder")) {
      const auto bo = zip_.Read(prefix_ + "byteorder", 16);
      if (std::string(bo.begin(), bo.end()) != "little") {
        throw CheckpointError(path + ": big-endian checkpoint; re-save it on a little-endian machine");
      }
    }
    archive_bytes_ = 0;
    pickle_ = zip_.Read(pkl, uint64_t{1} << 32);
  }

  ValuePtr Root() {
    try {
      return pickle::Unpickle(pickle_.data(), pickle_.size(), [this](ValuePtr pid) { return Persistent(pid); },
                              arena_);
    } catch (const CheckpointError& e) {
      const std::string what = e.what();
      if (what.rfind(path_, 0) == 0) throw;  // already names the file
      throw CheckpointError(path_ + ": " + prefix_ + "data.pkl: " + what);
    }
  }

  // Reads the tensor's bytes out of its storage, contiguous.
  SourceTensor Materialize(const std::string& name, const Value& t) {
    const Value& st = *t.storage;
    SourceTensor out;
    out.name = name;
    out.type = st.storage_type;
    out.shape = t.shape;
    const size_t esize = pickle::StorageElementSize(st.storage_type);
    const std::vector<uint8_t>& bytes = StorageBytes(st);
    const uint64_t storage_elems = bytes.size() / esize;
    if (t.storage_offset < 0) throw CheckpointError(path_ + ": tensor " + name + " has a negative storage offset");
    // Highest element index the view touches, with overflow checks.
    uint64_t elements = 1, last = static_cast<uint64_t>(t.storage_offset);
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0 || t.stride[d] < 0) {
        throw CheckpointError(path_ + ": tensor " + name + " has a negative size or stride");
      }
      uint64_t span;
      if (__builtin_mul_overflow(static_cast<uint64_t>(t.shape[d]), elements, &elements) ||
          (t.shape[d] > 0 && (__builtin_mul_overflow(static_cast<uint64_t>(t.shape[d] - 1),
                                                      static_cast<uint64_t>(t.stride[d]), &span) ||
                              __builtin_add_overflow(last, span, &last)))) {
        throw CheckpointError(path_ + ": tensor " + name + " has a shape that overflows");
      }
    }
    if (elements > 0 && last >= storage_elems) {
      throw CheckpointError(path_ + ": tensor " + name + " needs storage element " + std::to_string(last) +
                            " but storage " + st.storage_key + " holds " + std::to_string(storage_elems));
    }
    out.data.resize(elements * esize);
    // Walk the view in row-major order (honours offsets, strides, transposes).
    const size_t nd = t.shape.size();
    std::vector<int64_t> idx(nd, 0);
    for (uint64_t e = 0; e < elements; ++e) {
      uint64_t src = static_cast<uint64_t>(t.storage_offset);
      for (size_t d = 0; d < nd; ++d) src += static_cast<uint64_t>(idx[d] * t.stride[d]);
      memcpy(out.data.data() + e * esize, bytes.data() + src * esize, esize);
      for (size_t d = nd; d-- > 0;) {
        if (++idx[d] < t.shape[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  }

 private:
  ValuePtr Persistent(ValuePtr pid) {
    // ('storage', <storage type>, key, location, numel)
    if (pid->kind != Kind::kTuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::kString ||
        pid->items[0]->s != "storage") {
      throw CheckpointError(path_ + ": unsupported persistent id in data.pkl");
    }
    const auto& it = pid->items;
    if (it[1]->kind != Kind::kGlobal || it[2]->kind != Kind::kString || it[4]->kind != Kind::kInt) {
      throw CheckpointError(path_ + ": malformed storage reference in data.pkl");
    }
    auto found = storages_.find(it[2]->s);
    if (found != storages_.end()) return found->second;
    Value* v = arena_.Make(Kind::kStorage);
    if (!pickle::StorageTypeFromGlobal(it[1]->s, &v->storage_type)) {
      throw CheckpointError(path_ + ": unsupported storage type " + it[1]->s);
    }
    v->storage_key = it[2]->s;
    v->storage_numel = it[4]->i;
    if (v->storage_numel < 0) throw CheckpointError(path_ + ": storage " + v->storage_key + " has a negative size");
    const std::string record = prefix_ + "data/" + v->storage_key;
    if (!zip_.Has(record)) {
      throw CheckpointError(path_ + ": data.pkl refers to storage " + v->storage_key + " but the archive has no " + record);
    }
    storages_[v->storage_key] = v;
    return v;
  }

  const std::vector<uint8_t>& StorageBytes(const Value& st) {
    auto it = bytes_.find(st.storage_key);
    if (it != bytes_.end()) return it->second;
    const size_t esize = pickle::StorageElementSize(st.storage_type);
    uint64_t want;
    if (__builtin_mul_overflow(static_cast<uint64_t>(st.storage_numel), esize, &want)) {
      throw CheckpointError(path_ + ": storage " + st.storage_key + " size overflows");
    }
    std::vector<uint8_t> b = zip_.Read(prefix_ + "data/" + st.storage_key, want);
    if (b.size() < want) {
      throw CheckpointError(path_ + ": storage " + st.storage_key + " has " + std::to_string(b.size()) +
                            " bytes, its " + std::to_string(st.storage_numel) + " elements need " +
                            std::to_string(want));
    }
    return bytes_.emplace(st.storage_key, std::move(b)).first->second;
  }

  std::string path_;
  Zip zip_;
  std::string prefix_;
  uint64_t archive_bytes_ = 0;
  std::vector<uint8_t> pickle_;
  pickle::Arena arena_;
  std::unordered_map<std::string, ValuePtr> storages_;
  std::unordered_map<std::string, std::vector<uint8_t>> bytes_;
};

bool HoldsTensors(ValuePtr v, int depth = 0) {
  if (!v || depth > 64) return false;
  switch (v->kind) {
    case Kind::kTensor: return true;
    case Kind::kDict:
      for (const auto& [k, x] : v->dict) {
        if (HoldsTensors(x, depth + 1)) return true;
      }
      return false;
    case Kind::kObject: return HoldsTensors(v->state, depth + 1);
    default: return false;
  }
}

// Names tensors the way state_dict() does: dict keys joined with '.', and
// for placeholder modules their _parameters, _buffers and _modules.
void Flatten(ValuePtr v, const std::string& prefix, std::vector<std::pair<std::string, const Value*>>& out,
             std::unordered_set<const Value*>& seen, int depth) {
  if (!v || depth > 256) return;
  if (v->kind == Kind::kTensor) {  // every name of a shared (tied) tensor is kept
    out.push_back({prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1), v});
    return;
  }
  if (!seen.insert(v).second) return;  // containers once: no cycles, no blow-up
  if (v->kind == Kind::kObject) {
    if (!v->state) return;
    if (v->state->kind == Kind::kDict) {
      bool module = false;
      for (const auto& [k, x] : v->state->dict) {
        if (k->kind == Kind::kString && (k->s == "_parameters" || k->s == "_buffers" || k->s == "_modules")) {
          module = true;
          Flatten(x, prefix, out, seen, depth + 1);
        }
      }
      if (module) return;
    }
    Flatten(v->state, prefix, out, seen, depth + 1);
    return;
  }
  if (v->kind == Kind::kDict) {
    for (const auto& [k, x] : v->dict) {
      std::string key;
      if (k->kind == Kind::kString) key = k->s;
      else if (k->kind == Kind::kInt) key = std::to_string(k->i);
      else continue;
      Flatten(x, prefix + key + ".", out, seen, depth + 1);
    }
  }
}

}  // namespace

Checkpoint ReadTorchZip(const std::string& path, const std::string& key) {
  TorchZipReader reader(path);
  const ValuePtr root = reader.Root();
  Checkpoint ck;
  ck.format = "pytorch-zip";
  ValuePtr top = root;
  if (root->kind == Kind::kObject) {
    ck.root = "pickled object " + root->s + " (its class was not loaded)";
  } else if (root->kind == Kind::kDict) {
    bool direct = false;
    std::vector<std::string> candidates, keys;
    for (const auto& [k, x] : root->dict) {
      if (k->kind != Kind::kString) continue;
      keys.push_back(k->s);
      if (x->kind == Kind::kTensor) direct = true;
      else if (HoldsTensors(x)) candidates.push_back(k->s);
    }
    auto list = [&] {
      std::string s;
      for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
      return s;
    };
    if (!key.empty()) {
      top = nullptr;
      for (const auto& [k, x] : root->dict) {
        if (k->kind == Kind::kString && k->s == key) top = x;
      }
      if (!top) throw CheckpointError(path + ": no key '" + key + "' at the top level (keys: " + list() + ")");
      ck.root = "key '" + key + "'";
    } else if (direct) {
      ck.root = "state dict";
    } else if (candidates.size() == 1) {
      for (const auto& [k, x] : root->dict) {
        if (k->kind == Kind::kString && k->s == candidates[0]) top = x;
      }
      ck.root = "key '" + candidates[0] + "'";
    } else if (candidates.empty()) {
      throw CheckpointError(path + ": no tensors in the checkpoint");
    } else {
      throw CheckpointError(path + ": several entries hold tensors; choose one with --key (keys: " + list() + ")");
    }
  } else {
    throw CheckpointError(path + ": the checkpoint holds neither a dict nor a model object");
  }
  std::vector<std::pair<std::string, const Value*>> found;
  std::unordered_set<const Value*> seen;
  Flatten(top, "", found, seen, 0);
  if (found.empty()) throw CheckpointError(path + ": no tensors found under " + ck.root);
  std::unordered_set<std::string> names;
  for (const auto& [name, t] : found) {
    if (!names.insert(name).second) throw CheckpointError(path + ": two tensors named " + name);
    ck.tensors.push_back(reader.Materialize(name, *t));
  }
  return ck;
}

}  // namespace edgeseq::loaders
