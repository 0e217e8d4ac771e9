// PyTorch zip checkpoints: <archive>/data.pkl, <archive>/data/<key>,
// <archive>/byteorder; read with libzip. The pickle is interpreted at once;
// storage bytes are read per tensor, when it is materialized.
#include <string.h>
#include <zip.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "loaders/checkpoint.h"

namespace edgeseq::loaders {
namespace {

using pickle::Kind;
using pickle::Value;
using pickle::ValuePtr;

// A view may be at most this many times larger than the storage it views
// (or kViewFloorBytes, whichever is larger): see checkpoint.h.
constexpr uint64_t kMaxViewRepeat = 64;
constexpr uint64_t kViewFloorBytes = uint64_t{1} << 20;

class Zip {
 public:
  struct Record {
    zip_int64_t index = -1;
    uint64_t size = 0, comp_size = 0;
    bool stored = false;  // not compressed: can seek (torch.save never compresses)
  };

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
  Zip(const Zip&) = delete;
  Zip& operator=(const Zip&) = delete;

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

  // A record's sizes. Refuses a record larger than `max_bytes`, or larger
  // than its compressed bytes can inflate to (deflate: ~1032:1), before
  // anything is allocated; a compressed record is inflated once here, into
  // nothing, to check that it holds exactly the bytes it declares.
  Record Find(const std::string& name, uint64_t max_bytes) const {
    Record r;
    r.index = zip_name_locate(z_, name.c_str(), 0);
    if (r.index < 0) throw CheckpointError(path_ + ": missing record " + name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z_, r.index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        !(st.valid & ZIP_STAT_COMP_SIZE)) {
      throw CheckpointError(path_ + ": cannot read the size of record " + name);
    }
    r.size = st.size;
    r.comp_size = st.comp_size;
    r.stored = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE;
    if (r.size > max_bytes || r.size > r.comp_size * 1100 + (1 << 20)) {
      throw CheckpointError(path_ + ": record " + name + " claims " + std::to_string(r.size) +
                            " bytes, more than it can hold");
    }
    if (!r.stored) Range(name, r, 0, r.size, nullptr, true);
    return r;
  }

  // Bytes [begin, begin + len) of a record into `out` (nullptr: read and
  // discard). `to_end`: also check that nothing follows.
  void Range(const std::string& name, const Record& r, uint64_t begin, uint64_t len, uint8_t* out,
             bool to_end = false) const {
    zip_file_t* f = zip_fopen_index(z_, r.index, 0);
    if (!f) throw CheckpointError(path_ + ": cannot open record " + name + " (" + zip_strerror(z_) + ")");
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> close(f, zip_fclose);
    uint8_t scratch[1 << 14];
    auto read = [&](uint8_t* dst, uint64_t n) {  // dst nullptr: discard
      uint64_t got = 0;
      while (got < n) {
        const uint64_t want = dst ? n - got : std::min<uint64_t>(n - got, sizeof(scratch));
        const zip_int64_t k = zip_fread(f, dst ? dst + got : scratch, want);
        if (k <= 0) break;
        got += static_cast<uint64_t>(k);
      }
      if (got != n) {
        throw CheckpointError(path_ + ": record " + name + " is truncated or damaged (" +
                              zip_error_strerror(zip_file_get_error(f)) + ")");
      }
    };
    if (begin > 0 && !(r.stored && zip_fseek(f, static_cast<zip_int64_t>(begin), SEEK_SET) == 0)) read(nullptr, begin);
    read(out, len);
    uint8_t extra;
    if (to_end && zip_fread(f, &extra, 1) != 0) {
      throw CheckpointError(path_ + ": record " + name + " inflates to more than its declared size");
    }
  }

  std::vector<uint8_t> ReadAll(const std::string& name, uint64_t max_bytes) const {
    const Record r = Find(name, max_bytes);
    std::vector<uint8_t> out(r.size);
    Range(name, r, 0, r.size, out.data(), true);
    return out;
  }

 private:
  std::string path_;
  zip_t* z_ = nullptr;
};

// The one "<name>/data.pkl" at the archive's top level.
std::string FindDataPkl(const Zip& zip, const std::string& path) {
  std::string pkl;
  for (const std::string& n : zip.Names()) {
    if (n.size() >= 9 && n.compare(n.size() - 9, 9, "/data.pkl") == 0 && n.find('/') == n.size() - 9) {
      if (!pkl.empty()) throw CheckpointError(path + ": more than one data.pkl in the archive");
      pkl = n;
    }
  }
  if (pkl.empty()) throw CheckpointError(path + ": a zip archive without <name>/data.pkl: not a torch.save checkpoint");
  return pkl;
}

// The open archive, shared by every tensor read from it. libzip handles are
// not thread-safe: reads take the lock.
class TorchArchive {
 public:
  explicit TorchArchive(const std::string& path) : path_(path), zip_(path) {
    const std::string pkl = FindDataPkl(zip_, path);
    prefix_ = pkl.substr(0, pkl.size() - 8);  // keeps the trailing '/'
    if (zip_.Has(prefix_ + "byteorder")) {
      const auto bo = zip_.ReadAll(prefix_ + "byteorder", 16);
      if (std::string(bo.begin(), bo.end()) != "little") {
        throw CheckpointError(path + ": big-endian checkpoint; re-save it on a little-endian machine");
      }
    }
    pickle_ = zip_.ReadAll(pkl, uint64_t{1} << 32);
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

  // Bytes [begin, begin + len) of a storage (validated when it was listed).
  void ReadStorage(const Value& st, uint64_t begin, uint64_t len, uint8_t* out) const {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string name = prefix_ + "data/" + st.storage_key;
    zip_.Range(name, records_.at(st.storage_key), begin, len, out);
  }

 private:
  ValuePtr Persistent(ValuePtr pid) {
    // ('storage', <storage type>, key, location, numel)
    if (pid->kind == Kind::kString) {
      throw CheckpointError(path_ + ": data.pkl has text persistent ids (pickle protocol 0), which torch.load "
                            "cannot read either; re-save with the default pickle_protocol");
    }
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
    // The record must hold what the storage declares: storage sizes, and so
    // every view's source, are bounded by the archive's own bytes.
    uint64_t want;
    if (__builtin_mul_overflow(static_cast<uint64_t>(v->storage_numel), pickle::StorageElementSize(v->storage_type),
                               &want)) {
      throw CheckpointError(path_ + ": storage " + v->storage_key + " size overflows");
    }
    const Zip::Record r = zip_.Find(record, UINT64_MAX);
    if (r.size < want) {
      throw CheckpointError(path_ + ": storage " + v->storage_key + " has " + std::to_string(r.size) +
                            " bytes, its " + std::to_string(v->storage_numel) + " elements need " +
                            std::to_string(want));
    }
    records_[v->storage_key] = r;
    storages_[v->storage_key] = v;
    return v;
  }

  std::string path_;
  Zip zip_;
  std::string prefix_;
  std::vector<uint8_t> pickle_;
  pickle::Arena arena_;
  std::unordered_map<std::string, ValuePtr> storages_;
  std::unordered_map<std::string, Zip::Record> records_;
  mutable std::mutex mu_;
};

// One tensor view of a storage, read when materialized.
class ViewData final : public detail::TensorData {
 public:
  ViewData(std::shared_ptr<const TorchArchive> archive, const Value& t)
      : archive_(std::move(archive)), storage_(*t.storage), offset_(static_cast<uint64_t>(t.storage_offset)),
        shape_(t.shape), stride_(t.stride) {}

  // Checks that the view lies inside its storage (else throws), and whether
  // it may be materialized (else CheckReadable() will refuse it).
  void Validate(const std::string& where) {
    const uint64_t esize = pickle::StorageElementSize(storage_.storage_type);
    uint64_t elements = 1, last = offset_;
    for (size_t d = 0; d < shape_.size(); ++d) {
      if (shape_[d] < 0 || stride_[d] < 0) throw CheckpointError(where + " has a negative size or stride");
      uint64_t span;
      if (__builtin_mul_overflow(static_cast<uint64_t>(shape_[d]), elements, &elements) ||
          (shape_[d] > 0 && (__builtin_mul_overflow(static_cast<uint64_t>(shape_[d] - 1),
                                                     static_cast<uint64_t>(stride_[d]), &span) ||
                             __builtin_add_overflow(last, span, &last)))) {
        throw CheckpointError(where + " has a shape that overflows");
      }
    }
    const uint64_t storage_elems = static_cast<uint64_t>(storage_.storage_numel);
    if (elements > 0 && last >= storage_elems) {
      throw CheckpointError(where + " needs storage element " + std::to_string(last) + " but storage " +
                            storage_.storage_key + " holds " + std::to_string(storage_elems));
    }
    const uint64_t storage_bytes = storage_elems * esize;
    uint64_t bytes;
    if (__builtin_mul_overflow(elements, esize, &bytes) ||
        bytes > std::max(kMaxViewRepeat * storage_bytes, kViewFloorBytes)) {
      refusal_ = where + " is a view of " + std::to_string(elements) + " elements over a storage of " +
                 std::to_string(storage_elems) +
                 " (a stride-0/expand-style view); refused: it would take far more memory than the file holds "
                 "(save it with .contiguous() or .clone() if it is real)";
    }
  }

  void CheckReadable() const override {
    if (!refusal_.empty()) throw CheckpointError(refusal_);
  }

  void Read(uint8_t* out) const override {
    CheckReadable();
    const size_t esize = pickle::StorageElementSize(storage_.storage_type);
    const size_t nd = shape_.size();
    uint64_t elements = 1, last = offset_;
    bool dense = true;  // row-major strides: one straight read
    for (size_t d = nd; d-- > 0;) {
      if (shape_[d] != 1 && static_cast<uint64_t>(stride_[d]) != elements) dense = false;
      elements *= static_cast<uint64_t>(shape_[d]);
      if (shape_[d] > 0) last += static_cast<uint64_t>(shape_[d] - 1) * static_cast<uint64_t>(stride_[d]);
    }
    if (elements == 0) return;
    if (dense) return archive_->ReadStorage(storage_, offset_ * esize, elements * esize, out);
    // Read the stretch the view touches (bounded by the storage), then walk
    // the view in row-major order (offsets, strides, transposes).
    std::vector<uint8_t> span((last - offset_ + 1) * esize);
    archive_->ReadStorage(storage_, offset_ * esize, span.size(), span.data());
    std::vector<int64_t> idx(nd, 0);
    for (uint64_t e = 0; e < elements; ++e) {
      uint64_t src = 0;
      for (size_t d = 0; d < nd; ++d) src += static_cast<uint64_t>(idx[d]) * static_cast<uint64_t>(stride_[d]);
      memcpy(out + e * esize, span.data() + src * esize, esize);
      for (size_t d = nd; d-- > 0;) {
        if (++idx[d] < shape_[d]) break;
        idx[d] = 0;
      }
    }
  }

 private:
  std::shared_ptr<const TorchArchive> archive_;
  const Value& storage_;  // lives in the archive's arena
  uint64_t offset_;
  std::vector<int64_t> shape_, stride_;
  std::string refusal_;  // why CheckReadable() refuses; empty: it does not
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

Attr Other(std::string what) {
  Attr a;
  a.kind = Attr::Kind::kOther;
  a.s = std::move(what);
  return a;
}

// A module setting as an Attr: scalars, sequences of them, else kOther.
Attr ToAttr(const Value& v, int depth = 0) {
  Attr a;
  switch (v.kind) {
    case Kind::kNone: a.kind = Attr::Kind::kNone; break;
    case Kind::kBool: a.kind = Attr::Kind::kBool; a.b = v.b; break;
    case Kind::kInt: a.kind = Attr::Kind::kInt; a.i = v.i; break;
    case Kind::kFloat: a.kind = Attr::Kind::kFloat; a.f = v.f; break;
    case Kind::kString: a.kind = Attr::Kind::kString; a.s = v.s; break;
    case Kind::kGlobal: a.kind = Attr::Kind::kGlobal; a.s = v.s; break;
    case Kind::kTuple:
    case Kind::kList:
      a.kind = Attr::Kind::kSequence;
      for (const ValuePtr& x : v.items) {
        Attr item = depth < 8 ? ToAttr(*x, depth + 1) : Other("sequence");
        if (item.kind == Attr::Kind::kOther) return Other("sequence");
        a.items.push_back(std::move(item));
      }
      break;
    case Kind::kObject: return Other("object " + v.s);
    case Kind::kDict: return Other("dict");
    case Kind::kBytes: return Other("bytes");
    case Kind::kTensor: return Other("tensor");
    case Kind::kStorage: return Other("storage");
  }
  return a;
}

bool IsBookkeeping(const std::string& key) {
  return key == "_parameters" || key == "_buffers" || key == "_modules" || key == "_non_persistent_buffers_set" ||
         key.find("_hook") != std::string::npos;  // _forward_hooks, _is_full_backward_hook, ...
}

// Names tensors the way state_dict() does: dict keys joined with '.', and
// for placeholder modules their _parameters, _buffers and _modules; records
// each module it passes.
struct Flattener {
  std::vector<std::pair<std::string, const Value*>> tensors;
  std::vector<ModuleInfo> modules;
  std::unordered_set<const Value*> seen;

  void Visit(ValuePtr v, const std::string& prefix, int depth) {
    if (!v || depth > 256) return;
    if (v->kind == Kind::kTensor) {  // every name of a shared (tied) tensor is kept
      tensors.push_back({prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1), v});
      return;
    }
    if (!seen.insert(v).second) return;  // containers once: no cycles, no blow-up
    if (v->kind == Kind::kObject) {
      if (!v->state) return;
      if (v->state->kind == Kind::kDict && IsModule(*v->state)) {
        ModuleInfo m;
        m.path = prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1);
        m.type = v->s;
        for (const auto& [k, x] : v->state->dict) {
          if (k->kind == Kind::kString && !IsBookkeeping(k->s)) m.attrs[k->s] = ToAttr(*x);
        }
        modules.push_back(std::move(m));
        for (const auto& [k, x] : v->state->dict) {
          if (k->kind == Kind::kString && (k->s == "_parameters" || k->s == "_buffers" || k->s == "_modules")) {
            Visit(x, prefix, depth + 1);
          }
        }
        return;
      }
      Visit(v->state, prefix, depth + 1);
      return;
    }
    if (v->kind == Kind::kDict) {
      for (const auto& [k, x] : v->dict) {
        std::string key;
        if (k->kind == Kind::kString) key = k->s;
        else if (k->kind == Kind::kInt) key = std::to_string(k->i);
        else continue;
        Visit(x, prefix + key + ".", depth + 1);
      }
    }
  }

  static bool IsModule(const Value& state) {
    for (const auto& [k, x] : state.dict) {
      if (k->kind == Kind::kString && (k->s == "_parameters" || k->s == "_buffers" || k->s == "_modules")) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace

bool detail::LooksLikeTorchZip(const std::string& path, std::string* why) {
  try {
    Zip zip(path);
    FindDataPkl(zip, path);
    return true;
  } catch (const CheckpointError& e) {
    const std::string m = e.what();
    *why = m.rfind(path + ": ", 0) == 0 ? m.substr(path.size() + 2) : m;
    return false;
  }
}

Checkpoint ReadTorchZip(const std::string& path, const std::string& key) {
  try {
    auto archive = std::make_shared<TorchArchive>(path);
    const ValuePtr root = archive->Root();
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
        if (x && x->kind == Kind::kInt) ck.ints[k->s] = x->i;
        if (x && x->kind == Kind::kDict) {
          for (const auto& [k2, x2] : x->dict) {
            if (k2 && x2 && k2->kind == Kind::kString && x2->kind == Kind::kInt) ck.ints[k->s + "." + k2->s] = x2->i;
          }
        }
        if (x->kind == Kind::kTensor) direct = true;
        else if (HoldsTensors(x)) candidates.push_back(k->s);
      }
      auto list = [&] {
        std::string s;
        for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
        return s;
      };
      if (!direct) ck.keys = keys;  // a checkpoint dict, not a state dict
      auto entry = [&](const std::string& want) -> ValuePtr {
        for (const auto& [k, x] : root->dict) {
          if (k->kind == Kind::kString && k->s == want) return x;
        }
        return nullptr;
      };
      if (!key.empty()) {
        top = entry(key);
        if (!top) throw CheckpointError(path + ": no key '" + key + "' at the top level (keys: " + list() + ")");
        ck.root = "key '" + key + "'";
      } else if (direct) {
        ck.root = "state dict";
      } else if (candidates.size() == 1) {
        top = entry(candidates[0]);
        ck.root = "key '" + candidates[0] + "'";
      } else if (candidates.empty()) {
        throw CheckpointError(path + ": no tensors in the checkpoint (keys: " + list() + ")");
      } else {
        throw CheckpointError(path + ": several entries hold tensors; choose one with --key (keys: " + list() + ")");
      }
    } else {
      throw CheckpointError(path + ": the checkpoint holds neither a dict nor a model object");
    }
    Flattener flat;
    flat.Visit(top, "", 0);
    if (flat.tensors.empty()) throw CheckpointError(path + ": no tensors found under " + ck.root);
    std::unordered_set<std::string> names;
    for (const auto& [name, t] : flat.tensors) {
      if (!names.insert(name).second) throw CheckpointError(path + ": two tensors named " + name);
      if (t->storage_offset < 0) throw CheckpointError(path + ": tensor " + name + " has a negative storage offset");
      auto data = std::make_shared<ViewData>(archive, *t);
      data->Validate(path + ": tensor " + name);
      SourceTensor st;
      st.name = name;
      st.type = t->storage->storage_type;
      st.shape = t->shape;
      st.reader = std::move(data);
      ck.tensors.push_back(std::move(st));
    }
    ck.modules = std::move(flat.modules);
    return ck;
  } catch (const std::bad_alloc&) {
    throw CheckpointError(path + ": out of memory while reading the checkpoint");
  } catch (const std::length_error&) {
    throw CheckpointError(path + ": out of memory while reading the checkpoint (size too large)");
  }
}

}  // namespace edgeseq::loaders
