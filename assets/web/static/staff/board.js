// The board reducer: a line-by-line port of Apply in server/protocol/board.go,
// so the staff pages compute the board exactly as the server, the displays and
// the tests do (server/webtest checks both give the same board for the same
// events).

/** RECENT_CALLS is how many calls board.recent keeps, newest first. */
export const RECENT_CALLS = 10;

/** EpochChanged means the event belongs to another history: take a fresh snapshot. */
export class EpochChanged extends Error {
  constructor() { super('event epoch differs from board epoch'); }
}

/** emptyBoard is the board before the first snapshot. */
export function emptyBoard() {
  return { seq: 0, epoch: '', counters: [], recent: [], waiting: {}, services: [], centre: null, disruptions: [] };
}

// normalize gives a board from the server the shapes the reducer relies on
// (Go sends null for empty lists).
export function normalize(b) {
  const nb = Object.assign({}, b);
  nb.counters = (b.counters || []).map((cs) => ({ counter: cs.counter, current: cs.current || null }));
  nb.recent = b.recent || [];
  nb.waiting = Object.assign({}, b.waiting || {});
  nb.services = b.services || [];
  nb.centre = b.centre || null;
  nb.disruptions = b.disruptions || [];
  return nb;
}

function clone(b) {
  return {
    ...b,
    counters: b.counters.map((cs) => ({ counter: cs.counter, current: cs.current })),
    recent: b.recent.slice(),
    waiting: Object.assign({}, b.waiting),
    services: b.services.slice(),
    disruptions: (b.disruptions || []).slice(),
  };
}

function counterIndex(b, id) {
  return b.counters.findIndex((cs) => cs.counter.id === id);
}

function sortCounters(b) {
  b.counters.sort((x, y) => x.counter.number - y.counter.number); // stable, like sort.SliceStable
}

function clearCurrent(b, id) {
  let found = false;
  for (const cs of b.counters) {
    if (cs.current && cs.current.id === id) {
      cs.current = null;
      found = true;
    }
  }
  return found;
}

function decWaiting(b, serviceId) {
  if ((b.waiting[serviceId] || 0) > 0) b.waiting[serviceId]--;
}

function incWaiting(b, serviceId) {
  b.waiting[serviceId] = (b.waiting[serviceId] || 0) + 1;
}

/**
 * apply returns the board after ev without modifying b. Events at or below
 * b.seq are duplicates and return b itself; a snapshot replaces the board.
 * Throws EpochChanged for an event of another history.
 */
export function apply(b, ev) {
  if (ev.type === 'snapshot') {
    const nb = normalize(ev.data || {});
    if (!nb.seq) nb.seq = ev.seq;
    if (!nb.epoch) nb.epoch = ev.epoch;
    return nb;
  }
  if (b.epoch && ev.epoch && ev.epoch !== b.epoch) throw new EpochChanged();
  if (ev.seq <= b.seq) return b;
  const nb = clone(b);
  nb.seq = ev.seq;
  if (!nb.epoch) nb.epoch = ev.epoch;
  const d = ev.data || {};
  switch (ev.type) {
    case 'ticket.issued':
      if (d.status === 'waiting') incWaiting(nb, d.service_id);
      break;
    case 'ticket.called':
    case 'ticket.recalled': {
      if (ev.type === 'ticket.called' && !d.recall) decWaiting(nb, d.ticket.service_id);
      clearCurrent(nb, d.ticket.id);
      let i = counterIndex(nb, d.counter.id);
      if (i < 0) {
        nb.counters.push({ counter: d.counter, current: null });
        sortCounters(nb);
        i = counterIndex(nb, d.counter.id);
      } else {
        nb.counters[i].counter = d.counter;
      }
      nb.counters[i].current = d.ticket;
      nb.recent = [d, ...nb.recent].slice(0, RECENT_CALLS);
      break;
    }
    case 'ticket.done':
    case 'ticket.no_show': {
      clearCurrent(nb, d.id);
      const i = counterIndex(nb, d.counter_id || '');
      if (i >= 0 && ev.type === 'ticket.done') {
        nb.counters[i].counter = { ...nb.counters[i].counter, served_today: (nb.counters[i].counter.served_today || 0) + 1 };
      }
      break;
    }
    case 'ticket.transferred':
      if (!clearCurrent(nb, d.id) && d.from_service_id) decWaiting(nb, d.from_service_id);
      if (d.status === 'waiting') incWaiting(nb, d.service_id);
      break;
    case 'ticket.cancelled':
      if (!clearCurrent(nb, d.id)) decWaiting(nb, d.service_id);
      break;
    case 'counter.updated': {
      const i = counterIndex(nb, d.id);
      if (i >= 0) nb.counters[i].counter = d;
      else {
        nb.counters.push({ counter: d, current: null });
        sortCounters(nb);
      }
      break;
    }
    case 'service.updated': {
      nb.waiting[d.id] = d.waiting || 0;
      const i = nb.services.findIndex((s) => s.id === d.id);
      if (i >= 0) nb.services[i] = d;
      else nb.services.push(d);
      nb.services.sort((x, y) => (x.order || 0) - (y.order || 0));
      break;
    }
    case 'centre.updated':
      nb.centre = d;
      break;
    case 'disruption.started':
    case 'disruption.ended': {
      // Board.disruptions holds the open ones, oldest first.
      const i = nb.disruptions.findIndex((x) => x.id === d.id);
      if (ev.type === 'disruption.ended' || d.ended_at) {
        if (i >= 0) nb.disruptions.splice(i, 1);
      } else if (i >= 0) nb.disruptions[i] = d;
      else nb.disruptions.push(d);
      break;
    }
    default:
      // Unknown types come from newer servers: the seq still advances.
  }
  return nb;
}

/** serviceName finds a field's name in lang, falling back to its id. */
export function serviceOf(b, id) {
  return b.services.find((s) => s.id === id) || null;
}
