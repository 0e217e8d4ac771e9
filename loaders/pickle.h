// An unpickler for every opcode of pickle protocols 0 to 5 that torch.load
// accepts (torch.save(..., pickle_protocol=1..5)). It only *interprets*:
// nothing is imported or called. The few globals that rebuild tensors and containers are
// understood; any other global becomes an inert placeholder object that
// records its name, arguments and state, so a whole pickled model yields its
// tensors by attribute path without its Python class. Globals that can only
// serve an attack (os.system, subprocess.*, builtins.eval, ...: the list in
// pickle.cc, documented in docs/CONVERTER.md) are refused outright.
// Python 2 module names that protocols 0-2 write (__builtin__, copy_reg) are
// read as their Python 3 names, as Python's own unpickler does.
// Refused with a clear message, since no torch checkpoint uses them: the
// extension registry (EXT1/2/4: there is no copyreg registry to consult) and
// out-of-band buffers (protocol 5 NEXT_BUFFER).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace edgeseq::loaders::pickle {

struct Value;
// Values live in an Arena and point at each other with plain pointers: a
// hostile pickle can build cycles (a list that contains itself), which
// reference counting would leak.
using ValuePtr = Value*;

enum class Kind {
  kNone, kBool, kInt, kFloat, kString, kBytes,
  kTuple, kList, kDict,
  kGlobal,   // a reference to module.name, not yet called
  kObject,   // placeholder: the result of calling/instantiating an unknown global
  kStorage,  // a torch storage (from a persistent id)
  kTensor,   // torch._utils._rebuild_tensor_v2 and friends
};

// torch storage element types.
enum class StorageType { kFloat, kHalf, kBFloat16, kDouble, kLong, kInt, kShort, kChar, kByte, kBool };
size_t StorageElementSize(StorageType t);
const char* StorageTypeName(StorageType t);

struct Value {
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                                    // string, bytes, global "module.name", object type
  std::vector<ValuePtr> items;                      // tuple, list; object: constructor arguments
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // dict entries in insertion order
  ValuePtr state;                                   // object: what BUILD set
  // storage
  StorageType storage_type = StorageType::kFloat;
  std::string storage_key;
  int64_t storage_numel = 0;
  // tensor
  ValuePtr storage;
  int64_t storage_offset = 0;
  std::vector<int64_t> shape, stride;
};

// Owns every value of one unpickling; values die with it.
class Arena {
 public:
  Value* Make(Kind kind);
  size_t size() const { return values_.size(); }

 private:
  std::deque<Value> values_;
};

// Resolves a persistent id (BINPERSID) to a value; torch.save uses
// ('storage', <storage type global>, key, location, numel).
using PersistentLoad = std::function<ValuePtr(ValuePtr pid)>;

// Parses `data` and returns the pickled object. Throws CheckpointError for
// anything malformed, unsupported or refused, with the byte offset.
ValuePtr Unpickle(const uint8_t* data, size_t size, const PersistentLoad& persistent_load, Arena& arena);

// Maps "torch.FloatStorage" etc. to a storage type; false if unknown.
bool StorageTypeFromGlobal(const std::string& full, StorageType* t);

// Whether module.name is on the refused list.
bool IsDangerousGlobal(const std::string& module, const std::string& name);

}  // namespace edgeseq::loaders::pickle
