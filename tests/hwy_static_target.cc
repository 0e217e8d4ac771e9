// Linked into every test. Highway 1.0 has no run-time CPU detection on 32-bit
// Arm, and Debian's armhf libhwy is built for the armhf baseline (no NEON),
// so SupportedTargets() there names no target we compile (our armhf build
// requires NEON, -mfpu=neon-vfpv4, and dispatches statically): the
// per-target tests would be instantiated for no target at all and pass
// vacuously. When that happens, declare the static target supported, so they
// run on it. Elsewhere (x86, aarch64) this does nothing.
#include "hwy/highway.h"
#include "hwy/targets.h"

namespace {

const bool kStaticTargetDeclared = [] {
  if ((hwy::SupportedTargets() & HWY_TARGETS) == 0) {
    hwy::SetSupportedTargetsForTest(HWY_STATIC_TARGET);
    return true;
  }
  return false;
}();

}  // namespace
