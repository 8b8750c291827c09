# SPDX-License-Identifier: MIT
# Compiler flags shared by every target: C11 with GNU extensions, strict
# warnings, optional -Werror and sanitizers.
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
# Every file is built with _GNU_SOURCE; sources must not define it again.
add_compile_definitions(_GNU_SOURCE)

add_compile_options(-Wall -Wextra -Wshadow
                    "$<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes;-Wmissing-prototypes>"
                    -Wno-unused-parameter -Wformat=2 -Wvla -fno-strict-aliasing)
if(PX_WERROR)
  add_compile_options(-Werror)
endif()

if(PX_SANITIZE)
  if(PX_SANITIZE STREQUAL "thread")
    set(px_san "-fsanitize=thread")
  elseif(PX_SANITIZE MATCHES "^(address|undefined|address,undefined|undefined,address)$")
    set(px_san "-fsanitize=${PX_SANITIZE}" "-fno-sanitize-recover=undefined")
  else()
    message(FATAL_ERROR "PX_SANITIZE must be 'address,undefined' or 'thread', not '${PX_SANITIZE}'")
  endif()
  add_compile_options(${px_san} -fno-omit-frame-pointer)
  add_link_options(${px_san})
  message(STATUS "Parallax: sanitizers ${PX_SANITIZE}")
endif()
