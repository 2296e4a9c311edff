# Sourced, not run. Points a build and its programs at the private prefix that
# tests/gpu/fetch_debs.sh made (OpenMPI, parallel HDF5, Boost.Program_options, GoogleTest from
# Debian 12, unpacked under one folder instead of /).
#
#   source tests/gpu/prefix_env.sh
#   dpt_prefix_setup /tmp/dpt-prefix        # after: tar -xJf prefix.tar.xz -C /tmp/dpt-prefix
#   cmake ... "${DPT_PREFIX_CMAKE_ARGS[@]}"
#   dpt_prefix_run ./build/dptrain ...      # the runtime environment, for this command only
#
# Only programs of ours run with the prefix's libraries on LD_LIBRARY_PATH: compilers, CMake and
# Python keep the host's (Note [Core and fallback packages] in fetch_debs.sh).
# DPT_PREFIX_EXPOSE_ALL=1 exposes every fallback library, as on a host that has none of them
# (how the prefix is checked on a Debian machine that has them all).

dpt_prefix_setup() {
  local root=$1
  local core=$root/core
  local arch=x86_64-linux-gnu
  [[ -d $core/usr/lib/$arch/openmpi ]] || { echo "dpt_prefix_setup: no unpacked prefix in $root" >&2; return 1; }
  DPT_PREFIX=$root
  DPT_PREFIX_MPI_BIN=$core/usr/bin

  # Fallback libraries whose soname the host lacks, as links in one folder.
  local exposed=$root/fallback-exposed known name
  rm -rf "$exposed" && mkdir -p "$exposed"
  known=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | awk '/=>/ {print $1}' | sort -u)
  DPT_PREFIX_EXPOSED=()
  for lib in "$root"/fallback/usr/lib/$arch/lib*.so.* "$root"/fallback/lib/$arch/lib*.so.*; do
    [[ -e $lib ]] || continue
    name=${lib##*/}
    if [[ ${DPT_PREFIX_EXPOSE_ALL:-0} == 1 ]] || ! grep -qxF "$name" <<<"$known"; then
      ln -sf "$(readlink -f "$lib")" "$exposed/$name"
      [[ $name =~ \.so\.[0-9]+$ ]] && DPT_PREFIX_EXPOSED+=("$name")
    fi
  done

  DPT_PREFIX_LIBRARY_PATH=$core/usr/lib/$arch/openmpi/lib:$core/usr/lib/$arch/hdf5/openmpi:$core/usr/lib/$arch
  DPT_PREFIX_LIBRARY_PATH+=:$core/lib/$arch:$core/usr/lib/libpsm1:$exposed

  # CMake: MPI through its (relocated) compiler wrappers is avoided on purpose; the headers and
  # libraries are named directly, so configuring needs no OPAL_PREFIX and runs no program of
  # the prefix. HDF5: Debian's per-flavour root (include -> ../../../../include/hdf5/openmpi,
  # lib -> .), found without the h5pcc wrapper. Boost and GoogleTest: their CMake configs.
  local ompi=$core/usr/lib/$arch/openmpi
  DPT_PREFIX_CMAKE_ARGS=(
    -DMPI_C_COMPILER=NOTFOUND -DMPI_CXX_COMPILER=NOTFOUND
    -DMPI_C_HEADER_DIR=$ompi/include -DMPI_CXX_HEADER_DIR=$ompi/include
    -DMPI_C_LIB_NAMES=mpi -DMPI_CXX_LIB_NAMES=mpi -DMPI_mpi_LIBRARY=$ompi/lib/libmpi.so
    -DMPI_CXX_SKIP_MPICXX=ON
    -DMPIEXEC_EXECUTABLE=$core/usr/bin/mpirun.openmpi
    -DHDF5_ROOT=$core/usr/lib/$arch/hdf5/openmpi -DHDF5_C_COMPILER_EXECUTABLE=NOTFOUND
    -DHDF5_NO_FIND_PACKAGE_CONFIG_FILE=ON
    -DBoost_DIR=$core/usr/lib/$arch/cmake/Boost-1.74.0 -DBoost_NO_SYSTEM_PATHS=ON
    -DGTest_DIR=$core/usr/lib/$arch/cmake/GTest
    # The linker resolves the prefix libraries' own dependencies (libcurl for HDF5, ...) here.
    "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$DPT_PREFIX_LIBRARY_PATH"
    "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,-rpath-link,$DPT_PREFIX_LIBRARY_PATH"
  )
}

# Runs "$@" with the prefix's libraries and a relocated Open MPI (OPAL_PREFIX, its help files,
# its MCA parameter file) and PMIx. Shared-memory transport only: one node, no network; no
# single-copy (CMA) between ranks, which containers and VMs often refuse (ptrace rules).
dpt_prefix_run() {
  local core=$DPT_PREFIX/core
  LD_LIBRARY_PATH=$DPT_PREFIX_LIBRARY_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  OPAL_PREFIX=$core/usr OPAL_SYSCONFDIR=$core/etc/openmpi \
  PMIX_INSTALL_PREFIX=$core/usr PMIX_MCA_pcompress_base_silence_warning=1 \
  OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none \
  OMPI_MCA_pml=ob1 OMPI_MCA_mtl=^ofi,psm,psm2 OMPI_MCA_osc=^ucx,pt2pt \
  OMPI_MCA_mca_base_component_show_load_errors=0 OMPI_MCA_rmaps_base_oversubscribe=1 \
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  PATH=$core/usr/bin:$PATH \
  "$@"
}

# mpirun of the prefix: dpt_prefix_mpirun -np 1 ./build/dptrain ...
dpt_prefix_mpirun() { dpt_prefix_run "$DPT_PREFIX_MPI_BIN/mpirun.openmpi" "$@"; }
