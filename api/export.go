package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/safegrid/safegrid/inspect"
)

// Exports: the hazard list and the KPI table as CSV or XLSX files, the shapes a
// district office works with in a spreadsheet and reports upwards. They are
// streamed: the hazard export reads the list page by page (by key) and writes
// each page before reading the next, so a million rows never sit in memory.

// exportPage is how many hazards an export reads at once: the longest page.
const exportPage = inspect.MaxHazardPage

// Download is an answer written as a file: Write runs after the handler
// returns, streaming into the response, under a context of its own.
type Download struct {
	ContentType string
	Filename    string
	Write       func(ctx context.Context, w io.Writer) error
	Log         *slog.Logger // where an error halfway is reported
}

// HazardExportQuery is GET /hazards/export.csv and .xlsx: the list's filters.
type HazardExportQuery struct {
	HazardFilterQuery
}

// KPIExportQuery is GET /kpi/export.csv and .xlsx: the unit and the period.
type KPIExportQuery = KPIQuery

// sendDownload streams d as an attachment. The request's context ends when the
// handler returns, before the body is written, so Write gets a context of its
// own (bounded); an error halfway ends the file early, with a last line saying
// so in a CSV, and is logged.
func sendDownload(c *fiber.Ctx, d Download) error {
	c.Set(fiber.HeaderContentType, d.ContentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, d.Filename, url.PathEscape(d.Filename)))
	c.Set("X-Content-Type-Options", "nosniff")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(RequestContext(c)), 30*time.Minute)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		if err := d.Write(ctx, w); err != nil {
			d.Log.Error("export stopped halfway", "file", d.Filename, "err", err)
			if d.ContentType == csvType {
				fmt.Fprintf(w, "\n# export incomplete: %v\n", err)
			}
		}
		_ = w.Flush()
	})
	return nil
}

const (
	csvType  = "text/csv; charset=utf-8"
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// sheet is a table being written as CSV or XLSX.
type sheet interface {
	row(cells ...any) error
	close() error
}

// newSheet starts a table in format ("csv" or "xlsx") on w.
func newSheet(format string, w io.Writer) (sheet, error) {
	if format == "xlsx" {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return nil, err
		}
		return &xlsxSheet{f: f, sw: sw, w: w}, nil
	}
	// A UTF-8 byte order mark: without it Excel opens Chinese text as mojibake.
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	return &csvSheet{w: csv.NewWriter(w)}, nil
}

type csvSheet struct{ w *csv.Writer }

func (s *csvSheet) row(cells ...any) error {
	rec := make([]string, len(cells))
	for i, c := range cells {
		rec[i] = cellText(c)
	}
	return s.w.Write(rec)
}

func (s *csvSheet) close() error { s.w.Flush(); return s.w.Error() }

type xlsxSheet struct {
	f  *excelize.File
	sw *excelize.StreamWriter
	w  io.Writer
	n  int
}

func (s *xlsxSheet) row(cells ...any) error {
	s.n++
	ref, err := excelize.CoordinatesToCellName(1, s.n)
	if err != nil {
		return err
	}
	vals := make([]any, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case int, int64, float64:
			vals[i] = v
		default:
			vals[i] = cellText(c)
		}
	}
	return s.sw.SetRow(ref, vals)
}

func (s *xlsxSheet) close() error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	return s.f.Write(s.w)
}

// cellText writes a cell as text: times as minutes in China time, nil as empty.
func cellText(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case time.Time:
		return v.In(inspect.ReportZone).Format("2006-01-02 15:04")
	case *time.Time:
		if v == nil {
			return ""
		}
		return cellText(*v)
	case string:
		return v
	}
	return fmt.Sprint(c)
}

// hazardExportHeader names the columns of the hazard export, in Chinese and
// English.
var hazardExportHeader = []any{"隐患编号 id", "场所 site", "地址 address", "条款 rule", "隐患 item", "状态 state", "等级 severity",
	"责任层级 level", "责任单位 unit_id", "检查人 inspector_id", "发现时间 found", "整改期限 deadline", "办结时间 closed", "逾期 overdue",
	"发现次数 observations", "退回次数 returns", "升级次数 escalations", "评价 rating", "商户自查 self_reported"}

func (h *v1) exportHazards(format string) Handler[HazardExportQuery, Download] {
	return func(ctx context.Context, p inspect.Principal, q HazardExportQuery) (Download, error) {
		f := q.filter()
		f.Limit = exportPage
		// The first page is read before the answer starts, so that a bad filter or a
		// refusal is an error status, not a truncated file.
		first, err := h.cfg.Hazards.Hazards(ctx, p, f)
		if err != nil {
			return Download{}, err
		}
		now := h.now()
		write := func(ctx context.Context, w io.Writer) error {
			s, err := newSheet(format, w)
			if err != nil {
				return err
			}
			if err := s.row(hazardExportHeader...); err != nil {
				return err
			}
			page := first
			for {
				for _, d := range page {
					if err := s.row(hazardExportRow(d, now)...); err != nil {
						return err
					}
				}
				if len(page) < f.Limit {
					return s.close()
				}
				f.AfterID = page[len(page)-1].ID
				if page, err = h.cfg.Hazards.Hazards(ctx, p, f); err != nil {
					return err
				}
			}
		}
		return Download{ContentType: contentTypeOf(format), Filename: fmt.Sprintf("hazards-%s.%s", now.In(inspect.ReportZone).Format("20060102-1504"), format), Write: write, Log: h.log}, nil
	}
}

func contentTypeOf(format string) string {
	if format == "xlsx" {
		return xlsxType
	}
	return csvType
}

// hazardExportRow is one hazard's cells, in hazardExportHeader's order.
func hazardExportRow(d inspect.HazardDetail, now time.Time) []any {
	var rule struct {
		Title struct {
			ZH string `json:"zh"`
		} `json:"title"`
	}
	_ = json.Unmarshal(d.Rule, &rule) // a rule without a title leaves the cell empty
	overdue := yesNo(inspect.IsOpen(d.State) && d.Deadline.Before(now))
	return []any{d.ID, d.SiteName, d.SiteAddress, d.RuleCode, rule.Title.ZH, string(d.State), string(d.Severity), string(d.Level),
		d.UnitID, d.InspectorID, d.CreatedAt, d.Deadline, d.ClosedAt, overdue, d.Observations, d.Returns, d.Escalations, d.Rating,
		yesNo(d.SelfReported)}
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// kpiExportHeader names the columns of the KPI table: one row per unit, the
// five figures with their numerators and denominators.
var kpiExportHeader = []any{"单位编号 unit_id", "单位 unit", "层级 level", "办件量 volume", "办结 closed", "办结率 completion",
	"按期办结 on_time", "及时率 on_time_rate", "评价数 ratings", "平均评价 average_rating", "满意率 share_4_plus",
	"复核 findings", "退回 returned", "退回率 returned_rate", "商户自查 self_reported", "自查办结 self_reported_closed",
	"计划检查 planned_due", "计划完成 planned_done", "计划逾期 planned_overdue", "预约 visit_requests", "48小时内响应 visits_in_time",
	"平均响应小时 visit_response_hours"}

func (h *v1) exportKPI(format string) Handler[KPIExportQuery, Download] {
	return func(ctx context.Context, p inspect.Principal, q KPIExportQuery) (Download, error) {
		if err := q.validate(); err != nil {
			return Download{}, err
		}
		period, err := inspect.ParsePeriod(q.From, q.To)
		if err != nil {
			return Download{}, err
		}
		units, err := h.unitAndChildren(ctx, p, q.Unit)
		if err != nil {
			return Download{}, err
		}
		// Like the hazard export, the first row is computed before the answer
		// starts: a unit outside the caller's scope is a 404, not an empty file.
		first, err := h.cfg.Policy.KPIReport(ctx, p, units[0].ID, period)
		if err != nil {
			return Download{}, err
		}
		write := func(ctx context.Context, w io.Writer) error {
			s, err := newSheet(format, w)
			if err != nil {
				return err
			}
			if err := s.row(kpiExportHeader...); err != nil {
				return err
			}
			for i, u := range units {
				r := first
				if i > 0 {
					if r, err = h.cfg.Policy.KPIReport(ctx, p, u.ID, period); err != nil {
						return err
					}
				}
				if err := s.row(kpiExportRow(u, r)...); err != nil {
					return err
				}
			}
			return s.close()
		}
		name := fmt.Sprintf("kpi-%d-%s-%s.%s", q.Unit, q.From, q.To, format)
		return Download{ContentType: contentTypeOf(format), Filename: name, Write: write, Log: h.log}, nil
	}
}

func kpiExportRow(u inspect.Unit, r inspect.KPIReport) []any {
	rate := func(x inspect.Rate) any {
		if !x.Defined() {
			return ""
		}
		return float64(int(x.Value()*10000+0.5)) / 10000
	}
	round2 := func(x *float64) any {
		if x == nil {
			return ""
		}
		return float64(int(*x*100+0.5)) / 100
	}
	return []any{u.ID, u.Name, string(u.Level), r.Volume, r.Completion.Num, rate(r.Completion), r.OnTime.Num, rate(r.OnTime),
		r.Satisfaction.Share4Plus.Den, round2(r.Satisfaction.Average), rate(r.Satisfaction.Share4Plus), r.Returned.Den, r.Returned.Num, rate(r.Returned),
		r.SelfReported.Volume, r.SelfReported.Completion.Num, r.Planned.Due, r.Planned.Done, r.Planned.Overdue,
		r.Visits.Requests, r.Visits.AnsweredInTime, round2(r.Visits.AverageResponseHours)}
}

// unitAndChildren returns unit id (first) and the units directly below it, as
// the caller sees them.
func (h *v1) unitAndChildren(ctx context.Context, p inspect.Principal, id int64) ([]inspect.Unit, error) {
	var self []inspect.Unit
	var children []inspect.Unit
	pg := inspect.UnitPage{Limit: inspect.MaxUnitPage}
	for {
		units, err := h.cfg.Directory.Units(ctx, p, pg)
		if err != nil {
			return nil, err
		}
		for _, u := range units {
			switch {
			case u.ID == id:
				self = append(self, u)
			case u.ParentID == id:
				children = append(children, u)
			}
		}
		if len(units) < pg.Limit {
			break
		}
		pg.After = inspect.UnitKeyOf(units[len(units)-1])
	}
	if len(self) == 0 {
		return nil, inspect.Errorf(inspect.ENOTFOUND, "unit %d not found", id)
	}
	return append(self, children...), nil
}
