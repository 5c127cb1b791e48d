package api

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/safegrid/safegrid/checklists"
	"github.com/safegrid/safegrid/inspect"
)

// cjkFontPaths are where a TrueType font with Chinese glyphs is looked for, first
// found first: Debian's fonts-droid-fallback (devstack installs it). PDF writers
// embed TrueType (glyf) fonts; Noto CJK ships as OpenType collections, which they
// cannot read.
var cjkFontPaths = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",
	"/usr/share/fonts/truetype/arphic-bkai00mp/bkai00mp.ttf",
}

var cjkFontOnce = sync.OnceValues(func() ([]byte, error) {
	for _, p := range cjkFontPaths {
		if b, err := os.ReadFile(p); err == nil {
			return b, nil
		}
	}
	return nil, inspect.Errorf(inspect.EUNAVAILABLE, "PDF export is not available: no TrueType font with Chinese glyphs on this server (install Debian's fonts-droid-fallback; looked in %s)",
		strings.Join(cjkFontPaths, ", "))
})

// cjkFont returns the bytes of the CJK font, read once.
func cjkFont() ([]byte, error) { return cjkFontOnce() }

// pdfWriter lays out a dossier: headings, label/value lines and small tables in
// one CJK font.
type pdfWriter struct{ pdf *fpdf.Fpdf }

const pdfFont = "cjk"

func (w pdfWriter) heading(text string) {
	w.pdf.Ln(3)
	w.pdf.SetFont(pdfFont, "", 13)
	w.pdf.MultiCell(0, 7, text, "B", "L", false)
	w.pdf.SetFont(pdfFont, "", 9)
	w.pdf.Ln(1)
}

func (w pdfWriter) line(text string) { w.pdf.MultiCell(0, 4.8, text, "", "L", false) }

func (w pdfWriter) field(label, value string) {
	if value != "" {
		w.line(label + "：" + value)
	}
}

func day(t time.Time) string { return t.In(inspect.ReportZone).Format("2006-01-02 15:04") }

func dayPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return day(*t)
}

// writeDossierPDF renders d as an A4 PDF on out, with the font in fontBytes.
func writeDossierPDF(out io.Writer, d SiteDossier, fontBytes []byte) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(pdfFont, "", fontBytes)
	pdf.SetTitle("场所档案 "+d.Site.Name, true)
	pdf.SetCreator("SafeGrid", true)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(pdfFont, "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s · 一企一档 · 生成于 %s · 第 %d 页 / 共 {nb} 页", d.Site.Name, day(d.GeneratedAt), pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	w := pdfWriter{pdf}
	pdf.SetFont(pdfFont, "", 17)
	w.pdf.MultiCell(0, 9, "一企一档 · 场所档案："+d.Site.Name, "", "L", false)
	pdf.SetFont(pdfFont, "", 9)
	w.line(fmt.Sprintf("场所编号 %d · 网格 %d · 生成于 %s（北京时间）", d.Site.ID, d.Site.GridID, day(d.GeneratedAt)))

	w.heading("一、场所信息")
	w.field("名称", d.Site.Name)
	w.field("类型", siteTypeLabel(d.Site.Type))
	w.field("地址", d.Site.Address)
	w.field("坐标", fmt.Sprintf("%.6f, %.6f", d.Site.Lat, d.Site.Lng))
	w.field("登记时间", day(d.Site.CreatedAt))
	w.field("最近修改", day(d.Site.UpdatedAt))
	w.field("场所概况", profileText(d.Site.Profile))

	w.heading(fmt.Sprintf("二、检查记录（%d 次）", len(d.Inspections)))
	if len(d.Inspections) == 0 {
		w.line("暂无检查记录。")
	}
	for _, in := range d.Inspections {
		w.line(fmt.Sprintf("检查 #%d · 状态 %s · 检查人 #%d · 期限 %s · 开始 %s · 提交 %s · 规则版本 %s · 退回 %d 次",
			in.ID, in.Status, in.InspectorID, day(in.Due), dayPtr(in.StartedAt), dayPtr(in.SubmittedAt), orDash(in.RuleVersion), in.Returns))
	}

	w.heading(fmt.Sprintf("三、隐患及处置过程（%d 项）", len(d.Hazards)))
	if len(d.Hazards) == 0 {
		w.line("暂无隐患记录。")
	}
	for _, hz := range d.Hazards {
		writeHazard(w, hz)
	}

	w.heading(fmt.Sprintf("四、现行检查清单（规则版本 %s，%d 项）", orDash(d.Checklist.RuleVersion), len(d.Checklist.Items)))
	for _, it := range d.Checklist.Items {
		w.line(fmt.Sprintf("%s  %s（%s）", it.Code, it.Title.ZH, it.Severity))
	}
	if pdf.Err() {
		return pdf.Error()
	}
	return pdf.Output(out)
}

// writeHazard writes one hazard: its rule, state and times, supervision,
// determination, photos and every event of its chain.
func writeHazard(w pdfWriter, hz inspect.HazardDetail) {
	var rule struct {
		Title checklists.Text `json:"title"`
	}
	_ = json.Unmarshal(hz.Rule, &rule) // a rule without a title still prints its code
	w.pdf.Ln(1.5)
	w.pdf.SetFont(pdfFont, "", 10.5)
	w.line(fmt.Sprintf("隐患 #%d  %s  %s", hz.ID, hz.RuleCode, rule.Title.ZH))
	w.pdf.SetFont(pdfFont, "", 9)
	w.line(fmt.Sprintf("状态 %s · 等级 %s · 责任层级 %s（单位 #%d）· 发现 %s · 整改期限 %s · 办结 %s · 发现 %d 次 · 退回 %d 次 · 升级 %d 次 · 评价 %s",
		hz.State, hz.Severity, hz.Level, hz.UnitID, day(hz.CreatedAt), day(hz.Deadline), dayPtr(hz.ClosedAt),
		hz.Observations, hz.Returns, hz.Escalations, rating(hz.Rating)))
	w.field("现场记录", hz.Note)
	if s := hz.Supervision; s != nil {
		w.line(fmt.Sprintf("挂牌督办：督办单位 #%d · 责任人 #%d · 期限 %s", s.SupervisingUnitID, s.ResponsibleUserID, day(s.Deadline)))
	}
	if dt := hz.Determination; dt != nil {
		concluded := "—"
		if !dt.ConcludedAt.IsZero() {
			concluded = day(dt.ConcludedAt)
		}
		w.line(fmt.Sprintf("重大隐患判定：发起 %s · 结论 %s · 措施 %s · 结束 %s", day(dt.OpenedAt), orDash(string(dt.Conclusion)), orDash(dt.Measures), concluded))
	}
	if len(hz.PhotoIDs) > 0 {
		w.line(fmt.Sprintf("照片 %d 张：%s", len(hz.PhotoIDs), strings.Join(hz.PhotoIDs, "、")))
	}
	for _, e := range hz.Events {
		actor := "系统"
		if e.Actor != 0 {
			actor = fmt.Sprintf("用户 #%d", e.Actor)
		}
		w.line(fmt.Sprintf("  %d. %s  %s  %s  链 %s…", e.Seq, day(e.At), e.Kind, actor, e.Hash[:min(12, len(e.Hash))]))
	}
}

func rating(r int) string {
	if r == 0 {
		return "—"
	}
	return strings.Repeat("★", r)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func siteTypeLabel(t inspect.SiteType) string {
	for _, st := range checklists.SiteTypes {
		if string(st.Code) == string(t) {
			return st.Label.ZH + "（" + string(t) + "）"
		}
	}
	return string(t)
}

// profileText writes a site profile as key=value pairs, sorted.
func profileText(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, m[k])
	}
	return strings.Join(parts, "；")
}
