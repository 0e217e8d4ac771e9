// main() of every gtest binary (in place of gtest_main): the files a test
// writes under testing::TempDir() go to a folder of this process's own,
// removed with everything in it when the tests are done, so runs leave
// nothing behind in /tmp (they used to leave every converted model there).
#include <ftw.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace {

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // A TEST_TMPDIR given from outside (ctest, a user) is kept as it is.
  const char* given = getenv("TEST_TMPDIR");
  std::string own;
  if (!given || !*given) {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/edgeseq-test-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) {
      own = tmpl;
      setenv("TEST_TMPDIR", (own + "/").c_str(), 1);  // what testing::TempDir() returns
    }
  }
  const int status = RUN_ALL_TESTS();
  if (!own.empty()) nftw(own.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  return status;
}
