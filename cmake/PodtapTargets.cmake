# Shared settings for every podtap target, and the one test helper.

# Strict Qt string handling and warnings on every target we define.
function(podtap_target_defaults target)
  target_compile_definitions(${target} PRIVATE
    QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_URL_CAST_FROM_STRING
    QT_USE_QSTRINGBUILDER QT_NO_FOREACH QT_NO_KEYWORDS)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  set_target_properties(${target} PROPERTIES AUTOMOC ON)
endfunction()

# podtap_add_test(NAME tst_x SOURCES a.cpp LIBS lib... [LABEL unit|integration|e2e] [TIMEOUT s])
function(podtap_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  podtap_target_defaults(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE Qt6::Test ${T_LIBS})
  target_compile_definitions(${T_NAME} PRIVATE
    SRCDIR="${CMAKE_CURRENT_SOURCE_DIR}"
    BINDIR="${CMAKE_BINARY_DIR}")
  # Results also go to test-results/NAME.txt, where scripts/check-skips finds every QSKIP
  # (ctest would call a test with a skipped function "Passed").
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/test-results)
  add_test(NAME ${T_NAME}
           COMMAND ${T_NAME} -o ${CMAKE_BINARY_DIR}/test-results/${T_NAME}.txt,txt -o -,txt)
  set_tests_properties(${T_NAME} PROPERTIES
    TIMEOUT ${T_TIMEOUT}
    LABELS ${T_LABEL}
    # A suite skipped whole (its initTestCase) is "Not Run" in ctest's summary, not "Passed".
    SKIP_REGULAR_EXPRESSION "SKIP   : [A-Za-z_0-9]+::initTestCase\\(\\)"
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;PODTAP_BINDIR=${CMAKE_BINARY_DIR}")
endfunction()
