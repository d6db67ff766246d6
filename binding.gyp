# Release build of the addon (node-gyp; what prebuildify drives). Source lists and ISA flags
# come from native/sources.json, the list CMakeLists.txt reads too.
{
  "variables": {
    "src": "node -p \"require('./native/sources.json')",
  },
  "target_defaults": {
    "include_dirs": ["native/include"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "cflags": ["-O3", "-fvisibility=hidden", "-fno-math-errno"],
    "cflags_cc": ["-std=c++17"],
  },
  "targets": [
    {
      "target_name": "nnslim_kernels",
      "type": "static_library",
      "sources": ["<!@(<(src).kernels.join(' ')\")"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["nnslim_isa_x64_avx2", "nnslim_isa_x64_avx512", "nnslim_isa_x64_avx512vnni", "nnslim_isa_x64_avxvnni", "nnslim_isa_x64_amx"],
        }],
        ["target_arch=='arm64'", {
          "dependencies": ["nnslim_isa_arm64_neon", "nnslim_isa_arm64_dotprod", "nnslim_isa_arm64_i8mm"],
        }],
        ["target_arch=='arm'", {
          "dependencies": ["nnslim_isa_arm_neon"],
        }],
      ],
    },
    {
      "target_name": "nnslim",
      "sources": ["<!@(<(src).binding.join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # SWALLOW_UNTHROWABLE: an error thrown while the environment is being torn down (a worker
      # terminated mid-call) is dropped instead of escaping as a C++ exception (abort).
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "dependencies": ["nnslim_kernels"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["nnslim_isa_x64_avx2", "nnslim_isa_x64_avx512", "nnslim_isa_x64_avx512vnni", "nnslim_isa_x64_avxvnni", "nnslim_isa_x64_amx"],
        }],
        ["target_arch=='arm64'", {
          "dependencies": ["nnslim_isa_arm64_neon", "nnslim_isa_arm64_dotprod", "nnslim_isa_arm64_i8mm"],
        }],
        ["target_arch=='arm'", {
          "dependencies": ["nnslim_isa_arm_neon"],
        }],
      ],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "nnslim_isa_x64_avx2",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.x64.avx2.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.x64.avx2.flags.join(' ')\")"],
        },
        {
          "target_name": "nnslim_isa_x64_avx512",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.x64.avx512.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.x64.avx512.flags.join(' ')\")"],
        },
        {
          "target_name": "nnslim_isa_x64_avx512vnni",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.x64.avx512vnni.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.x64.avx512vnni.flags.join(' ')\")"],
        },
        {
          "target_name": "nnslim_isa_x64_avxvnni",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.x64.avxvnni.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.x64.avxvnni.flags.join(' ')\")"],
        },
        {
          "target_name": "nnslim_isa_x64_amx",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.x64.amx.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.x64.amx.flags.join(' ')\")"],
        },
      ],
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "nnslim_isa_arm64_neon",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.arm64.neon.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.arm64.neon.flags.join(' ')\")"],
        },
        {
          "target_name": "nnslim_isa_arm64_dotprod",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.arm64.dotprod.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.arm64.dotprod.flags.join(' ')\")"],
        },
        {
          "target_name": "nnslim_isa_arm64_i8mm",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.arm64.i8mm.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.arm64.i8mm.flags.join(' ')\")"],
        },
      ],
    }],
    ["target_arch=='arm'", {
      "targets": [
        {
          "target_name": "nnslim_isa_arm_neon",
          "type": "static_library",
          "sources": ["<!@(<(src).isa.arm.neon.sources.join(' ')\")"],
          "cflags": ["<!@(<(src).isa.arm.neon.flags.join(' ')\")"],
        },
      ],
    }],
  ],
}
