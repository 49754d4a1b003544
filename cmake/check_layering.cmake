# Fails when a layer includes what the layering forbids:
#  - model/: portable C++20 with std and fmt only: no OS headers, no ncurses,
#    no collector code;
#  - driver/ (collectors): never the model or the screen.
file(GLOB_RECURSE model_sources ${ROOT}/model/*.hpp ${ROOT}/model/*.cpp ${ROOT}/model/*.h)
set(model_forbidden
  "#include[ \t]*<(unistd|fcntl|dirent|pwd|signal|poll|dlfcn|termios|curses|ncurses|ncursesw/[a-z]+|windows|winternl|ntddk)\\.h>"
  "#include[ \t]*<(sys|linux|bpf|asm|netinet|arpa)/"
  "#include[ \t]*[<\"]proctree/(linux|windows)/"
  "#include[ \t]*[<\"]CLI/")
set(bad "")
foreach(f IN LISTS model_sources)
  file(READ ${f} text)
  foreach(re IN LISTS model_forbidden)
    if(text MATCHES "${re}")
      list(APPEND bad "${f}: ${CMAKE_MATCH_0}")
    endif()
  endforeach()
endforeach()
file(GLOB_RECURSE driver_sources ${ROOT}/driver/*.hpp ${ROOT}/driver/*.cpp ${ROOT}/driver/*.h ${ROOT}/driver/*.c)
foreach(f IN LISTS driver_sources)
  file(READ ${f} text)
  if(text MATCHES "#include[ \t]*[<\"](proctree/model/|curses|ncurses)[^>\"]*[>\"]")
    list(APPEND bad "${f}: ${CMAKE_MATCH_0}")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n  " msg)
  message(FATAL_ERROR "layering violated (see CMakeLists.txt):\n  ${msg}")
endif()
