// AVX-VNNI path of ops/gemm_u8s8 (see gemm_u8s8_vnni.h): the VEX-encoded
// 256-bit vpdpbusd of Intel client and Atom cores (Alder Lake, N100) and AMD
// Zen5. This file alone is compiled with AVX-VNNI enabled; it runs only where
// X86HasAvxVnni().
#include "ops/gemm_u8s8_dot.h"

#define EDGESEQ_VNNI_WIDTH 256
#include "ops/gemm_u8s8_vnni.h"

namespace edgeseq::ops {

void DotBlockU8S8AvxVnni(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, int32_t* acc,
                         size_t ldy) {
  vnni::Block(xq, M, K, w, N, acc, ldy);
}

}  // namespace edgeseq::ops
