# Install rules and the Debian package (cpack -G DEB, or ./dev package).
# The installed proctree needs nothing from the source or build tree: the
# eBPF object is compiled into it (the bpftool skeleton embeds it).
include(GNUInstallDirs)

install(TARGETS proctree RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROCTREE_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# Where bash-completion and zsh (Debian's vendor-completions) look.
install(FILES ${PROCTREE_BASH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME proctree)
install(FILES ${PROCTREE_ZSH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES README.md docs/wire-format.md docs/windows-driver.md tools/debian/copyright
              ${CMAKE_BINARY_DIR}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian keeps systemd units in /lib/systemd/system (lintian insists): a
# prefix ending in usr (/usr, or CPack's staging .../usr) puts the unit
# beside it; any other prefix gets it under its own lib/.
set(_unit ${CMAKE_CURRENT_SOURCE_DIR}/tui/install/proctree-record.service)
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"(^|/)usr/?$\")
    get_filename_component(_unit_root \"\${CMAKE_INSTALL_PREFIX}\" DIRECTORY)
  else()
    set(_unit_root \"\${CMAKE_INSTALL_PREFIX}\")
  endif()
  string(REGEX REPLACE \"/$\" \"\" _unit_root \"\${_unit_root}\")
  file(INSTALL DESTINATION \"\${_unit_root}/lib/systemd/system\" TYPE FILE FILES \"${_unit}\")
")

if(TARGET proctree_windows)
  install(FILES ${PROCTREE_WINDOWS_BIN}/proctree.sys ${PROCTREE_WINDOWS_BIN}/proctree-agent.exe
                driver/windows/proctree.inf
          DESTINATION ${CMAKE_INSTALL_DATADIR}/proctree/windows)
endif()

# Debian wants a changelog in the package's doc directory, compressed.
string(TIMESTAMP _changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${CMAKE_BINARY_DIR}/changelog
  "proctree (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from the proctree source tree (see README.md).\n\n"
  " -- proctree maintainers <maintainers@proctree.invalid>  ${_changelog_date}\n")
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/changelog.gz
  COMMAND gzip -9n -c ${CMAKE_BINARY_DIR}/changelog > ${CMAKE_BINARY_DIR}/changelog.gz
  DEPENDS ${CMAKE_BINARY_DIR}/changelog VERBATIM)
add_custom_target(proctree_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/changelog.gz)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME proctree)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "proctree maintainers <maintainers@proctree.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # proctree_VERSION_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "live process tree fed by kernel events")
# Debian's extended description: one space before each line, " ." between
# paragraphs (CPack adds the leading space to each line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "proctree shows the tree of running processes in the terminal and updates it
from kernel events instead of polling, so it sees processes that live for a
millisecond, with their command lines, exit statuses and lifetimes. A process
is identified by its PID and start time, so reused PIDs are never confused.
.
Events come from eBPF on the scheduler tracepoints, the netlink proc
connector, or /proc polling; streams can be recorded, replayed, decoded as
JSON, and read from a Windows machine running the proctree driver and agent.
The flight recorder service proctree-record keeps a rotating recording in
/var/lib/proctree (installed, not enabled).")
include(CPack)
