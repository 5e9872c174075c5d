package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// kind tells how a column is formatted in a spreadsheet.
type kind int

const (
	text kind = iota
	count
	secs
	share
	minutes
)

// column is one flattened key of a Row (nested keys joined with a dot).
type column struct {
	key   string
	vi    string // the XLSX header's second line, for people
	kind  kind
	value func(r *Row) any // string, int, *float64 or float64
}

// Columns are the CSV/XLSX columns: the Row's JSON keys, flattened, in order.
var columns = []column{
	{"key", "Mã", text, func(r *Row) any { return r.Key }},
	{"label", "Tên", text, func(r *Row) any { return r.Label }},
	{"issued", "Số phát", count, func(r *Row) any { return r.Issued }},
	{"served", "Đã phục vụ", count, func(r *Row) any { return r.Served }},
	{"no_show", "Vắng mặt", count, func(r *Row) any { return r.NoShow }},
	{"transferred", "Chuyển quầy", count, func(r *Row) any { return r.Transferred }},
	{"cancelled", "Hủy", count, func(r *Row) any { return r.Cancelled }},
	{"wait_mean_seconds", "Chờ TB (giây)", secs, func(r *Row) any { return r.WaitMean }},
	{"wait_median_seconds", "Chờ trung vị (giây)", secs, func(r *Row) any { return r.WaitMedian }},
	{"wait_p90_seconds", "Chờ P90 (giây)", secs, func(r *Row) any { return r.WaitP90 }},
	{"wait_max_seconds", "Chờ lâu nhất (giây)", secs, func(r *Row) any { return r.WaitMax }},
	{"service_mean_seconds", "Phục vụ TB (giây)", secs, func(r *Row) any { return r.ServiceMean }},
	{"service_p90_seconds", "Phục vụ P90 (giây)", secs, func(r *Row) any { return r.ServiceP90 }},
	{"within_target", "Đạt chỉ tiêu", count, func(r *Row) any { return r.WithinTarget }},
	{"within_target_share", "Tỷ lệ đạt", share, func(r *Row) any { return r.WithinTargetShare }},
	{"ratings.very_satisfied", "Rất hài lòng", count, func(r *Row) any { return r.Ratings.VerySatisfied }},
	{"ratings.satisfied", "Hài lòng", count, func(r *Row) any { return r.Ratings.Satisfied }},
	{"ratings.unsatisfied", "Chưa hài lòng", count, func(r *Row) any { return r.Ratings.Unsatisfied }},
	{"rating_reasons.long_wait", "Lý do: chờ lâu", count, func(r *Row) any { return r.RatingReasons.LongWait }},
	{"rating_reasons.attitude", "Lý do: thái độ", count, func(r *Row) any { return r.RatingReasons.Attitude }},
	{"rating_reasons.unclear_guidance", "Lý do: hướng dẫn chưa rõ", count, func(r *Row) any { return r.RatingReasons.UnclearGuidance }},
	{"rating_reasons.missing_information", "Lý do: thiếu thông tin", count, func(r *Row) any { return r.RatingReasons.MissingInformation }},
	{"rating_reasons.other", "Lý do: khác", count, func(r *Row) any { return r.RatingReasons.Other }},
	{"outcomes.received", "Tiếp nhận", count, func(r *Row) any { return r.Outcomes.Received }},
	{"outcomes.returned", "Trả kết quả", count, func(r *Row) any { return r.Outcomes.Returned }},
	{"outcomes.guided", "Hướng dẫn", count, func(r *Row) any { return r.Outcomes.Guided }},
	{"outcomes.supplement", "Yêu cầu bổ sung", count, func(r *Row) any { return r.Outcomes.Supplement }},
	{"outcomes.refused", "Từ chối", count, func(r *Row) any { return r.Outcomes.Refused }},
	{"outcomes.other", "Khác", count, func(r *Row) any { return r.Outcomes.Other }},
	{"dossiers", "Hồ sơ", count, func(r *Row) any { return r.Dossiers }},
	{"disruption_minutes", "Phút sự cố", minutes, func(r *Row) any { return r.DisruptionMinutes }},
}

// Header is the CSV header: the Row's JSON keys, nested ones joined by a dot.
func Header() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.key
	}
	return out
}

func cell(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// rowsWithTotal is the report's rows with the total last.
func (r *Report) rowsWithTotal() []Row {
	return append(append([]Row{}, r.Rows...), r.Total)
}

// WriteCSV writes the report as UTF-8 CSV with a byte-order mark (so Excel
// reads Vietnamese), one header row and the total last. An empty figure
// (null in JSON) is an empty cell.
func (r *Report) WriteCSV(w io.Writer) error {
	if _, err := w.Write([]byte("\uFEFF")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(Header()); err != nil {
		return err
	}
	for _, row := range r.rowsWithTotal() {
		rec := make([]string, len(columns))
		for i, c := range columns {
			rec[i] = cell(c.value(&row))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SheetName is the XLSX worksheet holding the report.
const SheetName = "Báo cáo"

// LegendSheet is the XLSX worksheet naming each column in Vietnamese.
const LegendSheet = "Chú thích"

// WriteXLSX writes the report as an XLSX workbook: one header row with the
// JSON keys (as in the CSV), then the rows and the total in bold; counts
// with thousands separators, seconds with one decimal, shares as
// percentages, column widths set, the header and the names frozen. A second
// sheet names each column in Vietnamese.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return err
	}
	sh := SheetName
	bold := true
	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: bold}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DCE6F1"}, Pattern: 1},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return err
	}
	fmts := map[kind]string{count: "#,##0", secs: "#,##0.0", share: "0.0%", minutes: "#,##0.0"}
	styles := map[[2]int]int{} // kind, bold → style
	style := func(k kind, b bool) (int, error) {
		key := [2]int{int(k), 0}
		if b {
			key[1] = 1
		}
		if id, ok := styles[key]; ok {
			return id, nil
		}
		st := &excelize.Style{Font: &excelize.Font{Bold: b}}
		if f := fmts[k]; f != "" {
			st.CustomNumFmt = &f
		}
		id, err := f.NewStyle(st)
		styles[key] = id
		return id, err
	}
	for i, c := range columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellValue(sh, col+"1", c.key); err != nil {
			return err
		}
		width := 14.0
		switch {
		case c.key == "label":
			width = 40
		case c.key == "key":
			width = 16
		}
		if err := f.SetColWidth(sh, col, col, width); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(columns))
	if err := f.SetCellStyle(sh, "A1", last+"1", headStyle); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, 1, 30); err != nil {
		return err
	}
	rows := r.rowsWithTotal()
	for ri, row := range rows {
		n := ri + 2
		isTotal := ri == len(rows)-1
		for i, c := range columns {
			ref, _ := excelize.CoordinatesToCellName(i+1, n)
			var v any
			switch x := c.value(&row).(type) {
			case *float64:
				if x != nil {
					v = *x
				}
			default:
				v = x
			}
			if v != nil {
				if err := f.SetCellValue(sh, ref, v); err != nil {
					return err
				}
			}
			id, err := style(c.kind, isTotal)
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, ref, ref, id); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if _, err := f.NewSheet(LegendSheet); err != nil {
		return err
	}
	for i, c := range columns {
		if err := f.SetSheetRow(LegendSheet, fmt.Sprintf("A%d", i+1), &[]any{c.key, c.vi}); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(LegendSheet, "A", "B", 28); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
