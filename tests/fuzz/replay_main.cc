// Runs a fuzz target's LLVMFuzzerTestOneInput over every file in the given
// directories (the committed corpus and crash reproducers), without libFuzzer.
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    DIR* d = opendir(argv[i]);
    if (!d) {
      fprintf(stderr, "cannot open corpus directory %s\n", argv[i]);
      return 1;
    }
    errno = 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string path = std::string(argv[i]) + "/" + e->d_name;
      std::ifstream in(path, std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++files;
      errno = 0;
    }
    if (errno != 0) {  // e.g. EOVERFLOW: a 64-bit inode in a 32-bit build without LFS
      fprintf(stderr, "cannot read corpus directory %s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    closedir(d);
  }
  printf("replayed %zu inputs\n", files);
  return files > 0 ? 0 : 1;
}
