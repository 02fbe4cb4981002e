# Writes a gzip'ed man page from a template and the program's own --help, so the page
# cannot drift from the binary.
#   cmake -DPROGRAM=path -DSTYLE=dispatcher|qt -DTEMPLATE=x.1.in -DOUTPUT=x.1.gz
#         -DVERSION=0.1.0 -P genman.cmake
# STYLE dispatcher: podtap's "commands:" list, each expanded from `podtap COMMAND --help`.
# STYLE qt: QCommandLineParser's help; its "Options:" block goes in verbatim.
cmake_minimum_required(VERSION 3.25)
foreach(v PROGRAM STYLE TEMPLATE OUTPUT VERSION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "genman.cmake: -D${v}= is required")
  endif()
endforeach()

function(run_help out)
  execute_process(COMMAND ${PROGRAM} ${ARGN} --help
                  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR text STREQUAL "")
    message(FATAL_ERROR "genman.cmake: '${PROGRAM} ${ARGN} --help' failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Text to roff: backslashes and minus signs escaped, no line may start a request.
function(roff out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

run_help(help)
if(STYLE STREQUAL "dispatcher")
  # "  NAME SYNOPSIS" lines name the commands; each one's own --help gives
  # "usage: podtap NAME SYNOPSIS", indented continuation lines, then the summary.
  string(REGEX MATCHALL "\n  [a-z][a-z-]* " names "${help}")
  set(MAN_COMMANDS "")
  foreach(name IN LISTS names)
    string(STRIP "${name}" name)
    run_help(one ${name})
    string(REGEX REPLACE "\n$" "" one "${one}")
    string(REGEX MATCH "[^\n]*$" summary "${one}")
    string(LENGTH "${one}" total)
    string(LENGTH "${summary}" slen)
    math(EXPR synlen "${total} - ${slen}")
    string(SUBSTRING "${one}" 0 ${synlen} synopsis)
    string(REGEX REPLACE "^usage: " "" synopsis "${synopsis}")
    string(REGEX REPLACE "\n$" "" synopsis "${synopsis}")
    roff(synopsis "${synopsis}")
    roff(summary "${summary}")
    string(APPEND MAN_COMMANDS ".SS ${name}\n.nf\n${synopsis}\n.fi\n${summary}\n")
  endforeach()
  if(MAN_COMMANDS STREQUAL "")
    message(FATAL_ERROR "genman.cmake: no commands in '${PROGRAM} --help'")
  endif()
elseif(STYLE STREQUAL "qt")
  string(FIND "${help}" "\nOptions:\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "genman.cmake: no 'Options:' in '${PROGRAM} --help'")
  endif()
  math(EXPR at "${at} + 10")
  string(SUBSTRING "${help}" ${at} -1 options)
  string(REGEX REPLACE "\n+$" "" options "${options}")
  roff(options "${options}")
  set(MAN_OPTIONS ".nf\n${options}\n.fi")
else()
  message(FATAL_ERROR "genman.cmake: STYLE must be dispatcher or qt")
endif()

set(MAN_VERSION "${VERSION}")
string(TIMESTAMP MAN_DATE "%Y-%m-%d" UTC) # honours SOURCE_DATE_EPOCH
get_filename_component(page "${OUTPUT}" NAME_WLE)
configure_file(${TEMPLATE} ${OUTPUT}.tmp/${page} @ONLY)
# gzip -9n: maximum compression, no name or timestamp in the header (Debian policy 12.3).
execute_process(COMMAND gzip -9n -c ${OUTPUT}.tmp/${page} OUTPUT_FILE ${OUTPUT}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "genman.cmake: gzip failed")
endif()
