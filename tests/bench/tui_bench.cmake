# The viewer's benchmarks (issue 4), included from tests/bench/CMakeLists.txt.
# Not run by ctest. tui_frame_bench: frame time with 100,000 processes while
# 10,000 events/s arrive; tui_idle_cpu.py: idle CPU against htop.
add_executable(tui_frame_bench ${CMAKE_CURRENT_LIST_DIR}/tui_frame_bench.cpp)
target_link_libraries(tui_frame_bench PRIVATE proctree_cli benchmark::benchmark)
# kept_exits_bench: memory per kept exited process, frame time with 100,000 kept.
add_executable(kept_exits_bench ${CMAKE_CURRENT_LIST_DIR}/kept_exits_bench.cpp)
target_link_libraries(kept_exits_bench PRIVATE proctree_cli fmt::fmt)
