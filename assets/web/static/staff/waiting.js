// A live list of waiting tickets kept from the events, for the console (the
// counter's fields) and the dashboard (all fields). It is fetched over HTTP
// and then follows ticket events. Events that arrive while a fetch is on
// its way are replayed on the fetched list: every step is idempotent (add or
// remove by ticket id), so replaying one the list already reflects is harmless.

export class WaitingList {
  /** fetch returns the list of waiting tickets; accepts(serviceId) filters events. */
  constructor(fetch, accepts) {
    this.fetchFn = fetch;
    this.accepts = accepts;
    this.map = new Map();
    this.buffer = null;
    this.loaded = false;
  }

  async refresh() {
    const buf = [];
    this.buffer = buf;
    try {
      const list = await this.fetchFn();
      const m = new Map();
      for (const tk of list || []) m.set(tk.id, tk);
      for (const ev of buf) step(m, ev, this.accepts);
      this.map = m;
      this.loaded = true;
    } finally {
      if (this.buffer === buf) this.buffer = null;
    }
  }

  /** event applies a board event (already deduplicated by seq). */
  event(ev) {
    if (this.buffer) this.buffer.push(ev);
    step(this.map, ev, this.accepts);
  }

  /** remove drops a ticket at once (an action's answer came before its event). */
  remove(id) { this.map.delete(id); }

  /** sorted lists the tickets in the order the server calls them. */
  sorted() {
    return Array.from(this.map.values()).sort(callOrder);
  }
}

function step(m, ev, accepts) {
  const d = ev.data || {};
  switch (ev.type) {
    case 'ticket.issued':
      if (d.status === 'waiting' && accepts(d.service_id)) m.set(d.id, d);
      break;
    case 'ticket.called':
    case 'ticket.recalled':
      if (d.ticket) m.delete(d.ticket.id);
      break;
    case 'ticket.transferred':
      m.delete(d.id);
      if (d.status === 'waiting' && accepts(d.service_id)) m.set(d.id, d);
      break;
    case 'ticket.done':
    case 'ticket.no_show':
    case 'ticket.cancelled':
      m.delete(d.id);
      break;
  }
}

/** callOrder sorts like the server's Waiting: priority first, then by issue time. */
export function callOrder(a, b) {
  if (a.priority !== b.priority) return a.priority ? -1 : 1;
  const ta = Date.parse(a.issued_at), tb = Date.parse(b.issued_at);
  if (ta !== tb) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
