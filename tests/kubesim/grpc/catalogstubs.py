"""Generates catalog_pb2 / catalog_pb2_grpc from catalog.proto into a temporary folder and
imports them (python3 -m grpc_tools.protoc, as tests/capture/h2 does at test time)."""
import os
import sys
import tempfile

# The pure-Python protobuf runtime: Debian's C++ one may not match grpc_tools' generated code.
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

from grpc_tools import protoc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    out = tempfile.mkdtemp(prefix="podtap-catalog-stubs-")
    rc = protoc.main(["grpc_tools.protoc", "-I" + HERE, "--python_out=" + out,
                      "--grpc_python_out=" + out, os.path.join(HERE, "catalog.proto")])
    if rc != 0:
        sys.exit("protoc failed (%d) for %s/catalog.proto" % (rc, HERE))
    sys.path.insert(0, out)
    import catalog_pb2  # noqa: E402
    import catalog_pb2_grpc  # noqa: E402
    return catalog_pb2, catalog_pb2_grpc
