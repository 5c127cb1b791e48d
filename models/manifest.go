package models

import (
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/safegrid/safegrid/inspect"
)

// Channel orders of the input tensor.
const (
	ChannelsBGR = "bgr"
	ChannelsRGB = "rgb"
)

// Normalisations of the input values.
const (
	NormaliseRaw255    = "raw_255"    // 0–255 as they are
	NormaliseDivide255 = "divide_255" // 0–1
)

// Resize kinds of the pre-processing.
const (
	LetterboxTopLeft = "top_left" // keep the aspect ratio, image at the top-left, rest padded
	LetterboxStretch = "stretch"  // plain resize to size×size, aspect ratio not kept
	LetterboxCentre  = "centre"   // keep the aspect ratio, image centred, padded on both sides (Ultralytics)
)

// DefaultModel is the manifest name used when none is given.
const DefaultModel = "yolox_nano"

// Manifest declares one detector model: which file it is, its hash, and exactly how its
// input must be prepared and its output decoded. It lives as YAML beside the model file.
type Manifest struct {
	Name           string     `yaml:"name" json:"name"`
	Family         string     `yaml:"family" json:"family"`
	File           string     `yaml:"file" json:"file"`
	SHA256         string     `yaml:"sha256" json:"sha256"`
	Licence        string     `yaml:"licence,omitempty" json:"licence,omitempty"`
	Input          Input      `yaml:"input" json:"input"`
	Output         Output     `yaml:"output" json:"output"`
	Thresholds     Thresholds `yaml:"thresholds" json:"thresholds"`
	IntraOpThreads int        `yaml:"intra_op_threads,omitempty" json:"intra_op_threads,omitempty"`
	Slicing        Slicing    `yaml:"slicing,omitempty" json:"slicing,omitzero"`
	Classes        []string   `yaml:"classes" json:"classes"`
	// Checks maps hazard checks to this model's class names, replacing the classes
	// of the built-in check table for the checks it names (see CheckTable).
	Checks map[string]CheckClasses `yaml:"checks,omitempty" json:"checks,omitempty"`
}

// Slicing is slicing-aided inference: after the pass over the whole photo, extra
// passes over parts of it (one centred crop, or a grid of tiles), each decoded at
// a resolution that fills the model's input, so that a small object in the middle
// distance, a few pixels wide at the input size, is seen larger. The passes'
// detections are merged with the whole photo's by NMS. The zero value is off: one
// pass. Crop and Tiles are exclusive; each extra pass costs one more Run.
type Slicing struct {
	// Crop is the side of one centred crop as a fraction of the photo's sides
	// (0.2–0.9); 0 is no crop.
	Crop float64 `yaml:"crop,omitempty" json:"crop,omitempty"`
	// Tiles is the number of tiles along each side of a grid over the whole photo
	// (2–4, i.e. 4 to 16 extra passes); 0 is no grid.
	Tiles int `yaml:"tiles,omitempty" json:"tiles,omitempty"`
	// Overlap is the fraction of a tile's side it shares with its neighbour
	// (0–0.5), so that an object on a tile's edge is whole in one of them.
	Overlap float64 `yaml:"overlap,omitempty" json:"overlap,omitempty"`
}

// On reports whether the slicing adds any pass.
func (s Slicing) On() bool { return s.Crop > 0 || s.Tiles > 0 }

// Regions returns the extra passes' parts of the photo as fractions of its width
// and height, left to right, top to bottom.
func (s Slicing) Regions() []Band {
	switch {
	case s.Crop > 0:
		m := float32((1 - s.Crop) / 2)
		return []Band{{X1: m, Y1: m, X2: 1 - m, Y2: 1 - m}}
	case s.Tiles > 0:
		n := float64(s.Tiles)
		side := 1 / (n - (n-1)*s.Overlap)
		step := side * (1 - s.Overlap)
		var out []Band
		for y := range s.Tiles {
			for x := range s.Tiles {
				x1, y1 := float64(x)*step, float64(y)*step
				out = append(out, Band{X1: float32(x1), Y1: float32(y1), X2: float32(min(1, x1+side)), Y2: float32(min(1, y1+side))})
			}
		}
		return out
	}
	return nil
}

// regionSide is the side of the smallest extra pass as a fraction of the photo's
// (1 without slicing): the photo is decoded large enough for it to fill the input.
func (s Slicing) regionSide() float64 {
	side := 1.0
	for _, r := range s.Regions() {
		side = min(side, float64(r.X2-r.X1), float64(r.Y2-r.Y1))
	}
	return side
}

// Input describes the model's input tensor, a square [1,3,Size,Size] NCHW float32 image.
type Input struct {
	Name          string `yaml:"name" json:"name"`
	Size          int    `yaml:"size" json:"size"`
	ChannelOrder  string `yaml:"channel_order" json:"channel_order"`
	Normalisation string `yaml:"normalisation" json:"normalisation"`
	Letterbox     string `yaml:"letterbox" json:"letterbox"`
	PadValue      int    `yaml:"pad_value,omitempty" json:"pad_value,omitempty"`
}

// Output names the model's output tensor(s) and how to read them; their shapes follow
// from the family, the input size, the number of classes and Count (see
// Manifest.OutputShapes).
type Output struct {
	// Name is the one output tensor of every family but a DETR with split heads.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Boxes and Scores are a DETR's two heads, [1, N, 4] and [1, N, classes], in
	// place of Name.
	Boxes  string `yaml:"boxes,omitempty" json:"boxes,omitempty"`
	Scores string `yaml:"scores,omitempty" json:"scores,omitempty"`
	// Count is N, the number of predictions (a DETR's queries). 0: implied by the
	// family and input size (YOLO grids over strides 8, 16 and 32), or read from the
	// model when it declares it.
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// BoxFormat is how a DETR's boxes are written: cxcywh (default) or xyxy.
	BoxFormat string `yaml:"box_format,omitempty" json:"box_format,omitempty"`
	// BoxUnits is what a DETR's box numbers measure: normalised (fractions of the
	// input, default) or pixels (of the input).
	BoxUnits string `yaml:"box_units,omitempty" json:"box_units,omitempty"`
	// Logits says a DETR's scores are logits, to pass through a sigmoid.
	Logits bool `yaml:"logits,omitempty" json:"logits,omitempty"`
}

// Thresholds are the detector's own cut-offs; the hazard checks have their own on top.
type Thresholds struct {
	Score  float32 `yaml:"score" json:"score"`
	NMSIoU float32 `yaml:"nms_iou" json:"nms_iou"`
}

//go:embed manifests/*.yaml
var embeddedManifests embed.FS

// LoadManifest reads and validates the manifest YAML at path.
func LoadManifest(path string) (Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("load model manifest: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return Manifest{}, fmt.Errorf("model manifest %s: %w", path, err)
	}
	return m, nil
}

// EmbeddedManifest returns the manifest of a known model built into the binary
// ("yolox_nano", "fastestdet").
func EmbeddedManifest(name string) (Manifest, error) {
	data, err := embeddedManifests.ReadFile(path.Join("manifests", name+".yaml"))
	if err != nil {
		return Manifest{}, inspect.Errorf(inspect.ENOTFOUND, "no built-in model manifest %q (known: %s)", name, strings.Join(EmbeddedManifestNames(), ", "))
	}
	return ParseManifest(data)
}

// EmbeddedManifestNames lists the names of the manifests built into the binary.
func EmbeddedManifestNames() []string {
	entries, _ := fs.ReadDir(embeddedManifests, "manifests")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// ParseManifest decodes manifest YAML strictly (unknown fields are errors) and validates it.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, inspect.Errorf(inspect.EINVALID, "model manifest is not valid YAML: %s", err)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Validate checks that every field is present and has a value this package supports.
// The error names the field.
func (m Manifest) Validate() error {
	bad := func(field, format string, args ...any) error {
		return inspect.FieldErrorf(field, format, args...)
	}
	switch {
	case m.Name == "":
		return bad("name", "is required")
	case !slices.Contains(Families(), m.Family):
		return bad("family", "is %q; want one of %s", m.Family, strings.Join(Families(), ", "))
	case m.File == "" || strings.ContainsAny(m.File, `/\`) || m.File == "." || m.File == "..":
		return bad("file", "must be a plain file name, got %q", m.File)
	case !isSHA256Hex(m.SHA256):
		return bad("sha256", "must be 64 lower-case hex digits, got %q", m.SHA256)
	case m.Input.Name == "":
		return bad("input.name", "is required")
	case m.Input.Size < 32 || m.Input.Size > 4096:
		return bad("input.size", "must be between 32 and 4096, got %d", m.Input.Size)
	case m.Input.ChannelOrder != ChannelsBGR && m.Input.ChannelOrder != ChannelsRGB:
		return bad("input.channel_order", "is %q; want %q or %q", m.Input.ChannelOrder, ChannelsBGR, ChannelsRGB)
	case m.Input.Normalisation != NormaliseRaw255 && m.Input.Normalisation != NormaliseDivide255:
		return bad("input.normalisation", "is %q; want %q or %q", m.Input.Normalisation, NormaliseRaw255, NormaliseDivide255)
	case m.Input.Letterbox != LetterboxTopLeft && m.Input.Letterbox != LetterboxStretch && m.Input.Letterbox != LetterboxCentre:
		return bad("input.letterbox", "is %q; want %q, %q or %q", m.Input.Letterbox, LetterboxTopLeft, LetterboxCentre, LetterboxStretch)
	case m.Input.PadValue < 0 || m.Input.PadValue > 255:
		return bad("input.pad_value", "must be 0–255, got %d", m.Input.PadValue)
	case m.Thresholds.Score <= 0 || m.Thresholds.Score >= 1:
		return bad("thresholds.score", "must be between 0 and 1, got %g", m.Thresholds.Score)
	case m.Thresholds.NMSIoU <= 0 || m.Thresholds.NMSIoU > 1:
		return bad("thresholds.nms_iou", "must be in (0, 1], got %g", m.Thresholds.NMSIoU)
	case m.IntraOpThreads < 0 || m.IntraOpThreads > 64:
		return bad("intra_op_threads", "must be 0–64, got %d", m.IntraOpThreads)
	case m.Slicing.Crop != 0 && (m.Slicing.Crop < 0.2 || m.Slicing.Crop > 0.9):
		return bad("slicing.crop", "must be 0 (off) or 0.2–0.9 of the photo's side, got %g", m.Slicing.Crop)
	case m.Slicing.Tiles != 0 && (m.Slicing.Tiles < 2 || m.Slicing.Tiles > 4):
		return bad("slicing.tiles", "must be 0 (off) or 2–4 tiles a side, got %d", m.Slicing.Tiles)
	case m.Slicing.Crop != 0 && m.Slicing.Tiles != 0:
		return bad("slicing", "has both crop and tiles; choose one")
	case m.Slicing.Overlap < 0 || m.Slicing.Overlap > 0.5:
		return bad("slicing.overlap", "must be 0–0.5, got %g", m.Slicing.Overlap)
	case m.Slicing.Overlap != 0 && m.Slicing.Tiles == 0:
		return bad("slicing.overlap", "applies to tiles; set slicing.tiles")
	case len(m.Classes) == 0:
		return bad("classes", "must list the class names in the model's order")
	}
	seen := map[string]bool{}
	for i, c := range m.Classes {
		if c == "" {
			return bad(fmt.Sprintf("classes[%d]", i), "is empty")
		}
		if seen[c] {
			return bad(fmt.Sprintf("classes[%d]", i), "repeats %q", c)
		}
		seen[c] = true
	}
	if err := m.validateOutput(); err != nil {
		return err
	}
	return m.validateChecks()
}

// InputShape is the [1,3,size,size] shape of the input tensor.
func (m Manifest) InputShape() []int64 {
	s := int64(m.Input.Size)
	return []int64{1, 3, s, s}
}

// ClassName returns the name of class id, or "class_<id>" when the id is out of range.
func (m Manifest) ClassName(id int) string {
	if id >= 0 && id < len(m.Classes) {
		return m.Classes[id]
	}
	return fmt.Sprintf("class_%d", id)
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
