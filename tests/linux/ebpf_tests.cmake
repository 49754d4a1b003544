# The eBPF collector's tests (issue 6), included from tests/linux/CMakeLists.txt.
add_executable(ebpf_translate_test ${CMAKE_CURRENT_LIST_DIR}/ebpf_translate_test.cpp)
target_link_libraries(ebpf_translate_test PRIVATE proctree_ebpf_translate proctree_linux GTest::gtest_main)
add_test(NAME ebpf_translate COMMAND ebpf_translate_test)
set_tests_properties(ebpf_translate PROPERTIES LABELS "linux;ebpf")
