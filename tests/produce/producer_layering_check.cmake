# The producers' archives keep the layering (cmake/check_layering.cmake checks
# the includes; this checks what is actually linked): the neutral core uses
# no leaf and no Linux base; the Linux base uses no leaf; a leaf source uses
# neither another leaf nor the model. A strong definition (T, D, B, R) in one
# archive that another references is a dependency; weak ones (inline
# functions, templates) are emitted everywhere and say nothing.
function(defined_in archive out)
  execute_process(COMMAND ${NM} -g --defined-only ${archive} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm failed on ${archive}")
  endif()
  string(REGEX MATCHALL "[0-9a-f]+ [TDBR] [^\n]+" lines "${text}")
  list(TRANSFORM lines REPLACE "^[0-9a-f]+ [TDBR] " "")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

function(undefined_in archive out)
  execute_process(COMMAND ${NM} -u ${archive} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm failed on ${archive}")
  endif()
  string(REGEX MATCHALL "U [^\n]+" lines "${text}")
  list(TRANSFORM lines REPLACE "^U " "")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

set(bad "")
# user: the archive whose references are checked; forbidden: archives it must not use.
function(must_not_use user_name user)
  undefined_in(${user} refs)
  foreach(name IN LISTS ARGN)
    defined_in(${${name}} defs)
    foreach(sym IN LISTS defs)
      set("def:${sym}" TRUE)
    endforeach()
    foreach(sym IN LISTS refs)
      if(DEFINED "def:${sym}")
        list(APPEND bad "${user_name} uses ${name}: ${sym}")
      endif()
    endforeach()
    foreach(sym IN LISTS defs)
      unset("def:${sym}")
    endforeach()
  endforeach()
  set(bad "${bad}" PARENT_SCOPE)
endfunction()

# PT_<name>: the archive of proctree_<name> (CMake predefines LINUX itself).
must_not_use(produce ${PT_PRODUCE} PT_PROCFS PT_LINUX PT_EBPF PT_MODEL)
must_not_use(procfs ${PT_PROCFS} PT_LINUX PT_EBPF PT_MODEL)
must_not_use(linux ${PT_LINUX} PT_EBPF PT_MODEL)
must_not_use(ebpf ${PT_EBPF} PT_LINUX PT_MODEL)

if(bad)
  list(REMOVE_DUPLICATES bad)
  list(JOIN bad "\n  " msg)
  message(FATAL_ERROR "producer layering violated:\n  ${msg}")
endif()
message(STATUS "producer layering ok")
