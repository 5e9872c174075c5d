package ui

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"golang.org/x/crypto/bcrypt"
)

// lockRig is a kiosk with the admin PIN 2468 and a clock the test moves.
func lockRig(t *testing.T) (*rig, *atomic.Int32, *time.Time) {
	t.Helper()
	r := layoutRig(t, screenSizes["landscape"])
	r.u.Keys(r.w.Canvas())
	r.showFields(bigServices(9, false))
	hash, err := bcrypt.GenerateFromPassword([]byte("2468"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	var exits atomic.Int32
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	r.u.mu.Lock()
	r.u.opts.Maint = Maintenance{PINHash: hash, Exit: func() { exits.Add(1) }, Server: "http://10.0.0.2:8080", Version: "v1.2.3",
		PrinterTest: func(context.Context) error { return errors.New("paper out") }}
	r.u.now = func() time.Time { return now }
	r.u.mu.Unlock()
	return r, &exits, &now
}

func typePIN(t *testing.T, r *rig, pin string) {
	t.Helper()
	for _, k := range pin {
		test.Tap(r.button(t, "pin-"+string(k)))
	}
	test.Tap(r.button(t, "pin-OK"))
}

// TestCornerGestureAndPIN: five taps on the hidden corner within three
// seconds open the PIN keypad (four do not, nor five spread out); the
// right PIN opens maintenance, whose Exit quits; the wrong one does not.
func TestCornerGestureAndPIN(t *testing.T) {
	r, exits, now := lockRig(t)
	c := cornerOf(r)
	for range 4 {
		test.Tap(c)
	}
	if s := r.u.Screen(); s != ScreenHome {
		t.Fatalf("four taps: %s", s)
	}
	*now = now.Add(4 * time.Second) // the four are too old now
	test.Tap(c)
	if s := r.u.Screen(); s != ScreenHome {
		t.Fatalf("taps spread over 4 s: %s", s)
	}
	for range 4 {
		test.Tap(c)
	}
	if s := r.u.Screen(); s != ScreenPIN {
		t.Fatalf("five taps in 3 s: %s", s)
	}
	typePIN(t, r, "1357")
	if s := r.u.Screen(); s != ScreenPIN {
		t.Fatalf("wrong PIN led to %s", s)
	}
	test.Tap(r.button(t, "pin-1"))
	golden(t, r.w, "pin-1920x1080.png")
	test.Tap(r.button(t, "pin-⌫"))
	// The keypad types the PIN too.
	r.press(t, "2468\n")
	if s := r.u.Screen(); s != ScreenMaint {
		t.Fatalf("right PIN led to %s", s)
	}
	got := labels(r.w.Content())
	if !containsStr(got, "Máy chủ: http://10.0.0.2:8080") {
		t.Errorf("maintenance shows %q, not the server", got)
	}
	test.Tap(r.button(t, "maint-print"))
	waitFor(t, func() bool {
		r.u.mu.Lock()
		defer r.u.mu.Unlock()
		return r.u.maintMsg != ""
	})
	if got := labels(r.w.Content()); !containsStr(got, vi.MaintPrintFailed+": paper out") {
		t.Errorf("after the printer test: %q", got)
	}
	golden(t, r.w, "maint-1920x1080.png")
	test.Tap(r.button(t, "maint-exit"))
	if exits.Load() != 1 {
		t.Fatalf("exit called %d times", exits.Load())
	}
	test.Tap(r.button(t, "maint-back"))
	if s := r.u.Screen(); s != ScreenHome {
		t.Fatalf("back from maintenance: %s", s)
	}
}

// TestPINLockout: three wrong PINs lock the keypad for a minute, even for
// the right PIN; after the minute the right PIN works.
func TestPINLockout(t *testing.T) {
	r, _, now := lockRig(t)
	c := cornerOf(r)
	for range 5 {
		test.Tap(c)
	}
	for range 3 {
		typePIN(t, r, "0000")
	}
	typePIN(t, r, "2468")
	if s := r.u.Screen(); s != ScreenPIN {
		t.Fatalf("the right PIN during the lock led to %s", s)
	}
	if !containsStr(labels(r.w.Content()), "Nhập sai quá nhiều lần — thử lại sau 60 giây") {
		t.Errorf("no lock message: %q", labels(r.w.Content()))
	}
	*now = now.Add(61 * time.Second)
	typePIN(t, r, "2468")
	if s := r.u.Screen(); s != ScreenMaint {
		t.Fatalf("the right PIN after the lock led to %s", s)
	}
}

// TestNoPINNoWayOut: without a PIN hash the corner does nothing.
func TestNoPINNoWayOut(t *testing.T) {
	r := layoutRig(t, screenSizes["landscape"])
	r.showFields(bigServices(9, false))
	c := cornerOf(r)
	for range 10 {
		test.Tap(c)
	}
	if s := r.u.Screen(); s != ScreenHome {
		t.Fatalf("corner without a PIN: %s", s)
	}
}

func cornerOf(r *rig) *corner {
	return r.u.outer.Objects[1].(*fyne.Container).Objects[0].(*corner)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
