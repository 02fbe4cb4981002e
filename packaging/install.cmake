# Install rules beyond the executables (whose install(TARGETS) live beside them): the systemd
# user unit, shell completions, man pages generated from --help, and, once podtap-gui exists,
# its desktop entry, AppStream metainfo and icon. Included at the end of the top-level
# CMakeLists.txt, after every target is defined. See packaging/README.md.

set(PODTAP_HOMEPAGE "https://github.com/podtap/podtap")
set(PODTAP_APPSTREAM_ID "io.github.podtap.podtap")

# systemd user unit: ExecStart needs the absolute path of podtapd *as installed*, which only
# the install step knows (`cmake --install --prefix`, and CPack installs to /usr while the
# build dir's CMAKE_INSTALL_PREFIX is /usr/local), so the unit is configured at install time.
# Always under lib/, never the multiarch LIBDIR: systemd only looks in {/usr,/usr/local}/lib.
set(_podtap_unit ${CMAKE_BINARY_DIR}/packaging/install/podtapd.service)
install(CODE "
  set(CMAKE_INSTALL_FULL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  if(NOT IS_ABSOLUTE \"\${CMAKE_INSTALL_FULL_BINDIR}\")
    set(CMAKE_INSTALL_FULL_BINDIR \"\${CMAKE_INSTALL_PREFIX}/\${CMAKE_INSTALL_FULL_BINDIR}\")
  endif()
  configure_file(\"${PROJECT_SOURCE_DIR}/resources/systemd/podtapd.service.in\"
                 \"${_podtap_unit}\" @ONLY)
")
install(FILES ${_podtap_unit} DESTINATION lib/systemd/user)

# Shell completions for podtap (kept in sync with `podtap --help` by tst_completions).
set(PODTAP_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "Where bash-completion finds completions (relative: under the prefix)")
install(FILES resources/completions/podtap.bash DESTINATION ${PODTAP_BASH_COMPLETION_DIR}
        RENAME podtap)
# zsh: Debian's fpath has /usr/share/zsh/vendor-completions, every zsh has
# PREFIX/share/zsh/site-functions; the prefix is known only at install time (as above).
set(PODTAP_ZSH_COMPLETION_DIR "" CACHE STRING
    "A folder on zsh's fpath (empty: vendor-completions under /usr, else site-functions)")
install(CODE "
  set(_dir \"${PODTAP_ZSH_COMPLETION_DIR}\")
  if(_dir STREQUAL \"\")
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(_dir \"${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions\")
    else()
      set(_dir \"${CMAKE_INSTALL_DATADIR}/zsh/site-functions\")
    endif()
  endif()
  if(NOT IS_ABSOLUTE \"\${_dir}\")
    set(_dir \"\${CMAKE_INSTALL_PREFIX}/\${_dir}\")
  endif()
  file(INSTALL DESTINATION \"\${_dir}\" TYPE FILE
       FILES \"${PROJECT_SOURCE_DIR}/resources/completions/_podtap\")
")

# Hardening of what we ship: full RELRO (lintian: hardening-no-bindnow). Link-time only, so
# it needs nothing from the libraries the executables link.
foreach(_exe podtap podtapd podtap-gui)
  if(TARGET ${_exe})
    target_link_options(${_exe} PRIVATE LINKER:-z,now)
  endif()
endforeach()

# Man pages, generated from each program's --help at build time (packaging/man/genman.cmake).
function(podtap_man_page target style)
  set(page ${CMAKE_BINARY_DIR}/packaging/man/${target}.1.gz)
  set(template ${PROJECT_SOURCE_DIR}/packaging/man/${target}.1.in)
  add_custom_command(
    OUTPUT ${page}
    # offscreen: podtap-gui builds a QApplication before it parses --help
    COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen
            ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${target}> -DSTYLE=${style}
            -DTEMPLATE=${template} -DOUTPUT=${page} -DVERSION=${PROJECT_VERSION}
            -P ${PROJECT_SOURCE_DIR}/packaging/man/genman.cmake
    DEPENDS ${target} ${template} ${PROJECT_SOURCE_DIR}/packaging/man/genman.cmake
    COMMENT "Generating the man page of ${target} from its --help"
    VERBATIM)
  add_custom_target(${target}_man ALL DEPENDS ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
podtap_man_page(podtap dispatcher)
podtap_man_page(podtapd qt)

# The desktop app. Its files are valid today (tst_packaging_files validates them) but are
# installed only with the app itself.
if(TARGET podtap-gui)
  podtap_man_page(podtap-gui qt)
  install(FILES resources/desktop/podtap-gui.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES resources/metainfo/${PODTAP_APPSTREAM_ID}.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  # The app icon, named "podtap" (Icon= in the desktop entry): the SVG, and PNGs rendered
  # from it at build time for desktops and tools that do not read SVG.
  install(FILES resources/icons/podtap.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Gui Svg)
  set(podtap_icon_sizes 16 22 24 32 48 64 128 256 512)
  add_executable(podtap-rendericons packaging/rendericons.cpp)
  podtap_target_defaults(podtap-rendericons)
  target_link_libraries(podtap-rendericons PRIVATE Qt6::Gui Qt6::Svg)
  set(podtap_icon_dir ${CMAKE_BINARY_DIR}/icons)
  set(podtap_icon_pngs)
  foreach(size IN LISTS podtap_icon_sizes)
    list(APPEND podtap_icon_pngs ${podtap_icon_dir}/podtap-${size}.png)
  endforeach()
  add_custom_command(
    OUTPUT ${podtap_icon_pngs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${podtap_icon_dir}
    COMMAND podtap-rendericons ${PROJECT_SOURCE_DIR}/resources/icons/podtap.svg
            ${podtap_icon_dir} ${podtap_icon_sizes}
    DEPENDS podtap-rendericons ${PROJECT_SOURCE_DIR}/resources/icons/podtap.svg
    COMMENT "Rendering the app icon to PNG"
    VERBATIM)
  add_custom_target(podtap_icons ALL DEPENDS ${podtap_icon_pngs})
  foreach(size IN LISTS podtap_icon_sizes)
    install(FILES ${podtap_icon_dir}/podtap-${size}.png
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
            RENAME podtap.png)
  endforeach()
endif()
