// Builds without oneDNN (armhf, where Debian has none, or
// -DEDGESEQ_WITH_ONEDNN=OFF): the Highway backend serves every shape.
#include "ops/matmul_onednn.h"

namespace edgeseq::ops {

struct OneDnnGemm::Impl {};
OneDnnGemm::OneDnnGemm() = default;
OneDnnGemm::~OneDnnGemm() = default;
bool OneDnnGemm::Available() { return false; }
std::string OneDnnGemm::Name() { return "none"; }
int OneDnnGemm::Int8ActivationMax() { return 255; }  // the Highway GEMM is exact for all of u8
std::unique_ptr<OneDnnGemm> OneDnnGemm::Create(const void*, size_t, size_t, bool) { return nullptr; }
size_t OneDnnGemm::scratch_bytes() const { return 0; }
bool OneDnnGemm::weights_copied() const { return false; }
void OneDnnGemm::Run(const void*, size_t, void*, void*) const {}

}  // namespace edgeseq::ops
