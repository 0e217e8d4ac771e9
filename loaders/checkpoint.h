// Training checkpoints as the converter reads them: PyTorch's zip format
// (torch.save, PyTorch ≥ 1.6, any pickle protocol 1-5: a state dict, a whole
// pickled model, or a checkpoint dict that nests the state dict) and
// safetensors. Nothing in a file is executed (see pickle.h), every size is
// checked before it is used, and every error, running out of memory
// included, is a CheckpointError with a one-line reason.
//
// Reading is lazy: ReadCheckpoint lists the tensors (name, type, shape) and
// validates their structure; a tensor's data is read only when Bytes() or
// ToF32() asks for it, so memory follows the tensors actually used. A
// SourceTensor keeps the file it came from open (a shared handle) and may
// outlive its Checkpoint.
//
// Memory is bounded by the file, not by what its metadata claims:
// - a storage must hold the bytes its element count declares, and a zip
//   record may claim at most ~1100x its compressed size (deflate's limit);
//   every view must lie inside its storage (checked when listing);
// - a tensor view may not be larger than max(64 x the bytes of the storage it
//   views, 1 MiB). Real tensors view their storage densely (a parameter, or a
//   tied/shared tensor that views all or part of one), so they are never
//   larger than their storage; only a stride-0 (expand-style) or overlapping
//   view can be. Such a tensor is still listed (an unused one costs nothing),
//   but Bytes()/ToF32() refuse it, naming it, before allocating anything.
#pragma once

#include <stdint.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loaders/checkpoint_error.h"
#include "loaders/pickle.h"

namespace edgeseq::loaders {

using ElementType = pickle::StorageType;

namespace detail {
// Reads one tensor's bytes on demand (internal: the readers implement it).
class TensorData {
 public:
  virtual ~TensorData() = default;
  // Throws CheckpointError if the tensor must not be materialized (called
  // before its memory is allocated).
  virtual void CheckReadable() const {}
  // Writes the tensor's nbytes() contiguous bytes to `out`.
  virtual void Read(uint8_t* out) const = 0;
};
// Whether `path` is a readable zip archive holding one <name>/data.pkl; if
// not, `why` says what was found instead.
bool LooksLikeTorchZip(const std::string& path, std::string* why);
}  // namespace detail

struct SourceTensor {
  std::string name;              // state-dict name ("transformer.encoder.layers.0.linear1.weight")
  ElementType type = ElementType::kFloat;
  std::vector<int64_t> shape;

  int64_t elements() const;
  uint64_t nbytes() const;       // elements() x element size: what Bytes() returns
  bool is_floating() const;
  // Contiguous row-major little-endian bytes (views, offsets and strides
  // resolved), read from the file now.
  std::vector<uint8_t> Bytes() const;
  // Values as f32 (exact for f32/f16/bf16; f64 rounded). Throws
  // CheckpointError for integer tensors.
  std::vector<float> ToF32() const;

  // A tensor held in memory (tests, tensors a caller builds itself).
  static SourceTensor FromBytes(std::string name, ElementType type, std::vector<int64_t> shape,
                                std::vector<uint8_t> bytes);

  std::shared_ptr<const detail::TensorData> reader;  // internal: where Bytes() reads from
};

// One setting recorded in a whole pickled model (an entry of a module's
// __dict__). Scalars and sequences of them; anything else is kOther with a
// short description in `s` ("object argparse.Namespace", "dict", "tensor").
struct Attr {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kGlobal, kSequence, kOther } kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;            // kString: the text; kGlobal: "module.name"; kOther: description
  std::vector<Attr> items;  // kSequence (a tuple or list)
  // Python-like: None, True, 3, 1e-06, 'tanh', torch._C._nn.gelu, (8,), <dict>
  std::string ToString() const;
};

// A module of a whole pickled model: a placeholder object whose state has
// _parameters, _buffers or _modules.
struct ModuleInfo {
  std::string path;  // dotted attribute path as state-dict names use; "" for the root
  std::string type;  // the class's full name, e.g. "torch.nn.modules.activation.MultiheadAttention"
  // Its __dict__ entries except _parameters, _buffers, _modules, the hook
  // dicts and _non_persistent_buffers_set. PyTorch 1.13 e.g.:
  // TransformerEncoderLayer: norm_first (bool), activation (kGlobal
  //   "torch._C._nn.gelu" or "torch.nn.functional.relu"; a module activation
  //   is a submodule "<path>.activation" instead), activation_relu_or_gelu;
  // MultiheadAttention: num_heads, embed_dim, batch_first; LayerNorm: eps,
  // normalized_shape (a sequence); Embedding: num_embeddings, embedding_dim,
  // padding_idx (int or None); GELU: approximate ('none' or 'tanh').
  std::map<std::string, Attr> attrs;
};

struct Checkpoint {
  std::string format;  // "pytorch-zip" or "safetensors"
  std::string root;    // what the tensors came from: "state dict", "key 'model'", "pickled object __main__.Seq2SeqTransformer ..."
  std::vector<std::string> keys;  // the top-level keys when the file holds a checkpoint dict; else empty
  std::vector<SourceTensor> tensors;
  std::vector<ModuleInfo> modules;  // whole pickled models only, parents before children
  // Integers stored beside the tensors in a checkpoint dict: a top-level
  // int entry by its key, an int entry of a top-level dict as "key.entry"
  // (openai-whisper's {"dims": {"n_mels": 80, ...}} gives "dims.n_mels").
  // Other values (floats, strings, deeper nesting) are not kept.
  std::map<std::string, int64_t> ints;
};

// Reads `path`. The format is decided by validating each candidate's whole
// structure (a zip archive with one <name>/data.pkl; a safetensors header
// length that fits the file followed by a JSON object), never by one byte or
// the extension; a legacy (pre-1.6) torch.save pickle is refused with the
// advice to re-save it; otherwise the error says what each attempt found.
// `key` picks the state dict inside a checkpoint dict ({"model": ...,
// "optimizer": ...}); empty: the top level if it holds tensors, else the one
// entry that does.
Checkpoint ReadCheckpoint(const std::string& path, const std::string& key = "");

Checkpoint ReadTorchZip(const std::string& path, const std::string& key = "");
Checkpoint ReadSafetensors(const std::string& path);
// Safetensors bytes already in memory (fuzzing); `name` stands for the file.
// The bytes are copied: the tensors do not refer to the caller's buffer.
Checkpoint ParseSafetensors(const uint8_t* bytes, uint64_t size, const std::string& name);

}  // namespace edgeseq::loaders
