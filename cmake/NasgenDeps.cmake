# Every dependency is a Debian bookworm package (scripts/bootstrap.sh installs them).
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)            # libtorch-dev; a CUDA LibTorch works via CMAKE_PREFIX_PATH
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(ZLIB REQUIRED)
find_package(JPEG REQUIRED)             # libjpeg62-turbo-dev, for ImageNet class folders
find_package(CURL REQUIRED)             # libcurl4-openssl-dev, for LLM endpoints
# libxgboost-dev, gradient-boosted tree predictors through the C API. Its CMake config also
# imports the xgboost command-line program (another package), so the library is found directly.
find_library(NASGEN_XGBOOST_LIBRARY xgboost REQUIRED)
find_path(NASGEN_XGBOOST_INCLUDE xgboost/c_api.h REQUIRED)
add_library(nasgen_xgboost INTERFACE)
target_link_libraries(nasgen_xgboost INTERFACE ${NASGEN_XGBOOST_LIBRARY})
target_include_directories(nasgen_xgboost SYSTEM INTERFACE ${NASGEN_XGBOOST_INCLUDE})
if(NASGEN_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NASGEN_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()

# TorchConfig puts its flags into TORCH_CXX_FLAGS; keep them on the targets that use torch only.
separate_arguments(NASGEN_TORCH_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
