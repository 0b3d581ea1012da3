#!/usr/bin/env bash
# Builds mpp's Debian package from a build tree with CPack, unpacks it into a scratch root (no
# dpkg -i: nothing on the machine changes), then uses it as a user without CMake would: a program
# built with pkg-config only, and the packaged mpp-run. Run by CTest as ConsumerDebPackage:
#   [CPACK=<cpack>] run-deb-test.sh BUILD_DIR SCRATCH_DIR CONSUMER_SOURCE_DIR CXX [MPIRUN...]
# With MPIRUN (mpp built with MPI), the MPI consumer is built from mpp-mpi.pc and run on 3 ranks.
set -euo pipefail

build_dir=$1 scratch=$2 sources=$3 cxx=$4
shift 4
mpirun=("$@")

step() { echo "deb test: $*"; }
fail() { echo "deb test: FAILED: $*" >&2; exit 1; }

rm -rf "$scratch"
mkdir -p "$scratch"

step "cpack -G DEB from $build_dir"
"${CPACK:-cpack}" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/cpack" >"$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log"; fail "cpack did not build the package"; }
debs=("$scratch"/cpack/*.deb)
((${#debs[@]} == 1)) && [[ -f ${debs[0]} ]] || fail "expected one .deb in $scratch/cpack, found: ${debs[*]}"
deb=${debs[0]}

step "the package's control fields"
dpkg-deb --field "$deb"
[[ $(dpkg-deb --field "$deb" Package) == mpp ]] || fail "the package is not named mpp"
depends=$(dpkg-deb --field "$deb" Depends)
for needed in libcsv-dev libcereal-dev libc6 libstdc++6; do
  [[ $depends == *"$needed"* ]] || fail "Depends lacks $needed: $depends"
done

root=$scratch/root
step "unpack into $root"
dpkg-deb -x "$deb" "$root"
for file in usr/bin/mpp-run usr/include/mpp/mpp.hpp usr/lib/libmpp.a usr/lib/pkgconfig/mpp.pc \
  usr/lib/cmake/mpp/mppConfig.cmake; do
  [[ -e $root/$file ]] || fail "the package lacks /$file"
done

# The unpacked tree first; the system's directories stay on the path for Open MPI's ompi-c.pc.
export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
pcfiledir=$(pkg-config --variable=pcfiledir mpp)
[[ $(realpath "$pcfiledir") == $(realpath "$root/usr/lib/pkgconfig") ]] ||
  fail "pkg-config found mpp.pc in $pcfiledir, not in the unpacked package"
read -ra flags <<<"$(pkg-config --cflags --libs mpp)"
step "build a program with pkg-config only: $cxx -std=c++20 main.cpp ${flags[*]}"
"$cxx" -std=c++20 "$sources/main.cpp" -o "$scratch/mpp-consumer" "${flags[@]}"
"$scratch/mpp-consumer"

if ((${#mpirun[@]})); then
  read -ra mpi_flags <<<"$(pkg-config --cflags --libs mpp-mpi)"
  step "build the MPI program with pkg-config only: ${mpi_flags[*]}"
  "$cxx" -std=c++20 "$sources/mpi_main.cpp" -o "$scratch/mpp-consumer-mpi" "${mpi_flags[@]}"
  "${mpirun[@]}" 3 "$scratch/mpp-consumer-mpi"
fi

step "run the packaged mpp-run"
"$root/usr/bin/mpp-run" --version
out=$("$root/usr/bin/mpp-run" -k echo ::: one two three)
[[ $out == $'one\ntwo\nthree' ]] || fail "mpp-run -k echo ::: one two three printed: $out"
step "passed"
