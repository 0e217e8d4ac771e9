// AVX-512 VNNI path of ops/gemm_u8s8 (see gemm_u8s8_vnni.h). This file alone
// is compiled with AVX-512 VNNI enabled; it runs only where X86HasAvx512Vnni().
#include "ops/gemm_u8s8_dot.h"

#define EDGESEQ_VNNI_WIDTH 512
#include "ops/gemm_u8s8_vnni.h"

namespace edgeseq::ops {

void DotBlockU8S8Avx512Vnni(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, int32_t* acc,
                            size_t ldy) {
  vnni::Block(xq, M, K, w, N, acc, ldy);
}

}  // namespace edgeseq::ops
