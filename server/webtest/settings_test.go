package webtest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

// TestAdminIssue17Settings: the centre settings of issue 17 (priority age,
// per-person daily caps, the citizen's name to the clerk, large text on the
// kiosks), a field's priority rule and a field's booking settings and the
// holidays are set in /admin, saved, and still there after a reload; a bad
// value is refused with a message naming it, and nothing changes on the
// server. Screenshots: admin-centre-settings, admin-bookings-settings-error.
func TestAdminIssue17Settings(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	centre := func() protocol.Centre {
		t.Helper()
		c, err := admin.Centre(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p := newTab(t, srv)
	openAdmin(p, "centre")
	p.wait(`document.querySelector('#centre-form')`, "the centre form")
	// The defaults: the law's 60, no caps, no names, normal text.
	for sel, want := range map[string]string{"#centre-priority-age": "60", "#centre-id-cap": "0", "#centre-id-cap-field": "0"} {
		if v := eval[string](p, `document.querySelector(`+jsString(sel)+`).value`); v != want {
			t.Errorf("%s shows %q, want %q", sel, v, want)
		}
	}
	if eval[bool](p, `document.querySelector('#centre-show-citizen-name').checked || document.querySelector('#centre-kiosk-large').checked`) {
		t.Error("show_citizen_name or kiosk_large_text ticked by default")
	}

	// Bad values: refused before sending, the box marked, nothing stored.
	before := centre()
	for i, bad := range []struct{ sel, value, msg string }{
		{"#centre-priority-age", "30", "Tuổi được ưu tiên phải từ 40 đến 120"},
		{"#centre-priority-age", "121", "Tuổi được ưu tiên phải từ 40 đến 120"},
		{"#centre-priority-age", "", "Tuổi được ưu tiên phải từ 40 đến 120"},
		{"#centre-priority-age", "65.5", "Tuổi được ưu tiên phải từ 40 đến 120"},
		{"#centre-id-cap", "101", "Số phiếu tối đa phải từ 0 đến 100"},
		{"#centre-id-cap", "-1", "Số phiếu tối đa phải từ 0 đến 100"},
		{"#centre-id-cap-field", "1.5", "Số phiếu tối đa phải từ 0 đến 100"},
	} {
		p.open(fmt.Sprintf("/admin?bad%d#centre", i))
		p.wait(`document.querySelector('#centre-form')`, "the centre form")
		p.click("#centre-show-citizen-name")
		p.setValue(bad.sel, bad.value)
		p.click("#centre-save")
		p.waitText("#centre-msg", bad.msg)
		if !eval[bool](p, `document.querySelector(`+jsString(bad.sel)+`).getAttribute('aria-invalid') === 'true' && document.activeElement === document.querySelector(`+jsString(bad.sel)+`)`) {
			t.Errorf("%s = %q: the box is not marked and focused (%s)", bad.sel, bad.value, eval[string](p, `[...document.querySelectorAll('[aria-invalid]')].map(e => e.id).join(',') + ' active ' + document.activeElement.id`))
		}
		if got := centre(); !reflect.DeepEqual(got, before) {
			t.Fatalf("%s = %q was refused but the centre changed: %+v", bad.sel, bad.value, got)
		}
	}

	// Good values: saved, on the server, and shown again after a reload.
	p.open("/admin?good#centre")
	p.wait(`document.querySelector('#centre-form')`, "the centre form")
	p.setValue("#centre-priority-age", "75")
	p.setValue("#centre-id-cap", "2")
	p.setValue("#centre-id-cap-field", "1")
	p.click("#centre-show-citizen-name")
	p.click("#centre-kiosk-large")
	p.click("#centre-save")
	p.waitText("#centre-msg", "Đã lưu")
	c := centre()
	if c.PriorityAge == nil || *c.PriorityAge != 75 || c.IDDailyCap == nil || *c.IDDailyCap != 2 || c.IDDailyCapPerField == nil || *c.IDDailyCapPerField != 1 ||
		c.ShowCitizenName == nil || !*c.ShowCitizenName || c.KioskLargeText == nil || !*c.KioskLargeText {
		t.Fatalf("centre after the save: age %v caps %v %v name %v large %v", deref(c.PriorityAge), deref(c.IDDailyCap), deref(c.IDDailyCapPerField), deref(c.ShowCitizenName), deref(c.KioskLargeText))
	}
	p.open("/admin?reload#centre")
	p.wait(`document.querySelector('#centre-form')`, "the centre form after a reload")
	for sel, want := range map[string]string{"#centre-priority-age": "75", "#centre-id-cap": "2", "#centre-id-cap-field": "1"} {
		if v := eval[string](p, `document.querySelector(`+jsString(sel)+`).value`); v != want {
			t.Errorf("after a reload %s shows %q, want %q", sel, v, want)
		}
	}
	if !eval[bool](p, `document.querySelector('#centre-show-citizen-name').checked && document.querySelector('#centre-kiosk-large').checked`) {
		t.Error("after a reload show_citizen_name or kiosk_large_text is not ticked")
	}
	p.screenshot("admin-centre-settings", 1366, 768)
	// A cap of 0 again (no cap) is allowed, and the rest is kept.
	p.setValue("#centre-id-cap", "0")
	p.click("#centre-save")
	p.waitText("#centre-msg", "Đã lưu")
	if c := centre(); c.IDDailyCap == nil || *c.IDDailyCap != 0 || *c.IDDailyCapPerField != 1 || *c.PriorityAge != 75 {
		t.Errorf("centre after clearing the cap: %+v", c)
	}

	// A field's priority rule: off, kept after a reload.
	p.open("/admin?f#fields")
	p.wait(`!!document.querySelector('#fields tr[data-service="dat-dai"]')`, "the fields")
	p.click(`#fields tr[data-service="dat-dai"] .actions-cell button`)
	p.wait(`document.querySelector('#field-dialog #field-rule')`, "the field dialog")
	p.setValue("#field-rule", "interleave")
	p.setValue("#field-every", "0")
	submit(p, "#field-dialog")
	p.waitText("#field-dialog .msg.error", "từ 1 đến 20")
	if s := services(t, srv)["dat-dai"]; s.Rule() != protocol.PriorityStrict {
		t.Fatalf("a refused rule was saved: %q %d", s.PriorityRule, s.PriorityEvery)
	}
	p.setValue("#field-rule", "off")
	submit(p, "#field-dialog")
	waitClosed(p, "#field-dialog")
	if s := services(t, srv)["dat-dai"]; s.PriorityRule != protocol.PriorityOff {
		t.Fatalf("rule saved as %q, want off", s.PriorityRule)
	}
	p.open("/admin?f2#fields")
	p.waitText(`#fields tr[data-service="dat-dai"] .field-rule`, "Không ưu tiên")
	p.click(`#fields tr[data-service="dat-dai"] .actions-cell button`)
	p.wait(`document.querySelector('#field-dialog #field-rule')`, "the field dialog after a reload")
	if v := eval[string](p, `document.querySelector('#field-rule').value`); v != "off" {
		t.Errorf("after a reload the rule shows %q, want off", v)
	}
	if v := eval[string](p, `document.querySelector('#field-booked').value`); v != "first" {
		t.Errorf("the booked position shows %q by default, want first", v)
	}
	// The place of booked tickets: after priority, kept after a reload.
	p.setValue("#field-booked", "after_priority")
	p.waitText("#field-booked-hint", "Số ưu tiên theo luật được gọi trước người đặt lịch")
	submit(p, "#field-dialog")
	waitClosed(p, "#field-dialog")
	if s := services(t, srv)["dat-dai"]; s.BookedPosition != protocol.BookedAfterPriority || s.PriorityRule != protocol.PriorityOff {
		t.Fatalf("booked position saved as %q (rule %q), want after_priority (off kept)", s.BookedPosition, s.PriorityRule)
	}
	p.open("/admin?f3#fields")
	p.waitText(`#fields tr[data-service="dat-dai"] .field-booked`, "Sau số ưu tiên")
	p.click(`#fields tr[data-service="dat-dai"] .actions-cell button`)
	p.wait(`document.querySelector('#field-dialog #field-booked')`, "the field dialog after a reload")
	if v := eval[string](p, `document.querySelector('#field-booked').value`); v != "after_priority" {
		t.Errorf("after a reload the booked position shows %q, want after_priority", v)
	}
	eval[bool](p, `(document.querySelector('#field-booked').scrollIntoView({block: 'center'}), true)`)
	p.screenshot("admin-field-booked-position", 1366, 768)
	p.click(`#field-dialog .dialog-actions button[type=button]`) // cancel
	waitClosed(p, "#field-dialog")
	// A bad position through the API: 400 naming the field, nothing changed.
	beforeField := services(t, srv)["dat-dai"]
	badField := beforeField
	badField.BookedPosition, badField.TargetMinutes = "last", beforeField.TargetMinutes+7
	status, err := admin.Do(ctx, "PUT", "/api/v1/services/dat-dai", badField, nil, nil)
	if status != 400 || err == nil || !strings.Contains(err.Error(), "booked_position") {
		t.Fatalf("PUT booked_position \"last\": %d %v, want 400 naming booked_position", status, err)
	}
	if got := services(t, srv)["dat-dai"]; got.BookedPosition != beforeField.BookedPosition || got.TargetMinutes != beforeField.TargetMinutes {
		t.Fatalf("a refused booked position changed the field: %+v", got)
	}

	// A field's booking settings.
	bookings := func() map[string]protocol.BookingSettings {
		t.Helper()
		var sets []protocol.BookingSettings
		if _, err := admin.Do(ctx, "GET", "/api/v1/bookings/settings", nil, &sets, nil); err != nil {
			t.Fatal(err)
		}
		out := map[string]protocol.BookingSettings{}
		for _, s := range sets {
			out[s.ServiceID] = s
		}
		return out
	}
	const form = `form.bk-settings[data-service="dat-dai"]`
	openBookings := func(q string) {
		t.Helper()
		p.open("/admin?" + q + "#bookings")
		p.wait(`!!document.querySelector(`+jsString(form)+`)`, "the booking settings")
		eval[bool](p, `document.querySelector('details[data-service="dat-dai"]').open = true`)
	}
	set := func(sel, v string) { p.setValue(form+" "+sel, v) }
	openBookings("b1")
	p.click(form + " .bk-enabled")
	set(".bk-ahead", "6")
	set(`tr[data-day="mon"] .bk-starts`, "08:00, 08:30, 14:00")
	set(`tr[data-day="mon"] .bk-cap`, "3")
	set(`tr[data-day="tue"] .bk-len`, "20")
	set(`tr[data-day="tue"] .bk-cap`, "2")
	wantSet := bookings()["dat-dai"]
	for _, bad := range []struct{ sel, value, msg string }{
		{".bk-ahead", "61", "Số ngày đặt trước phải từ 0 đến 60"},
		{".bk-before", "0", "từ 1 đến 240"},
		{".bk-after", "241", "từ 1 đến 240"},
		{`tr[data-day="mon"] .bk-starts`, "08:00, 8h30", "Thứ Hai: giờ bắt đầu “8h30” không đúng dạng HH:MM"},
		{`tr[data-day="mon"] .bk-starts`, "24:00", "Thứ Hai: giờ bắt đầu “24:00”"},
		{`tr[data-day="mon"] .bk-cap`, "1001", "Thứ Hai: số chỗ mỗi khung phải từ 0 đến 1000"},
		{`tr[data-day="mon"] .bk-cap`, "0", "Thứ Hai: có khung giờ nhưng số chỗ là 0"},
		{`tr[data-day="tue"] .bk-len`, "4", "Thứ Ba: nhập giờ bắt đầu các khung, hoặc độ dài khung từ 5 đến 240 phút"},
		{`tr[data-day="tue"] .bk-len`, "", "Thứ Ba: nhập giờ bắt đầu các khung, hoặc độ dài khung"},
	} {
		old := eval[string](p, `document.querySelector(`+jsString(form+" "+bad.sel)+`).value`)
		set(bad.sel, bad.value)
		p.click(form + ` button[type=submit]`)
		p.waitText(form+` .msg.error`, bad.msg)
		if !eval[bool](p, `document.querySelector(`+jsString(form+" "+bad.sel)+`).getAttribute('aria-invalid') === 'true'`) {
			t.Errorf("%s = %q: the box is not marked", bad.sel, bad.value)
		}
		if got := bookings()["dat-dai"]; !reflect.DeepEqual(got, wantSet) {
			t.Fatalf("%s = %q was refused but the settings changed: %+v", bad.sel, bad.value, got)
		}
		if bad.value == "0" && strings.Contains(bad.sel, "mon") {
			p.screenshot("admin-bookings-settings-error", 1366, 768)
		}
		set(bad.sel, old)
	}
	p.click(form + ` button[type=submit]`)
	p.waitText(form+` .msg`, "Đã lưu")
	p.waitText(`details[data-service="dat-dai"] summary`, "đang nhận đặt lịch")
	got := bookings()["dat-dai"]
	if !got.Enabled || got.DaysAhead != 6 || len(got.Days) != 2 || !reflect.DeepEqual(got.Days["mon"].Starts, []string{"08:00", "08:30", "14:00"}) ||
		got.Days["mon"].Capacity != 3 || got.Days["tue"].SlotMinutes != 20 || got.Days["tue"].Capacity != 2 || got.WindowBefore != 15 || got.WindowAfter != 10 {
		t.Fatalf("booking settings after the save: %+v", got)
	}
	openBookings("b2")
	for sel, want := range map[string]string{".bk-ahead": "6", ".bk-before": "15", ".bk-after": "10",
		`tr[data-day="mon"] .bk-starts`: "08:00, 08:30, 14:00", `tr[data-day="mon"] .bk-cap`: "3",
		`tr[data-day="tue"] .bk-len`: "20", `tr[data-day="tue"] .bk-cap`: "2", `tr[data-day="wed"] .bk-cap`: ""} {
		if v := eval[string](p, `document.querySelector(`+jsString(form+" "+sel)+`).value`); v != want {
			t.Errorf("after a reload %s shows %q, want %q", sel, v, want)
		}
	}
	if !eval[bool](p, `document.querySelector(`+jsString(form+" .bk-enabled")+`).checked`) {
		t.Error("after a reload the field does not take bookings")
	}

	// Holidays: a bad line refused (nothing stored), good ones kept.
	for _, bad := range []struct{ text, msg string }{
		{"2027-01-01 Tết Dương lịch\n2027-02-30 Ngày không có", "Dòng 2: “2027-02-30” không phải một ngày dạng YYYY-MM-DD"},
		{"1/5/2027 Quốc tế Lao động", "Dòng 1: “1/5/2027”"},
		{"2027-04-30\n2027-04-30 Giải phóng miền Nam", "Ngày 2027-04-30 có hai lần"},
	} {
		p.setValue("#bk-holidays", bad.text)
		p.click("#bk-holidays-save")
		p.waitText("#bk-holidays-form .msg.error", bad.msg)
		var hs []protocol.Holiday
		if _, err := admin.Do(ctx, "GET", "/api/v1/holidays", nil, &hs, nil); err != nil || len(hs) != 0 {
			t.Fatalf("refused holidays stored: %+v %v", hs, err)
		}
	}
	p.setValue("#bk-holidays", "2027-01-01 Tết Dương lịch\n\n2027-04-30")
	p.click("#bk-holidays-save")
	p.waitText("#bk-holidays-form .msg", "Đã lưu")
	openBookings("b3")
	if v := eval[string](p, `document.querySelector('#bk-holidays').value`); v != "2027-01-01 Tết Dương lịch\n2027-04-30" {
		t.Errorf("after a reload the holidays show %q", v)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
