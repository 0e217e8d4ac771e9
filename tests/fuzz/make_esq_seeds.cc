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
  // Version 1.3: a 160-byte header (T5 relative attention, gated FFN) and its roles.
  edgeseq::test::EsqFixture t5;
  auto& c = t5.contents.config;
  c.relative_attention = edgeseq::loaders::RelativeAttention::kT5Buckets;
  c.ffn_kind = edgeseq::loaders::FfnKind::kGated;
  c.relative_num_buckets = 4;
  c.relative_max_distance = 8;
  t5.Add("encoder.relative_attention_bias.weight", edgeseq::loaders::DType::kF32, {4, 2});
  t5.Add("decoder.relative_attention_bias.weight", edgeseq::loaders::DType::kF32, {4, 2});
  t5.Add("encoder.layers.0.ffn.fc1_linear.weight", edgeseq::loaders::DType::kI8, {16, 8});
  write("v1_3.esq", t5.contents);
  // Version 1.4: a log-mel encoder (Whisper) with its convolutions and a
  // decoder position limit of its own.
  edgeseq::test::EsqFixture mel;
  auto& m = mel.contents.config;
  m.encoder_input = edgeseq::loaders::EncoderInput::kLogMel;
  m.n_mels = 4;
  m.decoder_max_positions = 6;
  const uint64_t d = m.d_model;
  mel.Add("encoder.conv1.weight", edgeseq::loaders::DType::kI8, {d, 12});
  mel.Add("encoder.conv1.bias", edgeseq::loaders::DType::kF32, {d});
  mel.Add("encoder.conv2.weight", edgeseq::loaders::DType::kF32, {d, 3 * d});
  mel.Add("encoder.conv2.bias", edgeseq::loaders::DType::kF32, {d});
  write("v1_4_log_mel.esq", mel.contents);
  edgeseq::test::EsqFixture empty;
  empty.contents.tensors.clear();
  write("no_tensors.esq", empty.contents);
  return 0;
}
