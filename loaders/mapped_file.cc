#include "loaders/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "loaders/esq_error.h"

namespace edgeseq::loaders {

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The messages read "cannot open PATH: REASON" (what() is "FILE: MESSAGE",
// so the verb goes with the file).
MappedFile::MappedFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw EsqError(EsqErrorKind::kIo, "cannot open " + path, "", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    throw EsqError(EsqErrorKind::kIo, "cannot stat " + path, "", strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    throw EsqError(EsqErrorKind::kIo, "cannot open " + path, "",
                   S_ISDIR(st.st_mode) ? "is a directory, not a file" : "not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > SIZE_MAX) {  // 32-bit builds: more than the address space
    close(fd);
    throw EsqError(EsqErrorKind::kIo, path, "", "file of " + std::to_string(st.st_size) +
                                                    " bytes is larger than this 32-bit process can map");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      close(fd);
      throw EsqError(EsqErrorKind::kIo, "cannot map " + path, "", strerror(err));
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  close(fd);  // the mapping stays valid without the descriptor
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
}

void AdviseAccess(const uint8_t* base, size_t size, uint64_t stream_begin,
                  std::vector<std::pair<uint64_t, uint64_t>> lookups) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  constexpr uint64_t kHuge = uint64_t{2} << 20;
  // MADV_POPULATE_READ (Linux 5.14): map the streamed part's pages now, in
  // one call, rather than one fault per 64 KiB on the first pass over them
  // (which is the load's own pass computing per-row weight sums). Older
  // kernels answer EINVAL and the pages fault in as before.
  constexpr int kPopulateRead = 22;
  auto advise = [base](uint64_t begin, uint64_t end, int advice) {
    if (end > begin) madvise(const_cast<uint8_t*>(base) + begin, end - begin, advice);
  };
  std::sort(lookups.begin(), lookups.end());
  uint64_t at = stream_begin;
  for (const auto& [begin, end] : lookups) {
    if (begin > at) {
      advise((at + kHuge - 1) / kHuge * kHuge, begin / kHuge * kHuge, MADV_HUGEPAGE);
      advise(at / page * page, (begin + page - 1) / page * page, kPopulateRead);
    }
    advise((begin + page - 1) / page * page, end / page * page, MADV_RANDOM);
    at = std::max(at, end);
  }
  if (size > at) {
    advise((at + kHuge - 1) / kHuge * kHuge, size / kHuge * kHuge, MADV_HUGEPAGE);
    advise(at / page * page, (size + page - 1) / page * page, kPopulateRead);
  }
}

}  // namespace edgeseq::loaders
