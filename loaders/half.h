// IEEE half and bfloat16 ↔ f32, exact in the widening direction and
// round-to-nearest-even when narrowing (model files store f16/bf16 weights).
#pragma once

#include <stdint.h>

namespace edgeseq::loaders {

float HalfToFloat(uint16_t h);
float BFloat16ToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

}  // namespace edgeseq::loaders
