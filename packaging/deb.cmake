# The .deb: `cpack -G DEB` in the build dir writes podtap_VERSION_ARCH.deb from the install
# rules (packaging/install.cmake and the targets' own). Included at the end of the top-level
# CMakeLists.txt. Checked by the ctest test tst_package (packaging/tests/check-deb.sh);
# packaging/README.md explains every choice and the lintian tags that remain.

set(PODTAP_PACKAGE_MAINTAINER "The podtap developers <maintainers@podtap.invalid>"
    CACHE STRING "Maintainer field of the .deb (Name <address>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME podtap)
set(CPACK_PACKAGE_VENDOR "The podtap developers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see and reuse the live traffic of a Kubernetes pod")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "podtap adds a read-only tap to a pod without cluster-admin rights and without
installing anything in the cluster: an ephemeral container that holds only the
NET_RAW capability and runs tcpdump over the Kubernetes exec API. Every TCP
connection is reassembled on this machine, where it can be watched, mirrored
to a local port, replayed and exported as pcap or pcapng for Wireshark. Before
touching the pod, podtap checks what the cluster allows (RBAC, Pod Security)
and says why not.

This package contains the command-line tool podtap and the per-user daemon
podtapd (started on demand, or as a systemd user service).")
set(CPACK_PACKAGE_HOMEPAGE_URL ${PODTAP_HOMEPAGE})
set(CPACK_PACKAGE_CONTACT "${PODTAP_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PODTAP_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # podtap_0.1.0_amd64.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON) # the build dir keeps the debug info

# Runtime dependencies: dpkg-shlibdeps reads the binaries' NEEDED libraries (Qt 6, libpcap,
# yaml-cpp, OpenSSL, libc, libstdc++). Qt's TLS and platform plugins ship in libqt6network6
# and libqt6gui6, which those bring in. Nothing runs tcpdump on this machine: the tap in the
# pod does. Wireshark or tshark open what `podtap export` writes; kubectl is handy but podtap
# never calls it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "wireshark | tshark")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl | kubernetes-client")
# Control files root:root 0644 (lintian: control-file-has-bad-permissions).
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Debian policy 12.5/12.7: /usr/share/doc/podtap/{copyright,changelog.gz}. A version without
# a Debian revision makes this a native package, so the changelog is changelog.gz.
set(PODTAP_DEB_VERSION ${CPACK_PACKAGE_VERSION})
string(TIMESTAMP PODTAP_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
set(_podtap_doc ${CMAKE_BINARY_DIR}/packaging/doc)
configure_file(packaging/debian/changelog.in ${_podtap_doc}/changelog @ONLY)
execute_process(COMMAND gzip -9n -c ${_podtap_doc}/changelog
                OUTPUT_FILE ${_podtap_doc}/changelog.gz RESULT_VARIABLE _podtap_gzip)
if(NOT _podtap_gzip EQUAL 0)
  message(FATAL_ERROR "gzip failed on ${_podtap_doc}/changelog")
endif()
install(FILES packaging/debian/copyright ${_podtap_doc}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/podtap)

if(TARGET podtap-gui)
  string(APPEND CPACK_DEBIAN_PACKAGE_DESCRIPTION "\n\nThe desktop app podtap-gui shows sessions and connections live and sits in the
system tray.")
endif()

# `make package_source` must never sweep build trees or .git into a tarball.
set(CPACK_SOURCE_GENERATOR TXZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")

include(CPack)

if(PODTAP_BUILD_TESTS)
  include(packaging/tests/tests.cmake)
endif()
