# Use ccache when installed. The sloppiness settings let ccache cache translation units that
# use precompiled headers (see the ccache manual, "Precompiled headers"); CCACHE_BASEDIR makes
# paths inside the source tree relative, so two clones of the repository share cache entries.
find_program(DPT_CCACHE_PROGRAM ccache)
if(DPT_CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(_launcher ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}"
      ${DPT_CCACHE_PROGRAM})
  set(CMAKE_C_COMPILER_LAUNCHER ${_launcher})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${_launcher})
endif()
