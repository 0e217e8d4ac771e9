// Reading PyTorch checkpoints without PyTorch: every way torch.save is used,
// views and dtypes, against PyTorch's own values; hostile and damaged files.
#include "loaders/checkpoint.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
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

// Integers beside the tensors are kept (Whisper's dims); the Namespace, the
// set and the optimizer's lists are not.
TEST(TorchCheckpoint, CheckpointDictIntegersAreKept) {
  const Checkpoint ck = ReadCheckpoint(FixturePath("nested.pth"), "model");
  EXPECT_EQ(ck.ints, (std::map<std::string, int64_t>{{"epoch", 3}}));
  EXPECT_TRUE(ReadCheckpoint(FixturePath("state_dict.pth")).ints.empty());
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
      const std::vector<uint8_t> bytes = t.Bytes();
      ASSERT_EQ(bytes.size(), sizeof(v));
      memcpy(v, bytes.data(), sizeof(v));
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
  ExpectRefused("not_a_zip.pth", "neither a PyTorch zip checkpoint nor a safetensors file (as a zip: no zip "
                                 "signature (PK); as safetensors: header length");
  ExpectRefused("missing_storage.pth", "has no state_dict/data/0");
  ExpectRefused("short_storage.pth", "storage 0 has 1536 bytes");
  // An INST opcode spliced into a protocol-2 pickle: INST is understood now,
  // so what fails is the broken stream around it, cleanly.
  ExpectRefused("bad_opcode.pth", "state_dict/data.pkl: pickle: ");
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
           {"builtins", "__import__"}, {"builtins", "setattr"}, {"__builtin__", "eval"},
           {"os.path", "join"}, {"shutil", "rmtree"}, {"socket", "socket"}, {"runpy", "run_path"},
           {"importlib", "import_module"}, {"pickle", "loads"}}) {
    EXPECT_TRUE(pickle::IsDangerousGlobal(m, n)) << m << "." << n;
    const std::string p = "\x80\x02" "c" + m + "\n" + n + "\n" + ")R.";
    EXPECT_THROW(Parse(p), CheckpointError) << m << "." << n;
  }
  for (const auto& [m, n] : std::vector<std::pair<std::string, std::string>>{
           {"builtins", "set"}, {"builtins", "getattr"}, {"collections", "OrderedDict"}, {"argparse", "Namespace"},
           {"__main__", "MyModel"}, {"torch._utils", "_rebuild_tensor_v2"}}) {
    EXPECT_FALSE(pickle::IsDangerousGlobal(m, n)) << m << "." << n;
  }
}

TEST(Pickle, UnknownCallablesStayInertPlaceholders) {
  // datetime.date([1]) and a user class built with BUILD state.
  using namespace std::string_literals;
  const std::string p =
      "\x80\x02"s + "cdatetime\ndate\n]K\x01"s + "a\x85R"s + "c__main__\nNet\n)R}X\x01\x00\x00\x00wK\x02sb\x86."s;
  const ValuePtr v = Parse(p);
  ASSERT_EQ(v->kind, pickle::Kind::kTuple);
  EXPECT_EQ(v->items[0]->kind, pickle::Kind::kObject);
  EXPECT_EQ(v->items[0]->s, "datetime.date");
  EXPECT_EQ(v->items[1]->kind, pickle::Kind::kObject);
  EXPECT_EQ(v->items[1]->s, "__main__.Net");
  ASSERT_TRUE(v->items[1]->state);
  EXPECT_EQ(v->items[1]->state->dict.size(), 1u);
}

TEST(Pickle, MalformedInputsAreErrors) {
  using namespace std::string_literals;
  for (const std::string& p : {"\x80\x02"s, "\x80\x02h\x05."s, "\x80\x02s."s, "\x80\x02X\xff\xff\xff\x7f"s + "abc."s,
                               "\x80\x02\x8b\xff\xff\xff\x7f"s + "123456789."s, "\x80\x02"s + "cos"s,
                               "\x80\x02Q."s, "\x80\x02(0."s, "\x80\x02t."s}) {
    EXPECT_THROW(Parse(p), CheckpointError) << testing::PrintToString(p);
  }
}

// ---- Issue 14: every protocol, module settings, method references, lazy
// and bounded views, format detection. Fixtures: make_reader_cases.py.

std::string ReadText(const std::string& fixture) {
  std::ifstream in(FixturePath(fixture), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + fixture);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(PickleProtocols, StateDictInEveryProtocol) {
  for (int p = 1; p <= 5; ++p) {
    SCOPED_TRACE("pickle_protocol=" + std::to_string(p));
    const Checkpoint ck = ReadCheckpoint(FixturePath("reader_sd_p" + std::to_string(p) + ".pth"));
    EXPECT_EQ(ck.root, "state dict");
    EXPECT_TRUE(ck.keys.empty());
    EXPECT_TRUE(ck.modules.empty());
    ExpectMatchesPyTorch(ck, "expected_reader_model.bin");
  }
}

TEST(PickleProtocols, Protocol0IsRefusedAsTorchLoadDoes) {
  // torch.save writes protocol 0 with text persistent ids that torch.load
  // itself cannot read back.
  ExpectRefused("reader_sd_p0.pth", "protocol 0");
}

// Compares one module setting with what PyTorch held (make_reader_cases.py's
// attr_json: null, bool, int, string, {"float"}, {"global"}, {"seq"}).
void ExpectAttr(const Attr& a, const nlohmann::json& e) {
  if (e.is_null()) {
    EXPECT_EQ(a.kind, Attr::Kind::kNone);
  } else if (e.is_boolean()) {
    ASSERT_EQ(a.kind, Attr::Kind::kBool);
    EXPECT_EQ(a.b, e.get<bool>());
  } else if (e.is_number_integer()) {
    ASSERT_EQ(a.kind, Attr::Kind::kInt);
    EXPECT_EQ(a.i, e.get<int64_t>());
  } else if (e.is_number_float() || e.contains("float")) {
    ASSERT_EQ(a.kind, Attr::Kind::kFloat);
    EXPECT_EQ(a.f, (e.is_object() ? e["float"] : e).get<double>());
  } else if (e.is_string()) {
    ASSERT_EQ(a.kind, Attr::Kind::kString);
    EXPECT_EQ(a.s, e.get<std::string>());
  } else if (e.contains("global")) {
    ASSERT_EQ(a.kind, Attr::Kind::kGlobal);
    EXPECT_EQ(a.s, e["global"].get<std::string>());
  } else {
    ASSERT_EQ(a.kind, Attr::Kind::kSequence);
    ASSERT_EQ(a.items.size(), e["seq"].size());
    for (size_t k = 0; k < a.items.size(); ++k) ExpectAttr(a.items[k], e["seq"][k]);
  }
}

void ExpectModulesMatchPyTorch(const Checkpoint& ck) {
  const auto expected = nlohmann::json::parse(ReadText("expected_reader_modules.json"));
  ASSERT_EQ(ck.modules.size(), expected.size());
  for (const ModuleInfo& m : ck.modules) {
    SCOPED_TRACE("module '" + m.path + "'");
    ASSERT_TRUE(expected.contains(m.path));
    const auto& e = expected[m.path];
    EXPECT_EQ(m.type, e["type"].get<std::string>());
    for (const auto& [name, value] : e["attrs"].items()) {
      SCOPED_TRACE(name);
      ASSERT_EQ(m.attrs.count(name), 1u);
      ExpectAttr(m.attrs.at(name), value);
    }
    for (const auto& [name, a] : m.attrs) {  // nothing made up beyond PyTorch's own settings
      if (a.kind != Attr::Kind::kOther) {
        EXPECT_TRUE(e["attrs"].contains(name)) << name << " = " << a.ToString();
      }
    }
  }
}

TEST(PickleProtocols, WholeModelInEveryProtocol) {
  for (int p = 1; p <= 5; ++p) {
    SCOPED_TRACE("pickle_protocol=" + std::to_string(p));
    const Checkpoint ck = ReadCheckpoint(FixturePath("reader_model_p" + std::to_string(p) + ".pth"));
    EXPECT_NE(ck.root.find("pickled object __main__.ReaderModel"), std::string::npos) << ck.root;
    ExpectMatchesPyTorch(ck, "expected_reader_model.bin");
    ExpectModulesMatchPyTorch(ck);
  }
}

const ModuleInfo& FindModule(const Checkpoint& ck, const std::string& path) {
  for (const ModuleInfo& m : ck.modules) {
    if (m.path == path) return m;
  }
  throw std::runtime_error("no module " + path);
}

TEST(WholeModel, RecordsTheSettingsThatChangeOutputs) {
  // ReaderModel: pre-LN encoder layers, GELU, eps=1e-6, 4 heads, an
  // Embedding(6, 4, padding_idx=1); layer 1's activation is GELU('tanh').
  const Checkpoint ck = ReadCheckpoint(FixturePath("reader_model_p2.pth"));
  EXPECT_EQ(FindModule(ck, "").type, "__main__.ReaderModel");
  const ModuleInfo& layer = FindModule(ck, "layers.0");
  EXPECT_EQ(layer.type, "torch.nn.modules.transformer.TransformerEncoderLayer");
  EXPECT_EQ(layer.attrs.at("norm_first").ToString(), "True");
  EXPECT_EQ(layer.attrs.at("activation").kind, Attr::Kind::kGlobal);
  EXPECT_EQ(layer.attrs.at("activation").s, "torch._C._nn.gelu");  // F.gelu as PyTorch 1.13 pickles it
  const ModuleInfo& attn = FindModule(ck, "layers.0.self_attn");
  EXPECT_EQ(attn.type, "torch.nn.modules.activation.MultiheadAttention");
  EXPECT_EQ(attn.attrs.at("num_heads").i, 4);
  EXPECT_EQ(attn.attrs.at("batch_first").b, true);
  const ModuleInfo& norm = FindModule(ck, "layers.1.norm2");
  EXPECT_EQ(norm.attrs.at("eps").f, 1e-6);
  EXPECT_EQ(norm.attrs.at("eps").ToString(), "1e-06");
  EXPECT_EQ(norm.attrs.at("normalized_shape").ToString(), "(4,)");
  EXPECT_EQ(FindModule(ck, "layers.0.self_attn").attrs.at("dropout").ToString(), "0.0");  // Python's repr
  const ModuleInfo& act = FindModule(ck, "layers.1.activation");
  EXPECT_EQ(act.type, "torch.nn.modules.activation.GELU");
  EXPECT_EQ(act.attrs.at("approximate").ToString(), "'tanh'");
  EXPECT_EQ(FindModule(ck, "layers.1").attrs.count("activation"), 0u);  // a submodule, not a setting
  const ModuleInfo& emb = FindModule(ck, "embed");
  EXPECT_EQ(emb.attrs.at("padding_idx").i, 1);
  EXPECT_EQ(emb.attrs.at("num_embeddings").i, 6);
  EXPECT_EQ(emb.attrs.at("embedding_dim").i, 4);
  for (const ModuleInfo& m : ck.modules) {  // hooks and bookkeeping are not settings
    for (const auto& [name, a] : m.attrs) EXPECT_EQ(name.find("hook"), std::string::npos) << m.path << "." << name;
  }
}

TEST(MethodReferences, StateDictBesideABoundMethod) {
  // {"model": sd, "hook": model.forward}: getattr(<model>, "forward").
  const Checkpoint ck = ReadCheckpoint(FixturePath("reader_bound_method.pth"));
  EXPECT_EQ(ck.root, "key 'model'");
  EXPECT_EQ(ck.keys, (std::vector<std::string>{"model", "hook"}));
  ExpectMatchesPyTorch(ck, "expected_reader_model.bin");
}

TEST(MethodReferences, WholeModelWithAForwardHook) {
  const Checkpoint ck = ReadCheckpoint(FixturePath("reader_hooked_model.pth"));
  ExpectMatchesPyTorch(ck, "expected_reader_model.bin");
  ExpectModulesMatchPyTorch(ck);
}

TEST(MethodReferences, GetattrIsInertAndAttacksStayRefused) {
  // getattr(__main__.X(), "system")("touch /tmp/edgeseq-pwned"): a
  // placeholder called with a string gives another placeholder; nothing runs.
  using namespace std::string_literals;
  unlink("/tmp/edgeseq-pwned");
  const ValuePtr v = Parse("\x80\x02"s + "cbuiltins\ngetattr\nc__main__\nX\n)R"s + "X\x06\x00\x00\x00system\x86R"s +
                           "X\x18\x00\x00\x00touch /tmp/edgeseq-pwned\x85R."s);
  EXPECT_EQ(v->kind, pickle::Kind::kObject);
  EXPECT_NE(access("/tmp/edgeseq-pwned", F_OK), 0) << "something ran";
  // Protocol-1 spelling of the same refusals, and INST reaching for one.
  EXPECT_THROW(Parse("c__builtin__\nexec\n(Vx\ntR."), CheckpointError);
  EXPECT_THROW(Parse("(Vls\nisubprocess\ncall\n."), CheckpointError);
  EXPECT_THROW(Parse("\x80\x02"s + "cbuiltins\n__import__\n."), CheckpointError);
}

TEST(StrideZeroViews, ListedLazilyAndRefusedWhenAbsurd) {
  struct rusage before;
  getrusage(RUSAGE_SELF, &before);
  const Checkpoint ck = ReadCheckpoint(FixturePath("reader_stride0.pth"));
  const auto expected = test::ReadExpected("expected_reader_stride0.bin");
  ASSERT_EQ(ck.tensors.size(), 5u);
  for (const SourceTensor& t : ck.tensors) {
    SCOPED_TRACE(t.name);
    if (t.name == "huge") {  // tensor([1.5]).expand(2**14, 2**14): 1 GiB from 4 bytes
      EXPECT_EQ(t.shape, (std::vector<int64_t>{16384, 16384}));
      for (int k = 0; k < 2; ++k) {
        try {
          k ? (void)t.ToF32() : (void)t.Bytes();
          FAIL() << "materialized";
        } catch (const CheckpointError& e) {
          EXPECT_NE(std::string(e.what()).find("tensor huge is a view of 268435456 elements over a storage of 1"),
                    std::string::npos) << e.what();
        }
      }
      continue;
    }
    EXPECT_EQ(t.shape, expected.at(t.name).shape);
    EXPECT_EQ(t.ToF32(), expected.at(t.name).values);
  }
  struct rusage after;
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 256 * 1024) << "kB";  // never near the 1 GiB
}

TEST(Format, SafetensorsWhoseHeaderLengthEndsIn0x80) {
  // A legacy-pickle byte (0x80) first, but a valid safetensors file.
  const std::string bytes = ReadText("reader_low_byte_0x80.safetensors");
  ASSERT_EQ(static_cast<uint8_t>(bytes[0]), 0x80);
  const Checkpoint ck = ReadCheckpoint(FixturePath("reader_low_byte_0x80.safetensors"));
  EXPECT_EQ(ck.format, "safetensors");
  ExpectMatchesPyTorch(ck, "expected_reader_low_byte.bin");
}

TEST(Format, TheExtensionIsOnlyAHint) {
  // The same bytes under a .pth name, and a zip under a .safetensors name.
  const std::string dir = testing::TempDir();
  const std::pair<std::string, std::string> cases[] = {{"reader_low_byte_0x80.safetensors", "low.pth"},
                                                       {"reader_sd_p2.pth", "zip.safetensors"}};
  for (const auto& [from, to] : cases) {
    std::ofstream(dir + to, std::ios::binary) << ReadText(from);
    const Checkpoint ck = ReadCheckpoint(dir + to);
    EXPECT_EQ(ck.format, from.find(".pth") != std::string::npos ? "pytorch-zip" : "safetensors") << to;
    unlink((dir + to).c_str());
  }
}

TEST(Format, LegacyTorchSaveIsRefusedWithAdvice) {
  ExpectRefused("reader_legacy.pth", "a legacy (pre-1.6) torch.save file; re-save it");
}

// Hand-made pickles of Python values against what Python wrote.
void ExpectValue(const pickle::Value& v, const nlohmann::json& e) {
  using pickle::Kind;
  if (e.is_null()) {
    EXPECT_EQ(v.kind, Kind::kNone);
  } else if (e.is_boolean()) {
    ASSERT_EQ(v.kind, Kind::kBool);
    EXPECT_EQ(v.b, e.get<bool>());
  } else if (e.is_number_integer()) {
    ASSERT_EQ(v.kind, Kind::kInt);
    EXPECT_EQ(v.i, e.get<int64_t>());
  } else if (e.is_number_float() || e.is_object()) {
    ASSERT_EQ(v.kind, Kind::kFloat);
    EXPECT_EQ(v.f, (e.is_object() ? e["float"] : e).get<double>());
  } else if (e.is_string()) {
    ASSERT_EQ(v.kind, Kind::kString);
    EXPECT_EQ(v.s, e.get<std::string>());
  } else {
    ASSERT_TRUE(v.kind == Kind::kList || v.kind == Kind::kTuple) << static_cast<int>(v.kind);
    ASSERT_EQ(v.items.size(), e.size());
    for (size_t k = 0; k < e.size(); ++k) ExpectValue(*v.items[k], e[k]);
  }
}

TEST(PickleProtocols, PythonValuesInEveryProtocol) {
  const auto expected = nlohmann::json::parse(ReadText("expected_values.json"));
  for (int p = 0; p <= 5; ++p) {
    SCOPED_TRACE("protocol " + std::to_string(p));
    const ValuePtr v = Parse(ReadText("reader_values_p" + std::to_string(p) + ".pkl"));
    ASSERT_EQ(v->kind, pickle::Kind::kDict);
    ASSERT_EQ(v->dict.size(), expected.size());
    std::map<std::string, ValuePtr> got;
    for (const auto& [k, x] : v->dict) got[k->s] = x;
    for (const auto& [name, e] : expected.items()) {
      SCOPED_TRACE(name);
      ASSERT_EQ(got.count(name), 1u);
      ExpectValue(*got[name], e);
    }
    EXPECT_EQ(got["shared"], got["again"]);  // a memo reference is the same object
  }
}

TEST(PickleProtocols, OpcodesPythonReadsButNoLongerWrites) {
  using namespace std::string_literals;
  // INST and OBJ (old-style class instances), quoted STRING escapes.
  ValuePtr v = Parse("(S'a\\'b\\x41\\101\\n'\nI5\nimod\nCls\n.");
  ASSERT_EQ(v->kind, pickle::Kind::kObject);
  EXPECT_EQ(v->s, "mod.Cls");
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[0]->s, "a'bAA\n");
  EXPECT_EQ(v->items[1]->i, 5);
  v = Parse("(cmod\nCls\nL12345678901234567890L\nF-0.25\no.");
  ASSERT_EQ(v->kind, pickle::Kind::kObject);
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[0]->kind, pickle::Kind::kObject);  // wider than 64 bits: a placeholder
  EXPECT_EQ(v->items[1]->f, -0.25);
  // BYTEARRAY8 then READONLY_BUFFER (a no-op here).
  v = Parse("\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00hi\x98."s);
  EXPECT_EQ(v->kind, pickle::Kind::kBytes);
  EXPECT_EQ(v->s, "hi");
  // Refused clearly: no registry, no out-of-band buffers, unknown protocols.
  for (const auto& [p, says] : std::vector<std::pair<std::string, std::string>>{
           {"\x80\x02\x82\x01."s, "no copyreg registry"}, {"\x80\x05\x97."s, "NEXT_BUFFER"},
           {"\x80\x06N."s, "protocol 6"}, {"\x80\x02\xff."s, "unsupported pickle opcode 0xff"}}) {
    try {
      Parse(p);
      ADD_FAILURE() << says;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
}

#if defined(__SANITIZE_ADDRESS__)
#define EDGESEQ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDGESEQ_TEST_ASAN 1
#endif
#endif

TEST(Memory, AnAllocationFailureIsAnError) {
#ifdef EDGESEQ_TEST_ASAN
  GTEST_SKIP() << "ASan's operator new reports a failed allocation instead of throwing std::bad_alloc";
#endif
  // 2^60 bytes cannot be allocated: the reader says so in one line.
  SourceTensor t = SourceTensor::FromBytes("big", ElementType::kFloat, {1}, {0, 0, 0, 0});
  t.shape = {int64_t{1} << 29, int64_t{1} << 29};
  for (int k = 0; k < 2; ++k) {
    try {
      k ? (void)t.ToF32() : (void)t.Bytes();
      FAIL();
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("tensor big (1152921504606846976 bytes): out of memory"), std::string::npos)
          << e.what();
    }
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
