// Reading PyTorch checkpoints without PyTorch: every way torch.save is used,
// views and dtypes, against PyTorch's own values; hostile and damaged files.
#include "loaders/checkpoint.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <cmath>
#include <string>

#include "loaders/half.h"
#include "loaders/pickle.h"
#include "tests/loaders/expected_tensors.h"

namespace edgeseq::loaders {
namespace {

using test::FixturePath;

void ExpectMatchesPyTorch(const Checkpoint& ck, const std::string& expected_file) {
  const auto expected = test::ReadExpected(expected_file);
  ASSERT_EQ(ck.tensors.size(), expected.size());
  for (const SourceTensor& t : ck.tensors) {
    SCOPED_TRACE(t.name);
    const auto it = expected.find(t.name);
    ASSERT_NE(it, expected.end());
    EXPECT_EQ(t.shape, it->second.shape);
    EXPECT_EQ(t.ToF32(), it->second.values);  // bit-exact
  }
}

TEST(TorchCheckpoint, StateDictMatchesPyTorch) {
  const Checkpoint ck = ReadCheckpoint(FixturePath("state_dict.pth"));
  EXPECT_EQ(ck.format, "pytorch-zip");
  EXPECT_EQ(ck.root, "state dict");
  ExpectMatchesPyTorch(ck, "expected_state_dict.bin");
}

TEST(TorchCheckpoint, WholePickledModelWithoutItsClass) {
  const Checkpoint ck = ReadCheckpoint(FixturePath("whole_model.pth"));
  EXPECT_NE(ck.root.find("Seq2SeqTransformer"), std::string::npos) << ck.root;
  ExpectMatchesPyTorch(ck, "expected_state_dict.bin");
}

TEST(TorchCheckpoint, NestedCheckpointDict) {
  // {"model": sd, "optimizer": ..., "epoch": 3, "args": Namespace, "tags": set}:
  // the default picks the one entry holding tensors... the optimizer state
  // holds tensors too, so the default must be refused unless --key is given.
  try {
    ReadCheckpoint(FixturePath("nested.pth"));
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("--key"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model"), std::string::npos) << e.what();
    const Checkpoint ck = ReadCheckpoint(FixturePath("nested.pth"), "model");
    EXPECT_EQ(ck.root, "key 'model'");
    ExpectMatchesPyTorch(ck, "expected_state_dict.bin");
    return;
  }
  // Adam's state is empty before the first step: then "model" is the only one.
  const Checkpoint ck = ReadCheckpoint(FixturePath("nested.pth"));
  EXPECT_EQ(ck.root, "key 'model'");
  ExpectMatchesPyTorch(ck, "expected_state_dict.bin");
}

TEST(TorchCheckpoint, UnknownKeyListsTheKeys) {
  try {
    ReadCheckpoint(FixturePath("nested.pth"), "weights");
    FAIL();
  } catch (const CheckpointError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no key 'weights'"), std::string::npos) << m;
    EXPECT_NE(m.find("optimizer"), std::string::npos) << m;
  }
}

TEST(TorchCheckpoint, ViewsAndDTypes) {
  const Checkpoint ck = ReadCheckpoint(FixturePath("views.pth"));
  const auto expected = test::ReadExpected("expected_views.bin");
  size_t checked = 0;
  for (const SourceTensor& t : ck.tensors) {
    SCOPED_TRACE(t.name);
    if (t.name == "long") {
      EXPECT_EQ(t.type, ElementType::kLong);
      EXPECT_EQ(t.shape, std::vector<int64_t>{5});
      EXPECT_THROW(t.ToF32(), CheckpointError);
      int64_t v[5];
      memcpy(v, t.data.data(), sizeof(v));
      for (int i = 0; i < 5; ++i) EXPECT_EQ(v[i], i);
      continue;
    }
    const auto& e = expected.at(t.name);
    EXPECT_EQ(t.shape, e.shape);
    EXPECT_EQ(t.ToF32(), e.values);
    ++checked;
  }
  EXPECT_EQ(checked, 5u);
  EXPECT_EQ(ck.tensors.size(), 6u);
}

TEST(Safetensors, MatchesPyTorch) {
  const Checkpoint ck = ReadCheckpoint(FixturePath("model.safetensors"));
  EXPECT_EQ(ck.format, "safetensors");
  ExpectMatchesPyTorch(ck, "expected_state_dict.bin");
  const Checkpoint views = ReadCheckpoint(FixturePath("views.safetensors"));
  const auto expected = test::ReadExpected("expected_views.bin");
  ASSERT_EQ(views.tensors.size(), 3u);
  for (const SourceTensor& t : views.tensors) EXPECT_EQ(t.ToF32(), expected.at(t.name).values) << t.name;
}

void ExpectRefused(const std::string& fixture, const std::string& mentions) {
  SCOPED_TRACE(fixture);
  try {
    ReadCheckpoint(FixturePath(fixture));
    FAIL() << "accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(TorchCheckpoint, DamagedFilesGiveTheirOwnError) {
  ExpectRefused("truncated.pth", "not a readable zip");
  ExpectRefused("not_a_zip.pth", "neither a PyTorch zip checkpoint nor a safetensors file");
  ExpectRefused("missing_storage.pth", "has no state_dict/data/0");
  ExpectRefused("short_storage.pth", "storage 0 has 1536 bytes");
  ExpectRefused("bad_opcode.pth", "unsupported pickle opcode 0x69");
  ExpectRefused("unknown_dtype.pth", "unsupported storage type torch.ComplexFloatStorage");
  ExpectRefused("inflates_too_much.pth", "inflates to more than its declared size");
}

TEST(TorchCheckpoint, AttacksAreRefusedAndNothingRuns) {
  unlink("/tmp/edgeseq-pwned");
  ExpectRefused("evil_os_system.pth", "refused: the file reaches for posix.system");
  ExpectRefused("evil_builtins_eval.pth", "refused: the file reaches for __builtin__.eval");
  EXPECT_NE(access("/tmp/edgeseq-pwned", F_OK), 0) << "something ran";
}

// Hand-made pickles for what torch.save does not write.
using pickle::ValuePtr;

ValuePtr Parse(const std::string& bytes) {
  static pickle::Arena arena;  // values must outlive the call
  return pickle::Unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nullptr, arena);
}


TEST(Pickle, DenyListCoversTheDocumentedCallables) {
  for (const auto& [m, n] : std::vector<std::pair<std::string, std::string>>{
           {"os", "system"}, {"posix", "system"}, {"nt", "system"}, {"subprocess", "Popen"},
           {"subprocess", "check_output"}, {"builtins", "eval"}, {"builtins", "exec"},
           {"builtins", "__import__"}, {"builtins", "getattr"}, {"__builtin__", "eval"},
           {"os.path", "join"}, {"shutil", "rmtree"}, {"socket", "socket"}, {"runpy", "run_path"},
           {"importlib", "import_module"}, {"pickle", "loads"}}) {
    EXPECT_TRUE(pickle::IsDangerousGlobal(m, n)) << m << "." << n;
    const std::string p = "\x80\x02" "c" + m + "\n" + n + "\n" + ")R.";
    EXPECT_THROW(Parse(p), CheckpointError) << m << "." << n;
  }
  for (const auto& [m, n] : std::vector<std::pair<std::string, std::string>>{
           {"builtins", "set"}, {"collections", "OrderedDict"}, {"argparse", "Namespace"},
           {"__main__", "MyModel"}, {"torch._utils", "_rebuild_tensor_v2"}}) {
    EXPECT_FALSE(pickle::IsDangerousGlobal(m, n)) << m << "." << n;
  }
}

TEST(Pickle, UnknownCallablesStayInertPlaceholders) {
  // builtins.set([1]) and a user class built with BUILD state.
  using namespace std::string_literals;
  const std::string p =
      "\x80\x02"s + "cbuiltins\nset\n]K\x01"s + "a\x85R"s + "c__main__\nNet\n)R}X\x01\x00\x00\x00wK\x02sb\x86."s;
  const ValuePtr v = Parse(p);
  ASSERT_EQ(v->kind, pickle::Kind::kTuple);
  EXPECT_EQ(v->items[0]->kind, pickle::Kind::kObject);
  EXPECT_EQ(v->items[0]->s, "builtins.set");
  EXPECT_EQ(v->items[1]->kind, pickle::Kind::kObject);
  EXPECT_EQ(v->items[1]->s, "__main__.Net");
  ASSERT_TRUE(v->items[1]->state);
  EXPECT_EQ(v->items[1]->state->dict.size(), 1u);
}

TEST(Pickle, MalformedInputsAreErrors) {
  using namespace std::string_literals;
  for (const std::string& p : {"\x80\x02"s, "\x80\x02h\x05."s, "\x80\x02s."s, "\x80\x02X\xff\xff\xff\x7f"s + "abc."s,
                               "\x80\x02\x8b\x09\x00\x00\x00"s + "123456789."s, "\x80\x02"s + "cos"s,
                               "\x80\x02Q."s, "\x80\x02(0."s, "\x80\x02t."s}) {
    EXPECT_THROW(Parse(p), CheckpointError) << testing::PrintToString(p);
  }
}

TEST(Half, ExactWideningAndNearestEvenNarrowing) {
  // Every f16 bit pattern widens and narrows back to itself (NaNs stay NaN).
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(f))));
      continue;
    }
    ASSERT_EQ(FloatToHalf(f), h) << h;
  }
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0x0001), 5.9604644775390625e-8f);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048), 0x3c00);        // a tie rounds to even
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);                       // overflow: infinity
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
}

}  // namespace
}  // namespace edgeseq::loaders
