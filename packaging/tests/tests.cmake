# ctest tests of what packaging/ produces. Included by packaging/deb.cmake when tests are built.

# The completions offer exactly the commands and options `podtap --help` documents.
add_test(NAME tst_completions
         COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/tests/check-completions.sh
                 $<TARGET_FILE:podtap> ${PROJECT_SOURCE_DIR}/resources/completions/podtap.bash
                 ${PROJECT_SOURCE_DIR}/resources/completions/_podtap)
set_tests_properties(tst_completions PROPERTIES LABELS unit TIMEOUT 120)

# Desktop entry, metainfo, systemd unit, completions and man pages pass their validators.
add_test(NAME tst_packaging_files
         COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/tests/check-files.sh
                 ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR} $<TARGET_FILE:podtapd>)
set_tests_properties(tst_packaging_files PROPERTIES LABELS unit TIMEOUT 120)

# cpack -G DEB, the package's fields and files, lintian, then (root only) apt-get install of
# the .deb, the installed programs run from /usr/bin, and apt-get purge. RUN_SERIAL: while
# the package is installed, no other test may find /usr/bin/podtapd on PATH.
add_test(NAME tst_package
         COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/tests/check-deb.sh
                 ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(tst_package PROPERTIES LABELS package TIMEOUT 900 RUN_SERIAL ON
                                            SKIP_RETURN_CODE 77)
