# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (x86_64-w64-mingw32-*).
# Used by driver/windows/cross (through ExternalProject) to build proctree.sys,
# proctree-agent.exe and the Wine test client; usable on its own too:
#   cmake -S driver/windows/cross -B build-x -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.toolchain.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)

set(PROCTREE_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "mingw-w64 target triplet")
find_program(CMAKE_C_COMPILER ${PROCTREE_MINGW_PREFIX}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER ${PROCTREE_MINGW_PREFIX}-windres)
find_program(CMAKE_AR ${PROCTREE_MINGW_PREFIX}-ar)
find_program(CMAKE_RANLIB ${PROCTREE_MINGW_PREFIX}-ranlib)
find_program(CMAKE_OBJDUMP ${PROCTREE_MINGW_PREFIX}-objdump)

set(CMAKE_FIND_ROOT_PATH /usr/${PROCTREE_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
