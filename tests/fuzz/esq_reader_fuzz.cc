// libFuzzer target: the .esq reader on arbitrary bytes. Any input must give a
// valid file or an EsqError; never a crash, a hang, or a read outside the
// buffer (ASan). Accepted files are also checksummed and every tensor and
// vocabulary entry is read, as the runtime would.
//
// Each input is tried twice: as it is, and with its metadata checksums
// recomputed, so that mutations reach the structural checks behind them
// instead of stopping at the first checksum.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "loaders/checksum.h"
#include "loaders/esq_format.h"
#include "loaders/esq_reader.h"

namespace {

using namespace edgeseq::loaders;

void FixChecksumsWhereInBounds(std::vector<uint8_t>& b) {
  if (b.size() < kPreambleSize) return;
  uint32_t count;
  memcpy(&count, b.data() + 12, 4);
  if (count > Limits::kMaxSections || kPreambleSize + uint64_t{count} * kSectionEntrySize > b.size()) return;
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t* e = b.data() + kPreambleSize + i * kSectionEntrySize;
    uint64_t off, size;
    memcpy(&off, e + 8, 8);
    memcpy(&size, e + 16, 8);
    if (off > b.size() || size > b.size() - off) continue;
    const uint64_t sum = Checksum(b.data() + off, size);
    memcpy(e + 24, &sum, 8);
  }
  const uint64_t table = Checksum(b.data() + kPreambleSize, uint64_t{count} * kSectionEntrySize);
  memcpy(b.data() + 24, &table, 8);
}

void Exercise(const std::vector<uint8_t>& bytes) {
  try {
    const auto f = EsqFile::FromBytes(bytes.data(), bytes.size(), "fuzz.esq");
    try {
      f.VerifyChecksums();
    } catch (const EsqError&) {
    }
    volatile uint64_t sink = 0;
    for (const auto& t : f.tensors()) {
      const auto* p = static_cast<const uint8_t*>(t.data);
      sink = sink + p[0] + p[t.data_size - 1] + t.name.size();
      if (t.scales) sink = sink + (t.scales[t.rows() - 1] > 1.0f);
    }
    for (const auto* v : {f.src_vocab(), f.tgt_vocab()}) {
      if (!v) continue;
      for (const auto& tok : v->tokens) sink = sink + tok.size();
    }
  } catch (const EsqError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Private copies: libFuzzer's buffer has no alignment guarantee, and real
  // mappings are page-aligned.
  std::vector<uint8_t> bytes(data, data + size);
  Exercise(bytes);
  FixChecksumsWhereInBounds(bytes);
  Exercise(bytes);
  return 0;
}
