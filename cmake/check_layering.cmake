cmake_policy(SET CMP0057 NEW)  # if(IN_LIST)
# Fails when a layer includes what the layering forbids (the archives are
# checked too: tests/model/layering_check.cmake, tests/produce/producer_layering_check.cmake):
#  - model/: portable C++20 with std and fmt only: no OS headers, no ncurses,
#    no producer code;
#  - driver/ (producers): never the model or the screen;
#  - driver/common/ (the neutral producer core): no leaf, no OS-specific header;
#  - the Linux base (/proc reading and snapshot) includes no leaf;
#  - a leaf source (driver/linux/src: proc connector and poll; driver/linux/ebpf)
#    includes no other leaf.
set(bad "")
function(forbid files)
  foreach(f IN LISTS files)
    file(READ ${f} text)
    foreach(re IN LISTS ARGN)
      string(REGEX MATCHALL "${re}" hits "${text}")
      foreach(hit IN LISTS hits)
        list(APPEND bad "${f}: ${hit}")
      endforeach()
    endforeach()
  endforeach()
  set(bad "${bad}" PARENT_SCOPE)
endfunction()

set(os_headers
  "#include[ \t]*<(unistd|fcntl|dirent|pwd|signal|poll|dlfcn|termios|windows|winternl|ntddk)\\.h>"
  "#include[ \t]*<(sys|linux|bpf|asm|netinet|arpa)/")
set(screen_headers "#include[ \t]*[<\"](curses|ncurses|ncursesw/)[^>\"]*[>\"]")

file(GLOB_RECURSE model_sources ${ROOT}/model/*.hpp ${ROOT}/model/*.cpp ${ROOT}/model/*.h)
forbid("${model_sources}" ${os_headers} ${screen_headers}
  "#include[ \t]*[<\"]proctree/(linux|windows|ebpf|produce)/[^>\"]*[>\"]"
  "#include[ \t]*[<\"]CLI/[^>\"]*[>\"]")

file(GLOB_RECURSE driver_sources ${ROOT}/driver/*.hpp ${ROOT}/driver/*.cpp ${ROOT}/driver/*.h ${ROOT}/driver/*.c)
forbid("${driver_sources}" ${screen_headers} "#include[ \t]*[<\"]proctree/model/[^>\"]*[>\"]")

# The core: POSIX file descriptors (unistd.h) are all the OS it may name.
file(GLOB_RECURSE common_sources ${ROOT}/driver/common/*)
forbid("${common_sources}"
  "#include[ \t]*<(fcntl|dirent|pwd|dlfcn|windows|winternl|ntddk)\\.h>"
  "#include[ \t]*<(linux|bpf|asm|netinet|arpa)/"
  "#include[ \t]*[<\"]proctree/(linux|windows|ebpf)/[^>\"]*[>\"]")

# Internal headers of the proc connector/poll leaf (driver/linux/src) that are
# not part of the Linux base.
set(linux_base procfs.cpp snapshot.cpp clock.cpp image_file_reader.cpp procfs_text.hpp proc_records.hpp)
file(GLOB linux_src_files RELATIVE ${ROOT}/driver/linux/src ${ROOT}/driver/linux/src/*)
set(leaf_internal_headers "")
foreach(name IN LISTS linux_src_files)
  if(name MATCHES "\\.hpp$" AND NOT name IN_LIST linux_base)
    string(REPLACE "." "\\." escaped "${name}")
    list(APPEND leaf_internal_headers "#include[ \t]*\"${escaped}\"")
  endif()
endforeach()
set(linux_leaf_header "#include[ \t]*[<\"]proctree/linux/source\\.hpp[>\"]")

set(base_sources ${ROOT}/driver/linux/include/proctree/linux/procfs.hpp
                 ${ROOT}/driver/linux/include/proctree/linux/snapshot.hpp
                 ${ROOT}/driver/linux/include/proctree/linux/clock.hpp
                 ${ROOT}/driver/linux/include/proctree/linux/image_file_reader.hpp)
foreach(name IN LISTS linux_base)
  list(APPEND base_sources ${ROOT}/driver/linux/src/${name})
endforeach()
forbid("${base_sources}" ${linux_leaf_header} ${leaf_internal_headers}
  "#include[ \t]*[<\"]proctree/ebpf/[^>\"]*[>\"]")

file(GLOB linux_leaf_sources ${ROOT}/driver/linux/src/* ${ROOT}/driver/linux/include/proctree/linux/*)
forbid("${linux_leaf_sources}"
  "#include[ \t]*[<\"](proctree/ebpf/[^>\"]*|translate\\.hpp|pt_bpf_event\\.h|proctree\\.skel\\.h)[>\"]")

file(GLOB_RECURSE ebpf_sources ${ROOT}/driver/linux/ebpf/*.hpp ${ROOT}/driver/linux/ebpf/*.cpp
                                ${ROOT}/driver/linux/ebpf/*.h ${ROOT}/driver/linux/ebpf/*.c)
forbid("${ebpf_sources}" ${linux_leaf_header} ${leaf_internal_headers})

# The NATS transport is a leaf: the core and libnats, no other leaf.
file(GLOB_RECURSE nats_sources ${ROOT}/driver/nats/*.hpp ${ROOT}/driver/nats/*.cpp)
forbid("${nats_sources}" ${linux_leaf_header} ${leaf_internal_headers}
  "#include[ \t]*[<\"]proctree/(linux|ebpf|windows)/[^>\"]*[>\"]")

if(bad)
  list(JOIN bad "\n  " msg)
  message(FATAL_ERROR "layering violated (see docs/architecture.md):\n  ${msg}")
endif()
