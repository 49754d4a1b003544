# The eBPF collector's tests (issue 6), included from tests/linux/CMakeLists.txt.
add_executable(ebpf_translate_test ${CMAKE_CURRENT_LIST_DIR}/ebpf_translate_test.cpp)
target_link_libraries(ebpf_translate_test PRIVATE proctree_ebpf_translate GTest::gtest_main)
add_test(NAME ebpf_translate COMMAND ebpf_translate_test)
set_tests_properties(ebpf_translate PROPERTIES LABELS "linux;ebpf")

# Real processes, the real kernel, `proctree record --source ebpf` and
# `proctree decode`. They fail (never skip) when the eBPF source cannot load,
# including when clang, bpftool, libbpf or BTF were missing at build time;
# only a deliberate -DPROCTREE_EBPF=OFF leaves them out.
if(NOT PROCTREE_EBPF)
  return()
endif()
set(PROCTREE_PYTHON3 /usr/bin/python3)  # Debian's, not whatever python3 is first on PATH
add_executable(ebpf_thread_helper ${CMAKE_CURRENT_LIST_DIR}/ebpf_thread_helper.c)
target_link_libraries(ebpf_thread_helper PRIVATE Threads::Threads)
# Never instrumented: a sanitizer runtime's own thread would outlive the
# leader's exit this helper stages, and the process would never end.
target_compile_options(ebpf_thread_helper PRIVATE -fno-sanitize=all)
target_link_options(ebpf_thread_helper PRIVATE -fno-sanitize=all)
foreach(case storm detach start_time loss threads verifier usage)
  add_test(NAME ebpf_${case}
           COMMAND ${PROCTREE_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/ebpf_collector_test.py
                   --proctree $<TARGET_FILE:proctree> --thread-helper $<TARGET_FILE:ebpf_thread_helper> ${case})
  set_tests_properties(ebpf_${case} PROPERTIES LABELS "linux;ebpf" TIMEOUT 600)
endforeach()
# Storms and bursts must not overlap other storms (timing, ring capacity).
set_tests_properties(ebpf_storm ebpf_loss PROPERTIES RESOURCE_LOCK proc_storm LABELS "linux;ebpf;storm")
set_tests_properties(ebpf_detach ebpf_threads PROPERTIES LABELS "linux;ebpf;threads")

# The collector suite's run against this source carries the label too.
if(TEST linux_live_tree_ebpf)
  set_tests_properties(linux_live_tree_ebpf PROPERTIES LABELS "linux;ebpf;threads")
endif()
