// libFuzzer target: ReadCheckpoint (format detection, then the PyTorch zip
// reader: libzip + the unpickler + storage views, or safetensors) on
// arbitrary bytes, materializing every tensor and printing every module
// setting. The reader takes a path, so each input is written to a file in a
// RAM-backed directory first. Must only ever return tensors or throw
// CheckpointError: no crash, no huge allocation (libFuzzer's -rss_limit_mb:
// stride-0 views must be refused, not materialized), nothing executed.
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "loaders/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return std::string(dir) + "/edgeseq-torch-zip-fuzz-" + std::to_string(getpid()) + ".pth";
  }();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) abort();
  for (size_t done = 0; done < size;) {
    const ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) abort();
    done += static_cast<size_t>(w);
  }
  close(fd);
  try {
    const auto ck = edgeseq::loaders::ReadCheckpoint(path);
    for (const auto& m : ck.modules) {
      for (const auto& [name, a] : m.attrs) (void)a.ToString();
    }
    for (const auto& t : ck.tensors) {
      try {
        if (t.is_floating()) (void)t.ToF32();
        else (void)t.Bytes();
      } catch (const edgeseq::loaders::CheckpointError&) {  // a refused tensor: the others still read
      }
    }
  } catch (const edgeseq::loaders::CheckpointError&) {
  }
  unlink(path.c_str());
  return 0;
}
