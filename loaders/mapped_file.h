// A read-only memory mapping of a whole file (weights are used in place).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <utility>
#include <vector>

namespace edgeseq::loaders {

// Whether `path` names a regular file (following links); false when it is
// missing, unreadable by stat, or a directory.
bool IsRegularFile(const std::string& path);

class MappedFile {
 public:
  // Maps `path` read-only. Throws EsqError(kIo) naming the file and the
  // system's reason. An empty file maps to size 0, data nullptr.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Memory hints for a mapping of `size` bytes at `base` (page aligned), by
// file offset; failures are ignored. `lookups`: ranges read a few rows at a
// time (embedding tables): no readahead (MADV_RANDOM), so a lookup maps the
// rows it reads rather than the megabytes around them. The rest from
// stream_begin on (weights read whole at every step): MADV_HUGEPAGE over
// the 2 MB-aligned stretches that hold no lookup range, so the kernel may
// cache it in large blocks (measured: bench-base greedy 25% faster) without
// a block straddling a table and mapping it whole.
void AdviseAccess(const uint8_t* base, size_t size, uint64_t stream_begin,
                  std::vector<std::pair<uint64_t, uint64_t>> lookups);

}  // namespace edgeseq::loaders
