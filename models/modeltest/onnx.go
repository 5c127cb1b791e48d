// Package modeltest builds tiny ONNX models for tests: a graph with a detector's
// image input and Constant nodes as its outputs, so that the "detector" always
// returns known raw values and the decoding, NMS, hazard mapping and everything
// downstream can be checked exactly, through the real ONNX Runtime, without
// third-party weights. The protobuf is encoded by hand (ModelProto → GraphProto →
// NodeProto/ValueInfoProto/TensorProto); no onnx tooling needed.
package modeltest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pb is a protobuf message being encoded.
type pb []byte

func (b *pb) varint(v uint64) { *b = binary.AppendUvarint(*b, v) }

func (b *pb) tag(field, wireType int) { b.varint(uint64(field<<3 | wireType)) }

func (b *pb) int(field int, v int64) { b.tag(field, 0); b.varint(uint64(v)) }

func (b *pb) bytes(field int, v []byte) {
	b.tag(field, 2)
	b.varint(uint64(len(v)))
	*b = append(*b, v...)
}

func (b *pb) str(field int, s string) { b.bytes(field, []byte(s)) }

func (b *pb) msg(field int, m pb) { b.bytes(field, m) }

// ONNX enum values used below.
const (
	onnxFloat          = 1 // TensorProto.DataType.FLOAT
	onnxAttrTensor     = 4 // AttributeProto.AttributeType.TENSOR
	onnxIRVersion      = 8
	onnxOpsetVersion   = 13
	onnxFieldRawData   = 9
	onnxFieldGraph     = 7
	onnxFieldOpset     = 8
	onnxFieldGraphIn   = 11
	onnxFieldGraphOut  = 12
	onnxFieldNodeOut   = 2
	onnxFieldNodeOp    = 4
	onnxFieldNodeAttr  = 5
	onnxFieldAttrType  = 20
	onnxFieldAttrValue = 5
)

func valueInfo(name string, shape []int64) pb {
	var sh pb
	for _, d := range shape {
		var dim pb
		dim.int(1, d) // dim_value
		sh.msg(1, dim)
	}
	var tensorType pb
	tensorType.int(1, onnxFloat) // elem_type
	tensorType.msg(2, sh)        // shape
	var typ pb
	typ.msg(1, tensorType) // tensor_type
	var vi pb
	vi.str(1, name)
	vi.msg(2, typ)
	return vi
}

// Output is one output of a constant model: a name, a shape and its values.
type Output struct {
	Name   string
	Shape  []int64
	Values []float32
}

// ConstantModel returns an ONNX model with one float input (inName, inShape) that it
// ignores and outputs that are always their values, one Constant node each. ONNX
// Runtime accepts the unused input.
func ConstantModel(inName string, inShape []int64, outs ...Output) []byte {
	var graph pb
	for i, o := range outs {
		raw := make([]byte, 4*len(o.Values))
		for i, v := range o.Values {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		var tensor pb
		for _, d := range o.Shape {
			tensor.int(1, d) // dims
		}
		tensor.int(2, onnxFloat) // data_type
		tensor.str(8, fmt.Sprintf("constant_output_%d", i))
		tensor.bytes(onnxFieldRawData, raw)

		var attr pb
		attr.str(1, "value")
		attr.msg(onnxFieldAttrValue, tensor)
		attr.int(onnxFieldAttrType, onnxAttrTensor)

		var node pb
		node.str(onnxFieldNodeOut, o.Name)
		node.str(3, fmt.Sprintf("constant_%d", i))
		node.str(onnxFieldNodeOp, "Constant")
		node.msg(onnxFieldNodeAttr, attr)
		graph.msg(1, node)
	}
	graph.str(2, "safegrid_tiny")
	graph.msg(onnxFieldGraphIn, valueInfo(inName, inShape))
	for _, o := range outs {
		graph.msg(onnxFieldGraphOut, valueInfo(o.Name, o.Shape))
	}

	var opset pb
	opset.str(1, "")
	opset.int(2, onnxOpsetVersion)

	var model pb
	model.int(1, onnxIRVersion)
	model.str(2, "safegrid-tests")
	model.msg(onnxFieldGraph, graph)
	model.msg(onnxFieldOpset, opset)
	return model
}

// Box is one object a generated YOLOv8-layout model always reports, in input pixels.
type Box struct {
	Class  int
	Score  float32
	CX, CY float32
	W, H   float32
}

// YOLOv8Size is the input size of the models YOLOv8Dir writes.
const YOLOv8Size = 64

// YOLOv8Output is a [1, 4+classes, N] channel-major YOLOv8 output of n predictions
// holding boxes.
func YOLOv8Output(nc, n int, boxes []Box) []float32 {
	out := make([]float32, (4+nc)*n)
	for i, b := range boxes {
		out[i], out[n+i], out[2*n+i], out[3*n+i] = b.CX, b.CY, b.W, b.H
		out[(4+b.Class)*n+i] = b.Score
	}
	return out
}

// YOLOv8Dir writes into a new temporary folder a model named name in the yolov8
// family — input "images" [1,3,64,64] (RGB, 0–1, stretched), output "output0"
// [1, 4+classes, 84] — that always reports boxes, and its manifest.yaml with the
// file's SHA-256; checksYAML (may be empty) is appended to the manifest as is. It
// returns the folder, for models.Open.
func YOLOv8Dir(t testing.TB, name string, classes []string, boxes []Box, checksYAML string) string {
	t.Helper()
	n := 0
	for _, s := range []int{8, 16, 32} {
		n += (YOLOv8Size / s) * (YOLOv8Size / s)
	}
	nc := len(classes)
	data := ConstantModel("images", []int64{1, 3, YOLOv8Size, YOLOv8Size},
		Output{"output0", []int64{1, int64(4 + nc), int64(n)}, YOLOv8Output(nc, n, boxes)})
	dir := t.TempDir()
	sum := sha256.Sum256(data)
	var m strings.Builder
	fmt.Fprintf(&m, "name: %s\nfamily: yolov8\nfile: %s.onnx\nsha256: %s\n", name, name, hex.EncodeToString(sum[:]))
	fmt.Fprintf(&m, "input: {name: images, size: %d, channel_order: rgb, normalisation: divide_255, letterbox: stretch}\n", YOLOv8Size)
	fmt.Fprintf(&m, "output: {name: output0}\nthresholds: {score: 0.25, nms_iou: 0.45}\nintra_op_threads: 1\nclasses:\n")
	for _, c := range classes {
		fmt.Fprintf(&m, "  - %s\n", strconv.Quote(c))
	}
	m.WriteString(checksYAML)
	for file, content := range map[string][]byte{name + ".onnx": data, "manifest.yaml": []byte(m.String())} {
		if err := os.WriteFile(filepath.Join(dir, file), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
