# Included from tests/connectors/CMakeLists.txt: the receiver's integration tests.
sessiondx_add_test(test_webhook_server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_server.cpp
  LIBS sessiondx_webhook sessiondx_test_http nlohmann_json::nlohmann_json)
sessiondx_add_test(test_webhook_signature
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_signature.cpp ${CMAKE_CURRENT_LIST_DIR}/test_gzip.cpp
  LIBS sessiondx_ingest)
