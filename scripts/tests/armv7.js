// C++ kernel tests cross-compiled for armv7 (arm-linux-gnueabihf; the NEON group built with
// -mfpu=neon-vfpv4) and run under qemu-arm-static as a Cortex-A15 (NEON + VFPv4). The
// 'kernels' test already loops over every level the emulated CPU supports (scalar, neon).
// Every test but select_kth_matches_sort_ref runs: that one is ISA-free integer code (run
// natively and on aarch64) and would double this suite's emulated time.
'use strict';
const fs = require('node:fs');

function armv7Ctest({ have, skip, ctestSuite }) {
  if (!have('arm-linux-gnueabihf-g++') || !have('qemu-arm-static') || !fs.existsSync('/usr/arm-linux-gnueabihf')) {
    return skip('ctest armv7 (qemu)', 'needs g++-arm-linux-gnueabihf and qemu-user-static');
  }
  return ctestSuite('armv7', 'build-armv7', [
    '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_SYSTEM_NAME=Linux', '-DCMAKE_SYSTEM_PROCESSOR=armv7l',
    '-DCMAKE_CXX_COMPILER=arm-linux-gnueabihf-g++',
    '-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-arm-static;-L;/usr/arm-linux-gnueabihf',
    '-DNNSLIM_FORCED_ISA_TESTS=OFF',
    '-DNNSLIM_TEST_FILTER=-select_kth_matches_sort_ref',
  ], [[' cortex-a15', { QEMU_CPU: 'cortex-a15' }]]);
}

module.exports = { armv7Ctest };
