// The NEON dot-product (SDOT) path of ops/gemm_u8s8 (see gemm_u8s8_dot.h).
// This file alone is compiled with -march=armv8.2-a+dotprod on aarch64; it
// runs only where NeonHasDotProduct() says the CPU has the instructions.
#include "ops/gemm_u8s8_dot.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <sys/auxv.h>

namespace edgeseq::ops {

bool NeonHasDotProduct() {
  static const bool have = (getauxval(AT_HWCAP) & (1UL << 20)) != 0;  // HWCAP_ASIMDDP
  return have;
}

void DotBlockU8S8Neon(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, const int32_t* w_sum,
                      int32_t* acc, size_t ldy) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  const size_t K16 = K / 16 * 16;
  for (size_t m = 0; m < M; m += 2) {
    const size_t mr = M - m < 2 ? 1 : 2;
    const uint8_t* x0 = xq + m * K;
    const uint8_t* x1 = xq + (m + mr - 1) * K;
    for (size_t n = 0; n < N; n += 4) {
      const size_t nr = N - n < 4 ? N - n : 4;
      const int8_t* w0 = w + n * K;
      const int8_t* w1 = w + (n + (nr > 1 ? 1 : 0)) * K;
      const int8_t* w2 = w + (n + (nr > 2 ? 2 : 0)) * K;
      const int8_t* w3 = w + (n + (nr > 3 ? 3 : 0)) * K;
      int32x4_t a00 = vdupq_n_s32(0), a01 = a00, a02 = a00, a03 = a00;
      int32x4_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
      for (size_t k = 0; k < K16; k += 16) {
        const int8x16_t v0 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x0 + k), flip));
        const int8x16_t v1 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x1 + k), flip));
        const int8x16_t b0 = vld1q_s8(w0 + k), b1 = vld1q_s8(w1 + k);
        const int8x16_t b2 = vld1q_s8(w2 + k), b3 = vld1q_s8(w3 + k);
        a00 = vdotq_s32(a00, v0, b0);
        a01 = vdotq_s32(a01, v0, b1);
        a02 = vdotq_s32(a02, v0, b2);
        a03 = vdotq_s32(a03, v0, b3);
        a10 = vdotq_s32(a10, v1, b0);
        a11 = vdotq_s32(a11, v1, b1);
        a12 = vdotq_s32(a12, v1, b2);
        a13 = vdotq_s32(a13, v1, b3);
      }
      int32_t sums[2][4] = {{vaddvq_s32(a00), vaddvq_s32(a01), vaddvq_s32(a02), vaddvq_s32(a03)},
                            {vaddvq_s32(a10), vaddvq_s32(a11), vaddvq_s32(a12), vaddvq_s32(a13)}};
      const int8_t* wr[4] = {w0, w1, w2, w3};
      for (size_t i = 0; i < mr; ++i) {
        const uint8_t* xr = i ? x1 : x0;
        for (size_t j = 0; j < nr; ++j) {
          int32_t s = sums[i][j];
          for (size_t k = K16; k < K; ++k) s += (static_cast<int32_t>(xr[k]) - 128) * wr[j][k];  // tail
          acc[(m + i) * ldy + n + j] = s + 128 * w_sum[n + j];
        }
      }
    }
  }
}


}  // namespace edgeseq::ops
#endif  // __aarch64__
