# Warnings and sanitizers shared by every nasgen target.
function(nasgen_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(NASGEN_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# nasgen_add_tool(name source...): a command-line tool in trainers/, linked with everything.
function(nasgen_add_tool name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE nas::generators)
  nasgen_target_defaults(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()
