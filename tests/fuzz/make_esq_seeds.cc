// Writes the seed corpus of the .esq reader's fuzz target:
//   make_esq_seeds DIR
// A valid small model in several variants; the fuzzer mutates from there.
#include <stdio.h>

#include <fstream>
#include <string>

#include "loaders/esq_writer.h"
#include "tests/loaders/esq_fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_esq_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto write = [&](const std::string& name, const edgeseq::loaders::EsqContents& c) {
    const auto bytes = edgeseq::loaders::SerializeEsqToBytes(c);
    std::ofstream(dir + "/" + name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  edgeseq::test::EsqFixture full;
  write("full.esq", full.contents);
  edgeseq::test::EsqFixture bare;
  bare.contents.src_vocab.reset();
  bare.contents.tgt_vocab.reset();
  bare.contents.tokenizer.reset();
  write("no_vocab.esq", bare.contents);
  edgeseq::test::EsqFixture extra;
  extra.contents.extra_sections.push_back({42, 0, {9, 9, 9}});
  write("extra_section.esq", extra.contents);
  edgeseq::test::EsqFixture empty;
  empty.contents.tensors.clear();
  write("no_tensors.esq", empty.contents);
  return 0;
}
