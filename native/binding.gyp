{
  "targets": [
    {
      "target_name": "ftlab_native",
      "sources": ["ftlab_native.cc", "precision.cc", "distributed.cc", "packed-attention.cc", "attention-kernel.cc", "search.cc"],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node find-libtorch.cjs include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++20", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["<!@(node find-libtorch.cjs std)", "-O3", "-fopenmp", "-fexceptions", "-frtti", "-Wno-unused-parameter",
                    "<!@(node find-libtorch.cjs cflags)", "<!@(node find-libtorch.cjs c10d)"],
      "libraries": [
        "-fopenmp",
        "-L<!@(node find-libtorch.cjs libdir)",
        "-Wl,-rpath,<!@(node find-libtorch.cjs libdir)",
        "<!@(node find-libtorch.cjs libs)"
      ]
    },
    {
      "target_name": "ftlab_exec",
      "sources": ["exec.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O2", "-fexceptions"]
    }
  ]
}
