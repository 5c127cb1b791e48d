package models

import (
	"strconv"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/safegrid/safegrid/inspect"
)

// session is one ONNX Runtime session with the input and output tensors bound to it.
// The input tensor is reused for every photo the session analyses.
type session struct {
	run     *ort.AdvancedSession
	input   *ort.Tensor[float32]
	outputs []*ort.Tensor[float32]
	data    [][]float32 // the outputs' data, in the order of Manifest.OutputShapes
}

func newSession(m *Manifest, data []byte, threads int) (*session, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if threads > 1 {
		// Spinning worker threads compete with the other sessions for the same cores.
		if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			return nil, err
		}
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(m.InputShape()...))
	if err != nil {
		return nil, err
	}
	s := &session{input: in}
	var names []string
	var values []ort.Value
	for _, o := range m.OutputShapes() {
		out, err := ort.NewEmptyTensor[float32](ort.NewShape(o.Shape...))
		if err != nil {
			s.destroy()
			return nil, err
		}
		s.outputs = append(s.outputs, out)
		s.data = append(s.data, out.GetData())
		names = append(names, o.Name)
		values = append(values, out)
	}
	s.run, err = ort.NewAdvancedSessionWithONNXData(data, []string{m.Input.Name}, names, []ort.Value{in}, values, so)
	if err != nil {
		s.destroy()
		return nil, err
	}
	return s, nil
}

func (s *session) destroy() {
	if s.run != nil {
		s.run.Destroy()
	}
	s.input.Destroy()
	for _, o := range s.outputs {
		o.Destroy()
	}
}

// checkModelShapes compares the model's declared inputs and outputs with the manifest.
func checkModelShapes(m *Manifest, data []byte) error {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return inspect.Errorf(inspect.EINVALID, "model %s: %s is not a loadable ONNX model: %s", m.Name, m.File, err)
	}
	// check compares the tensor name has in infos with want, and returns the
	// model's own value of each dimension want leaves open (-1).
	check := func(kind, name string, infos []ort.InputOutputInfo, want []int64) ([]int64, error) {
		var names []string
		for _, info := range infos {
			names = append(names, strconv.Quote(info.Name))
			if info.Name != name {
				continue
			}
			if info.OrtValueType != ort.ONNXTypeTensor || info.DataType != ort.TensorElementDataTypeFloat {
				return nil, inspect.Errorf(inspect.EINVALID, "model %s: %s %q is %s, manifest expects a float32 tensor", m.Name, kind, name, info.String())
			}
			if !shapeMatches(info.Dimensions, want) {
				return nil, inspect.Errorf(inspect.EINVALID, "model %s: %s %q has shape %v, but a %s model with input size %d and %d classes needs %v", m.Name, kind, name, []int64(info.Dimensions), m.Family, m.Input.Size, len(m.Classes), want)
			}
			return info.Dimensions, nil
		}
		return nil, inspect.Errorf(inspect.EINVALID, "model %s: has no %s named %q (it has %v)", m.Name, kind, name, names)
	}
	if len(ins) != 1 {
		return inspect.Errorf(inspect.EINVALID, "model %s: has %d inputs, a detector has exactly one", m.Name, len(ins))
	}
	if _, err := check("input", m.Input.Name, ins, m.InputShape()); err != nil {
		return err
	}
	for _, o := range m.OutputShapes() {
		got, err := check("output", o.Name, outs, o.Shape)
		if err != nil {
			return err
		}
		if o.Shape[1] < 0 { // a DETR's query count, from the model
			if got[1] <= 0 {
				return inspect.Errorf(inspect.EINVALID, "model %s: output %q does not declare its number of predictions; set output.count in the manifest", m.Name, o.Name)
			}
			m.Output.Count = int(got[1])
		}
	}
	return nil
}

// shapeMatches accepts a model dimension that is dynamic (≤ 0) in place of a fixed one.
func shapeMatches(got ort.Shape, want []int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] > 0 && want[i] > 0 && got[i] != want[i] {
			return false
		}
	}
	return true
}
