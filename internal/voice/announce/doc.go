// Package announce turns ticket calls into spoken call-outs for the hall
// displays: Vietnamese (and English) number words, the reading of ticket
// codes, the ordered list of sound clips for one call (its script), and the
// Announcer that speaks every call exactly once, in order, one at a time.
//
// It is pure Go with no I/O of its own (a Player does the sound), and imports
// only the standard library and server/protocol, so the server may use it too
// (for example to hand the web display a ready script). The web display
// plays the same clips in JavaScript; docs/ANNOUNCEMENTS.md and the golden
// file testdata/scripts.json describe the algorithm for a port.
//
// # Clips
//
// A clip name is a path below assets/sounds without the ".wav" suffix:
// "chime", "pause", "vi/muoi", "en/twelve". Clips are word-level, so every
// number is assembled from about thirty clips, and a centre can replace any
// clip by a recording of the same name. ClipFile gives the file name.
//
// # Reading rules (Vietnamese, standard Northern forms)
//
//   - 0–9: không, một, hai, ba, bốn, năm, sáu, bảy, tám, chín.
//   - 10–19: mười, then the unit: mười một, mười bốn, mười lăm (5 → lăm).
//   - 20–99: tens digit, mươi, then the unit, where 1 → mốt, 4 → tư,
//     5 → lăm: hai mươi mốt, hai mươi tư, hai mươi lăm, hai mươi.
//   - Hundreds: "một trăm"; a zero tens digit before a unit is "linh":
//     một trăm linh năm (105), một trăm linh một, một trăm linh bốn.
//   - Groups of three digits take nghìn, triệu, tỷ; zero groups are left out;
//     a group that follows a higher one is read in full, so a zero hundreds
//     digit is "không trăm": một nghìn không trăm linh năm (1005), một nghìn
//     không trăm hai mươi tư (1024), một nghìn (1000).
//
// "nghìn" (not "ngàn"), "linh" (not "lẻ"), "bảy" (not "bẩy") and "tỷ" are the
// Northern forms taught in schools and used by the national broadcaster; a
// centre in the South can keep the rules and re-record the clips, since the
// listener hears the clip, not its name.
package announce
