package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/safegrid/safegrid/inspect"
	"github.com/safegrid/safegrid/models"
	"github.com/safegrid/safegrid/storage"
)

// ExportDataset writes the reviewed photos as a YOLO-format data set into dir, the
// other end of the analysis pipeline: images/, labels/ (one line per box a
// reviewer confirmed; boxes of rejected flags are left out, so those photos teach
// the model what is not a hazard), classes.txt (the model's classes), data.yaml
// (the same classes as standard YOLO trainers read them: `yolo train
// data=DIR/data.yaml` takes the folder as it is), and
// decisions.jsonl with every review decision and its reason. It reports progress
// to progress and returns the photos and boxes written.
func ExportDataset(ctx context.Context, svc *storage.Services, classes []string, dir string, progress io.Writer) (photos, boxes int, err error) {
	examples, err := svc.Flags.LabelledExamples(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, sub := range []string{"images", "labels"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return 0, 0, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "classes.txt"), []byte(strings.Join(classes, "\n")+"\n"), 0o644); err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "data.yaml"), dataYAML(classes), 0o644); err != nil {
		return 0, 0, err
	}
	decisions, err := os.Create(filepath.Join(dir, "decisions.jsonl"))
	if err != nil {
		return 0, 0, err
	}
	defer decisions.Close()
	enc := json.NewEncoder(decisions)
	for i, e := range examples {
		labels, err := exampleLabels(e)
		if err != nil {
			return 0, 0, err
		}
		boxes += len(labels)
		if err := exportImage(ctx, svc.Photos, e, filepath.Join(dir, "images", e.PhotoID.String()+photoExt(e.Type))); err != nil {
			return 0, 0, err
		}
		label := strings.Join(labels, "\n")
		if label != "" {
			label += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "labels", e.PhotoID.String()+".txt"), []byte(label), 0o644); err != nil {
			return 0, 0, err
		}
		for _, f := range append(append([]inspect.AIFlag{}, e.Confirmed...), e.Rejected...) {
			if err := enc.Encode(map[string]any{"photo_id": e.PhotoID, "flag_id": f.ID, "code": f.Code, "review": f.Review,
				"reason": f.RejectReason, "score": f.Score, "manual": f.Manual, "model": f.ModelName}); err != nil {
				return 0, 0, err
			}
		}
		if (i+1)%100 == 0 {
			fmt.Fprintf(progress, "exported %d/%d photos\n", i+1, len(examples))
		}
	}
	return len(examples), boxes, nil
}

// exampleLabels returns the YOLO label lines of one reviewed photo: the detections
// behind its confirmed flags, each once. Boxes drawn by hand have no model class
// and are kept only in decisions.jsonl.
func exampleLabels(e storage.LabelledExample) ([]string, error) {
	var dets []models.Detection
	if err := json.Unmarshal(e.Detections, &dets); err != nil {
		return nil, fmt.Errorf("detections of photo %s: %w", e.PhotoID, err)
	}
	seen := map[models.Rect]bool{}
	var lines []string
	for _, f := range e.Confirmed {
		for _, b := range f.Boxes {
			r := models.Rect{X1: b.X1, Y1: b.Y1, X2: b.X2, Y2: b.Y2}
			for _, d := range dets {
				if d.Box == r && !seen[r] {
					seen[r] = true
					lines = append(lines, models.YOLOLabel(d.ClassID, d.Box, e.Width, e.Height))
				}
			}
		}
	}
	return lines, nil
}

func exportImage(ctx context.Context, photos *storage.PhotoService, e storage.LabelledExample, path string) error {
	rc, err := photos.OpenOriginal(ctx, e.SHA256)
	if err != nil {
		return fmt.Errorf("photo %s: %w", e.PhotoID, err)
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func photoExt(typ string) string {
	switch typ {
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	}
	return ".jpg"
}

// dataYAML is the data set's description as Ultralytics-style trainers read it:
// the folder, its images (train and val both: split it before serious training)
// and the class names by index.
func dataYAML(classes []string) []byte {
	var b strings.Builder
	b.WriteString("# Written by safegrid dataset export. Labels are in labels/, one file per image.\n")
	b.WriteString("path: .\ntrain: images\nval: images\n")
	fmt.Fprintf(&b, "nc: %d\nnames:\n", len(classes))
	for i, c := range classes {
		fmt.Fprintf(&b, "  %d: %s\n", i, strconv.Quote(c))
	}
	return []byte(b.String())
}
