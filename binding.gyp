{
  "targets": [
    {
      "target_name": "torsion_native",
      "sources": ["native/addon.cc", "native/fdpoll.cc", "native/fdio.cc", "native/sockets.cc", "native/accept.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS=='mac'", {"xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17"}}]]
    }
  ]
}
