# The model is portable: its archive may reference C++ runtime/std/fmt
# symbols and a few pure C library functions, nothing that talks to an OS
# (open, read, socket, clock_gettime ...) or a screen (ncurses), and no
# clock of its own (time comes through events and advance()).
execute_process(COMMAND nm -u ${ARCHIVE} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${ARCHIVE}")
endif()
string(REGEX MATCHALL "U [^\n]+" refs "${undefined}")
set(allowed "^U (_Z|__cxa_|_Unwind_|__gxx_personality|__stack_chk_fail|__dso_handle|_GLOBAL_OFFSET_TABLE_)"
            "^U (memcmp|memcpy|memmove|memset|memchr|strlen|strcmp|tolower|toupper|abort)$"
            # libstdc++'s shared_ptr reads this libc flag to skip atomics; no OS call.
            "^U __libc_single_threaded$"
            # A sanitizer build's instrumentation hooks: no OS call of the model's own.
            "^U __(asan|ubsan|tsan|sanitizer)_")
set(bad "")
foreach(ref IN LISTS refs)
  set(ok FALSE)
  foreach(re IN LISTS allowed)
    if(ref MATCHES "${re}")
      set(ok TRUE)
    endif()
  endforeach()
  if(ref MATCHES "system_clock3now|steady_clock3now|basic_ifstream|basic_ofstream|std6thread")
    set(ok FALSE)
  endif()
  if(NOT ok)
    list(APPEND bad "${ref}")
  endif()
endforeach()
if(bad)
  list(REMOVE_DUPLICATES bad)
  list(JOIN bad "\n  " msg)
  message(FATAL_ERROR "the model references OS/screen/clock symbols:\n  ${msg}")
endif()
message(STATUS "model layering ok: ${ARCHIVE}")
