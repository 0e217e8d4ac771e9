// The .esq format: round trip in every dtype, one test per kind of damage
// (each must give its own error kind), forward compatibility, atomic writes,
// and zero-copy loading.
#include <dirent.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "loaders/esq_reader.h"
#include "loaders/esq_writer.h"
#include "tests/loaders/esq_fixture.h"

namespace edgeseq::loaders {
namespace {

using test::EsqFixture;
using test::EsqLayout;
using test::FixChecksums;
using test::Peek;
using test::Poke;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edgeseq-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    DIR* d = opendir(path_.c_str());
    while (dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) out.push_back(e->d_name);
    }
    closedir(d);
    return out;
  }

 private:
  std::string path_;
};

EsqErrorKind KindOf(const std::vector<uint8_t>& bytes, std::string* message = nullptr) {
  try {
    EsqFile::FromBytes(bytes.data(), bytes.size(), "damaged.esq");
  } catch (const EsqError& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "the damaged file was accepted";
  return EsqErrorKind::kIo;
}

void ExpectKind(const std::vector<uint8_t>& bytes, EsqErrorKind want, const std::string& mentions = "") {
  std::string msg;
  const EsqErrorKind got = KindOf(bytes, &msg);
  EXPECT_EQ(got, want) << "got " << EsqErrorKindName(got) << " (" << msg << "), want " << EsqErrorKindName(want);
  EXPECT_NE(msg.find("damaged.esq"), std::string::npos) << "the error names the file: " << msg;
  if (!mentions.empty()) {
    EXPECT_NE(msg.find(mentions), std::string::npos) << msg;
  }
}

TEST(EsqRoundTrip, EveryDTypeBitExact) {
  EsqFixture fx;
  TempDir dir;
  const std::string path = dir.path() + "/model.esq";
  WriteEsq(path, fx.contents);
  const EsqFile f = EsqFile::Open(path, /*verify_checksums=*/true);
  EXPECT_EQ(f.major_version(), kEsqMajor);
  const ModelConfig& c = f.config();
  const ModelConfig& w = fx.contents.config;
  EXPECT_EQ(c.d_model, w.d_model);
  EXPECT_EQ(c.num_heads, w.num_heads);
  EXPECT_EQ(c.ffn_dim, w.ffn_dim);
  EXPECT_EQ(c.src_vocab_size, w.src_vocab_size);
  EXPECT_EQ(c.tgt_vocab_size, w.tgt_vocab_size);
  EXPECT_EQ(c.norm_placement, w.norm_placement);
  EXPECT_EQ(c.activation, w.activation);
  EXPECT_EQ(c.encoder_final_norm, true);
  EXPECT_EQ(c.decoder_final_norm, false);
  EXPECT_EQ(c.embedding_scale, w.embedding_scale);
  EXPECT_EQ(c.eos_id, 3);
  EXPECT_EQ(c.src_unk_id, -1);
  EXPECT_EQ(c.tgt_unk_id, -1);
  ASSERT_EQ(f.tensors().size(), fx.contents.tensors.size());
  for (size_t i = 0; i < fx.contents.tensors.size(); ++i) {
    const TensorToWrite& want = fx.contents.tensors[i];
    const TensorInfo* t = f.Find(want.name);
    ASSERT_NE(t, nullptr) << want.name;
    EXPECT_EQ(t->dtype, want.dtype);
    ASSERT_EQ(t->ndim, want.dims.size());
    for (size_t d = 0; d < want.dims.size(); ++d) EXPECT_EQ(t->dims[d], want.dims[d]);
    EXPECT_EQ(memcmp(t->data, want.data, t->data_size), 0) << want.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % 64, 0u) << want.name << " is not 64-byte aligned";
    if (want.dtype == DType::kI8) {
      ASSERT_NE(t->scales, nullptr);
      EXPECT_EQ(memcmp(t->scales, want.scales, t->rows() * 4), 0);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t->scales) % 64, 0u);
    } else {
      EXPECT_EQ(t->scales, nullptr);
    }
  }
  ASSERT_NE(f.src_vocab(), nullptr);
  ASSERT_NE(f.tgt_vocab(), nullptr);
  EXPECT_EQ(f.src_vocab()->tokens.size(), 5u);
  EXPECT_EQ(f.src_vocab()->tokens[4], "é");
  EXPECT_EQ(f.tgt_vocab()->tokens[4], "AH0");
  EXPECT_TRUE(f.has_tokenizer());
  EXPECT_EQ(f.src_tokenizer(), TokenizerKind::kCharacters);
  EXPECT_EQ(f.tgt_tokenizer(), TokenizerKind::kWhitespace);
  EXPECT_EQ(f.Find("nope"), nullptr);
}

TEST(EsqRoundTrip, SerializedBytesEqualTheWrittenFile) {
  EsqFixture fx;
  TempDir dir;
  WriteEsq(dir.path() + "/m.esq", fx.contents);
  std::ifstream in(dir.path() + "/m.esq", std::ios::binary);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file, SerializeEsqToBytes(fx.contents));
}

TEST(EsqRoundTrip, OverheadIsSmall) {
  // The format's own bytes (everything but tensors and vocabularies) for a
  // realistic tensor count stay a few KiB: here 60 tensors of 64 KiB.
  EsqFixture fx;
  std::vector<std::vector<float>> big(60, std::vector<float>(16384, 0.5f));
  fx.contents.tensors.clear();
  uint64_t payload = 0;
  for (size_t i = 0; i < big.size(); ++i) {
    TensorToWrite t;
    t.name = "extra.layer" + std::to_string(i) + ".weight";
    t.dims = {128, 128};
    t.data = big[i].data();
    fx.contents.tensors.push_back(t);
    payload += 128 * 128 * 4;
  }
  const auto bytes = SerializeEsqToBytes(fx.contents);
  EXPECT_LT(static_cast<double>(bytes.size() - payload) / payload, 0.01);
}

// Version 1.1's header fields (unknown ids per vocabulary, source framing and
// normalization, sinusoid parameters, shared learned positions) read back.
TEST(EsqRoundTrip, Version1_1FieldsReadBack) {
  EsqFixture fx;
  ModelConfig& w = fx.contents.config;
  w.src_unk_id = 0;
  w.tgt_unk_id = 3;
  w.src_prefix = {2, 4};
  w.src_suffix = {3};
  w.src_normalization = TextNormalization::kLowercaseAscii;
  w.position_kind = PositionKind::kSinusoidalConcat;
  w.position_frequencies = PositionFrequencies::kTensor2Tensor;
  w.position_offset = 2;
  const auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  EXPECT_EQ(l.Get(SectionKind::kHeader).size, kHeaderSizeV1_1);
  const size_t h = l.Get(SectionKind::kHeader).offset;
  EXPECT_EQ(bytes[h + 36] & kHeaderFlagNeedsV1_1, kHeaderFlagNeedsV1_1) << "a 1.0 reader must refuse it";
  EXPECT_EQ(Peek<int32_t>(bytes, h + 64), -1) << "1.0's one unk_id: none when the two differ";
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  EXPECT_EQ(f.minor_version(), 1);
  const ModelConfig& c = f.config();
  EXPECT_EQ(c.src_unk_id, 0);
  EXPECT_EQ(c.tgt_unk_id, 3);
  EXPECT_EQ(c.src_prefix, (std::vector<int32_t>{2, 4}));
  EXPECT_EQ(c.src_suffix, (std::vector<int32_t>{3}));
  EXPECT_EQ(c.src_normalization, TextNormalization::kLowercaseAscii);
  EXPECT_EQ(c.position_kind, PositionKind::kSinusoidalConcat);
  EXPECT_EQ(c.position_frequencies, PositionFrequencies::kTensor2Tensor);
  EXPECT_EQ(c.position_offset, 2u);
  EXPECT_FALSE(c.shared_positions);

  EsqFixture fl;
  fl.contents.config.position_kind = PositionKind::kLearned;
  fl.contents.config.shared_positions = true;
  fl.contents.config.src_unk_id = fl.contents.config.tgt_unk_id = 0;
  const auto lb = SerializeEsqToBytes(fl.contents);
  EXPECT_EQ(Peek<int32_t>(lb, EsqLayout(lb).Get(SectionKind::kHeader).offset + 64), 0) << "agreeing unk ids";
  const EsqFile g = EsqFile::FromBytes(lb.data(), lb.size(), "m.esq");
  EXPECT_TRUE(g.config().shared_positions);
  EXPECT_FALSE(g.config().encoder_embed_norm || g.config().decoder_embed_norm);

  // Embedding norms (flags2 bits 1 and 2): recorded, and a file a 1.0 reader refuses.
  EsqFixture fe;
  fe.contents.config.decoder_embed_norm = true;
  const auto eb = SerializeEsqToBytes(fe.contents);
  const size_t eh = EsqLayout(eb).Get(SectionKind::kHeader).offset;
  EXPECT_EQ(eb[eh + 88], 4);
  EXPECT_EQ(eb[eh + 36] & kHeaderFlagNeedsV1_1, kHeaderFlagNeedsV1_1);
  const EsqFile ef = EsqFile::FromBytes(eb.data(), eb.size(), "m.esq");
  EXPECT_FALSE(ef.config().encoder_embed_norm);
  EXPECT_TRUE(ef.config().decoder_embed_norm);
  EXPECT_EQ(ef.config().forced_bos_id, -1);
  EXPECT_EQ(Peek<int32_t>(eb, eh + 124), -1);

  // Generation defaults (flags2 bits 3 and 4, byte 124).
  EsqFixture fg;
  fg.contents.config.forced_bos_id = 3;
  fg.contents.config.never_generate_pad = true;
  const auto gb = SerializeEsqToBytes(fg.contents);
  const size_t gh = EsqLayout(gb).Get(SectionKind::kHeader).offset;
  EXPECT_EQ(gb[gh + 88], 8 | 16);
  EXPECT_EQ(Peek<int32_t>(gb, gh + 124), 3);
  const EsqFile gf = EsqFile::FromBytes(gb.data(), gb.size(), "m.esq");
  EXPECT_EQ(gf.config().forced_bos_id, 3);
  EXPECT_TRUE(gf.config().never_generate_pad);
  EXPECT_EQ(g.config().src_unk_id, 0);
  EXPECT_EQ(g.config().tgt_unk_id, 0);

  // Nothing 1.1-specific: bit 4 stays clear, so 1.0 readers read the file.
  EsqFixture fp;
  fp.contents.config.src_unk_id = 1;
  fp.contents.config.tgt_unk_id = 0;
  fp.contents.config.src_normalization = TextNormalization::kLowercaseAscii;
  const auto pb = SerializeEsqToBytes(fp.contents);
  EXPECT_EQ(pb[EsqLayout(pb).Get(SectionKind::kHeader).offset + 36] & kHeaderFlagNeedsV1_1, 0);
}

// Version 1.3's fields (relative attention, gated FFN) read back from a
// 160-byte header with flags bit 5 and minor 3; files without them keep the
// older layout; a header that claims them without room, or uses them
// without bit 5, is refused.
// Version 1.5: source normalization 2 (lowercase-join) makes the file 1.5;
// a file of an older minor version holding it, or a value above 2, is refused.
TEST(EsqRoundTrip, Version1_5NormalizationReadsBack) {
  EsqFixture fx;
  fx.contents.config.src_normalization = TextNormalization::kLowercaseJoin;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  EXPECT_EQ(f.minor_version(), 5);
  EXPECT_EQ(f.config().src_normalization, TextNormalization::kLowercaseJoin);
  const size_t h = EsqLayout(bytes).Get(SectionKind::kHeader).offset;
  auto b = bytes;
  b[h + 82] = 3;
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.src_normalization");
  b = bytes;
  Poke<uint16_t>(b, 10, 4);  // says 1.4
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.src_normalization");
}

TEST(EsqRoundTrip, Version1_3FieldsReadBack) {
  EsqFixture fx;
  ModelConfig& w = fx.contents.config;
  w.relative_attention = RelativeAttention::kT5Buckets;
  w.ffn_kind = FfnKind::kGated;
  w.relative_num_buckets = 32;
  w.relative_max_distance = 128;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  const auto& hs = l.Get(SectionKind::kHeader);
  EXPECT_EQ(hs.size, kHeaderSizeV1_3);
  EXPECT_EQ(bytes[hs.offset + 36] & kHeaderFlagNeedsV1_3, kHeaderFlagNeedsV1_3) << "1.0-1.2 readers must refuse it";
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  EXPECT_EQ(f.minor_version(), 3);
  EXPECT_EQ(f.config().relative_attention, RelativeAttention::kT5Buckets);
  EXPECT_EQ(f.config().ffn_kind, FfnKind::kGated);
  EXPECT_EQ(f.config().relative_num_buckets, 32);
  EXPECT_EQ(f.config().relative_max_distance, 128);

  EsqFixture plain;
  const auto pb = SerializeEsqToBytes(plain.contents);
  EXPECT_EQ(EsqLayout(pb).Get(SectionKind::kHeader).size, kHeaderSizeV1_1);
  EXPECT_LT(Peek<uint16_t>(pb, 10), 3);

  auto b = bytes;
  b[hs.offset + 36] &= static_cast<uint8_t>(~kHeaderFlagNeedsV1_3);
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.flags");
  b = bytes;
  Poke<uint64_t>(b, hs.entry_at + 16, uint64_t{kHeaderSizeV1_1});  // bit 5 without the 1.3 bytes
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.flags");
  for (const auto& [at, value, field] : {std::tuple{130, 0, "header.relative_num_buckets"},
                                         std::tuple{130, 1025, "header.relative_num_buckets"},
                                         std::tuple{132, 0, "header.relative_max_distance"}}) {
    b = bytes;
    Poke<uint16_t>(b, hs.offset + at, static_cast<uint16_t>(value));
    FixChecksums(b);
    ExpectKind(b, EsqErrorKind::kBadHeader, field);
  }
  b = bytes;
  b[hs.offset + 129] = 2;
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.ffn_kind");
}

// Version 1.4's header fields (bytes 134-143): a log-mel encoder and the
// decoder's own position limit, with flags bit 6 (1.3 readers accept flags
// up to 63 only, so they refuse the file).
TEST(EsqRoundTrip, Version1_4HeaderFieldsReadBack) {
  EsqFixture fx;
  ModelConfig& w = fx.contents.config;
  w.encoder_input = EncoderInput::kLogMel;
  w.n_mels = 80;
  w.decoder_max_positions = 7;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  const auto& hs = l.Get(SectionKind::kHeader);
  EXPECT_EQ(hs.size, kHeaderSizeV1_3);
  EXPECT_GT(bytes[hs.offset + 36], 63) << "1.3 readers must refuse it";
  EXPECT_EQ(bytes[hs.offset + 36] & kHeaderFlagNeedsV1_3, 0);
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  EXPECT_EQ(f.minor_version(), 4);
  EXPECT_EQ(f.config().encoder_input, EncoderInput::kLogMel);
  EXPECT_EQ(f.config().n_mels, 80u);
  EXPECT_EQ(f.config().decoder_max_positions, 7u);
  EXPECT_EQ(DecoderPositions(f.config()), 7u);
  EXPECT_EQ(DecoderPositions(EsqFixture().contents.config), EsqFixture().contents.config.max_positions);

  auto b = bytes;
  b[hs.offset + 36] &= static_cast<uint8_t>(~kHeaderFlagNeedsV1_4);
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.flags");
  b = bytes;
  Poke<uint64_t>(b, hs.entry_at + 16, uint64_t{kHeaderSizeV1_1});  // bit 6 without the 1.4 bytes
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.flags");
  for (const auto& [at, value, field] :
       {std::tuple{134, 2u, "header.encoder_input"}, std::tuple{135, 1u, "header byte 135"}}) {
    b = bytes;
    b[hs.offset + at] = static_cast<uint8_t>(value);
    FixChecksums(b);
    ExpectKind(b, EsqErrorKind::kBadHeader, field);
  }
  for (const auto& [at, value, kind, field] :
       {std::tuple{136, 0u, EsqErrorKind::kBadHeader, "header.n_mels"},
        std::tuple{136, 4097u, EsqErrorKind::kBadHeader, "header.n_mels"},
        std::tuple{140, (1u << 20) + 1, EsqErrorKind::kLimit, "header.decoder_max_positions"}}) {
    b = bytes;
    Poke<uint32_t>(b, hs.offset + at, value);
    FixChecksums(b);
    ExpectKind(b, kind, field);
  }
  // A token-id encoder has no mels.
  b = bytes;
  b[hs.offset + 134] = 0;
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kBadHeader, "header.n_mels");
  // The conv roles' shapes follow n_mels and d (tap-major matrices).
  const uint64_t d = w.d_model;
  EXPECT_EQ(ExpectedShape("encoder.conv1.weight", f.config(), "m.esq"), (std::vector<uint64_t>{d, 240}));
  EXPECT_EQ(ExpectedShape("encoder.conv2.weight", f.config(), "m.esq"), (std::vector<uint64_t>{d, 3 * d}));
  EXPECT_EQ(ExpectedShape("encoder.conv2.bias", f.config(), "m.esq"), (std::vector<uint64_t>{d}));
  EXPECT_EQ(ExpectedShape("decoder.embed_positions.weight", f.config(), "m.esq"), (std::vector<uint64_t>{7, d}));
  EXPECT_TRUE(ExpectedShape("encoder.conv1.weight", EsqFixture().contents.config, "m.esq").empty());
}

// A version-1.0 file (72-byte header): today's meaning, one unknown id for
// both vocabularies, no framing, no normalization, the paper's frequencies
// from position 0, a learned table per stack.
TEST(EsqCompat, Version1_0FileReadsWithItsOwnMeaning) {
  EsqFixture fx;
  fx.contents.config.position_kind = PositionKind::kSinusoidalConcat;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  const auto& hs = l.Get(SectionKind::kHeader);
  Poke<uint16_t>(bytes, 10, 0);                    // minor 0
  Poke<uint64_t>(bytes, hs.entry_at + 16, uint64_t{kHeaderSizeV1});  // 72-byte header
  Poke<int32_t>(bytes, hs.offset + 64, 0);         // unk_id 0
  // What a 1.1 writer would put after byte 72 is no longer part of the header.
  Poke<int32_t>(bytes, hs.offset + 72, 4);
  bytes[hs.offset + 80] = 1;
  FixChecksums(bytes);
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "old.esq");
  EXPECT_EQ(f.minor_version(), 0);
  const ModelConfig& c = f.config();
  EXPECT_EQ(c.src_unk_id, 0);
  EXPECT_EQ(c.tgt_unk_id, 0);
  EXPECT_TRUE(c.src_prefix.empty());
  EXPECT_TRUE(c.src_suffix.empty());
  EXPECT_EQ(c.src_normalization, TextNormalization::kNone);
  EXPECT_EQ(c.position_kind, PositionKind::kSinusoidalConcat);
  EXPECT_EQ(c.position_frequencies, PositionFrequencies::kPaper);
  EXPECT_EQ(c.position_offset, 0u);
  EXPECT_FALSE(c.shared_positions);
  // A 72-byte header that claims 1.1 fields (flags bit 4) is refused.
  bytes[hs.offset + 36] |= kHeaderFlagNeedsV1_1;
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kBadHeader, "header.flags");
}

TEST(EsqDamage, Version1_1NonsenseIsRefusedNamingTheField) {
  struct Case {
    const char* field;
    size_t offset;
    int32_t value;
    int width;  // 1 or 4 bytes
  };
  const Case cases[] = {
      {"header.src_unk_id", 72, 5, 4},          {"header.tgt_unk_id", 76, -2, 4},
      {"header.src_prefix_count", 80, 5, 1},    {"header.src_suffix_count", 81, 9, 1},
      {"header.src_normalization", 82, 2, 1},   {"header.position_frequencies", 83, 2, 1},
      {"header.position_offset", 84, 1 << 21, 4}, {"header.flags2", 88, 32, 1},
      {"header.src_prefix[0]", 92, 5, 4},       {"header.src_suffix[0]", 108, -1, 4},
  };
  for (const Case& k : cases) {
    EsqFixture fx;
    fx.contents.config.src_prefix = {2};
    fx.contents.config.src_suffix = {3};
    auto bytes = SerializeEsqToBytes(fx.contents);
    const size_t h = EsqLayout(bytes).Get(SectionKind::kHeader).offset;
    if (k.width == 1) {
      bytes[h + k.offset] = static_cast<uint8_t>(k.value);
    } else {
      Poke<int32_t>(bytes, h + k.offset, k.value);
    }
    FixChecksums(bytes);
    SCOPED_TRACE(k.field);
    ExpectKind(bytes, EsqErrorKind::kBadHeader, k.field);
  }
  EsqFixture fo;  // an offset for learned positions
  fo.contents.config.position_kind = PositionKind::kLearned;
  fo.contents.config.position_offset = 1;
  ExpectKind(SerializeEsqToBytes(fo.contents), EsqErrorKind::kBadHeader, "header.position_offset");
  EsqFixture fs;  // one shared table, but sinusoidal positions
  fs.contents.config.shared_positions = true;
  ExpectKind(SerializeEsqToBytes(fs.contents), EsqErrorKind::kBadHeader, "header.flags2");
  EsqFixture fw;  // more framing ids than the header holds
  fw.contents.config.src_prefix = {2, 2, 2, 2, 2};
  EXPECT_THROW(SerializeEsqToBytes(fw.contents), EsqError);
}

TEST(EsqCompat, NewerMinorVersionAndUnknownSectionsAreAccepted) {
  EsqFixture fx;
  fx.contents.extra_sections.push_back({99, 0, {1, 2, 3, 4, 5}});
  auto bytes = SerializeEsqToBytes(fx.contents);
  Poke<uint16_t>(bytes, 10, 7);  // minor 7
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  EXPECT_EQ(f.minor_version(), 7);
  EXPECT_EQ(f.tensors().size(), fx.contents.tensors.size());
}

TEST(EsqDamage, NewerMajorVersionIsRefusedNamingBoth) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  Poke<uint16_t>(bytes, 8, 2);
  Poke<uint16_t>(bytes, 10, 3);
  ExpectKind(bytes, EsqErrorKind::kUnsupportedVersion, "version 2.3");
  std::string msg;
  KindOf(bytes, &msg);
  EXPECT_NE(msg.find("1.x"), std::string::npos) << msg;
}

TEST(EsqDamage, UnknownMustUnderstandSectionIsRefused) {
  EsqFixture fx;
  fx.contents.extra_sections.push_back({99, kSectionMustUnderstand, {1, 2, 3}});
  ExpectKind(SerializeEsqToBytes(fx.contents), EsqErrorKind::kUnknownSection);
}

TEST(EsqDamage, WrongMagic) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  bytes[0] = 'P';
  ExpectKind(bytes, EsqErrorKind::kBadMagic);
  std::vector<uint8_t> zip = {'P', 'K', 3, 4};
  zip.resize(64);
  ExpectKind(zip, EsqErrorKind::kBadMagic);
}

TEST(EsqDamage, TruncatedInsideEverySection) {
  EsqFixture fx;
  const auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  std::vector<std::pair<std::string, size_t>> cuts = {{"empty", 0}, {"preamble", 20}, {"section table", 40}};
  for (const auto& s : l.sections) cuts.push_back({"section " + std::to_string(s.kind), s.offset + s.size / 2});
  cuts.push_back({"last byte", bytes.size() - 1});
  for (const auto& [where, at] : cuts) {
    SCOPED_TRACE(where);
    ExpectKind(std::vector<uint8_t>(bytes.begin(), bytes.begin() + at), EsqErrorKind::kTruncated);
  }
}

TEST(EsqDamage, TrailingBytesAreRefused) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  bytes.push_back(0);
  ExpectKind(bytes, EsqErrorKind::kBadOffset, "file says");
}

TEST(EsqDamage, CorruptedMetadataFailsItsChecksumOnOpen) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  auto h = bytes;
  h[l.Get(SectionKind::kHeader).offset] ^= 1;
  ExpectKind(h, EsqErrorKind::kChecksum, "header");
  auto d = bytes;
  d[l.TensorEntry(0) + 16] ^= 1;
  ExpectKind(d, EsqErrorKind::kChecksum, "directory");
  auto t = bytes;
  t[40] ^= 1;
  ExpectKind(t, EsqErrorKind::kChecksum, "section table");
}

TEST(EsqDamage, CorruptedTensorDataIsCaughtByVerify) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqFile good = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  const size_t at = good.Find("encoder.layers.0.ffn.fc1.weight")->data_offset + 5;
  bytes[at] ^= 0x40;
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "damaged.esq");  // structure is fine
  try {
    f.VerifyChecksums();
    FAIL() << "damage not found";
  } catch (const EsqError& e) {
    EXPECT_EQ(e.kind(), EsqErrorKind::kChecksum);
    EXPECT_NE(std::string(e.what()).find("encoder.layers.0.ffn.fc1.weight"), std::string::npos) << e.what();
  }
  TempDir dir;
  const std::string path = dir.path() + "/damaged.esq";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  EXPECT_NO_THROW(EsqFile::Open(path));
  EXPECT_THROW(EsqFile::Open(path, /*verify_checksums=*/true), EsqError);
}

TEST(EsqDamage, OffsetPastTheEnd) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  Poke<uint64_t>(bytes, l.TensorEntry(1) + 48, bytes.size() + 64 * 100);
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kBadOffset, "decoder.embed_tokens.weight");
  auto s = SerializeEsqToBytes(fx.contents);
  Poke<uint64_t>(s, l.Get(SectionKind::kHeader).entry_at + 8, s.size() + 10);
  FixChecksums(s);
  ExpectKind(s, EsqErrorKind::kBadOffset, "header");
}

TEST(EsqDamage, SizeOverflow) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  auto a = bytes;  // offset + size wraps around
  Poke<uint64_t>(a, l.TensorEntry(0) + 48, std::numeric_limits<uint64_t>::max() - 63);
  FixChecksums(a);
  ExpectKind(a, EsqErrorKind::kOverflow);
  auto b = bytes;  // the shape's element count overflows 64 bits
  Poke<uint64_t>(b, l.TensorEntry(0) + 16, uint64_t{1} << 40);
  Poke<uint64_t>(b, l.TensorEntry(0) + 24, uint64_t{1} << 40);
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kOverflow);
  auto c = bytes;  // a section's offset + size wraps
  Poke<uint64_t>(c, l.Get(SectionKind::kHeader).entry_at + 16, std::numeric_limits<uint64_t>::max());
  FixChecksums(c);
  ExpectKind(c, EsqErrorKind::kOverflow);
}

TEST(EsqDamage, OverlappingTensorsAndSections) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  auto a = bytes;
  Poke<uint64_t>(a, l.TensorEntry(3) + 48, Peek<uint64_t>(a, l.TensorEntry(0) + 48));
  FixChecksums(a);
  ExpectKind(a, EsqErrorKind::kOverlap);
  auto b = bytes;  // the header section moved onto the directory
  Poke<uint64_t>(b, l.Get(SectionKind::kHeader).entry_at + 8, l.Get(SectionKind::kDirectory).offset);
  FixChecksums(b);
  ExpectKind(b, EsqErrorKind::kOverlap);
}

TEST(EsqDamage, ShapeDisagreesWithByteSize) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  Poke<uint64_t>(bytes, l.TensorEntry(7) + 16, 4);  // extra.unknown_role [3,1,2] -> [4,1,2]
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kShapeMismatch, "extra.unknown_role");
}

TEST(EsqDamage, ShapeDisagreesWithHeader) {
  EsqFixture fx;
  fx.contents.config.src_vocab_size = 4;  // the embedding has 5 rows
  fx.contents.src_vocab->pop_back();
  ExpectKind(SerializeEsqToBytes(fx.contents), EsqErrorKind::kShapeMismatch, "encoder.embed_tokens.weight");
  EsqFixture fy;
  fy.Add("encoder.layers.3.ffn_norm.weight", DType::kF32, {8});  // only 1 encoder layer
  ExpectKind(SerializeEsqToBytes(fy.contents), EsqErrorKind::kShapeMismatch, "layer 3");
}

TEST(EsqDamage, UnknownDType) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  bytes[l.TensorEntry(2) + 8] = 9;
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kUnknownDType, "unknown dtype 9");
}

TEST(EsqDamage, MisalignedTensor) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  Poke<uint64_t>(bytes, l.TensorEntry(6) + 48, Peek<uint64_t>(bytes, l.TensorEntry(6) + 48) + 4);
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kMisaligned, "encoder.norm.weight");
}

TEST(EsqDamage, DuplicateName) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  Poke<uint32_t>(bytes, l.TensorEntry(6), Peek<uint32_t>(bytes, l.TensorEntry(3)));
  Poke<uint32_t>(bytes, l.TensorEntry(6) + 4, Peek<uint32_t>(bytes, l.TensorEntry(3) + 4));
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kDuplicateName);  // shapes differ, but names are checked first
}

TEST(EsqDamage, NonFiniteScale) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  const size_t at = f.Find("encoder.layers.0.self_attn.qkv_proj.weight")->scales_offset + 8;
  Poke<float>(bytes, at, std::nanf(""));
  ExpectKind(bytes, EsqErrorKind::kBadScale, "row 2");
}

TEST(EsqDamage, AbsurdHeaderSizesAreRefusedBeforeUse) {
  struct Case {
    const char* field;
    size_t offset;
    uint32_t value;
  };
  const Case cases[] = {{"d_model", 0, 1u << 31}, {"encoder_layers", 8, 1000000000u},
                        {"src_vocab_size", 20, 4000000000u}, {"max_positions", 28, 1u << 30}};
  for (const Case& c : cases) {
    EsqFixture fx;
    auto bytes = SerializeEsqToBytes(fx.contents);
    const EsqLayout l(bytes);
    Poke<uint32_t>(bytes, l.Get(SectionKind::kHeader).offset + c.offset, c.value);
    FixChecksums(bytes);
    SCOPED_TRACE(c.field);
    ExpectKind(bytes, EsqErrorKind::kLimit, c.field);
  }
  {  // a tensor of 10^12 elements whose shape and byte size agree: refused
     // (it lies past the end of the file), nothing allocated for it
    EsqFixture ft;
    auto bytes = SerializeEsqToBytes(ft.contents);
    const EsqLayout l(bytes);
    const size_t e = l.TensorEntry(0);
    const uint8_t dtype = bytes[e + 8], ndim = bytes[e + 9];
    const uint64_t element = dtype == 0 ? 4 : dtype == 3 ? 1 : 2;
    for (uint32_t d = 0; d < 4; ++d) Poke<uint64_t>(bytes, e + 16 + 8 * d, d < ndim ? 1 : 0);
    Poke<uint64_t>(bytes, e + 16, ndim > 1 ? 1000000 : 1000000000000);
    if (ndim > 1) Poke<uint64_t>(bytes, e + 24, 1000000);
    Poke<uint64_t>(bytes, e + 56, 1000000000000 * element);
    FixChecksums(bytes);
    std::string msg;
    KindOf(bytes, &msg);  // fails the test if accepted
    EXPECT_FALSE(msg.empty());
  }
  EsqFixture fx;
  fx.contents.config.num_heads = 3;  // does not divide 8
  ExpectKind(SerializeEsqToBytes(fx.contents), EsqErrorKind::kBadHeader, "num_heads");
  EsqFixture fe;
  fe.contents.config.eos_id = 6;  // target vocabulary has 6 tokens
  ExpectKind(SerializeEsqToBytes(fe.contents), EsqErrorKind::kBadHeader, "eos_id");
}

TEST(EsqDamage, MissingRequiredSection) {
  EsqFixture fx;
  auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqLayout l(bytes);
  Poke<uint32_t>(bytes, l.Get(SectionKind::kDirectory).entry_at, 77);  // now an unknown, skippable kind
  FixChecksums(bytes);
  ExpectKind(bytes, EsqErrorKind::kMissingSection, "tensor directory");
}

TEST(EsqDamage, BadVocabularies) {
  EsqFixture a;
  a.contents.src_vocab->push_back("z");  // 6 tokens, header says 5
  ExpectKind(SerializeEsqToBytes(a.contents), EsqErrorKind::kBadVocabulary, "source vocabulary");
  EsqFixture b;
  (*b.contents.tgt_vocab)[5] = "\xc3\x28";  // invalid UTF-8
  ExpectKind(SerializeEsqToBytes(b.contents), EsqErrorKind::kBadVocabulary, "UTF-8");
  EsqFixture c;
  (*c.contents.tgt_vocab)[5] = "AH0";  // duplicate
  ExpectKind(SerializeEsqToBytes(c.contents), EsqErrorKind::kBadVocabulary, "duplicate");
}

TEST(EsqWriter, FailedWriteLeavesExistingFileAndNoTemporary) {
  EsqFixture fx;
  TempDir dir;
  const std::string path = dir.path() + "/model.esq";
  std::ofstream(path) << "previous contents";
  EsqFixture bad;
  bad.contents.config.eos_id = 100;  // not in the vocabulary: the read-back refuses it
  EXPECT_THROW(WriteEsq(path, bad.contents), EsqError);
  EsqFixture bad2;
  bad2.contents.tensors[0].dims = {0, 8};
  EXPECT_THROW(WriteEsq(path, bad2.contents), EsqError);
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "previous contents");
  EXPECT_EQ(dir.Files(), std::vector<std::string>{"model.esq"});
  try {
    WriteEsq(dir.path() + "/no/such/dir/model.esq", fx.contents);
    FAIL();
  } catch (const EsqError& e) {
    EXPECT_EQ(e.kind(), EsqErrorKind::kIo);
  }
  EXPECT_EQ(dir.Files(), std::vector<std::string>{"model.esq"});
}

TEST(EsqOpen, MissingFileAndDirectoryGiveIoErrors) {
  try {
    EsqFile::Open("/nonexistent/model.esq");
    FAIL();
  } catch (const EsqError& e) {
    EXPECT_EQ(e.kind(), EsqErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.esq"), std::string::npos);
  }
  EXPECT_THROW(EsqFile::Open("/tmp"), EsqError);
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(EsqOpen, HundredMegabyteModelIsMappedNotCopied) {
  // One 100 MiB f32 tensor plus an int8 one: opening validates structure and
  // reads the scales, but must not bring the weights into memory.
  const uint64_t rows = 6400, cols = 4096;  // 100 MiB as f32
  TempDir dir;
  const std::string path = dir.path() + "/big.esq";
  {
    EsqFixture fx;
    fx.contents.tensors.clear();
    std::vector<float> w(rows * cols, 0.25f);
    TensorToWrite t;
    t.name = "extra.big";
    t.dims = {rows, cols};
    t.data = w.data();
    fx.contents.tensors.push_back(t);
    WriteEsq(path, fx.contents);
  }
  const long before = RssKiB();
  const EsqFile f = EsqFile::Open(path);
  const long after = RssKiB();
  ASSERT_GT(before, 0);
  const long grew_kib = after - before;
  RecordProperty("rss_growth_kib", static_cast<int>(grew_kib));
  EXPECT_LT(grew_kib, 4 * 1024) << "opening a " << f.file_size() / (1 << 20) << " MiB file grew RSS by " << grew_kib
                                << " KiB";
  EXPECT_GE(f.file_size(), rows * cols * 4);
}


// Section 9 (1.4): special tokens and languages round-trip, the file says
// minor 4 and must-understand, and every id is checked against its side.
TEST(EsqTextTokens, RoundTripAndRefusals) {
  TextTokens t;
  t.src_special = {1, 2};
  t.tgt_special = {2, 3};
  t.languages = {{2, 4}, {-1, 5}};
  t.source_place = SourceLanguagePlace::kBeforeTokens;
  t.target_place = TargetLanguagePlace::kFirstToken;
  EsqFixture fx;
  fx.contents.text_tokens = t;
  const auto bytes = SerializeEsqToBytes(fx.contents);
  const EsqFile f = EsqFile::FromBytes(bytes.data(), bytes.size(), "m.esq");
  EXPECT_EQ(f.minor_version(), 4);
  ASSERT_NE(f.text_tokens(), nullptr);
  EXPECT_EQ(f.text_tokens()->src_special, t.src_special);
  EXPECT_EQ(f.text_tokens()->tgt_special, t.tgt_special);
  ASSERT_EQ(f.text_tokens()->languages.size(), 2u);
  EXPECT_EQ(f.text_tokens()->languages[1].src_id, -1);
  EXPECT_EQ(f.text_tokens()->languages[1].tgt_id, 5);
  EXPECT_EQ(f.text_tokens()->source_place, SourceLanguagePlace::kBeforeTokens);
  EXPECT_EQ(f.text_tokens()->target_place, TargetLanguagePlace::kFirstToken);
  bool flagged = false;
  for (const SectionInfo& s : f.sections()) flagged |= s.kind == 9 && (s.flags & kSectionMustUnderstand);
  EXPECT_TRUE(flagged) << "an older reader must refuse the file rather than split language tokens";
  EsqFixture plain;
  const auto pb = SerializeEsqToBytes(plain.contents);
  EXPECT_EQ(EsqFile::FromBytes(pb.data(), pb.size(), "m.esq").text_tokens(), nullptr);

  auto damaged = [&](auto change, const std::string& mentions) {
    EsqFixture d;
    TextTokens bad = t;
    change(bad);
    d.contents.text_tokens = bad;
    ExpectKind(SerializeEsqToBytes(d.contents), EsqErrorKind::kBadVocabulary, mentions);
  };
  damaged([](TextTokens& b) { b.src_special = {1, 5}; }, "source special id 5");  // source vocabulary: 5 ids
  damaged([](TextTokens& b) { b.tgt_special = {3, 2}; }, "out of order");
  damaged([](TextTokens& b) { b.languages.push_back({-1, -1}); }, "language 2");
  damaged([](TextTokens& b) { b.languages.push_back({0, 6}); }, "language 2");
  EsqFixture none;
  TextTokens np;
  np.target_place = TargetLanguagePlace::kFirstToken;
  none.contents.text_tokens = np;
  ExpectKind(SerializeEsqToBytes(none.contents), EsqErrorKind::kBadHeader, "without languages");
}

}  // namespace
}  // namespace edgeseq::loaders
