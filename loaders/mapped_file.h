// A read-only memory mapping of a whole file (weights are used in place).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

namespace edgeseq::loaders {

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

// Tells the kernel that [p, p + bytes) of a mapping is read at random rows
// (an embedding table): no readahead, so a lookup maps the rows it reads
// rather than the megabytes around them. Only whole pages inside the range
// are advised; a hint, so failure is ignored.
void AdviseRandomAccess(const void* p, size_t bytes);

}  // namespace edgeseq::loaders
