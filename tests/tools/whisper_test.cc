// Whisper from openai-whisper's checkpoint layout (tests/fixtures/
// make_whisper.py): converted (dims read from the checkpoint dict), then the
// runtime's teacher-forced log-probabilities and greedy outputs from log-mel
// features against the PyTorch reference; f16 and int8 drift measured;
// damaged and mismatched checkpoints refused; format 1.4's header fields.
#include <gtest/gtest.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <random>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loaders/checkpoint.h"
#include "loaders/esq_error.h"
#include "loaders/esq_reader.h"
#include "loaders/esq_writer.h"
#include "edgeseq/edgeseq.hpp"
#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "tests/alloc_counter.h"
#include "tools/convert.h"
#include "tools/convert_whisper.h"

namespace edgeseq::tools {
namespace {

const std::string kDir = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper/";

nlohmann::json Expected() {
  std::ifstream in(kDir + "expected.json");
  EXPECT_TRUE(in);
  return nlohmann::json::parse(in);
}

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-whisper-" + std::to_string(getpid()) + "-" + name;
}

// features.f32: [sources, frames, n_mels] little-endian float32.
std::vector<std::vector<float>> Features(const nlohmann::json& e) {
  const size_t per = 2 * e["dims"]["n_audio_ctx"].get<size_t>() * e["dims"]["n_mels"].get<size_t>();
  std::ifstream in(kDir + "features.f32", std::ios::binary);
  std::vector<std::vector<float>> out;
  std::vector<float> f(per);
  while (in.read(reinterpret_cast<char*>(f.data()), static_cast<std::streamsize>(per * sizeof(float)))) out.push_back(f);
  EXPECT_EQ(out.size(), e["sources"].size());
  return out;
}

ConvertOptions Options(const std::string& quantize, const std::string& out, const std::string& input = "") {
  const auto e = Expected();
  ConvertOptions o;
  o.input = input.empty() ? kDir + "tiny.pt" : input;
  o.output = out;
  o.quantize = quantize;
  // A random 60-token vocabulary is none of Whisper's: the ids are given.
  o.eos = e["eot"].get<int32_t>();
  o.decoder_start = e["sot"].get<int32_t>();
  o.strict = true;
  o.quiet = true;
  return o;
}

std::string Converted(const std::string& quantize) {
  const std::string path = Temp(quantize + ".esq");
  std::ostringstream log;
  Convert(Options(quantize, path), log);
  return path;
}

struct Agreement {
  double max_rel = 0, max_abs = 0;
  size_t tokens = 0, greedy_checked = 0, greedy_equal = 0;
};

Agreement Measure(const std::string& path) {
  const auto e = Expected();
  const auto features = Features(e);
  runtime::Limits limits;
  limits.max_batch = 2;
  limits.max_target = e["dims"]["n_text_ctx"].get<size_t>();
  runtime::Generator gen(runtime::Model::Load(path), limits);
  const auto targets = e["targets"].get<std::vector<std::vector<int32_t>>>();
  Agreement a;
  for (size_t s = 0; s < features.size(); ++s) {
    const auto& want_source = e["sources"][s];
    for (size_t t = 0; t < targets.size(); ++t) {
      const auto got = gen.ScoreTokensFromFeatures({features[s]}, {targets[t]})[0];
      const auto want = want_source["scores"][t].get<std::vector<double>>();
      EXPECT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
        const double d = fabs(got[i] - want[i]);
        a.max_abs = std::max(a.max_abs, d);
        a.max_rel = std::max(a.max_rel, d / std::max(1e-30, fabs(want[i])));
        ++a.tokens;
      }
    }
  }
  // Greedy, both sources in one batch.
  runtime::GenerateOptions g;
  g.max_length = e["greedy_steps"].get<size_t>();
  const auto hyps = gen.GenerateFromFeatures(features, g);
  for (size_t s = 0; s < features.size(); ++s) {
    const auto greedy = e["sources"][s]["greedy"].get<std::vector<int32_t>>();
    const auto margins = e["sources"][s]["margins"].get<std::vector<double>>();
    const auto& ids = hyps[s][0].ids;
    for (size_t i = 0; i < margins.size(); ++i) {
      if (margins[i] < 1e-3) break;  // too close to call: the reference could go either way
      ++a.greedy_checked;
      const bool same = i < greedy.size() ? i < ids.size() && ids[i] == greedy[i] : ids.size() == i;
      if (!same) break;
      ++a.greedy_equal;
    }
  }
  return a;
}

TEST(Whisper, CheckpointDimsAreRead) {
  const auto ck = loaders::ReadCheckpoint(kDir + "tiny.pt");
  EXPECT_TRUE(IsWhisperCheckpoint(ck));
  EXPECT_EQ(ck.ints.at("dims.n_mels"), 80);
  EXPECT_EQ(ck.ints.at("dims.n_text_ctx"), 12);
  EXPECT_EQ(ck.root, "key 'model_state_dict'");
  const WhisperSettings w = FromWhisperCheckpoint(ck);
  EXPECT_EQ(w.dims.n_mels, 80u);
  EXPECT_EQ(w.dims.audio_ctx, 16u);
  EXPECT_EQ(w.dims.text_ctx, 12u);
  EXPECT_FALSE(w.file.eos.has_value());  // 60 tokens: not one of Whisper's vocabularies
}

TEST(Whisper, TapMajorConvolution) {
  // weight[o, i, k] = 100·o + 10·i + k, [2, 2, 3] → [2, 6]: column k·2 + i.
  std::vector<float> w;
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 3; ++k) w.push_back(static_cast<float>(100 * o + 10 * i + k));
  const std::vector<float> want = {0, 10, 1, 11, 2, 12, 100, 110, 101, 111, 102, 112};
  EXPECT_EQ(ConvToTapMajor(w, 2, 2), want);
}

TEST(Whisper, HeaderFieldsAndVersion) {
  const std::string path = Converted("f32");
  const auto f = loaders::EsqFile::Open(path);
  const auto& c = f.config();
  EXPECT_EQ(f.minor_version(), 4);
  EXPECT_EQ(c.encoder_input, loaders::EncoderInput::kLogMel);
  EXPECT_EQ(c.n_mels, 80u);
  EXPECT_EQ(c.max_positions, 16u);
  EXPECT_EQ(c.decoder_max_positions, 12u);
  EXPECT_EQ(c.src_vocab_size, 1u);
  EXPECT_TRUE(c.tied_output);
  EXPECT_EQ(c.norm_placement, loaders::NormPlacement::kPre);
  EXPECT_EQ(c.activation, loaders::ActivationKind::kGelu);
  ASSERT_NE(f.Find("encoder.conv1.weight"), nullptr);
  EXPECT_EQ(f.Find("encoder.conv1.weight")->dims[1], 3u * 80u);
  EXPECT_EQ(f.Find("encoder.embed_tokens.weight"), nullptr);
  // The header bytes (docs/FORMAT.md): flags bit 6, bytes 134-143.
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t header = 0;
  for (uint32_t s = 0; s < 8; ++s) {
    uint32_t kind;
    memcpy(&kind, bytes.data() + 32 + 32 * s, 4);
    if (kind == 1) {
      memcpy(&header, bytes.data() + 32 + 32 * s + 8, 8);
      break;
    }
  }
  ASSERT_NE(header, 0u);
  EXPECT_TRUE(bytes[header + 36] & loaders::kHeaderFlagNeedsV1_4);
  EXPECT_EQ(bytes[header + 134], 1);
  uint32_t mels, dec;
  memcpy(&mels, bytes.data() + header + 136, 4);
  memcpy(&dec, bytes.data() + header + 140, 4);
  EXPECT_EQ(mels, 80u);
  EXPECT_EQ(dec, 12u);
  remove(path.c_str());
}

TEST(Whisper, F32MatchesTheReference) {
  const std::string path = Converted("f32");
  const Agreement a = Measure(path);
  printf("whisper f32: %zu tokens, max |Δ| %.3g, max rel %.3g; greedy %zu/%zu\n", a.tokens, a.max_abs, a.max_rel,
         a.greedy_equal, a.greedy_checked);
  EXPECT_GT(a.tokens, 0u);
  EXPECT_TRUE(a.max_rel <= 1e-4 || a.max_abs <= 1e-5) << a.max_rel << " " << a.max_abs;
  EXPECT_GT(a.greedy_checked, 0u);
  EXPECT_EQ(a.greedy_equal, a.greedy_checked);
  remove(path.c_str());
}

TEST(Whisper, F16AndInt8DriftIsBounded) {
  for (const std::string q : {"f16", "int8"}) {
    const std::string path = Converted(q);
    const Agreement a = Measure(path);
    printf("whisper %s: %zu tokens, max |Δ log p| %.3g, max rel %.3g; greedy %zu/%zu\n", q.c_str(), a.tokens,
           a.max_abs, a.max_rel, a.greedy_equal, a.greedy_checked);
    // Loose: a random tiny model has no redundancy to absorb rounding.
    EXPECT_LT(a.max_abs, q == "f16" ? 0.05 : 1.0) << q;
    remove(path.c_str());
  }
}

std::vector<char> FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The same weights as a Hugging Face directory: the same .esq, byte for
// byte, with nothing but the directory (its config.json gives the ids).
TEST(Whisper, HuggingFaceDirectoryGivesTheSameModel) {
  for (const std::string q : {"f32", "int8"}) {
    const std::string a = Converted(q), b = Temp(q + "-hf.esq");
    ConvertOptions o;
    o.input = kDir + "hf";
    o.output = b;
    o.quantize = q;
    o.strict = true;
    o.quiet = true;
    std::ostringstream log;
    Convert(o, log);
    EXPECT_EQ(FileBytes(a), FileBytes(b)) << q;
    if (q == "f32") {
      const Agreement got = Measure(b);
      EXPECT_TRUE(got.max_rel <= 1e-4 || got.max_abs <= 1e-5) << got.max_rel;
      EXPECT_EQ(got.greedy_equal, got.greedy_checked);
    }
    remove(a.c_str());
    remove(b.c_str());
  }
  // A config.json the runtime does not compute is refused in one line naming the key.
  const std::string dir = Temp("hf-bad");
  mkdir(dir.c_str(), 0700);
  {
    std::ofstream(dir + "/model.safetensors", std::ios::binary) << std::ifstream(kDir + "hf/model.safetensors", std::ios::binary).rdbuf();
  }
  std::ifstream cin(kDir + "hf/config.json");
  const nlohmann::json config = nlohmann::json::parse(cin);
  for (const auto& [key, value] : {std::pair<std::string, nlohmann::json>{"decoder_attention_heads", 1},
                                   {"activation_function", "relu"},
                                   {"scale_embedding", true},
                                   {"num_mel_bins", 0}}) {
    nlohmann::json bad = config;
    bad[key] = value;
    std::ofstream(dir + "/config.json") << bad.dump();
    ConvertOptions o;
    o.input = dir;
    o.output = Temp("hf-bad.esq");
    o.quiet = true;
    std::ostringstream log;
    try {
      Convert(o, log);
      ADD_FAILURE() << key << " accepted";
    } catch (const ConvertError& err) {
      const std::string m = err.what();
      EXPECT_NE(m.find(key), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
  remove((dir + "/config.json").c_str());
  remove((dir + "/model.safetensors").c_str());
  rmdir(dir.c_str());
}

TEST(Whisper, GeneratorRefusesWrongInputs) {
  const std::string path = Converted("f32");
  const auto e = Expected();
  auto features = Features(e);
  runtime::Limits limits;
  limits.max_batch = 2;
  limits.max_target = 12;
  runtime::Generator gen(runtime::Model::Load(path), limits);
  EXPECT_EQ(gen.limits().max_source, 16u);  // the encoder's positions, whatever was asked
  runtime::GenerateOptions g;
  g.max_length = 4;
  auto kind = [&](auto&& f) {
    try {
      f();
    } catch (const runtime::Error& err) {
      return err.kind();
    }
    return runtime::ErrorKind::kModel;  // "no error" stand-in: never expected here
  };
  EXPECT_EQ(kind([&] { gen.Generate({{1, 2}}, g); }), runtime::ErrorKind::kInput);
  EXPECT_EQ(kind([&] { gen.GenerateFromFeatures({std::vector<float>(10)}, g); }), runtime::ErrorKind::kInput);
  auto nan = features[0];
  nan[5] = NAN;
  EXPECT_EQ(kind([&] { gen.GenerateFromFeatures({nan}, g); }), runtime::ErrorKind::kInput);
  EXPECT_EQ(kind([&] { gen.GenerateFromFeatures({features[0], features[0], features[0]}, g); }),
            runtime::ErrorKind::kLimit);
  runtime::GenerateOptions att = g;
  att.return_attention = true;
  EXPECT_EQ(kind([&] { gen.GenerateFromFeatures({features[0]}, att); }), runtime::ErrorKind::kInput);
  g.max_length = 13;
  EXPECT_EQ(kind([&] { gen.GenerateFromFeatures({features[0]}, g); }), runtime::ErrorKind::kLimit);
  // Still usable, and beam search and scoring run on features.
  g.max_length = 6;
  g.beam = 1;
  EXPECT_EQ(gen.GenerateFromFeatures({features[1]}, g)[0][0].ids.size(), 6u);
  EXPECT_EQ(gen.ScoreFromFeatures({features[0]}, {{1, 2}}).size(), 1u);
  // A decoder limit beyond the model's 12 positions is refused.
  limits.max_target = 13;
  EXPECT_THROW(runtime::Generator(runtime::Model::Load(path), limits), runtime::Error);
  remove(path.c_str());
}

TEST(Whisper, BeamSearchFromFeatures) {
  const std::string path = Converted("f32");
  const auto e = Expected();
  const auto features = Features(e);
  runtime::Limits limits;
  limits.max_batch = 2;
  limits.max_target = 12;
  limits.max_beam = 3;
  runtime::Generator gen(runtime::Model::Load(path), limits);
  runtime::GenerateOptions g;
  g.max_length = 8;
  g.beam = 3;
  g.num_hypotheses = 3;
  const auto out = gen.GenerateFromFeatures(features, g);
  ASSERT_EQ(out.size(), 2u);
  // Each hypothesis's score is its teacher-forced log-probability.
  for (size_t s = 0; s < 2; ++s) {
    ASSERT_EQ(out[s].size(), 3u);
    for (const auto& h : out[s]) {
      const auto lp = gen.ScoreTokensFromFeatures({features[s]}, {h.ids})[0];
      float sum = 0;
      const bool ended = h.ids.size() < g.max_length;
      for (size_t i = 0; i < h.ids.size() + (ended ? 1 : 0); ++i) sum += lp[i];
      EXPECT_NEAR(h.score, sum, 1e-3) << s;
    }
  }
  remove(path.c_str());
}

// The public C++ API (runtime/edgeseq/edgeseq.hpp): ModelInfo's sizes,
// default limits fitted to the decoder's positions, both calls.
TEST(Whisper, PublicApiFromFeatures) {
  const std::string path = Converted("f32");
  const auto e = Expected();
  const auto features = Features(e);
  const edgeseq::Model model = edgeseq::Model::Load(path);
  const edgeseq::ModelInfo info = model.info();
  EXPECT_EQ(info.n_mels, 80u);
  EXPECT_EQ(info.frames, 32u);
  EXPECT_EQ(info.max_positions, 16u);
  EXPECT_EQ(info.max_target_positions, 12u);
  edgeseq::Generator gen(model);
  EXPECT_EQ(gen.limits().max_target, 12u);
  EXPECT_EQ(gen.limits().max_source, 16u);
  edgeseq::GenerateOptions g;
  g.max_length = e["greedy_steps"].get<size_t>();
  const auto out = gen.GenerateFromFeatures(features, g);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0][0].ids, e["sources"][0]["greedy"].get<std::vector<int32_t>>());
  const auto targets = e["targets"].get<std::vector<std::vector<int32_t>>>();
  const auto totals = gen.ScoreFromFeatures({features[1]}, {targets[0]});
  double want = 0;
  for (double x : e["sources"][1]["scores"][0]) want += x;
  EXPECT_NEAR(totals[0], want, 1e-4);
  try {
    gen.Generate({{1, 2}}, g);
    ADD_FAILURE() << "ids accepted by a log-mel model";
  } catch (const edgeseq::Error& err) {
    EXPECT_EQ(err.code(), edgeseq::ErrorCode::kInput);
  }
  remove(path.c_str());
}

// As tests/runtime/allocation_test.cc: a decode of many steps from
// features makes exactly as many heap allocations as one of two steps.
TEST(Whisper, DecodeLoopAllocatesNothing) {
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  const auto e = Expected();
  const auto features = Features(e);
  for (const char* q : {"int8", "f32"}) {
    const std::string path = Converted(q);
    runtime::Limits limits;
    limits.max_batch = 1;
    limits.max_target = 12;
    runtime::Generator gen(runtime::Model::Load(path), limits);
    auto count = [&](size_t steps) {
      runtime::GenerateOptions g;
      g.max_length = steps;
      g.min_length = steps;  // no early end: exactly `steps` steps
      gen.GenerateFromFeatures({features[0]}, g);  // warm-up: first-use caches
      test::StartCountingAllocations();
      gen.GenerateFromFeatures({features[0]}, g);
      return test::StopCountingAllocations();
    };
    const size_t short_run = count(2), long_run = count(11);
    EXPECT_EQ(long_run, short_run) << q << ": 9 more decode steps made " << long_run - short_run << " allocations";
    remove(path.c_str());
  }
}

TEST(Whisper, DamagedAndMismatchedCheckpointsAreRefused) {
  // A converted token model refuses features, and a whisper model ids (above).
  // The checkpoint: a truncated file, dims that disagree with the tensors,
  // a missing tensor — each one line.
  const std::string pt = kDir + "tiny.pt";
  std::ifstream in(pt, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = Temp("cut.pt");
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  std::ostringstream log;
  try {
    Convert(Options("f32", Temp("x.esq"), cut), log);
    ADD_FAILURE() << "a truncated checkpoint converted";
  } catch (const std::exception& err) {
    EXPECT_EQ(std::string(err.what()).find('\n'), std::string::npos) << err.what();
  }
  remove(cut.c_str());
  // Dims that disagree with a tensor, a missing tensor: one line naming it.
  for (const auto& [file, names] : {std::pair<std::string, std::string>{"bad_audio_ctx.pt", "encoder.positional_embedding"},
                                    {"bad_missing.pt", "decoder.blocks.0.cross_attn.key.weight"}}) {
    ConvertOptions small = Options("f32", Temp("z.esq"), kDir + file);
    small.eos = 7;  // their vocabulary has 10 tokens
    small.decoder_start = 8;
    try {
      Convert(small, log);
      ADD_FAILURE() << file << " converted";
    } catch (const ConvertError& err) {
      const std::string m = err.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find(names), std::string::npos) << m;
    }
  }
  // Dims missing or out of range, head counts that differ per stack.
  const auto ck = loaders::ReadCheckpoint(kDir + "tiny.pt");
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"dims.n_text_ctx", -1}, {"dims.n_mels", 0},
                                   {"dims.n_text_head", 1}, {"dims.n_text_state", 32}}) {
    loaders::Checkpoint bad = ck;
    if (value < 0) {
      bad.ints.erase(key);
    } else {
      bad.ints[key] = value;
    }
    try {
      FromWhisperCheckpoint(bad);
      ADD_FAILURE() << key << " " << value << " accepted";
    } catch (const ConvertError& err) {
      EXPECT_NE(std::string(err.what()).find(std::string(key).substr(5)), std::string::npos) << err.what();
    }
  }
  // Without the end/start ids a random vocabulary cannot be converted.
  ConvertOptions o = Options("f32", Temp("y.esq"));
  o.eos.reset();
  o.strict = false;
  try {
    Convert(o, log);
    ADD_FAILURE() << "converted without an end id";
  } catch (const ConvertError& err) {
    EXPECT_NE(std::string(err.what()).find("--eos"), std::string::npos) << err.what();
  }
  // --map does not apply.
  o = Options("f32", Temp("y.esq"));
  o.map_file = kDir + "expected.json";
  EXPECT_THROW(Convert(o, log), ConvertError);
}

// whisper-tiny's dimensions (384 wide, 6 heads, 4 + 4 layers, 51865 tokens,
// 80 mels, 1500 encoder / 448 decoder positions) with random int8 weights
// made here: buffers and limits at full size (3000 frames), greedy scores
// equal to teacher-forced ones. Release builds only (EDGESEQ_FULL_SIZE_TESTS:
// not under sanitizers or an emulator, where it would take minutes).
TEST(Whisper, TinyDimensionsRunAtFullSize) {
#ifndef EDGESEQ_FULL_SIZE_TESTS
  GTEST_SKIP() << "full-size model: Release builds only";
#else
  using loaders::DType;
  loaders::EsqContents in;
  loaders::ModelConfig& c = in.config;
  const uint32_t d = 384, f = 1536, mels = 80, vocab = 51865;
  c.d_model = d;
  c.num_heads = 6;
  c.encoder_layers = c.decoder_layers = 4;
  c.ffn_dim = f;
  c.src_vocab_size = 1;
  c.tgt_vocab_size = vocab;
  c.max_positions = 1500;
  c.decoder_max_positions = 448;
  c.encoder_input = loaders::EncoderInput::kLogMel;
  c.n_mels = mels;
  c.norm_placement = loaders::NormPlacement::kPre;
  c.activation = loaders::ActivationKind::kGelu;
  c.position_kind = loaders::PositionKind::kLearned;
  c.encoder_final_norm = c.decoder_final_norm = c.tied_output = true;
  c.eos_id = 50257;
  c.decoder_start_id = 50258;
  std::mt19937 rng(5);
  std::deque<std::vector<int8_t>> q8;
  std::deque<std::vector<float>> f32;
  auto matrix = [&](const std::string& name, uint64_t rows, uint64_t cols) {
    std::uniform_int_distribution<int> u(-63, 63);
    auto& q = q8.emplace_back(rows * cols);
    for (auto& x : q) x = static_cast<int8_t>(u(rng));
    // Uniform q·s has standard deviation ≈ 1/√cols.
    auto& s = f32.emplace_back(rows, static_cast<float>(sqrt(3.0 / static_cast<double>(cols)) / 63.0));
    in.tensors.push_back({name, DType::kI8, {rows, cols}, q.data(), s.data()});
  };
  auto vector = [&](const std::string& name, std::vector<uint64_t> dims, float mean, float std) {
    std::normal_distribution<float> n(mean, std);
    uint64_t count = 1;
    for (uint64_t x : dims) count *= x;
    auto& v = f32.emplace_back(count);
    for (auto& x : v) x = n(rng);
    in.tensors.push_back({name, DType::kF32, dims, v.data(), nullptr});
  };
  auto norm = [&](const std::string& p) {
    vector(p + ".weight", {d}, 1.0f, 0.1f);
    vector(p + ".bias", {d}, 0.0f, 0.1f);
  };
  matrix("encoder.conv1.weight", d, 3 * mels);
  vector("encoder.conv1.bias", {d}, 0, 0.1f);
  matrix("encoder.conv2.weight", d, 3 * d);
  vector("encoder.conv2.bias", {d}, 0, 0.1f);
  vector("encoder.embed_positions.weight", {1500, d}, 0, 0.5f);
  vector("decoder.embed_positions.weight", {448, d}, 0, 0.5f);
  matrix("decoder.embed_tokens.weight", vocab, d);
  for (const bool decoder : {false, true}) {
    for (int i = 0; i < 4; ++i) {
      const std::string p = std::string(decoder ? "decoder" : "encoder") + ".layers." + std::to_string(i) + ".";
      matrix(p + "self_attn.qkv_proj.weight", 3 * d, d);
      matrix(p + "self_attn.out_proj.weight", d, d);
      norm(p + "self_attn_norm");
      matrix(p + "ffn.fc1.weight", f, d);
      matrix(p + "ffn.fc2.weight", d, f);
      norm(p + "ffn_norm");
      if (decoder) {
        matrix(p + "cross_attn.q_proj.weight", d, d);
        matrix(p + "cross_attn.kv_proj.weight", 2 * d, d);
        matrix(p + "cross_attn.out_proj.weight", d, d);
        norm(p + "cross_attn_norm");
      }
    }
  }
  norm("encoder.norm");
  norm("decoder.norm");
  const std::string path = Temp("tiny-dims.esq");
  loaders::WriteEsq(path, in);
  q8.clear();
  f32.clear();
  const auto model = runtime::Model::Load(path);
  runtime::Limits limits;
  limits.max_batch = 1;
  limits.max_target = 448;
  runtime::Generator gen(model, limits);
  EXPECT_EQ(gen.limits().max_source, 1500u);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> mel(3000 * mels);
  for (auto& x : mel) x = u(rng);
  runtime::GenerateOptions g;
  g.max_length = 6;
  g.min_length = 6;
  const auto h = gen.GenerateFromFeatures({mel}, g)[0][0];
  ASSERT_EQ(h.ids.size(), 6u);
  const auto lp = gen.ScoreTokensFromFeatures({mel}, {h.ids})[0];
  float sum = 0;
  for (size_t i = 0; i < h.ids.size(); ++i) sum += lp[i];
  EXPECT_TRUE(std::isfinite(h.score));
  EXPECT_NEAR(h.score, sum, 1e-3f * std::max(1.0f, fabsf(sum)));
  // The decoder's last position is usable, one past it is not.
  EXPECT_THROW(runtime::Generator(model, runtime::Limits{1, 16, 449, 1}), runtime::Error);
  remove(path.c_str());
#endif
}

}  // namespace
}  // namespace edgeseq::tools
