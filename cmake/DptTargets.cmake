# Helpers that keep every module's CMakeLists.txt to a few lines.

# dpt_add_module(<name> SOURCES <files...> [PUBLIC <deps...>] [PRIVATE <deps...>])
# Creates the static library dpt_<name> (alias dpt::<name>) whose public include root is src/,
# so code includes by path: #include "comm/communicator.h".
function(dpt_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(dpt_${name} STATIC ${ARG_SOURCES})
  add_library(dpt::${name} ALIAS dpt_${name})
  target_include_directories(dpt_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dpt_${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  target_compile_options(dpt_${name} PRIVATE -Wall -Wextra -Wno-missing-field-initializers)
  set_target_properties(dpt_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# dpt_torch_pch(<target>): precompile the heavy LibTorch header for a torch-heavy target
# (<torch/torch.h> costs ~12 s per translation unit without it).
function(dpt_torch_pch target)
  target_precompile_headers(${target} PRIVATE <torch/torch.h>)
endfunction()

# dpt_aten_pch(<target>): the same for targets that only need ATen tensors.
function(dpt_aten_pch target)
  target_precompile_headers(${target} PRIVATE <ATen/ATen.h>)
endfunction()
