// The calm notice hall displays and phone pages show while a disruption is
// open (Board.disruptions, TicketView.disruptions): what failed, where, and
// that waits may be longer, in Vietnamese and English. No blame, no alarm.

const WHAT = {
  one_stop_software: { vi: 'Phần mềm một cửa đang gián đoạn', en: 'The one-stop software is temporarily down' },
  network: { vi: 'Mạng đang gián đoạn', en: 'The network is temporarily down' },
  power: { vi: 'Điện đang gián đoạn', en: 'The power is temporarily out' },
  printer: { vi: 'Máy in đang gặp sự cố', en: 'A printer is out of order' },
  other: { vi: 'Hệ thống đang gián đoạn', en: 'Service is temporarily disrupted' },
};
const TAIL = {
  vi: ', thời gian chờ có thể lâu hơn. Xin cảm ơn quý vị đã kiên nhẫn.',
  en: '; waits may be longer. Thank you for your patience.',
};

/**
 * disruptionNotice returns {vi, en} for the open disruptions ds (empty
 * strings when none). numberOf(id) gives a counter's number, for notices of
 * some counters only ("tại quầy 2, 5"); without it the counters go unnamed.
 */
export function disruptionNotice(ds, numberOf) {
  if (!ds || ds.length === 0) return { vi: '', en: '' };
  // A centre-wide one says it all; otherwise one clause per cause.
  const whole = ds.find((d) => !d.counter_ids || d.counter_ids.length === 0);
  const clauses = { vi: [], en: [] };
  const causes = whole ? [[whole.cause, []]] : groupByCause(ds);
  for (const [cause, ids] of causes) {
    const w = WHAT[cause] || WHAT.other;
    const nums = numberOf ? ids.map(numberOf).filter((n) => n > 0).sort((a, b) => a - b) : [];
    clauses.vi.push(w.vi + (nums.length ? ' tại quầy ' + nums.join(', ') : ''));
    clauses.en.push(w.en + (nums.length ? (nums.length > 1 ? ' at counters ' : ' at counter ') + nums.join(', ') : ''));
  }
  // Later clauses continue the sentence: "…; the network is…".
  const en = clauses.en.map((c, i) => (i === 0 ? c : c[0].toLowerCase() + c.slice(1)));
  return { vi: clauses.vi.join('; ') + TAIL.vi, en: en.join('; ') + TAIL.en };
}

function groupByCause(ds) {
  const m = new Map();
  for (const d of ds) {
    const ids = m.get(d.cause) || [];
    for (const id of d.counter_ids || []) if (!ids.includes(id)) ids.push(id);
    m.set(d.cause, ids);
  }
  return [...m.entries()];
}
