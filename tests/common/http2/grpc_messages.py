#!/usr/bin/env python3
"""Real protobuf encodings for tst_grpccompare and tst_protodescriptorset.

usage: grpc_messages.py STUBS_DIR
STUBS_DIR holds greeter_pb2.py and shapes_pb2.py (grpc_tools.protoc --python_out). Prints one
JSON object: "messages" (name -> hex of the serialized message, made by the python protobuf
library) and "schema" (message full name -> {field number: [name, type, repeated, type_name]}
from the python descriptor pool, to check ProtoDescriptorSet against).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import greeter_pb2  # noqa: E402
import shapes_pb2  # noqa: E402
from google.protobuf import descriptor, descriptor_pb2  # noqa: E402

Detail = greeter_pb2.Detail
HelloReply = greeter_pb2.HelloReply
HelloRequest = greeter_pb2.HelloRequest
Shape = shapes_pb2.Shape
Point = shapes_pb2.Point


def shape(**changes):
    s = Shape(
        name="triangle",
        points=[Point(x=1, y=2), Point(x=3, y=4), Point(x=5, y=-6)],
        style=Shape.Style(color="red", width=1.5),
        tags=["a", "b"],
        detail=Detail(serial=9, note="first"),
        closed=True,
        blob=b"\x00\x01\xfe",
        kind=Shape.POLYGON,
        layer=-2,
    )
    for path, value in changes.items():
        target = s
        parts = path.split(".")
        for p in parts[:-1]:
            target = target[int(p)] if p.isdigit() else getattr(target, p)
        setattr(target, parts[-1], value)
    return s


messages = {
    "request": HelloRequest(name="world", count=2),
    "reply": HelloReply(message="hello world", detail=Detail(serial=7, note="first")),
    "reply_note": HelloReply(message="hello world", detail=Detail(serial=7, note="second")),
    "reply_message": HelloReply(message="hello there", detail=Detail(serial=7, note="first")),
    "reply_2": HelloReply(message="hello again", detail=Detail(serial=8, note="more")),
    "query": shapes_pb2.ShapeQuery(name="triangle", limit=3),
    "shape": shape(),
    "shape_y": shape(**{"points.1.y": 40}),
    "shape_color": shape(**{"style.color": "blue"}),
    "shape_serial": shape(**{"detail.serial": 10}),
    "shape_layer": shape(layer=3),
    "shape_closed": shape(closed=False),
}
fewer = shape()
del fewer.points[2]
messages["shape_two_points"] = fewer
more_tags = shape()
more_tags.tags.append("c")
messages["shape_three_tags"] = more_tags

TYPES = {v: k for k, v in descriptor.FieldDescriptor.__dict__.items() if k.startswith("TYPE_")}


def schema(message):
    out = {}
    for f in message.fields:
        out[str(f.number)] = [
            f.name,
            TYPES[f.type][5:].lower(),
            f.label == descriptor.FieldDescriptor.LABEL_REPEATED,
            f.message_type.full_name if f.message_type else
            (f.enum_type.full_name if f.enum_type else ""),
        ]
    return out


schemas = {}
for module in (greeter_pb2, shapes_pb2):
    def walk(m):
        schemas[m.full_name] = schema(m)
        for n in m.nested_types:
            walk(n)
    for m in module.DESCRIPTOR.message_types_by_name.values():
        walk(m)

methods = {}
for module in (greeter_pb2, shapes_pb2):
    # The streaming flags from the file's own FileDescriptorProto.
    proto = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
    for s in proto.service:
        for m in s.method:
            methods["/%s.%s/%s" % (proto.package, s.name, m.name)] = [
                m.input_type.lstrip("."), m.output_type.lstrip("."),
                m.client_streaming, m.server_streaming]

json.dump({"messages": {k: v.SerializeToString().hex() for k, v in messages.items()},
           "schema": schemas, "methods": methods}, sys.stdout, indent=1, sort_keys=True)
